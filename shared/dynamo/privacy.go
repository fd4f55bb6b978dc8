package dynamo

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/loupehq/loupe/shared/loupe"
)

// Item kinds of loupe.Privacy (docs/privacy.md). Neither item holds personal data.
const (
	KindSuppression = "suppression"
	KindErasure     = "erasure"

	prefixSuppress = "SUPPRESS#"
	prefixErasure  = "ERASURE#"
	skSuppress     = "SUPPRESS"
	skErasure      = "ERASURE"
)

// statusRetries bounds the compare-and-set loop of a status change that keeps
// losing to concurrent writers.
const statusRetries = 5

var _ loupe.Privacy = (*DB)(nil)

// SuppressionItem is one suppressed address: PK=SUPPRESS#<SuppressionHash>,
// SK=SUPPRESS. The first entry of an address is kept.
type SuppressionItem struct {
	PK     string `dynamodbav:"PK"`
	SK     string `dynamodbav:"SK"`
	Kind   string `dynamodbav:"kind"`
	Reason string `dynamodbav:"reason"`
	At     string `dynamodbav:"at"`
}

// ErasureItem records that a customer was erased: PK=ERASURE#<ErasureHash>,
// SK=ERASURE, holding the latest erasure and the first.
type ErasureItem struct {
	PK       string `dynamodbav:"PK"`
	SK       string `dynamodbav:"SK"`
	Kind     string `dynamodbav:"kind"`
	ErasedAt string `dynamodbav:"erased_at"` // the latest erasure
	// FirstErasedAt is the first erasure of the id.
	FirstErasedAt string `dynamodbav:"first_erased_at,omitempty"`
}

// recordErasure writes the erasure record of id: erased_at is the latest
// erasure (POS events dated before it are ignored), first_erased_at the
// first. One conditional UpdateItem; an older or equal at changes nothing.
func (db *DB) recordErasure(ctx context.Context, id string, at time.Time) error {
	t := formatTime(at)
	_, err := db.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: db.table,
		Key:       key(prefixErasure+loupe.ErasureHash(id), skErasure),
		UpdateExpression: aws.String("SET kind = :kind, erased_at = :t, " +
			"first_erased_at = if_not_exists(first_erased_at, :t)"),
		ConditionExpression: aws.String("attribute_not_exists(erased_at) OR erased_at < :t"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":kind": s(KindErasure), ":t": s(t),
		},
	})
	if isConditionFailed(err) {
		return nil
	}
	return err
}

// putOnce writes item unless its key exists; an existing item is success.
func (db *DB) putOnce(ctx context.Context, item any) error {
	err := db.putNew(ctx, item)
	if errors.Is(err, loupe.ErrExists) {
		return nil
	}
	return err
}

// suppress puts email on the suppression list (one conditional PutItem).
func (db *DB) suppress(ctx context.Context, email, reason string, at time.Time) error {
	if loupe.SuppressionKey(email) == "" {
		return nil
	}
	err := db.putOnce(ctx, SuppressionItem{
		PK: prefixSuppress + loupe.SuppressionHash(email), SK: skSuppress,
		Kind: KindSuppression, Reason: reason, At: formatTime(at),
	})
	if err != nil {
		return fmt.Errorf("suppress address: %w", err)
	}
	return nil
}

// setStatus applies status to customer id following loupe.NextEmailStatus
// with a read and an UpdateItem conditioned on the status read (retried when
// a concurrent writer changed it). It reports whether the status changed.
// wantEmail, when not "", skips a customer whose address is no longer it; its
// callers have put wantEmail on the suppression list already, so a matching
// customer's address is not put again (one PutItem less).
func (db *DB) setStatus(ctx context.Context, id, status, wantEmail string, at time.Time) (bool, error) {
	pk := customerPK(id)
	for range statusRetries {
		var it CustomerItem
		ok, err := db.getItem(ctx, pk, skCustomer, &it)
		if err != nil {
			return false, err
		}
		if !ok {
			return false, loupe.ErrNotFound
		}
		if wantEmail != "" && loupe.SuppressionKey(it.Email) != wantEmail {
			return false, nil
		}
		next, err := loupe.NextEmailStatus(it.EmailStatus, status)
		if err != nil {
			return false, err
		}
		if loupe.SuppressesAddress(next) && it.Email != "" && wantEmail == "" {
			if err := db.suppress(ctx, it.Email, next, at); err != nil {
				return false, err
			}
		}
		if next == it.EmailStatus || (it.EmailStatus == "" && next == loupe.EmailOK) {
			return false, nil
		}
		in := &dynamodb.UpdateItemInput{
			TableName:                 db.table,
			Key:                       key(pk, skCustomer),
			UpdateExpression:          aws.String("SET email_status = :n, email_status_at = :at"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":n": s(next), ":at": s(formatTime(at))},
		}
		if it.EmailStatus == "" {
			in.ConditionExpression = aws.String("attribute_exists(PK) AND attribute_not_exists(email_status)")
		} else {
			in.ConditionExpression = aws.String("attribute_exists(PK) AND email_status = :cur")
			in.ExpressionAttributeValues[":cur"] = s(it.EmailStatus)
		}
		_, err = db.api.UpdateItem(ctx, in)
		if err == nil {
			return true, nil
		}
		if !isConditionFailed(err) {
			return false, err
		}
	}
	return false, loupe.ErrConflict
}

// SetEmailStatus implements loupe.Privacy: a consistent read, then one
// UpdateItem conditioned on the status read (plus a conditional PutItem on
// the suppression list for a bounce or complaint). Returns an EINVALID
// *loupe.Error for an unknown status, an error wrapping loupe.ErrNotFound for
// an unknown customer, loupe.ErrConflict after repeated concurrent changes,
// or the DynamoDB error.
func (db *DB) SetEmailStatus(ctx context.Context, customerID, status string, at time.Time) error {
	if !loupe.ValidEmailStatus(status) {
		return loupe.Invalidf("status", "unknown email status %q", status)
	}
	if _, err := db.setStatus(ctx, customerID, status, "", at); err != nil {
		return fmt.Errorf("set email status of customer %s: %w", customerID, err)
	}
	return nil
}

// Suppress puts email on the suppression list with reason (a bounce,
// complaint, unsubscribe or loupe.SuppressErased) as of at, unless the
// address is there already (the first entry is kept): one conditional
// PutItem. It is what SES feedback does for mail that names no customer.
// Returns an EINVALID *loupe.Error for an empty address or an unknown reason,
// or the DynamoDB error.
func (db *DB) Suppress(ctx context.Context, email, reason string, at time.Time) error {
	if err := loupe.ValidSuppression(email, reason); err != nil {
		return err
	}
	return db.suppress(ctx, email, reason, at)
}

// SetEmailStatusOf is SetEmailStatusByAddress for the one customer a mail was
// sent to (SES feedback reads the id from the X-Loupe-Customer-Id header): it
// puts email on the suppression list, then sets customerID's status following
// loupe.NextEmailStatus only if the customer's current address is email
// (compared with loupe.SuppressionKey, so case does not matter). Other
// customers holding the address are left to the suppression list, which
// senders check before every mail. No Scan: one conditional PutItem, one
// consistent GetItem and, when the status changes, one conditional
// UpdateItem (a GetItem and an UpdateItem more per lost race). It reports
// whether the customer's status changed; an unknown or erased customer, or
// one whose address has changed since, is false and nil. Returns an EINVALID
// *loupe.Error for an empty id or address, EmailOK or an unknown status,
// loupe.ErrConflict after repeated concurrent changes, or the DynamoDB error.
func (db *DB) SetEmailStatusOf(ctx context.Context, customerID, email, status string, at time.Time) (bool, error) {
	if customerID == "" {
		return false, loupe.Invalidf("customer_id", "empty customer id")
	}
	if status == loupe.SuppressErased {
		return false, loupe.Invalidf("status", "unknown email status %q", status)
	}
	if err := loupe.ValidSuppression(email, status); err != nil {
		return false, err
	}
	if err := db.suppress(ctx, email, status, at); err != nil {
		return false, fmt.Errorf("set email status of customer %s: %w", customerID, err)
	}
	changed, err := db.setStatus(ctx, customerID, status, loupe.SuppressionKey(email), at)
	if errors.Is(err, loupe.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("set email status of customer %s: %w", customerID, err)
	}
	return changed, nil
}

// SetEmailStatusByAddress implements loupe.Privacy. The table has no email
// index (docs/privacy.md): it Scans every item, filtered on customers with an
// email and projected to id and email, compares SuppressionKey in memory
// (DynamoDB cannot compare case-insensitively), then sets each holder's status
// as SetEmailStatus does. The Scan reads the whole table, so SES feedback
// calls SetEmailStatusOf and Suppress instead. Returns how many customers
// changed, an EINVALID
// *loupe.Error for EmailOK or an unknown status, or the DynamoDB error.
func (db *DB) SetEmailStatusByAddress(ctx context.Context, email, status string, at time.Time) (int, error) {
	if !loupe.ValidEmailStatus(status) || status == loupe.EmailOK {
		return 0, loupe.Invalidf("status", "status %q cannot be set by address", status)
	}
	want := loupe.SuppressionKey(email)
	if err := db.suppress(ctx, email, status, at); err != nil {
		return 0, fmt.Errorf("set email status by address: %w", err)
	}
	var ids []string
	p := dynamodb.NewScanPaginator(db.api, &dynamodb.ScanInput{
		TableName:                 db.table,
		ConsistentRead:            aws.Bool(true),
		FilterExpression:          aws.String("#k = :kind AND attribute_exists(#e)"),
		ProjectionExpression:      aws.String("#id, #e"),
		ExpressionAttributeNames:  map[string]string{"#k": "kind", "#e": "email", "#id": "customer_id"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":kind": s(KindCustomer)},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return 0, fmt.Errorf("set email status by address: scan: %w", err)
		}
		for _, av := range page.Items {
			var it struct {
				CustomerID string `dynamodbav:"customer_id"`
				Email      string `dynamodbav:"email"`
			}
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return 0, fmt.Errorf("set email status by address: decode: %w", err)
			}
			if loupe.SuppressionKey(it.Email) == want {
				ids = append(ids, it.CustomerID)
			}
		}
	}
	n := 0
	for _, id := range ids {
		changed, err := db.setStatus(ctx, id, status, want, at)
		if errors.Is(err, loupe.ErrNotFound) {
			continue // erased since the scan
		}
		if err != nil {
			return n, fmt.Errorf("set email status by address: customer %s: %w", id, err)
		}
		if changed {
			n++
		}
	}
	return n, nil
}

// RepairsNamingCustomer implements loupe.Privacy with a consistent Scan of
// the whole table filtered on repairs naming customerID, sorted by RepairID
// in memory. It does not read GSI3 (RepairsByCustomer): an index has no
// consistent read, and repair items written before it carry its keys only
// once IndexToday has run; an erasure must miss none. Returns the DynamoDB
// or decoding error.
func (db *DB) RepairsNamingCustomer(ctx context.Context, customerID string) ([]loupe.Repair, error) {
	var out []loupe.Repair
	p := dynamodb.NewScanPaginator(db.api, &dynamodb.ScanInput{
		TableName:                 db.table,
		ConsistentRead:            aws.Bool(true),
		FilterExpression:          aws.String("#k = :kind AND #c = :c"),
		ExpressionAttributeNames:  map[string]string{"#k": "kind", "#c": "customer_id"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":kind": s(KindRepair), ":c": s(customerID)},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("repairs of customer %s: %w", customerID, err)
		}
		for _, av := range page.Items {
			var it RepairItem
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return nil, fmt.Errorf("repairs of customer %s: %w", customerID, err)
			}
			r, err := it.Repair()
			if err != nil {
				return nil, fmt.Errorf("repairs of customer %s: %w", customerID, err)
			}
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].RepairID < out[j].RepairID })
	return out, nil
}

// EraseCustomer implements loupe.Privacy without a transaction, in an order
// that a retry completes: read the customer; suppress its address; Scan for
// its repairs, suppress their addresses and REMOVE their customer_email,
// customer_phone and item; delete
// each purchase and its id guard; write the erasure record; delete the
// customer item last (so a failed run is found and finished by the next).
// Requests: 1 GetItem, 1 Scan of the table, 2 Query, 2 per purchase, 1 per contact, 1-2 per
// repair with an email, 1-2 PutItem, 1 DeleteItem. Returns the DynamoDB error.
func (db *DB) EraseCustomer(ctx context.Context, customerID string, at time.Time) error {
	if err := db.eraseCustomer(ctx, customerID, at); err != nil {
		return fmt.Errorf("erase customer %s: %w", customerID, err)
	}
	return nil
}

func (db *DB) eraseCustomer(ctx context.Context, id string, at time.Time) error {
	pk := customerPK(id)
	var c CustomerItem
	found, err := db.getItem(ctx, pk, skCustomer, &c)
	if err != nil {
		return err
	}
	if found && c.Email != "" {
		if err := db.suppress(ctx, c.Email, loupe.SuppressErased, at); err != nil {
			return err
		}
	}
	repairs, err := db.RepairsNamingCustomer(ctx, id)
	if err != nil {
		return err
	}
	for _, r := range repairs {
		if r.CustomerEmail == "" && r.CustomerPhone == "" && r.Item == "" {
			continue
		}
		if r.CustomerEmail != "" {
			if err := db.suppress(ctx, r.CustomerEmail, loupe.SuppressErased, at); err != nil {
				return err
			}
		}
		_, err := db.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                db.table,
			Key:                      key(repairPK(r.RepairID), skRepair),
			UpdateExpression:         aws.String("REMOVE customer_email, customer_phone, #item"),
			ExpressionAttributeNames: map[string]string{"#item": "item"},
			ConditionExpression:      aws.String("attribute_exists(PK)"),
		})
		if err != nil && !isConditionFailed(err) {
			return fmt.Errorf("scrub repair %s: %w", r.RepairID, err)
		}
	}
	var purchases []PurchaseItem
	err = db.queryIndex(ctx, "", pk, prefixPurchase, func(av map[string]types.AttributeValue) error {
		var it PurchaseItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return err
		}
		purchases = append(purchases, it)
		return nil
	})
	if err != nil {
		return fmt.Errorf("purchases: %w", err)
	}
	for _, p := range purchases {
		for _, k := range [][2]string{{p.PK, p.SK}, {purchaseGuardPK(p.PurchaseID), skPurchase}} {
			if _, err := db.api.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: db.table, Key: key(k[0], k[1])}); err != nil {
				return fmt.Errorf("delete purchase %s: %w", p.PurchaseID, err)
			}
		}
	}
	if err := db.recordErasure(ctx, id, at); err != nil {
		return fmt.Errorf("erasure record: %w", err)
	}
	if found {
		if _, err := db.api.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: db.table, Key: key(pk, skCustomer)}); err != nil {
			return fmt.Errorf("delete customer: %w", err)
		}
	}
	// The history goes after the profile: an entry put while this runs is
	// either found here or deleted by its writer (loupe.RecordContact).
	var contacts []string
	err = db.queryIndex(ctx, "", pk, prefixContact, func(av map[string]types.AttributeValue) error {
		if sk, ok := av["SK"].(*types.AttributeValueMemberS); ok {
			contacts = append(contacts, sk.Value)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("contacts: %w", err)
	}
	for _, sk := range contacts {
		if _, err := db.api.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: db.table, Key: key(pk, sk)}); err != nil {
			return fmt.Errorf("delete contact: %w", err)
		}
	}
	return nil
}

// Suppressed implements loupe.Privacy with one consistent GetItem. Returns the
// DynamoDB error.
func (db *DB) Suppressed(ctx context.Context, email string) (bool, error) {
	var it SuppressionItem
	ok, err := db.getItem(ctx, prefixSuppress+loupe.SuppressionHash(email), skSuppress, &it)
	if err != nil {
		return false, fmt.Errorf("suppressed: %w", err)
	}
	return ok, nil
}
