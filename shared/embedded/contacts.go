package embedded

import (
	"context"
	"fmt"

	"github.com/loupehq/loupe/shared/loupe"
	bolt "go.etcd.io/bbolt"
)

// bucketContacts holds the contact history: key customer NUL ref, value the
// entry's JSON.
var bucketContacts = []byte("contacts")

func init() { buckets = append(buckets, bucketContacts) }

// contactRecord is a stored contact: the entry with its Ref.
type contactRecord struct {
	loupe.Contact
	Ref string `json:"ref"`
}

// PutContact implements loupe.DB: one entry per customer and Ref.
func (db *DB) PutContact(ctx context.Context, c loupe.Contact) error {
	c.At = c.At.UTC()
	err := db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketContacts)
		k := key(c.CustomerID, c.Ref)
		if b.Get(k) != nil {
			return loupe.ErrExists
		}
		return putJSON(b, string(k), contactRecord{Contact: c, Ref: c.Ref})
	})
	if err != nil {
		return fmt.Errorf("put contact of %s: %w", c.CustomerID, err)
	}
	return nil
}

// DeleteContact implements loupe.DB.
func (db *DB) DeleteContact(ctx context.Context, customerID, ref string) error {
	err := db.update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketContacts).Delete(key(customerID, ref))
	})
	if err != nil {
		return fmt.Errorf("delete contact of %s: %w", customerID, err)
	}
	return nil
}

// SetContactStatus implements loupe.DB: the entry is read, the rule
// decides (loupe.AdvancesContactStatus) and the entry is written in one
// transaction; writers are serialised, so of racing calls each sees what
// the one before it wrote. Returns an EINVALID *loupe.Error for a status
// without a rank, an error wrapping loupe.ErrNotFound for a missing entry,
// or the storage error.
func (db *DB) SetContactStatus(ctx context.Context, customerID, ref, status string) (bool, error) {
	if err := loupe.ValidContactStatus(status); err != nil {
		return false, err
	}
	changed := false
	err := db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketContacts)
		k := string(key(customerID, ref))
		var r contactRecord
		found, err := getJSON(b, k, &r)
		if err != nil {
			return err
		}
		if !found {
			return loupe.ErrNotFound
		}
		if !loupe.AdvancesContactStatus(r.Status, status) {
			return nil
		}
		r.Status, changed = status, true
		return putJSON(b, k, r)
	})
	if err != nil {
		return false, fmt.Errorf("set status of contact of %s: %w", customerID, err)
	}
	return changed, nil
}

// ContactsByCustomer implements loupe.DB with one prefix scan.
func (db *DB) ContactsByCustomer(ctx context.Context, customerID string, limit int) ([]loupe.Contact, error) {
	var out []loupe.Contact
	err := db.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketContacts)
		return scanPrefix(b, prefix(customerID), func(k, _ []byte) error {
			var r contactRecord
			if _, err := getJSON(b, string(k), &r); err != nil {
				return err
			}
			r.Contact.CustomerID, r.Contact.Ref = customerID, r.Ref
			out = append(out, r.Contact)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("contacts of %s: %w", customerID, err)
	}
	return loupe.NewestContacts(out, limit), nil
}

// deleteContactsTx deletes every contact of customer id.
func deleteContactsTx(tx *bolt.Tx, id string) error {
	b := tx.Bucket(bucketContacts)
	var keys [][]byte
	if err := scanPrefix(b, prefix(id), func(k, _ []byte) error {
		keys = append(keys, append([]byte(nil), k...))
		return nil
	}); err != nil {
		return err
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
