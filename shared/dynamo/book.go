package dynamo

import (
	"context"
	"encoding/base64"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/today"
)

// The Today list's reads of the book (today.Book, docs/data-model.md): the
// customer items' own index keys, re-keyed rather than a new index. GSI1
// sorts an associate's book (BOOK#<associate_id>) by turn (turnSK), GSI2
// and GSI3 sort a day's birthdays and anniversaries (BDAY#, ANNIV#) by
// associate (occasionSK). Index reads are eventually consistent in
// DynamoDB: a customer written a moment ago (listed, called, moved) may
// take a moment to show in its new place.

var _ today.Book = (*DB)(nil)

// BookByTurn implements today.Book with one Query of GSI1 (BOOK#<id>, in
// sort key order, Limit limit+1 so the reply tells whether more follow;
// another page only past 1 MB). The cursor is the last client's GSI1 sort
// key in unpadded base64url, from which the query's start key is rebuilt.
// limit <= 0 reads the rest of the book (every page; cursor ""). Returns
// an EINVALID *loupe.Error for a cursor that is not one, or the DynamoDB
// or decoding error.
func (db *DB) BookByTurn(ctx context.Context, associateID, cursor string, limit int) ([]loupe.Customer, string, error) {
	if associateID == "" {
		return nil, "", nil
	}
	in := &dynamodb.QueryInput{
		TableName:                 db.table,
		IndexName:                 aws.String(GSI1),
		KeyConditionExpression:    aws.String("GSI1PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(bookPK(associateID))},
	}
	if cursor != "" {
		sk, id, err := parseTurnCursor(cursor)
		if err != nil {
			return nil, "", err
		}
		in.ExclusiveStartKey = map[string]types.AttributeValue{
			"GSI1PK": s(bookPK(associateID)), "GSI1SK": s(sk),
			"PK": s(customerPK(id)), "SK": s(skCustomer),
		}
	}
	limit = min(limit, math.MaxInt32-1)
	var out []loupe.Customer
	var sks []string
	for {
		if limit > 0 {
			in.Limit = aws.Int32(int32(limit + 1 - len(out)))
		}
		page, err := db.api.Query(ctx, in)
		if err != nil {
			return nil, "", fmt.Errorf("book of %s by turn: %w", associateID, err)
		}
		for _, av := range page.Items {
			c, err := decodeCustomer(av)
			if err != nil {
				return nil, "", fmt.Errorf("book of %s by turn: %w", associateID, err)
			}
			out, sks = append(out, c), append(sks, attrString(av, "GSI1SK"))
		}
		if limit > 0 && len(out) > limit {
			return out[:limit], base64.RawURLEncoding.EncodeToString([]byte(sks[limit-1])), nil
		}
		if len(page.LastEvaluatedKey) == 0 {
			return out, "", nil
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}

// parseTurnCursor returns the GSI1 sort key a BookByTurn cursor holds and
// the customer id at its end. Returns an EINVALID *loupe.Error for a
// string that is not a cursor.
func parseTurnCursor(cursor string) (sk, id string, err error) {
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err == nil {
		sk = string(b)
		if i := strings.LastIndexByte(sk, '#'); i > 0 && loupe.ValidID(sk[i+1:]) {
			return sk, sk[i+1:], nil
		}
	}
	return "", "", loupe.Invalidf("cursor", "malformed cursor")
}

// BookByMonthDay implements today.Book with one Query of GSI2 (birthday)
// or GSI3 (anniversary) on the day's partition, begins_with(sort key,
// "<associate_id>#"): only that associate's clients are read, whatever the
// chain holds on the day. Returns an EINVALID *loupe.Error for another
// field, or the DynamoDB or decoding error.
func (db *DB) BookByMonthDay(ctx context.Context, associateID, field, monthDay string) ([]loupe.Customer, error) {
	index, pk, err := monthDayIndex(field, monthDay)
	if err != nil {
		return nil, err
	}
	if associateID == "" {
		return nil, nil
	}
	out, err := db.queryCustomers(ctx, index, pk, associateID+"#")
	if err != nil {
		return nil, fmt.Errorf("book of %s by %s %s: %w", associateID, field, monthDay, err)
	}
	return out, nil
}

// GetCustomers implements today.Book with consistent BatchGetItem requests
// of up to 100 customer items (CUST#<id>, CUST), unprocessed keys retried
// with backoff: the customers found, in the order of ids (an id given
// twice is returned twice), unknown and erased ids left out. Returns the
// DynamoDB or decoding error.
func (db *DB) GetCustomers(ctx context.Context, ids []string) ([]loupe.Customer, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	keys := make([]loadKey, len(ids))
	for i, id := range ids {
		keys[i] = loadKey{customerPK(id), skCustomer}
	}
	found, err := db.batchGetAll(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("get customers: %w", err)
	}
	decoded := make(map[loadKey]loupe.Customer, len(found))
	var out []loupe.Customer
	for _, k := range keys {
		c, ok := decoded[k]
		if !ok {
			av, stored := found[k]
			if !stored {
				continue
			}
			if c, err = decodeCustomer(av); err != nil {
				return nil, fmt.Errorf("get customers: %s: %w", k.pk, err)
			}
			decoded[k] = c
		}
		out = append(out, c)
	}
	return out, nil
}

// indexTodayWorkers is how many items IndexToday rewrites at a time.
const indexTodayWorkers = 8

// IndexToday re-keys the customer items written before the Today list:
// their GSI1 sort key becomes the turn order (turnSK) and their GSI2 and
// GSI3 sort keys lead with the associate (occasionSK); those written before
// inbound texts get their GSI5 keys (PHONE#<e164>, CustomersByPhone); and
// it gives the repair items written before the client page's repairs their
// GSI3 keys
// (REPAIRS#<customer_id>, RepairsByCustomer). It scans the customer and
// repair items (one filtered Scan, eventually consistent: a stale page only
// fails a condition) and rewrites each whose index keys are not those
// NewCustomerItem or NewRepairItem gives: a customer with UpdateCustomer's
// versioned write of the same record (conditioned on the version scanned;
// on a lost race read again and rewritten only if still needed), a repair
// with one UpdateItem SETting its GSI3 keys (its customer id, time and id
// never change; conditioned on the item existing), indexTodayWorkers at a
// time, page by page. Run once after deploying (loupe signin-index); a
// second run, or a run after an interrupted one, rewrites only what is
// left. Customer items are not on any stream filter and the repair mapping
// passes only INSERTs, so the rewrite triggers no function. Returns how
// many items it rewrote, and the first DynamoDB or decoding error.
func (db *DB) IndexToday(ctx context.Context) (int, error) {
	p := dynamodb.NewScanPaginator(db.api, &dynamodb.ScanInput{
		TableName:                 db.table,
		FilterExpression:          aws.String("kind IN (:customer, :repair)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":customer": s(KindCustomer), ":repair": s(KindRepair)},
	})
	n := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return n, fmt.Errorf("index today: %w", err)
		}
		var stale []map[string]types.AttributeValue
		for _, av := range page.Items {
			current, err := itemKeysCurrent(av)
			if err != nil {
				return n, fmt.Errorf("index today: %s: %w", attrString(av, "PK"), err)
			}
			if !current {
				stale = append(stale, av)
			}
		}
		wrote := make([]bool, len(stale))
		err = forEach(ctx, indexTodayWorkers, len(stale), func(ctx context.Context, i int) error {
			var err error
			if attrString(stale[i], "kind") == KindRepair {
				wrote[i], err = db.rekeyRepair(ctx, stale[i])
			} else {
				wrote[i], err = db.rekeyCustomer(ctx, stale[i])
			}
			return err
		})
		for _, w := range wrote {
			if w {
				n++
			}
		}
		if err != nil {
			return n, fmt.Errorf("index today: %w", err)
		}
	}
	return n, nil
}

// itemKeysCurrent is customerKeysCurrent or repairKeysCurrent by the
// item's kind. Returns the decoding error.
func itemKeysCurrent(av map[string]types.AttributeValue) (bool, error) {
	if attrString(av, "kind") == KindRepair {
		return repairKeysCurrent(av)
	}
	return customerKeysCurrent(av)
}

// repairKeysCurrent reports whether a stored repair item carries the GSI3
// keys NewRepairItem gives its record. Returns the decoding error.
func repairKeysCurrent(av map[string]types.AttributeValue) (bool, error) {
	var it RepairItem
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		return false, err
	}
	r, err := it.Repair()
	if err != nil {
		return false, err
	}
	want := NewRepairItem(r)
	return it.GSI3PK == want.GSI3PK && it.GSI3SK == want.GSI3SK, nil
}

// rekeyRepair SETs the GSI3 keys NewRepairItem gives the repair item
// scanned (av): one UpdateItem conditioned on the item existing (a repair
// is never deleted; the condition keeps the update from making one). The
// keys are made of fields no write changes, so a concurrent write (an
// erasure's scrub) cannot make them wrong. Reports whether it wrote.
// Returns the DynamoDB or decoding error.
func (db *DB) rekeyRepair(ctx context.Context, av map[string]types.AttributeValue) (bool, error) {
	var it RepairItem
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		return false, fmt.Errorf("repair %s: %w", attrString(av, "repair_id"), err)
	}
	r, err := it.Repair()
	if err != nil {
		return false, fmt.Errorf("repair %s: %w", it.RepairID, err)
	}
	want := NewRepairItem(r)
	if want.GSI3PK == "" {
		return false, nil // no customer: nothing to index
	}
	_, err = db.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           db.table,
		Key:                 key(it.PK, it.SK),
		UpdateExpression:    aws.String("SET GSI3PK = :pk, GSI3SK = :sk"),
		ConditionExpression: aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": s(want.GSI3PK), ":sk": s(want.GSI3SK),
		},
	})
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("repair %s: %w", it.RepairID, err)
	}
	return true, nil
}

// customerKeysCurrent reports whether a stored customer item carries the
// index keys NewCustomerItem gives its record. Returns the decoding error.
func customerKeysCurrent(av map[string]types.AttributeValue) (bool, error) {
	var it CustomerItem
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		return false, err
	}
	c, err := it.Customer()
	if err != nil {
		return false, err
	}
	want := NewCustomerItem(c)
	return it.GSI1PK == want.GSI1PK && it.GSI1SK == want.GSI1SK &&
		it.GSI2PK == want.GSI2PK && it.GSI2SK == want.GSI2SK &&
		it.GSI3PK == want.GSI3PK && it.GSI3SK == want.GSI3SK &&
		it.GSI4PK == want.GSI4PK && it.GSI4SK == want.GSI4SK &&
		it.GSI5PK == want.GSI5PK && it.GSI5SK == want.GSI5SK, nil
}

// rekeyCustomer rewrites the customer item scanned (av) as it is, with
// its current index keys: one UpdateItem conditioned on the version
// scanned; when another writer won, UpdateCustomer's read-decide-write,
// which writes only if the keys are still not current. Reports whether it
// wrote. Returns the DynamoDB or decoding error.
func (db *DB) rekeyCustomer(ctx context.Context, av map[string]types.AttributeValue) (bool, error) {
	id := attrString(av, "customer_id")
	wrote := false
	v := db.customerUpdate(ctx, id, func(stored *loupe.Customer, _ time.Time) (loupe.Customer, bool, error) {
		return same(stored)
	})
	decide := v.decide
	v.decide = func(old map[string]types.AttributeValue) (map[string]types.AttributeValue, bool, error) {
		wrote = false
		if old == nil {
			return nil, false, nil // erased since the scan
		}
		current, err := customerKeysCurrent(old)
		if err != nil || current {
			return nil, false, err
		}
		next, write, err := decide(old)
		wrote = write && err == nil
		return next, write, err
	}
	next, write, err := v.decide(av)
	if err != nil || !write {
		return false, err
	}
	err = db.writeVersioned(ctx, v, av, next)
	if isConditionFailed(err) {
		wrote = false
		err = db.update(ctx, v)
	}
	if err != nil {
		return false, fmt.Errorf("customer %s: %w", id, err)
	}
	return wrote, nil
}
