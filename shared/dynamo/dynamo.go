// Package dynamo is the DynamoDB adapter of loupe.DB on the single-table design
// of docs/data-model.md, and the decoder of the table's stream into loupe.Change.
//
// Every write is one request with a condition expression (staleness, insert
// only, compare-and-set); there are no transactions, so dynalite can stand in
// for DynamoDB in tests.
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/loupehq/loupe/shared/loupe"
)

// API is the subset of *dynamodb.Client the adapter calls, with the SDK's
// signatures, so tests and Counter can stand in for the client.
type API interface {
	GetItem(ctx context.Context, params *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, params *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, params *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, params *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Query(ctx context.Context, params *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	Scan(ctx context.Context, params *dynamodb.ScanInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
	BatchWriteItem(ctx context.Context, params *dynamodb.BatchWriteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
	BatchGetItem(ctx context.Context, params *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
}

var _ API = (*dynamodb.Client)(nil)

// DB is loupe.DB on one DynamoDB table. It is safe for concurrent use.
type DB struct {
	api   API
	table *string
	load  *Loader // a Loader's view: read-ahead items answered and buffered there
}

var _ loupe.DB = (*DB)(nil)

// New returns a DB on table through api (a *dynamodb.Client, or a Counter
// around one). It does not call DynamoDB.
func New(api API, table string) *DB {
	return &DB{api: api, table: aws.String(table)}
}

// Table returns the table name.
func (db *DB) Table() string { return *db.table }

// isConditionFailed reports whether err is a failed condition expression.
func isConditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

// key returns the primary key of an item.
func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: pk},
		"SK": &types.AttributeValueMemberS{Value: sk},
	}
}

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

// getItem reads one item with a strongly consistent read into out. Returns
// (false, nil) when the item does not exist.
func (db *DB) getItem(ctx context.Context, pk, sk string, out any) (bool, error) {
	if item, ok := db.load.item(pk, sk); ok {
		if item == nil {
			return false, nil
		}
		if err := attributevalue.UnmarshalMap(item, out); err != nil {
			return false, fmt.Errorf("decode %s: %w", pk, err)
		}
		return true, nil
	}
	res, err := db.api.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: db.table, Key: key(pk, sk), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return false, err
	}
	if res.Item == nil {
		return false, nil
	}
	if err := attributevalue.UnmarshalMap(res.Item, out); err != nil {
		return false, fmt.Errorf("decode %s: %w", pk, err)
	}
	return true, nil
}

// putNew writes item only if no item has its key. Returns loupe.ErrExists when
// one does.
func (db *DB) putNew(ctx context.Context, item any) error {
	av, err := attributevalue.MarshalMap(item)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	_, err = db.api.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           db.table,
		Item:                av,
		ConditionExpression: aws.String("attribute_not_exists(PK)"),
	})
	if isConditionFailed(err) {
		return loupe.ErrExists
	}
	return err
}

// queryIndex returns every item of index whose partition key is pk, in sort
// key order, following pagination. skPrefix, when not "", narrows to sort keys
// beginning with it. index "" queries the table itself.
func (db *DB) queryIndex(ctx context.Context, index, pk, skPrefix string, fn func(map[string]types.AttributeValue) error) error {
	pkName, skName := "PK", "SK"
	in := &dynamodb.QueryInput{TableName: db.table}
	if index != "" {
		pkName, skName = index+"PK", index+"SK"
		in.IndexName = aws.String(index)
	} else {
		in.ConsistentRead = aws.Bool(true)
	}
	in.ExpressionAttributeNames = map[string]string{"#pk": pkName}
	in.ExpressionAttributeValues = map[string]types.AttributeValue{":pk": s(pk)}
	in.KeyConditionExpression = aws.String("#pk = :pk")
	if skPrefix != "" {
		in.ExpressionAttributeNames["#sk"] = skName
		in.ExpressionAttributeValues[":sk"] = s(skPrefix)
		in.KeyConditionExpression = aws.String("#pk = :pk AND begins_with(#sk, :sk)")
	}
	p := dynamodb.NewQueryPaginator(db.api, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, item := range page.Items {
			if err := fn(item); err != nil {
				return err
			}
		}
	}
	return nil
}

// GetStore returns a store, an error wrapping loupe.ErrNotFound, or the
// DynamoDB error.
func (db *DB) GetStore(ctx context.Context, storeID string) (loupe.Store, error) {
	var it StoreItem
	ok, err := db.getItem(ctx, storePK(storeID), skStore, &it)
	if err == nil && !ok {
		err = loupe.ErrNotFound
	}
	if err != nil {
		return loupe.Store{}, fmt.Errorf("get store %s: %w", storeID, err)
	}
	st, err := it.Store()
	if err != nil {
		return loupe.Store{}, fmt.Errorf("get store %s: %w", storeID, err)
	}
	return st, nil
}

// ListStores returns every store ordered by StoreID (index GSI1, STORES).
// Returns the DynamoDB or decoding error.
func (db *DB) ListStores(ctx context.Context) ([]loupe.Store, error) {
	var out []loupe.Store
	err := db.queryIndex(ctx, GSI1, gsiStores, "", func(av map[string]types.AttributeValue) error {
		st, err := decodeStore(av)
		out = append(out, st)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list stores: %w", err)
	}
	return out, nil
}

// GetAssociate returns an associate, an error wrapping loupe.ErrNotFound, or
// the DynamoDB error.
func (db *DB) GetAssociate(ctx context.Context, associateID string) (loupe.Associate, error) {
	var it AssociateItem
	ok, err := db.getItem(ctx, associatePK(associateID), skAssociate, &it)
	if err == nil && !ok {
		err = loupe.ErrNotFound
	}
	if err != nil {
		return loupe.Associate{}, fmt.Errorf("get associate %s: %w", associateID, err)
	}
	a, err := it.Associate()
	if err != nil {
		return loupe.Associate{}, fmt.Errorf("get associate %s: %w", associateID, err)
	}
	return a, nil
}

// ListAssociates returns a store's associates (GSI1, STAFF#<store_id>), or the
// chain's (GSI4, ASSOCIATES) when storeID is "", ordered by AssociateID.
// Returns the DynamoDB or decoding error.
func (db *DB) ListAssociates(ctx context.Context, storeID string) ([]loupe.Associate, error) {
	index, pk := GSI4, gsiAssociates
	if storeID != "" {
		index, pk = GSI1, staffPK(storeID)
	}
	var out []loupe.Associate
	err := db.queryIndex(ctx, index, pk, "", func(av map[string]types.AttributeValue) error {
		a, err := decodeAssociate(av)
		out = append(out, a)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list associates of store %q: %w", storeID, err)
	}
	return out, nil
}

// updateBuilder collects the SET and REMOVE clauses of one update expression
// with placeholder names and values.
type updateBuilder struct {
	set    []string
	remove []string
	names  map[string]string
	values map[string]types.AttributeValue
}

func newUpdateBuilder() *updateBuilder {
	return &updateBuilder{names: map[string]string{}, values: map[string]types.AttributeValue{}}
}

// setOrRemove SETs attr to v, or REMOVEs it when v is the empty string.
func (b *updateBuilder) setOrRemove(attr, v string) {
	if v == "" {
		b.remove = append(b.remove, b.name(attr))
		return
	}
	b.setAV(attr, s(v))
}

func (b *updateBuilder) setAV(attr string, v types.AttributeValue) {
	ph := ":v" + itoa(int64(len(b.values)))
	b.values[ph] = v
	b.set = append(b.set, b.name(attr)+" = "+ph)
}

func (b *updateBuilder) name(attr string) string {
	ph := "#n" + itoa(int64(len(b.names)))
	b.names[ph] = attr
	return ph
}

func (b *updateBuilder) expression() string {
	expr := "SET " + strings.Join(b.set, ", ")
	if len(b.remove) > 0 {
		expr += " REMOVE " + strings.Join(b.remove, ", ")
	}
	return expr
}

// GetCustomer returns a customer, an error wrapping loupe.ErrNotFound, or the
// DynamoDB error.
func (db *DB) GetCustomer(ctx context.Context, customerID string) (loupe.Customer, error) {
	var it CustomerItem
	ok, err := db.getItem(ctx, customerPK(customerID), skCustomer, &it)
	if err == nil && !ok {
		err = loupe.ErrNotFound
	}
	if err != nil {
		return loupe.Customer{}, fmt.Errorf("get customer %s: %w", customerID, err)
	}
	c, err := it.Customer()
	if err != nil {
		return loupe.Customer{}, fmt.Errorf("get customer %s: %w", customerID, err)
	}
	return c, nil
}

// queryCustomers returns the customers of one index partition whose sort
// key begins with skPrefix ("": all), sorted by CustomerID in memory (the
// book's GSI1 sort key is its turn order, the occasions' the associate).
func (db *DB) queryCustomers(ctx context.Context, index, pk, skPrefix string) ([]loupe.Customer, error) {
	var out []loupe.Customer
	err := db.queryIndex(ctx, index, pk, skPrefix, func(av map[string]types.AttributeValue) error {
		c, err := decodeCustomer(av)
		if err != nil {
			return err
		}
		out = append(out, c)
		return nil
	})
	slices.SortFunc(out, func(a, b loupe.Customer) int { return strings.Compare(a.CustomerID, b.CustomerID) })
	// A sort key that moves while the pages are read (a client listed or
	// called meanwhile moves in GSI1's turn order) can show a client twice:
	// once is enough (either image is a committed one).
	out = slices.CompactFunc(out, func(a, b loupe.Customer) bool { return a.CustomerID == b.CustomerID })
	return out, err
}

// decodeStore returns the store of a store item.
func decodeStore(av map[string]types.AttributeValue) (loupe.Store, error) {
	var it StoreItem
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		return loupe.Store{}, err
	}
	return it.Store()
}

// decodeAssociate returns the associate of an associate item.
func decodeAssociate(av map[string]types.AttributeValue) (loupe.Associate, error) {
	var it AssociateItem
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		return loupe.Associate{}, err
	}
	return it.Associate()
}

func decodeCustomer(av map[string]types.AttributeValue) (loupe.Customer, error) {
	var it CustomerItem
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		return loupe.Customer{}, err
	}
	return it.Customer()
}

// CustomersByAssociate returns an associate's book ordered by CustomerID:
// the whole GSI1 partition BOOK#<associate_id> (in turn order there),
// sorted in memory. Returns the DynamoDB or decoding error.
func (db *DB) CustomersByAssociate(ctx context.Context, associateID string) ([]loupe.Customer, error) {
	if associateID == "" {
		return nil, nil
	}
	out, err := db.queryCustomers(ctx, GSI1, bookPK(associateID), "")
	if err != nil {
		return nil, fmt.Errorf("customers of associate %s: %w", associateID, err)
	}
	return out, nil
}

// monthDayIndex returns the index and partition of the customers whose
// field ("birthday": GSI2, "anniversary": GSI3) falls on monthDay. Returns an
// EINVALID *loupe.Error for another field.
func monthDayIndex(field, monthDay string) (index, pk string, err error) {
	switch field {
	case "birthday":
		return GSI2, prefixBday + monthDay, nil
	case "anniversary":
		return GSI3, prefixAnniv + monthDay, nil
	}
	return "", "", loupe.Invalidf("field", "unknown month-day field %q", field)
}

// CustomersByMonthDay returns the customers of the chain whose birthday
// (GSI2) or anniversary (GSI3) falls on monthDay "MM-DD", ordered by
// CustomerID: the whole partition (sorted there by associate), sorted in
// memory. Returns an EINVALID *loupe.Error for another field, or the
// DynamoDB error.
func (db *DB) CustomersByMonthDay(ctx context.Context, field, monthDay string) ([]loupe.Customer, error) {
	index, pk, err := monthDayIndex(field, monthDay)
	if err != nil {
		return nil, err
	}
	out, err := db.queryCustomers(ctx, index, pk, "")
	if err != nil {
		return nil, fmt.Errorf("customers by %s %s: %w", field, monthDay, err)
	}
	return out, nil
}

// CustomersByPhone implements loupe.DB with one Query of GSI5,
// PHONE#<phone> (eventually consistent), ordered by CustomerID (the sort
// key is CUST#<id>; sorted again in memory). Returns the DynamoDB or
// decoding error.
func (db *DB) CustomersByPhone(ctx context.Context, phone string) ([]loupe.Customer, error) {
	if phone == "" {
		return nil, nil
	}
	out, err := db.queryCustomers(ctx, GSI5, phonePK(phone), "")
	if err != nil {
		return nil, fmt.Errorf("customers by phone: %w", err)
	}
	return out, nil
}

// ScanCustomers calls fn for each customer of a home store (GSI4,
// HOME#<store_id>), or of the chain when storeID is "" (a filtered Scan,
// sorted in memory), in CustomerID order. It returns fn's first error as is,
// or the DynamoDB error.
func (db *DB) ScanCustomers(ctx context.Context, storeID string, fn func(loupe.Customer) error) error {
	if storeID != "" {
		var fnErr error
		err := db.queryIndex(ctx, GSI4, homePK(storeID), "", func(av map[string]types.AttributeValue) error {
			c, err := decodeCustomer(av)
			if err != nil {
				return err
			}
			if err := fn(c); err != nil {
				fnErr = err
				return err
			}
			return nil
		})
		if fnErr != nil {
			return fnErr
		}
		if err != nil {
			return fmt.Errorf("scan customers of store %s: %w", storeID, err)
		}
		return nil
	}
	var all []loupe.Customer
	p := dynamodb.NewScanPaginator(db.api, &dynamodb.ScanInput{
		TableName:                 db.table,
		ConsistentRead:            aws.Bool(true),
		FilterExpression:          aws.String("kind = :kind"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":kind": s(KindCustomer)},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("scan customers: %w", err)
		}
		for _, av := range page.Items {
			c, err := decodeCustomer(av)
			if err != nil {
				return fmt.Errorf("scan customers: %w", err)
			}
			all = append(all, c)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].CustomerID < all[j].CustomerID })
	for _, c := range all {
		if err := fn(c); err != nil {
			return err
		}
	}
	return nil
}

// PutRepair inserts a repair take-in. Returns an error wrapping
// loupe.ErrExists when the repair id is already stored, or the DynamoDB error.
func (db *DB) PutRepair(ctx context.Context, r loupe.Repair) error {
	if err := db.putNew(ctx, NewRepairItem(r)); err != nil {
		return fmt.Errorf("put repair %s: %w", r.RepairID, err)
	}
	return nil
}

// GetRepair returns a repair, an error wrapping loupe.ErrNotFound, or the
// DynamoDB error.
func (db *DB) GetRepair(ctx context.Context, repairID string) (loupe.Repair, error) {
	var it RepairItem
	ok, err := db.getItem(ctx, repairPK(repairID), skRepair, &it)
	if err == nil && !ok {
		err = loupe.ErrNotFound
	}
	if err != nil {
		return loupe.Repair{}, fmt.Errorf("get repair %s: %w", repairID, err)
	}
	r, err := it.Repair()
	if err != nil {
		return loupe.Repair{}, fmt.Errorf("get repair %s: %w", repairID, err)
	}
	return r, nil
}

// RepairsByStoreDay returns a store's take-ins on a store-local day, ordered by
// TakenInAt then RepairID (GSI1, TAKEIN#<store_id>#<day>). Returns the DynamoDB
// or decoding error.
func (db *DB) RepairsByStoreDay(ctx context.Context, storeID, day string) ([]loupe.Repair, error) {
	out, err := queryDecoded(ctx, db, GSI1, takeInPK(storeID, day), "", RepairItem.Repair)
	if err != nil {
		return nil, fmt.Errorf("repairs of store %s on %s: %w", storeID, day, err)
	}
	return out, nil
}

// RepairsByCustomer returns the take-ins naming customerID, ordered by
// TakenInAt then RepairID: one Query of GSI3, REPAIRS#<customer_id>
// (eventually consistent; repair items written before the index carry its
// keys once IndexToday has run). Returns the DynamoDB or decoding error.
func (db *DB) RepairsByCustomer(ctx context.Context, customerID string) ([]loupe.Repair, error) {
	out, err := queryDecoded(ctx, db, GSI3, customerRepairsPK(customerID), "", RepairItem.Repair)
	if err != nil {
		return nil, fmt.Errorf("repairs of customer %s: %w", customerID, err)
	}
	return out, nil
}

// PutPurchase inserts a purchase: first the id guard PURCHASE#<id>, then the
// purchase item under its customer, both insert-only. A guard left without its
// item by an interrupted earlier call is completed. Returns an error wrapping
// loupe.ErrExists when the purchase is already stored, or the DynamoDB error.
func (db *DB) PutPurchase(ctx context.Context, p loupe.Purchase) error {
	item := NewPurchaseItem(p)
	guard := PurchaseGuardItem{
		PK: purchaseGuardPK(p.PurchaseID), SK: skPurchase, Kind: KindPurchase,
		PurchaseID: p.PurchaseID, ItemPK: item.PK, ItemSK: item.SK,
	}
	err := db.putNew(ctx, guard)
	if errors.Is(err, loupe.ErrExists) {
		// Complete a guard whose item an interrupted call did not write; a
		// guard pointing elsewhere is another purchase with this id.
		var g PurchaseGuardItem
		ok, gerr := db.getItem(ctx, guard.PK, guard.SK, &g)
		if gerr != nil {
			return fmt.Errorf("put purchase %s: %w", p.PurchaseID, gerr)
		}
		if !ok || g.ItemPK != guard.ItemPK || g.ItemSK != guard.ItemSK {
			return fmt.Errorf("put purchase %s: %w", p.PurchaseID, loupe.ErrExists)
		}
		err = nil
	}
	if err != nil {
		return fmt.Errorf("put purchase %s: %w", p.PurchaseID, err)
	}
	if err := db.putNew(ctx, item); err != nil {
		return fmt.Errorf("put purchase %s: %w", p.PurchaseID, err)
	}
	return nil
}

// PurchasesByCustomer returns a customer's purchases ordered by PurchasedAt
// (then PurchaseID), read from the customer's partition. Returns the DynamoDB
// or decoding error.
func (db *DB) PurchasesByCustomer(ctx context.Context, customerID string) ([]loupe.Purchase, error) {
	out, err := queryDecoded(ctx, db, "", customerPK(customerID), prefixPurchase, PurchaseItem.Purchase)
	if err != nil {
		return nil, fmt.Errorf("purchases of customer %s: %w", customerID, err)
	}
	return out, nil
}

// queryDecoded is queryIndex decoding every item into an I and converting
// it with conv: the items of one partition (of index, "" for the table) in
// sort-key order. Returns the DynamoDB, decoding or conversion error.
func queryDecoded[I, T any](ctx context.Context, db *DB, index, pk, skPrefix string, conv func(I) (T, error)) ([]T, error) {
	var out []T
	err := db.queryIndex(ctx, index, pk, skPrefix, func(av map[string]types.AttributeValue) error {
		var it I
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return err
		}
		v, err := conv(it)
		if err != nil {
			return err
		}
		out = append(out, v)
		return nil
	})
	return out, err
}
