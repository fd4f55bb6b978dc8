package embedded

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/loupehq/loupe/shared/loupe"
)

// bucketNumberOptOuts holds NumberHash(phone) -> numberOptOut JSON.
var bucketNumberOptOuts = []byte("number_optouts")

func init() { buckets = append(buckets, bucketNumberOptOuts) }

var _ loupe.NumberOptOuts = (*DB)(nil)

type numberOptOut struct {
	Out bool      `json:"out"`
	At  time.Time `json:"at"`
}

// SetNumberOptOut implements loupe.NumberOptOuts in one transaction.
func (db *DB) SetNumberOptOut(ctx context.Context, phone string, out bool, at time.Time) (bool, error) {
	if err := loupe.ValidNumber(phone); err != nil {
		return false, err
	}
	changed := false
	err := db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketNumberOptOuts)
		k := []byte(loupe.NumberHash(phone))
		if raw := b.Get(k); raw != nil {
			var cur numberOptOut
			if err := json.Unmarshal(raw, &cur); err != nil {
				return err
			}
			// The newest answer stands; of two as old, the opt-out (a
			// denial wins a tie, as loupe.ApplyConsent has it).
			if at.Before(cur.At) || at.Equal(cur.At) && (cur.Out || !out) {
				return nil
			}
		}
		raw, err := json.Marshal(numberOptOut{Out: out, At: at.UTC()})
		if err != nil {
			return err
		}
		changed = true
		return b.Put(k, raw)
	})
	if err != nil {
		return false, fmt.Errorf("set number opt-out: %w", err)
	}
	return changed, nil
}

// NumberOptedOut implements loupe.NumberOptOuts.
func (db *DB) NumberOptedOut(ctx context.Context, phone string) (bool, error) {
	var cur numberOptOut
	err := db.view(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketNumberOptOuts).Get([]byte(loupe.NumberHash(phone)))
		if raw == nil {
			return nil
		}
		return json.Unmarshal(raw, &cur)
	})
	if err != nil {
		return false, fmt.Errorf("number opted out: %w", err)
	}
	return cur.Out, nil
}
