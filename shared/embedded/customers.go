package embedded

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	bolt "go.etcd.io/bbolt"
)

// scanBatch is how many customers ScanCustomers reads per read transaction; fn
// runs outside any transaction, so it may write to the DB.
const scanBatch = 256

// customerIndexKeys returns the index entries of c, by index bucket.
func customerIndexKeys(c loupe.Customer) map[string][]byte {
	m := make(map[string][]byte, 8)
	if c.AssociateID != "" {
		m[string(idxBook)] = key(c.AssociateID, c.CustomerID)
		m[string(idxTurn)] = key(c.AssociateID, c.TurnKey(), c.CustomerID)
	}
	if md := c.Birthday.MonthDay(); md != "" {
		m[string(idxBirthday)] = key(md, c.CustomerID)
		if c.AssociateID != "" {
			m[string(idxBookBirthday)] = key(c.AssociateID, md, c.CustomerID)
		}
	}
	if md := c.Anniversary.MonthDay(); md != "" {
		m[string(idxAnniversary)] = key(md, c.CustomerID)
		if c.AssociateID != "" {
			m[string(idxBookAnniversary)] = key(c.AssociateID, md, c.CustomerID)
		}
	}
	if c.HomeStoreID != "" {
		m[string(idxHome)] = key(c.HomeStoreID, c.CustomerID)
	}
	if c.Phone != "" {
		m[string(idxPhone)] = key(c.Phone, c.CustomerID)
	}
	return m
}

// putCustomerTx stores c over old (found tells whether old exists) and moves
// its index entries. Every customer write goes through it.
func putCustomerTx(tx *bolt.Tx, old loupe.Customer, found bool, c loupe.Customer) error {
	c.EmailCapturedAt = c.EmailCapturedAt.UTC()
	c.UpdatedAt = c.UpdatedAt.UTC()
	c.LastContactAt, c.LastPersonalContactAt = c.LastContactAt.UTC(), c.LastPersonalContactAt.UTC()
	c.NewSince, c.ListedAt, c.DoNotContactAt = c.NewSince.UTC(), c.ListedAt.UTC(), c.DoNotContactAt.UTC()
	c.EmailStatusAt = c.EmailStatusAt.UTC()
	if len(c.Consents) > 0 {
		consents := make(map[string]loupe.Consent, len(c.Consents))
		for ch, k := range c.Consents {
			k.At = k.At.UTC()
			consents[ch] = k
		}
		c.Consents = consents
	}
	if err := putJSON(tx.Bucket(bucketCustomers), c.CustomerID, c); err != nil {
		return err
	}
	next := customerIndexKeys(c)
	if found {
		for name, k := range customerIndexKeys(old) {
			if string(next[name]) == string(k) {
				delete(next, name)
				continue
			}
			if err := tx.Bucket([]byte(name)).Delete(k); err != nil {
				return err
			}
		}
	}
	for name, k := range next {
		if err := tx.Bucket([]byte(name)).Put(k, nil); err != nil {
			return err
		}
	}
	return nil
}

// getCustomerTx reads customer id; found is false when it is absent.
func getCustomerTx(tx *bolt.Tx, id string) (c loupe.Customer, found bool, err error) {
	found, err = getJSON(tx.Bucket(bucketCustomers), id, &c)
	return c, found, err
}

// UpdateCustomer implements loupe.DB: the customer, its erasure record and
// fn's write in one transaction. fn may read the DB (loupe.CountPurchases
// reads the purchases): such a read is a read transaction of its own,
// begun and ended inside fn, before this transaction writes anything, so
// it cannot hold up a remap of the file; writes are serialised, so it sees
// every write committed before this one.
func (db *DB) UpdateCustomer(ctx context.Context, customerID string, fn func(stored *loupe.Customer, erasedAt time.Time) (loupe.Customer, bool, error)) error {
	err := db.update(func(tx *bolt.Tx) error {
		old, found, err := getCustomerTx(tx, customerID)
		if err != nil {
			return err
		}
		erased, err := erasedAtTx(tx, customerID)
		if err != nil {
			return err
		}
		var stored *loupe.Customer
		if found {
			stored = &old
		}
		c, write, err := fn(stored, erased)
		if err != nil || !write {
			return err
		}
		c.CustomerID = customerID
		return putCustomerTx(tx, old, found, c)
	})
	if err != nil {
		return fmt.Errorf("update customer %s: %w", customerID, err)
	}
	return nil
}

// GetCustomer returns a customer, or an error wrapping loupe.ErrNotFound.
func (db *DB) GetCustomer(ctx context.Context, customerID string) (loupe.Customer, error) {
	var c loupe.Customer
	err := db.view(func(tx *bolt.Tx) error {
		var found bool
		var err error
		c, found, err = getCustomerTx(tx, customerID)
		if err == nil && !found {
			return loupe.ErrNotFound
		}
		return err
	})
	if err != nil {
		return loupe.Customer{}, fmt.Errorf("get customer %s: %w", customerID, err)
	}
	return c, nil
}

// customersByIndex returns the customers under prefix p of index bucket idx,
// in CustomerID order.
func (db *DB) customersByIndex(idx, p []byte) ([]loupe.Customer, error) {
	var out []loupe.Customer
	err := db.view(func(tx *bolt.Tx) error {
		return scanPrefix(tx.Bucket(idx), p, func(k, _ []byte) error {
			c, found, err := getCustomerTx(tx, lastPart(k))
			if err == nil && found {
				out = append(out, c)
			}
			return err
		})
	})
	return out, err
}

// CustomersByAssociate returns an associate's book ordered by CustomerID, or
// the read error.
func (db *DB) CustomersByAssociate(ctx context.Context, associateID string) ([]loupe.Customer, error) {
	out, err := db.customersByIndex(idxBook, prefix(associateID))
	if err != nil {
		return nil, fmt.Errorf("customers of associate %s: %w", associateID, err)
	}
	return out, nil
}

// CustomersByMonthDay returns the customers whose "birthday" or "anniversary"
// (field) falls on monthDay "MM-DD", ordered by CustomerID, from an index.
// Returns an EINVALID *loupe.Error for another field, or the read error.
func (db *DB) CustomersByMonthDay(ctx context.Context, field, monthDay string) ([]loupe.Customer, error) {
	var idx []byte
	switch field {
	case "birthday":
		idx = idxBirthday
	case "anniversary":
		idx = idxAnniversary
	default:
		return nil, loupe.Invalidf("field", "no month-day index on %q", field)
	}
	out, err := db.customersByIndex(idx, prefix(monthDay))
	if err != nil {
		return nil, fmt.Errorf("customers by %s %s: %w", field, monthDay, err)
	}
	return out, nil
}

// ScanCustomers calls fn for every customer, or for storeID's home customers
// when storeID is not "", in CustomerID order. It reads in batches and calls fn
// outside any transaction (fn may write); it returns fn's first error, ctx's
// error when ctx ends, or a read error.
func (db *DB) ScanCustomers(ctx context.Context, storeID string, fn func(loupe.Customer) error) error {
	var after []byte // last key read; the next batch starts past it
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		batch := make([]loupe.Customer, 0, scanBatch)
		err := db.view(func(tx *bolt.Tx) error {
			var b *bolt.Bucket
			var p []byte
			if storeID == "" {
				b = tx.Bucket(bucketCustomers)
			} else {
				b, p = tx.Bucket(idxHome), prefix(storeID)
			}
			cur := b.Cursor()
			var k, v []byte
			switch {
			case after != nil:
				k, v = cur.Seek(after)
				if k != nil && string(k) == string(after) {
					k, v = cur.Next()
				}
			case p != nil:
				k, v = cur.Seek(p)
			default:
				k, v = cur.First()
			}
			for ; k != nil && len(batch) < scanBatch; k, v = cur.Next() {
				if p != nil && !hasPrefix(k, p) {
					break
				}
				after = append(after[:0], k...)
				var c loupe.Customer
				if storeID == "" {
					if err := json.Unmarshal(v, &c); err != nil {
						return fmt.Errorf("decode %s: %w", k, err)
					}
				} else {
					var found bool
					var err error
					if c, found, err = getCustomerTx(tx, lastPart(k)); err != nil {
						return err
					} else if !found {
						continue
					}
				}
				batch = append(batch, c)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("scan customers of store %q: %w", storeID, err)
		}
		for _, c := range batch {
			if err := fn(c); err != nil {
				return err
			}
		}
		if len(batch) < scanBatch {
			return nil
		}
	}
}

func hasPrefix(k, p []byte) bool { return len(k) >= len(p) && string(k[:len(p)]) == string(p) }

// deleteCustomerTx removes customer id, its index entries and its purchases
// (record and index) within tx, for erasure. It reports false when the
// customer was not stored. Repairs keep their customer id; scrubbing their
// CustomerEmail is the caller's job.
func deleteCustomerTx(tx *bolt.Tx, id string) (bool, error) {
	if err := deleteContactsTx(tx, id); err != nil {
		return false, err
	}
	c, found, err := getCustomerTx(tx, id)
	if err != nil || !found {
		return false, err
	}
	for name, k := range customerIndexKeys(c) {
		if err := tx.Bucket([]byte(name)).Delete(k); err != nil {
			return false, err
		}
	}
	if err := tx.Bucket(bucketCustomers).Delete([]byte(id)); err != nil {
		return false, err
	}
	var keys [][]byte
	idx := tx.Bucket(idxPurchases)
	if err := scanPrefix(idx, prefix(id), func(k, _ []byte) error {
		keys = append(keys, append([]byte(nil), k...))
		return nil
	}); err != nil {
		return false, err
	}
	for _, k := range keys {
		if err := tx.Bucket(bucketPurchases).Delete([]byte(lastPart(k))); err != nil {
			return false, err
		}
		if err := idx.Delete(k); err != nil {
			return false, err
		}
	}
	return true, nil
}
