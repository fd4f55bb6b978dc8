package dynamo

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/loupehq/loupe/shared/loupe"
)

// Read-decide-write without transactions (docs/data-model.md, "Writes"):
// every store, associate and customer item carries a version number; an
// update reads the item with a consistent GetItem, lets the domain decide,
// and writes with one UpdateItem conditioned on the version it read (or on
// the item's absence). When another writer won in between, the condition
// fails and the whole step runs again on a fresh read. DynamoDB conditions
// cannot compare attribute by attribute, so the version stands for the
// record.

// updateAttempts bounds the retries of one update under contention; the last
// failure answers EUNAVAILABLE (the POS retries a 503).
const updateAttempts = 40

// errContended is returned when every attempt lost to another writer.
var errContended = loupe.Errorf(loupe.EUNAVAILABLE, "record is being written by many writers at once; retry")

// versioned is one read-decide-write of the item (pk, sk): decide receives
// the stored attributes (nil when absent) and returns the attributes to
// store (key included) and whether to write. owned lists the attributes the
// item type writes: an owned attribute absent from the result is removed,
// one not owned is left as another writer set it. keep lists attributes
// that are set only when absent (an attribute another writer owns once the
// item exists).
type versioned struct {
	pk, sk string
	owned  map[string]bool
	keep   []string
	decide func(old map[string]types.AttributeValue) (map[string]types.AttributeValue, bool, error)
}

// update runs v until its write succeeds, decide declines, decide fails, or
// updateAttempts writers in a row won the race.
func (db *DB) update(ctx context.Context, v versioned) error {
	if done, err := db.load.update(v); done {
		return err
	}
	for attempt := range updateAttempts {
		res, err := db.api.GetItem(ctx, &dynamodb.GetItemInput{
			TableName: db.table, Key: key(v.pk, v.sk), ConsistentRead: aws.Bool(true),
		})
		if err != nil {
			return err
		}
		next, write, err := v.decide(res.Item)
		if err != nil || !write {
			return err
		}
		err = db.writeVersioned(ctx, v, res.Item, next)
		if !isConditionFailed(err) {
			return err
		}
		if err := backoff(ctx, attempt); err != nil {
			return err
		}
	}
	return errContended
}

// backoff sleeps a random 0-2^attempt ms, at most 64 ms.
func backoff(ctx context.Context, attempt int) error {
	return sleep(ctx, time.Duration(rand.Int64N(int64(time.Millisecond)<<min(attempt, 6))))
}

// sleep waits d, or returns ctx's error when it is done first.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// writeVersioned writes next over old with one UpdateItem conditioned on
// old's version (or absence), setting version to one more.
func (db *DB) writeVersioned(ctx context.Context, v versioned, old, next map[string]types.AttributeValue) error {
	b := newUpdateBuilder()
	keep := map[string]bool{}
	for _, k := range v.keep {
		keep[k] = true
	}
	for _, attr := range sortedKeys(next) {
		switch {
		case attr == "PK" || attr == "SK" || attr == "version":
		case keep[attr] && old != nil:
			n := b.name(attr)
			ph := ":v" + itoa(int64(len(b.values)))
			b.values[ph] = next[attr]
			b.set = append(b.set, n+" = if_not_exists("+n+", "+ph+")")
		default:
			b.setAV(attr, next[attr])
		}
	}
	for _, attr := range sortedKeys(old) {
		if _, ok := next[attr]; !ok && v.owned[attr] && !keep[attr] && attr != "version" {
			b.remove = append(b.remove, b.name(attr))
		}
	}
	cur := int64(0)
	if n, ok := old["version"].(*types.AttributeValueMemberN); ok {
		cur, _ = strconv.ParseInt(n.Value, 10, 64)
	}
	b.setAV("version", &types.AttributeValueMemberN{Value: itoa(cur + 1)})
	cond := "attribute_not_exists(PK)"
	if old != nil {
		if _, ok := old["version"]; ok {
			cond = "#ver = :cur"
		} else {
			cond = "attribute_exists(PK) AND attribute_not_exists(#ver)"
		}
		b.names["#ver"] = "version"
		if _, ok := old["version"]; ok {
			b.values[":cur"] = &types.AttributeValueMemberN{Value: itoa(cur)}
		}
	}
	_, err := db.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 db.table,
		Key:                       key(v.pk, v.sk),
		UpdateExpression:          aws.String(b.expression()),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  b.names,
		ExpressionAttributeValues: b.values,
	})
	return err
}

// sortedKeys returns m's keys in order: deterministic expressions make
// requests comparable in tests and logs.
func sortedKeys(m map[string]types.AttributeValue) []string {
	return slices.Sorted(maps.Keys(m))
}

// attrNames returns the attribute names of an item struct's dynamodbav tags.
func attrNames(item any) map[string]bool {
	t := reflect.TypeOf(item)
	out := make(map[string]bool, t.NumField())
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("dynamodbav"), ",")
		if name != "" && name != "-" {
			out[name] = true
		}
	}
	return out
}

var (
	storeAttrs     = attrNames(StoreItem{})
	associateAttrs = attrNames(AssociateItem{})
	customerAttrs  = attrNames(CustomerItem{})
)

// UpdateStore implements loupe.DB with a versioned read-decide-write (one
// GetItem and one UpdateItem when uncontended).
func (db *DB) UpdateStore(ctx context.Context, storeID string, fn func(stored *loupe.Store) (loupe.Store, bool, error)) error {
	err := db.update(ctx, versioned{
		pk: storePK(storeID), sk: skStore, owned: storeAttrs,
		decide: func(old map[string]types.AttributeValue) (map[string]types.AttributeValue, bool, error) {
			var stored *loupe.Store
			if old != nil {
				var it StoreItem
				if err := attributevalue.UnmarshalMap(old, &it); err != nil {
					return nil, false, err
				}
				st, err := it.Store()
				if err != nil {
					return nil, false, err
				}
				stored = &st
			}
			st, write, err := fn(stored)
			if err != nil || !write {
				return nil, false, err
			}
			st.StoreID = storeID
			av, err := attributevalue.MarshalMap(NewStoreItem(st))
			return av, err == nil, err
		},
	})
	if err != nil {
		return fmt.Errorf("update store %s: %w", storeID, err)
	}
	return nil
}

// UpdateAssociate implements loupe.DB with a versioned read-decide-write.
// Every write that changes the item yields a stream record, hence a Change.
func (db *DB) UpdateAssociate(ctx context.Context, associateID string, fn func(stored *loupe.Associate) (loupe.Associate, bool, error)) error {
	err := db.update(ctx, versioned{
		pk: associatePK(associateID), sk: skAssociate, owned: associateAttrs,
		decide: func(old map[string]types.AttributeValue) (map[string]types.AttributeValue, bool, error) {
			var stored *loupe.Associate
			if old != nil {
				var it AssociateItem
				if err := attributevalue.UnmarshalMap(old, &it); err != nil {
					return nil, false, err
				}
				a, err := it.Associate()
				if err != nil {
					return nil, false, err
				}
				stored = &a
			}
			a, write, err := fn(stored)
			if err != nil || !write {
				return nil, false, err
			}
			a.AssociateID = associateID
			av, err := attributevalue.MarshalMap(NewAssociateItem(a))
			return av, err == nil, err
		},
	})
	if err != nil {
		return fmt.Errorf("update associate %s: %w", associateID, err)
	}
	return nil
}

// UpdateCustomer implements loupe.DB with a versioned read-decide-write. The
// erasure time comes from the customer item's erased_at (set when a record
// is started again after an erasure) or, for an absent item, from the
// erasure record: one more GetItem for a new customer. email_status is
// written only for a new customer (SES feedback owns it after). An erasure
// deletes the item after writing its record, so a write that read the item
// before the erasure fails its condition and decides again. The index keys
// follow the record (NewCustomerItem): the book's turn order (GSI1) moves
// in the same write as listed_at or a personal contact.
func (db *DB) UpdateCustomer(ctx context.Context, customerID string, fn func(stored *loupe.Customer, erasedAt time.Time) (loupe.Customer, bool, error)) error {
	if err := db.update(ctx, db.customerUpdate(ctx, customerID, fn)); err != nil {
		return fmt.Errorf("update customer %s: %w", customerID, err)
	}
	return nil
}

// customerUpdate is the versioned read-decide-write of UpdateCustomer; its
// decision reads the erasure record of an absent customer with ctx.
func (db *DB) customerUpdate(ctx context.Context, customerID string, fn func(stored *loupe.Customer, erasedAt time.Time) (loupe.Customer, bool, error)) versioned {
	return versioned{
		pk: customerPK(customerID), sk: skCustomer, owned: customerAttrs, keep: []string{"email_status", "email_status_at"},
		decide: func(old map[string]types.AttributeValue) (map[string]types.AttributeValue, bool, error) {
			var stored *loupe.Customer
			var erased string
			if old != nil {
				var it CustomerItem
				if err := attributevalue.UnmarshalMap(old, &it); err != nil {
					return nil, false, err
				}
				c, err := it.Customer()
				if err != nil {
					return nil, false, err
				}
				stored, erased = &c, it.ErasedAt
			} else {
				var rec ErasureItem
				ok, err := db.getItem(ctx, prefixErasure+loupe.ErasureHash(customerID), skErasure, &rec)
				if err != nil {
					return nil, false, err
				}
				if ok {
					erased = rec.ErasedAt
				}
			}
			erasedAt, err := parseTime("erased_at", erased)
			if err != nil {
				return nil, false, err
			}
			c, write, err := fn(stored, erasedAt)
			if err != nil || !write {
				return nil, false, err
			}
			c.CustomerID = customerID
			it := NewCustomerItem(c)
			it.ErasedAt = erased
			av, err := attributevalue.MarshalMap(it)
			return av, err == nil, err
		},
	}
}

// ErasedAt implements loupe.DB with one consistent GetItem of the erasure
// record. Returns the DynamoDB error.
func (db *DB) ErasedAt(ctx context.Context, customerID string) (time.Time, error) {
	var rec ErasureItem
	ok, err := db.getItem(ctx, prefixErasure+loupe.ErasureHash(customerID), skErasure, &rec)
	if err != nil || !ok {
		if err != nil {
			err = fmt.Errorf("erased at %s: %w", customerID, err)
		}
		return time.Time{}, err
	}
	return parseTime("erased_at", rec.ErasedAt)
}

// ClaimEvent implements loupe.DB with one insert-only PutItem of the event
// item, holding the body's hash; when the id is taken, one GetItem tells a
// duplicate from a conflict. The item expires by TTL EventTTL after at.
// Returns the DynamoDB error.
func (db *DB) ClaimEvent(ctx context.Context, eventID, hash string, at time.Time) (bool, error) {
	item := NewEventItem(eventID, hash, at)
	err := db.putNew(ctx, item)
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, loupe.ErrExists) {
		return false, fmt.Errorf("claim event %s: %w", eventID, err)
	}
	var got EventItem
	ok, err := db.getItem(ctx, item.PK, item.SK, &got)
	switch {
	case err != nil:
		return false, fmt.Errorf("claim event %s: %w", eventID, err)
	case ok && got.Hash != "" && got.Hash != hash:
		return false, fmt.Errorf("claim event %s: %w", eventID, loupe.ErrConflict)
	}
	return false, nil
}
