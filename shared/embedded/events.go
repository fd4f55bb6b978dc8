package embedded

import (
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// MarkEvent records POS event eventID as applied at at. It returns true when
// this call recorded it, false when it was already recorded, or the write error.
// Concurrent calls for one id: exactly one returns true.
func (db *DB) MarkEvent(ctx context.Context, eventID string, at time.Time) (bool, error) {
	var recorded bool
	err := db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEvents)
		if b.Get([]byte(eventID)) != nil {
			return nil
		}
		recorded = true
		return b.Put([]byte(eventID), []byte(at.UTC().Format(time.RFC3339Nano)))
	})
	if err != nil {
		return false, fmt.Errorf("mark event %s: %w", eventID, err)
	}
	return recorded, nil
}

// EventSeen reports whether POS event eventID was recorded, or the read error.
func (db *DB) EventSeen(ctx context.Context, eventID string) (bool, error) {
	var seen bool
	err := db.view(func(tx *bolt.Tx) error {
		seen = tx.Bucket(bucketEvents).Get([]byte(eventID)) != nil
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("event seen %s: %w", eventID, err)
	}
	return seen, nil
}
