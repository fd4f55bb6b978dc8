package embedded

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	bolt "go.etcd.io/bbolt"
)

// eventClaim is the value of an events key: the hash of the body the id was
// first delivered with, and when. A value that is not JSON (an RFC 3339 time,
// written before claims carried a hash) counts as a claim of any body.
type eventClaim struct {
	Hash string    `json:"hash"`
	At   time.Time `json:"at"`
}

// ClaimEvent implements loupe.DB in one transaction. Concurrent calls for
// one id: exactly one returns true, the others false or ErrConflict.
func (db *DB) ClaimEvent(ctx context.Context, eventID, hash string, at time.Time) (bool, error) {
	var claimed bool
	err := db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEvents)
		if v := b.Get([]byte(eventID)); v != nil {
			var c eventClaim
			if json.Unmarshal(v, &c) == nil && c.Hash != "" && c.Hash != hash {
				return loupe.ErrConflict
			}
			return nil
		}
		claimed = true
		return putJSON(b, eventID, eventClaim{Hash: hash, At: at.UTC()})
	})
	if err != nil {
		return false, fmt.Errorf("claim event %s: %w", eventID, err)
	}
	return claimed, nil
}
