package embedded

import (
	"context"
	"fmt"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/touch"
	bolt "go.etcd.io/bbolt"
)

var _ touch.Leaser = (*Ledger)(nil)

// Lease takes the send lease of the claimed entry k until until, in one
// transaction: it wins only when k is claimed and has no lease or one that
// ended at or before now; see touch.Leaser. Returns false (nil error) for a
// sent, skipped or live-leased entry, an error wrapping loupe.ErrNotFound for
// an unknown key, or the storage error.
func (l *Ledger) Lease(ctx context.Context, k touch.Key, now, until time.Time) (bool, error) {
	won := false
	err := l.update(func(tx *bolt.Tx) error {
		won = false
		e, found, err := getEntry(tx, k)
		switch {
		case err != nil:
			return err
		case !found:
			return loupe.ErrNotFound
		case e.State != touch.StateClaimed || e.LeaseUntil.After(now):
			return nil
		}
		e.LeaseUntil = until.UTC()
		won = true
		return putEntry(tx, e)
	})
	if err != nil {
		return false, fmt.Errorf("lease %s: %w", k, err)
	}
	return won, nil
}

// Release clears the lease of k ending at until; an unknown key, an entry
// without that lease or no longer claimed is left alone (touch.Leaser).
// Returns only storage errors.
func (l *Ledger) Release(ctx context.Context, k touch.Key, until time.Time) error {
	err := l.update(func(tx *bolt.Tx) error {
		e, found, err := getEntry(tx, k)
		if err != nil || !found || e.State != touch.StateClaimed || !e.LeaseUntil.Equal(until) {
			return err
		}
		e.LeaseUntil = time.Time{}
		return putEntry(tx, e)
	})
	if err != nil {
		return fmt.Errorf("release %s: %w", k, err)
	}
	return nil
}
