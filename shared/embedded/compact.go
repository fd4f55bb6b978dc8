package embedded

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/loupehq/loupe/shared/loupe"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// compactTxSize bounds the bytes bolt.Compact copies per write transaction.
const compactTxSize = 64 << 20

// Compact rewrites the data file with only its live records, so no freed page
// keeps a copy of an erased customer: bbolt is copy-on-write and frees pages
// without zeroing them, so an erased record stays readable in the file (grep
// -a finds it) until the pages are reused. Compact copies every bucket into
// "<path>.compact" (fsynced), renames it over the file while it is still
// open, switches to it and closes the old one; writers wait meanwhile,
// readers go on with the old file and then move to the new one. Another
// process cannot slip in: the directory's lock ("<path>.lock") is held
// throughout. The old file's blocks are released by the file system (they are
// not overwritten on the disk). Cost: one copy of the live data. Returns the
// copy or rename error (the file in use is then unchanged), or an error
// after Close.
func (db *DB) Compact(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	db.writeMu.Lock()
	defer db.writeMu.Unlock()
	if db.closed {
		return fmt.Errorf("compact: %w", berrors.ErrDatabaseNotOpen)
	}
	old := db.cur.Load()
	tmp := db.path + ".compact"
	_ = os.Remove(tmp)
	dst, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: openTimeout})
	if err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	fail := func(err error) error {
		dst.Close()
		os.Remove(tmp)
		return fmt.Errorf("compact: %w", err)
	}
	if err := bolt.Compact(dst, old, compactTxSize); err != nil {
		return fail(err)
	}
	if err := dst.Sync(); err != nil {
		return fail(err)
	}
	// The copy stays open (and locked) while it is renamed into place, so
	// nothing can open the path between the rename and the switch.
	if err := os.Rename(tmp, db.path); err != nil {
		return fail(err)
	}
	if err := syncDir(db.path); err != nil {
		db.log.Warn("compact: sync the directory", "err", err)
	}
	db.cur.Store(dst)
	if err := old.Close(); err != nil {
		db.log.Warn("compact: close the old file", "err", err)
	}
	return nil
}

// Forget is the embedded store's last part of a customer's erasure (a
// loupe.Forgetter): Compact, so the file keeps no freed page with the
// client's records. Run it after every other forgetter.
func (db *DB) Forget(ctx context.Context, e loupe.Erasure) error {
	if err := db.Compact(ctx); err != nil {
		return fmt.Errorf("forget %s: %w", e.CustomerID, err)
	}
	return nil
}

// syncDir fsyncs the directory holding path, so a rename in it is durable.
func syncDir(path string) error {
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
