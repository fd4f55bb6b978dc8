package embedded

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/loupehq/loupe/shared/loupe"
	bolt "go.etcd.io/bbolt"
)

// UpdateStore implements loupe.DB: read, fn and write in one transaction,
// the sign-in index kept in step.
func (db *DB) UpdateStore(ctx context.Context, storeID string, fn func(stored *loupe.Store) (loupe.Store, bool, error)) error {
	err := db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketStores)
		var old loupe.Store
		found, err := getJSON(b, storeID, &old)
		if err != nil {
			return err
		}
		var stored *loupe.Store
		if found {
			stored = &old
		}
		s, write, err := fn(stored)
		if err != nil || !write {
			return err
		}
		s.StoreID, s.UpdatedAt = storeID, s.UpdatedAt.UTC()
		if err := signInIndexTx(tx, signInStore, storeID, old.ManagerEmail, s.ManagerEmail); err != nil {
			return err
		}
		return putJSON(b, storeID, s)
	})
	if err != nil {
		return fmt.Errorf("update store %s: %w", storeID, err)
	}
	return nil
}

// GetStore returns a store, or an error wrapping loupe.ErrNotFound.
func (db *DB) GetStore(ctx context.Context, storeID string) (loupe.Store, error) {
	var s loupe.Store
	err := db.view(func(tx *bolt.Tx) error {
		found, err := getJSON(tx.Bucket(bucketStores), storeID, &s)
		if err == nil && !found {
			return loupe.ErrNotFound
		}
		return err
	})
	if err != nil {
		return loupe.Store{}, fmt.Errorf("get store %s: %w", storeID, err)
	}
	return s, nil
}

// ListStores returns every store ordered by StoreID, or the read error.
func (db *DB) ListStores(ctx context.Context) ([]loupe.Store, error) {
	var out []loupe.Store
	err := db.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketStores).ForEach(func(k, v []byte) error {
			var s loupe.Store
			if err := json.Unmarshal(v, &s); err != nil {
				return fmt.Errorf("decode %s: %w", k, err)
			}
			out = append(out, s)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list stores: %w", err)
	}
	return out, nil
}
