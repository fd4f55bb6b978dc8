package embedded

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/loupehq/loupe/shared/loupe"
	bolt "go.etcd.io/bbolt"
)

// normAssociate returns a with times in UTC, the form stored and compared.
func normAssociate(a loupe.Associate) loupe.Associate {
	a.TerminatedAt = a.TerminatedAt.UTC()
	a.UpdatedAt = a.UpdatedAt.UTC()
	return a
}

// sameAssociate reports whether a and b hold the same data (nil and empty
// strengths alike), so a write that changes nothing yields no Change.
func sameAssociate(a, b loupe.Associate) bool {
	if len(a.Strengths) == 0 && len(b.Strengths) == 0 {
		a.Strengths, b.Strengths = nil, nil
	}
	ja, _ := json.Marshal(normAssociate(a))
	jb, _ := json.Marshal(normAssociate(b))
	return string(ja) == string(jb)
}

// putAssociateTx writes a over old (found tells whether old exists), keeps the
// staff and sign-in indexes and appends the Change. It writes nothing when nothing changed.
func (db *DB) putAssociateTx(tx *bolt.Tx, old loupe.Associate, found bool, a loupe.Associate) error {
	if found && sameAssociate(old, a) {
		return nil
	}
	if err := putJSON(tx.Bucket(bucketAssociates), a.AssociateID, a); err != nil {
		return err
	}
	idx := tx.Bucket(idxStaff)
	if found && old.StoreID != "" {
		if err := idx.Delete(key(old.StoreID, old.AssociateID)); err != nil {
			return err
		}
	}
	if a.StoreID != "" {
		if err := idx.Put(key(a.StoreID, a.AssociateID), nil); err != nil {
			return err
		}
	}
	oldEmail := ""
	if found {
		oldEmail = old.Email
	}
	if err := signInIndexTx(tx, signInAssociate, a.AssociateID, oldEmail, a.Email); err != nil {
		return err
	}
	c := loupe.Change{Entity: loupe.EntityAssociate, Op: loupe.OpInsert, NewAssociate: &a}
	if found {
		c.Op, c.OldAssociate = loupe.OpModify, &old
	}
	return db.appendChange(tx, c)
}

// UpdateAssociate implements loupe.DB: read, fn and write in one
// transaction; a write that changes the record appends a Change to the feed
// in the same transaction.
func (db *DB) UpdateAssociate(ctx context.Context, associateID string, fn func(stored *loupe.Associate) (loupe.Associate, bool, error)) error {
	err := db.update(func(tx *bolt.Tx) error {
		var old loupe.Associate
		found, err := getJSON(tx.Bucket(bucketAssociates), associateID, &old)
		if err != nil {
			return err
		}
		var stored *loupe.Associate
		if found {
			stored = &old
		}
		a, write, err := fn(stored)
		if err != nil || !write {
			return err
		}
		a.AssociateID = associateID
		return db.putAssociateTx(tx, old, found, normAssociate(a))
	})
	if err != nil {
		return fmt.Errorf("update associate %s: %w", associateID, err)
	}
	return nil
}

// GetAssociate returns an associate, or an error wrapping loupe.ErrNotFound.
func (db *DB) GetAssociate(ctx context.Context, associateID string) (loupe.Associate, error) {
	var a loupe.Associate
	err := db.view(func(tx *bolt.Tx) error {
		found, err := getJSON(tx.Bucket(bucketAssociates), associateID, &a)
		if err == nil && !found {
			return loupe.ErrNotFound
		}
		return err
	})
	if err != nil {
		return loupe.Associate{}, fmt.Errorf("get associate %s: %w", associateID, err)
	}
	return a, nil
}

// ListAssociates returns the associates of storeID (from the staff index), or
// of the whole chain when storeID is "", ordered by AssociateID. Returns the
// read error, if any.
func (db *DB) ListAssociates(ctx context.Context, storeID string) ([]loupe.Associate, error) {
	var out []loupe.Associate
	err := db.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAssociates)
		if storeID == "" {
			return b.ForEach(func(k, v []byte) error {
				var a loupe.Associate
				if err := json.Unmarshal(v, &a); err != nil {
					return fmt.Errorf("decode %s: %w", k, err)
				}
				out = append(out, a)
				return nil
			})
		}
		return indexed(tx, idxStaff, bucketAssociates, prefix(storeID), &out)
	})
	if err != nil {
		return nil, fmt.Errorf("list associates of store %q: %w", storeID, err)
	}
	return out, nil
}
