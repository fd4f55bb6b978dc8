package embedded

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	bolt "go.etcd.io/bbolt"
)

// Buckets of loupe.Privacy (docs/privacy.md). Neither holds personal data:
//
//	suppression  SuppressionHash(email) -> {"reason", "at"}
//	erasures     ErasureHash(customer_id) -> {"at"}
var (
	bucketSuppression = []byte("suppression")
	bucketErasures    = []byte("erasures")
)

func init() { buckets = append(buckets, bucketSuppression, bucketErasures) }

var _ loupe.Privacy = (*DB)(nil)

// suppressionEntry is the value of a suppression key; the first entry of an
// address is kept.
type suppressionEntry struct {
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// erasureEntry is the value of an erasure key: the first erasure, and the
// last (which POS events dated before are ignored against).
type erasureEntry struct {
	At   time.Time `json:"at"`
	Last time.Time `json:"last,omitzero"`
}

// last returns the time of the latest erasure.
func (e erasureEntry) last() time.Time {
	if e.Last.After(e.At) {
		return e.Last
	}
	return e.At
}

// erasedAtTx returns when customer id was last erased, zero when never.
func erasedAtTx(tx *bolt.Tx, id string) (time.Time, error) {
	var e erasureEntry
	found, err := getJSON(tx.Bucket(bucketErasures), loupe.ErasureHash(id), &e)
	if err != nil || !found {
		return time.Time{}, err
	}
	return e.last(), nil
}

// ErasedAt implements loupe.DB. Returns the read error.
func (db *DB) ErasedAt(ctx context.Context, customerID string) (time.Time, error) {
	var at time.Time
	err := db.view(func(tx *bolt.Tx) (err error) {
		at, err = erasedAtTx(tx, customerID)
		return err
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("erased at %s: %w", customerID, err)
	}
	return at, nil
}

// suppressTx puts email on the suppression list unless it is there already.
func suppressTx(tx *bolt.Tx, email, reason string, at time.Time) error {
	if loupe.SuppressionKey(email) == "" {
		return nil
	}
	b := tx.Bucket(bucketSuppression)
	h := loupe.SuppressionHash(email)
	if b.Get([]byte(h)) != nil {
		return nil
	}
	return putJSON(b, h, suppressionEntry{Reason: reason, At: at.UTC()})
}

// setStatusTx applies status to customer id following loupe.NextEmailStatus.
// It reports whether the stored status changed and fails with loupe.ErrNotFound
// for an unknown customer.
func setStatusTx(tx *bolt.Tx, id, status string, at time.Time) (bool, error) {
	c, found, err := getCustomerTx(tx, id)
	if err != nil {
		return false, err
	}
	if !found {
		return false, loupe.ErrNotFound
	}
	next, err := loupe.NextEmailStatus(c.EmailStatus, status)
	if err != nil {
		return false, err
	}
	if loupe.SuppressesAddress(next) && c.Email != "" {
		if err := suppressTx(tx, c.Email, next, at); err != nil {
			return false, err
		}
	}
	if next == c.EmailStatus {
		return false, nil
	}
	old := c
	c.EmailStatus, c.EmailStatusAt = next, at.UTC()
	return true, putCustomerTx(tx, old, true, c)
}

// SetEmailStatus implements loupe.Privacy in one transaction. Returns an
// EINVALID *loupe.Error for an unknown status, an error wrapping
// loupe.ErrNotFound for an unknown customer, or the storage error.
func (db *DB) SetEmailStatus(ctx context.Context, customerID, status string, at time.Time) error {
	if !loupe.ValidEmailStatus(status) {
		return loupe.Invalidf("status", "unknown email status %q", status)
	}
	err := db.update(func(tx *bolt.Tx) error {
		_, err := setStatusTx(tx, customerID, status, at)
		return err
	})
	if err != nil {
		return fmt.Errorf("set email status of customer %s: %w", customerID, err)
	}
	return nil
}

// Suppress puts email on the suppression list with reason (a bounce,
// complaint, unsubscribe or loupe.SuppressErased) as of at, unless the
// address is there already (the first entry is kept). Returns an EINVALID
// *loupe.Error for an empty address or an unknown reason, or the storage
// error.
func (db *DB) Suppress(ctx context.Context, email, reason string, at time.Time) error {
	if err := loupe.ValidSuppression(email, reason); err != nil {
		return err
	}
	err := db.update(func(tx *bolt.Tx) error { return suppressTx(tx, email, reason, at) })
	if err != nil {
		return fmt.Errorf("suppress address: %w", err)
	}
	return nil
}

// SetEmailStatusOf is SetEmailStatusByAddress for the one customer a mail was
// sent to, in one transaction and without reading every customer: it puts
// email on the suppression list, then sets customerID's status following
// loupe.NextEmailStatus only if the customer's current address is email
// (compared with loupe.SuppressionKey). It reports whether the status
// changed; an unknown or erased customer, or one whose address has changed,
// is false and nil. Returns an EINVALID *loupe.Error for an empty id or
// address, EmailOK or an unknown status, or the storage error.
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
	var changed bool
	err := db.update(func(tx *bolt.Tx) error {
		changed = false
		if err := suppressTx(tx, email, status, at); err != nil {
			return err
		}
		c, found, err := getCustomerTx(tx, customerID)
		if err != nil {
			return err
		}
		if !found || loupe.SuppressionKey(c.Email) != loupe.SuppressionKey(email) {
			return nil
		}
		changed, err = setStatusTx(tx, customerID, status, at)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("set email status of customer %s: %w", customerID, err)
	}
	return changed, nil
}

// SetEmailStatusByAddress implements loupe.Privacy. There is no email index:
// it reads every customer in one read transaction to find the holders of the
// address, then updates them and the suppression list in one write
// transaction that checks each address again. Returns how many customers
// changed, an EINVALID *loupe.Error for EmailOK or an unknown status, or the
// storage error.
func (db *DB) SetEmailStatusByAddress(ctx context.Context, email, status string, at time.Time) (int, error) {
	if !loupe.ValidEmailStatus(status) || status == loupe.EmailOK {
		return 0, loupe.Invalidf("status", "status %q cannot be set by address", status)
	}
	want := loupe.SuppressionKey(email)
	var ids []string
	err := db.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketCustomers).ForEach(func(k, v []byte) error {
			var c struct {
				Email string `json:"email"`
			}
			if err := json.Unmarshal(v, &c); err != nil {
				return fmt.Errorf("decode %s: %w", k, err)
			}
			if c.Email != "" && loupe.SuppressionKey(c.Email) == want {
				ids = append(ids, string(k))
			}
			return nil
		})
	})
	if err != nil {
		return 0, fmt.Errorf("set email status by address: %w", err)
	}
	var n int
	err = db.update(func(tx *bolt.Tx) error {
		n = 0
		if err := suppressTx(tx, email, status, at); err != nil {
			return err
		}
		for _, id := range ids {
			c, found, err := getCustomerTx(tx, id)
			if err != nil {
				return err
			}
			if !found || loupe.SuppressionKey(c.Email) != want {
				continue // erased or changed since the scan
			}
			changed, err := setStatusTx(tx, id, status, at)
			if err != nil {
				return err
			}
			if changed {
				n++
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("set email status by address: %w", err)
	}
	return n, nil
}

// repairsByCustomerTx returns the repairs naming id, in time order, from
// idx_repair_customer (kept in PutRepair's transaction, filled on opening an
// older file, so it misses none).
func repairsByCustomerTx(tx *bolt.Tx, id string) ([]loupe.Repair, error) {
	var out []loupe.Repair
	err := indexed(tx, idxRepairCustomer, bucketRepairs, prefix(id), &out)
	return out, err
}

// RepairsNamingCustomer implements loupe.Privacy from the per-customer
// repair index (one transaction, so nothing put before is missed), sorted by
// RepairID. Returns the storage error.
func (db *DB) RepairsNamingCustomer(ctx context.Context, customerID string) ([]loupe.Repair, error) {
	var out []loupe.Repair
	err := db.view(func(tx *bolt.Tx) error {
		var err error
		out, err = repairsByCustomerTx(tx, customerID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("repairs of customer %s: %w", customerID, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].RepairID < out[j].RepairID })
	return out, nil
}

// EraseCustomer implements loupe.Privacy in one transaction: suppression
// entries for the customer's and its repairs' addresses, the repairs'
// CustomerEmail, CustomerPhone and Item blanked (no change is appended to the
// feed: nothing downstream reacts to a scrubbed repair), the same fields
// blanked in the feed's undelivered changes of those repairs,
// deleteCustomerTx (record, indexes, purchases, contacts) and the erasure
// record. Its cost is one read of the customer's repairs (by the per-customer
// index) and of the undelivered feed.
// Freed pages still hold the old bytes until the file is compacted
// (Compact). Returns the storage error.
func (db *DB) EraseCustomer(ctx context.Context, customerID string, at time.Time) error {
	err := db.update(func(tx *bolt.Tx) error {
		c, found, err := getCustomerTx(tx, customerID)
		if err != nil {
			return err
		}
		if found && c.Email != "" {
			if err := suppressTx(tx, c.Email, loupe.SuppressErased, at); err != nil {
				return err
			}
		}
		repairs, err := repairsByCustomerTx(tx, customerID)
		if err != nil {
			return err
		}
		rb := tx.Bucket(bucketRepairs)
		for _, r := range repairs {
			if r.CustomerEmail == "" && r.CustomerPhone == "" && r.Item == "" {
				continue
			}
			if r.CustomerEmail != "" {
				if err := suppressTx(tx, r.CustomerEmail, loupe.SuppressErased, at); err != nil {
					return err
				}
			}
			r.CustomerEmail, r.CustomerPhone, r.Item = "", "", ""
			if err := putJSON(rb, r.RepairID, r); err != nil {
				return err
			}
		}
		if err := scrubChangesTx(tx, customerID); err != nil {
			return err
		}
		if _, err := deleteCustomerTx(tx, customerID); err != nil {
			return err
		}
		eb := tx.Bucket(bucketErasures)
		h := loupe.ErasureHash(customerID)
		var e erasureEntry
		found, err = getJSON(eb, h, &e)
		if err != nil {
			return err
		}
		if !found {
			e.At = at.UTC()
		} else if at.After(e.last()) {
			e.Last = at.UTC()
		} else {
			return nil
		}
		return putJSON(eb, h, e)
	})
	if err != nil {
		return fmt.Errorf("erase customer %s: %w", customerID, err)
	}
	return nil
}

// Suppressed implements loupe.Privacy. Returns the storage error.
func (db *DB) Suppressed(ctx context.Context, email string) (bool, error) {
	var ok bool
	err := db.view(func(tx *bolt.Tx) error {
		ok = tx.Bucket(bucketSuppression).Get([]byte(loupe.SuppressionHash(email))) != nil
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("suppressed: %w", err)
	}
	return ok, nil
}

// scrubChangesTx blanks the personal fields of customer id's repairs in the
// feed's changes not yet pruned (a subscriber may not have taken them yet):
// the change is still delivered, without the address, phone and item.
func scrubChangesTx(tx *bolt.Tx, id string) error {
	b := tx.Bucket(bucketChanges)
	type edit struct {
		k []byte
		c loupe.Change
	}
	var edits []edit
	err := b.ForEach(func(k, v []byte) error {
		var c loupe.Change
		if err := json.Unmarshal(v, &c); err != nil {
			return fmt.Errorf("decode change %s: %w", k, err)
		}
		changed := false
		for _, r := range []*loupe.Repair{c.OldRepair, c.NewRepair} {
			if r != nil && r.CustomerID == id && (r.CustomerEmail != "" || r.CustomerPhone != "" || r.Item != "") {
				r.CustomerEmail, r.CustomerPhone, r.Item = "", "", ""
				changed = true
			}
		}
		if changed {
			edits = append(edits, edit{append([]byte(nil), k...), c})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, e := range edits {
		if err := putJSON(b, string(e.k), e.c); err != nil {
			return err
		}
	}
	return nil
}
