package embedded

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/reassign"
	bolt "go.etcd.io/bbolt"
)

// Reassignment batches (package reassign):
//
//	reassign_batches       batch id -> reassign.Batch
//	reassign_assignments   batch id NUL customer id -> reassign.Assignment
//	idx_reassign_created   created_at NUL batch id -> nil (listing, newest last)
var (
	bucketReassignBatches     = []byte("reassign_batches")
	bucketReassignAssignments = []byte("reassign_assignments")
	idxReassignCreated        = []byte("idx_reassign_created")
)

func init() {
	buckets = append(buckets, bucketReassignBatches, bucketReassignAssignments, idxReassignCreated)
}

var _ reassign.Store = (*DB)(nil)

// CreateReassignment stores a new batch header. Returns an error wrapping
// loupe.ErrExists (nothing written) when the id is taken.
func (db *DB) CreateReassignment(ctx context.Context, b reassign.Batch) error {
	b.CreatedAt = b.CreatedAt.UTC()
	err := db.update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketReassignBatches)
		if bk.Get([]byte(b.ID)) != nil {
			return loupe.ErrExists
		}
		if err := putJSON(bk, b.ID, b); err != nil {
			return err
		}
		return tx.Bucket(idxReassignCreated).Put(key(sortKeyTime(b.CreatedAt), b.ID), nil)
	})
	if err != nil {
		return fmt.Errorf("create reassignment %s: %w", b.ID, err)
	}
	return nil
}

// SaveReassignment overwrites an existing batch header (its CreatedAt is kept).
// Returns an error wrapping loupe.ErrNotFound when there is none.
func (db *DB) SaveReassignment(ctx context.Context, b reassign.Batch) error {
	err := db.update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketReassignBatches)
		var old reassign.Batch
		found, err := getJSON(bk, b.ID, &old)
		if err != nil {
			return err
		}
		if !found {
			return loupe.ErrNotFound
		}
		b.CreatedAt = old.CreatedAt
		return putJSON(bk, b.ID, b)
	})
	if err != nil {
		return fmt.Errorf("save reassignment %s: %w", b.ID, err)
	}
	return nil
}

// GetReassignment returns a batch header or an error wrapping loupe.ErrNotFound.
func (db *DB) GetReassignment(ctx context.Context, id string) (reassign.Batch, error) {
	var b reassign.Batch
	err := db.view(func(tx *bolt.Tx) error {
		found, err := getJSON(tx.Bucket(bucketReassignBatches), id, &b)
		if err == nil && !found {
			return loupe.ErrNotFound
		}
		return err
	})
	if err != nil {
		return reassign.Batch{}, fmt.Errorf("get reassignment %s: %w", id, err)
	}
	return b, nil
}

// ListReassignments returns every batch header, newest first. Returns the read
// or decoding error.
func (db *DB) ListReassignments(ctx context.Context) ([]reassign.Batch, error) {
	out := []reassign.Batch{}
	err := db.view(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketReassignBatches)
		c := tx.Bucket(idxReassignCreated).Cursor()
		for k, _ := c.Last(); k != nil; k, _ = c.Prev() {
			var b reassign.Batch
			found, err := getJSON(bk, lastPart(k), &b)
			if err != nil {
				return err
			}
			if found {
				out = append(out, b)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list reassignments: %w", err)
	}
	return out, nil
}

// PutReassignmentAssignments writes (overwrites) assignments of batch id in one
// transaction. Returns an error wrapping loupe.ErrNotFound when the batch does
// not exist.
func (db *DB) PutReassignmentAssignments(ctx context.Context, id string, as []reassign.Assignment) error {
	err := db.update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketReassignBatches).Get([]byte(id)) == nil {
			return loupe.ErrNotFound
		}
		bk := tx.Bucket(bucketReassignAssignments)
		for _, a := range as {
			raw, err := json.Marshal(a)
			if err != nil {
				return fmt.Errorf("encode %s: %w", a.CustomerID, err)
			}
			if err := bk.Put(key(id, a.CustomerID), raw); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("put assignments of %s: %w", id, err)
	}
	return nil
}

// SaveReassignmentAssignment overwrites one existing assignment, keeping an
// erased one erased (reassign.Store). Returns an error wrapping
// loupe.ErrNotFound when batch id has none for a.CustomerID.
func (db *DB) SaveReassignmentAssignment(ctx context.Context, id string, a reassign.Assignment) error {
	err := db.update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketReassignAssignments)
		k := key(id, a.CustomerID)
		v := bk.Get(k)
		if v == nil {
			return loupe.ErrNotFound
		}
		var cur reassign.Assignment
		if err := json.Unmarshal(v, &cur); err != nil {
			return fmt.Errorf("decode %s: %w", a.CustomerID, err)
		}
		if cur.CustomerName == reassign.ErasedName {
			a.CustomerName, a.Reasons = reassign.ErasedName, nil
		}
		raw, err := json.Marshal(a)
		if err != nil {
			return fmt.Errorf("encode %s: %w", a.CustomerID, err)
		}
		return bk.Put(k, raw)
	})
	if err != nil {
		return fmt.Errorf("save assignment %s of %s: %w", a.CustomerID, id, err)
	}
	return nil
}

// ReassignmentAssignments returns the assignments of batch id ordered by
// customer id (empty for an unknown batch). Returns the read or decoding error.
func (db *DB) ReassignmentAssignments(ctx context.Context, id string) ([]reassign.Assignment, error) {
	out := []reassign.Assignment{}
	err := db.view(func(tx *bolt.Tx) error {
		return scanPrefix(tx.Bucket(bucketReassignAssignments), prefix(id), func(k, v []byte) error {
			var a reassign.Assignment
			if err := json.Unmarshal(v, &a); err != nil {
				return fmt.Errorf("decode %s: %w", k, err)
			}
			out = append(out, a)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("assignments of %s: %w", id, err)
	}
	return out, nil
}

// ReassignmentAssignment returns the assignment of customerID in batch id
// (one key read), or an error wrapping loupe.ErrNotFound.
func (db *DB) ReassignmentAssignment(ctx context.Context, id, customerID string) (reassign.Assignment, error) {
	var a reassign.Assignment
	err := db.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketReassignAssignments).Get(key(id, customerID))
		if v == nil {
			return loupe.ErrNotFound
		}
		return json.Unmarshal(v, &a)
	})
	if err != nil {
		return reassign.Assignment{}, fmt.Errorf("assignment %s of %s: %w", customerID, id, err)
	}
	return a, nil
}
