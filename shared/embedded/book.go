package embedded

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/today"
	bolt "go.etcd.io/bbolt"
)

// Indexes of today.Book, kept with the customer records (customerIndexKeys)
// and filled from them when Open creates them in an older file:
//
//	idx_turn              associate_id NUL TurnKey() NUL customer_id
//	idx_book_birthday     associate_id NUL MM-DD NUL customer_id
//	idx_book_anniversary  associate_id NUL MM-DD NUL customer_id
//
// A client without an associate is in none of them; one without the date
// in neither month-day index.
var (
	idxTurn            = []byte("idx_turn")
	idxBookBirthday    = []byte("idx_book_birthday")
	idxBookAnniversary = []byte("idx_book_anniversary")
)

func init() {
	for _, name := range [][]byte{idxTurn, idxBookBirthday, idxBookAnniversary} {
		buckets = append(buckets, name)
		fills[string(name)] = fillCustomerIndex(name)
	}
}

var _ today.Book = (*DB)(nil)

// bookFields are the fields of a stored customer the book's indexes (and
// idx_phone) are made of: a fill decodes only these.
type bookFields struct {
	CustomerID            string     `json:"customer_id"`
	AssociateID           string     `json:"associate_id"`
	Birthday              loupe.Date `json:"birthday"`
	Anniversary           loupe.Date `json:"anniversary"`
	LastPersonalContactAt time.Time  `json:"last_personal_contact_at"`
	NewSince              time.Time  `json:"new_since"`
	NewTo                 string     `json:"new_to"`
	ListedAt              time.Time  `json:"listed_at"`
	Phone                 string     `json:"phone"` // idx_phone (phone.go)
}

// fillCustomerIndex returns what fills index bucket name from every stored
// customer (customerIndexKeys): the keys are sorted before they are put,
// so the one transaction appends to its pages rather than inserting into
// the middle of one ever larger node.
func fillCustomerIndex(name []byte) func(tx *bolt.Tx) error {
	return func(tx *bolt.Tx) error {
		var keys [][]byte
		err := tx.Bucket(bucketCustomers).ForEach(func(k, v []byte) error {
			var f bookFields
			if err := json.Unmarshal(v, &f); err != nil {
				return fmt.Errorf("decode customer %s: %w", k, err)
			}
			c := loupe.Customer{CustomerID: f.CustomerID, AssociateID: f.AssociateID, Birthday: f.Birthday,
				Anniversary: f.Anniversary, LastPersonalContactAt: f.LastPersonalContactAt, NewSince: f.NewSince,
				NewTo: f.NewTo, ListedAt: f.ListedAt, Phone: f.Phone}
			if ik, ok := customerIndexKeys(c)[string(name)]; ok {
				keys = append(keys, ik)
			}
			return nil
		})
		if err != nil {
			return err
		}
		slices.SortFunc(keys, bytes.Compare)
		b := tx.Bucket(name)
		for _, k := range keys {
			if err := b.Put(k, nil); err != nil {
				return err
			}
		}
		return nil
	}
}

// turnCursor is the cursor of BookByTurn: the index key of the last client
// of a page after its associate prefix (TurnKey NUL customer_id), in
// unpadded base64url so it is safe in a URL.
func turnCursor(k, p []byte) string {
	return base64.RawURLEncoding.EncodeToString(k[len(p):])
}

// BookByTurn implements today.Book: one read transaction over idx_turn
// from the cursor's key, reading each client's record, and one key more
// to tell whether the book goes on. The cursor names a position in the
// index, not a client, so a client that moved since the last page is
// read where it is now (once, or not again when it moved to the part
// already read). A limit <= 0 reads the rest of the book. Returns an
// EINVALID *loupe.Error for a cursor BookByTurn did not make, or the read
// error.
func (db *DB) BookByTurn(ctx context.Context, associateID, cursor string, limit int) ([]loupe.Customer, string, error) {
	p := prefix(associateID)
	seek := p
	if cursor != "" {
		after, err := base64.RawURLEncoding.DecodeString(cursor)
		if err != nil || len(after) == 0 || bytes.IndexByte(after, 0) < 0 {
			return nil, "", loupe.Invalidf("cursor", "not a cursor of the book")
		}
		seek = append(slices.Clip(p), after...)
	}
	var out []loupe.Customer
	next := ""
	err := db.view(func(tx *bolt.Tx) error {
		out, next = nil, ""
		c := tx.Bucket(idxTurn).Cursor()
		k, _ := c.Seek(seek)
		if cursor != "" && bytes.Equal(k, seek) {
			k, _ = c.Next()
		}
		var last []byte
		for ; k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
			if limit > 0 && len(out) == limit {
				next = turnCursor(last, p)
				return nil
			}
			cu, found, err := getCustomerTx(tx, lastPart(k))
			if err != nil {
				return err
			}
			if found {
				out = append(out, cu)
				last = k
			}
		}
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("book of %s by turn: %w", associateID, err)
	}
	return out, next, nil
}

// BookByMonthDay implements today.Book with one prefix scan of
// idx_book_birthday or idx_book_anniversary. Returns an EINVALID
// *loupe.Error for another field, or the read error.
func (db *DB) BookByMonthDay(ctx context.Context, associateID, field, monthDay string) ([]loupe.Customer, error) {
	var idx []byte
	switch field {
	case "birthday":
		idx = idxBookBirthday
	case "anniversary":
		idx = idxBookAnniversary
	default:
		return nil, loupe.Invalidf("field", "no month-day index on %q", field)
	}
	out, err := db.customersByIndex(idx, prefix(associateID, monthDay))
	if err != nil {
		return nil, fmt.Errorf("book of %s by %s %s: %w", associateID, field, monthDay, err)
	}
	return out, nil
}

// GetCustomers implements today.Book in one read transaction: the
// customers of ids that are stored, in the order of ids. Returns the read
// error.
func (db *DB) GetCustomers(ctx context.Context, ids []string) ([]loupe.Customer, error) {
	out := make([]loupe.Customer, 0, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	err := db.view(func(tx *bolt.Tx) error {
		out = out[:0]
		for _, id := range ids {
			c, found, err := getCustomerTx(tx, id)
			if err != nil {
				return err
			}
			if found {
				out = append(out, c)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("get %d customers: %w", len(ids), err)
	}
	return out, nil
}
