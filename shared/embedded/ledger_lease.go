package embedded

import (
	"context"
	"fmt"
	"time"

	"github.com/loupehq/loupe/shared/touch"
	bolt "go.etcd.io/bbolt"
)

// Lease takes the send lease of the claimed entry k until until, in one
// transaction: it wins only when k is claimed and has no lease or one that
// ended at or before now (touch.Leasable); see touch.Ledger. Returns false
// (nil error) for a sent, skipped or live-leased entry, an error wrapping
// loupe.ErrNotFound for an unknown key, or the storage error.
func (l *Ledger) Lease(ctx context.Context, k touch.Key, now, until time.Time) (bool, error) {
	won := false
	err := l.update(func(tx *bolt.Tx) error {
		won = false
		e, found, err := getEntry(tx, k)
		if err != nil {
			return err
		}
		if take, err := touch.Leasable(e, found, now); err != nil || !take {
			return err
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
// without that lease or no longer claimed is left alone (touch.Releasable).
// Returns only storage errors.
func (l *Ledger) Release(ctx context.Context, k touch.Key, until time.Time) error {
	err := l.update(func(tx *bolt.Tx) error {
		e, found, err := getEntry(tx, k)
		if err != nil || !touch.Releasable(e, found, until) {
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

// TakeOverLeases clears the send lease of every claimed entry, in one
// transaction, and returns how many it cleared. The local runner calls it
// when it opens the directory: it holds the directory's lock, so a lease
// still standing was left by a process that died mid-send, and waiting for
// it to run out would leave that mail unsent by this run. Returns the
// storage error.
func (l *Ledger) TakeOverLeases(ctx context.Context) (int, error) {
	n := 0
	err := l.update(func(tx *bolt.Tx) error {
		n = 0
		var leased []touch.Entry
		if err := tx.Bucket(bucketClaimed).ForEach(func(k, _ []byte) error {
			e, err := claimedEntry(tx, k)
			if err != nil || e == nil || e.LeaseUntil.IsZero() {
				return err
			}
			leased = append(leased, *e)
			return nil
		}); err != nil {
			return err
		}
		for _, e := range leased {
			e.LeaseUntil = time.Time{}
			if err := putEntry(tx, e); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("take over leases: %w", err)
	}
	return n, nil
}
