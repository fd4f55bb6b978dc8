// Package embedded is the loupe.DB adapter for one machine: a single bbolt file
// (pure Go, fsynced on every commit) holding JSON records in buckets, secondary
// indexes kept in the same transactions, and a durable change feed that stands
// in for DynamoDB streams (see feed.go).
//
// # Layout
//
// Records live in one bucket per entity, keyed by id. Each secondary index is a
// bucket of keys made of parts joined by a NUL byte (ids never hold one), with
// the record id last, so an ordered prefix scan reads one index entry range:
//
//	idx_book             associate_id NUL customer_id
//	idx_birthday         MM-DD NUL customer_id
//	idx_anniversary      MM-DD NUL customer_id
//	idx_home             store_id NUL customer_id
//	idx_staff            store_id NUL associate_id
//	idx_takein           store_id NUL local_day NUL taken_in_at NUL repair_id
//	idx_purchases        customer_id NUL purchased_at NUL purchase_id
//	idx_repair_customer  customer_id NUL taken_in_at NUL repair_id (repairs.go)
//	idx_signin           lower-cased email NUL "associate" or "store" NUL id (signin.go)
//	idx_turn             associate_id NUL Customer.TurnKey() NUL customer_id (book.go)
//	idx_book_birthday    associate_id NUL MM-DD NUL customer_id (book.go)
//	idx_book_anniversary associate_id NUL MM-DD NUL customer_id (book.go)
//	idx_today_due        associate_id NUL until NUL ref (today.go)
//	idx_phone            phone (E.164) NUL customer_id (phone.go)
//
// The Today list's own records are in today_lists (associate_id NUL day)
// and today_due (associate_id NUL ref), today.go. An index of customers
// or repairs added later is filled from the records when Open creates its
// bucket in an older file (fills).
//
// Times in keys use sortKeyTime (fixed width, UTC), so byte order is time order.
//
// # Adding a feature's own buckets
//
// Later features (reassignment batches, compliance aggregates, touchpoint
// ledger) add files to this package. Such a file declares its bucket names and
// appends them to buckets in an init function, so Open creates them:
//
//	var bucketBatches = []byte("reassign_batches")
//	func init() { buckets = append(buckets, bucketBatches) }
//
// and then reads with db.view and writes with db.update, building keys with key
// and prefix, scanning with scanPrefix, and storing JSON with getJSON/putJSON.
// A write that must reach change-feed subscribers calls db.appendChange inside
// its db.update function. Customer writes outside PutCustomer (an email status
// change, an erasure) use getCustomerTx, putCustomerTx (keeps every customer
// index in step) and deleteCustomerTx inside db.update.
package embedded

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// openTimeout bounds how long Open waits for the file lock another process
// holds; a variable so tests can shorten it.
var openTimeout = 2 * time.Second

// ErrInUse is wrapped by Open's error when another process (or another DB in
// this one) holds the data file.
var ErrInUse = errors.New("data directory in use by another process")

// Bucket names. Features may add their own (see the package documentation).
var (
	bucketStores     = []byte("stores")
	bucketAssociates = []byte("associates")
	bucketCustomers  = []byte("customers")
	bucketRepairs    = []byte("repairs")
	bucketPurchases  = []byte("purchases")
	bucketEvents     = []byte("events")
	bucketChanges    = []byte("changes")
	bucketCursors    = []byte("cursors")

	idxBook        = []byte("idx_book")
	idxBirthday    = []byte("idx_birthday")
	idxAnniversary = []byte("idx_anniversary")
	idxHome        = []byte("idx_home")
	idxStaff       = []byte("idx_staff")
	idxTakeIn      = []byte("idx_takein")
	idxPurchases   = []byte("idx_purchases")
)

// fills holds, by bucket name, what fills an index bucket from the records
// when Open creates it in a file written before the index existed, in the
// transaction that creates it. Files of this package add theirs in an init
// function.
var fills = map[string]func(tx *bolt.Tx) error{}

// buckets lists every bucket Open creates. Files of this package append theirs
// in an init function.
var buckets = [][]byte{
	bucketStores, bucketAssociates, bucketCustomers, bucketRepairs, bucketPurchases,
	bucketEvents, bucketChanges, bucketCursors,
	idxBook, idxBirthday, idxAnniversary, idxHome, idxStaff, idxTakeIn, idxPurchases,
}

// DB is the embedded store. It implements loupe.DB and is safe for concurrent
// use by the goroutines of one process; only one process may open a file.
type DB struct {
	cur  atomic.Pointer[bolt.DB] // the open file; Compact swaps it
	path string
	// writeMu serialises writers, as bbolt does, so Compact can hold them
	// off while it copies the file.
	writeMu sync.Mutex
	closed  bool        // under writeMu: Close ran
	noSync  atomic.Bool // BulkLoad: commits skip fsync
	lock    *os.File    // "<path>.lock", locked for the life of the DB
	log     *slog.Logger

	subsMu sync.RWMutex
	subs   []*subscriber

	retryMin, retryMax time.Duration // feed backoff bounds
}

var _ loupe.DB = (*DB)(nil)

// Open opens or creates the bbolt file at path (mode 0600, parent directory
// created 0700 if missing) and its buckets, holding "<path>.lock" for the
// life of the DB (the data file itself is replaced by Compact). It waits at
// most 2 s for the locks and then returns an error wrapping ErrInUse; any
// other failure is returned wrapped with the path.
func Open(path string) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	lock, err := lockFile(path+".lock", openTimeout)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: openTimeout})
	if errors.Is(err, berrors.ErrTimeout) {
		err = ErrInUse
	}
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	err = b.Update(func(tx *bolt.Tx) error {
		var created [][]byte
		for _, name := range buckets {
			if tx.Bucket(name) == nil {
				created = append(created, name)
			}
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		for _, name := range created {
			if fill := fills[string(name)]; fill != nil {
				if err := fill(tx); err != nil {
					return fmt.Errorf("fill bucket %s: %w", name, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Close()
		lock.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db := &DB{path: path, lock: lock, log: slog.Default(), retryMin: 100 * time.Millisecond, retryMax: 30 * time.Second}
	db.cur.Store(b)
	return db, nil
}

// Close releases the file. Pending feed changes stay stored and are delivered
// after the next Open. Returns the error of closing the file.
func (db *DB) Close() error {
	db.writeMu.Lock()
	defer db.writeMu.Unlock()
	if db.closed {
		return nil
	}
	db.closed = true
	err := db.cur.Load().Close()
	db.lock.Close() // releases the directory's lock
	if err != nil {
		return fmt.Errorf("close embedded db: %w", err)
	}
	return nil
}

// view runs fn in a read-only transaction. A transaction begun on the file
// Compact just closed is begun again on the new one (fn had not run).
func (db *DB) view(fn func(tx *bolt.Tx) error) error {
	for {
		b := db.cur.Load()
		err := b.View(fn)
		if errors.Is(err, berrors.ErrDatabaseNotOpen) && db.cur.Load() != b {
			continue
		}
		return err
	}
}

// update runs fn in one read-write transaction, committed (and fsynced) when fn
// returns nil and rolled back otherwise. Writes are serialised.
func (db *DB) update(fn func(tx *bolt.Tx) error) error {
	db.writeMu.Lock()
	defer db.writeMu.Unlock()
	b := db.cur.Load()
	b.NoSync = db.noSync.Load()
	return b.Update(fn)
}

// key joins parts with NUL bytes.
func key(parts ...string) []byte { return []byte(strings.Join(parts, "\x00")) }

// prefix returns key(parts...) followed by a NUL: the range of keys under parts.
func prefix(parts ...string) []byte { return append(key(parts...), 0) }

// lastPart returns the part of an index key after its last NUL: the record id.
func lastPart(k []byte) string {
	return string(k[bytes.LastIndexByte(k, 0)+1:])
}

// sortKeyTime formats t in UTC with fixed width, so byte order is time order.
func sortKeyTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000000Z")
}

// scanPrefix calls fn for every key of b that starts with p, in key order,
// stopping at fn's first error and returning it.
func scanPrefix(b *bolt.Bucket, p []byte, fn func(k, v []byte) error) error {
	c := b.Cursor()
	for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

// indexed appends to out the records of bucket named by the keys of index
// idx under p (the record id is a key's last part), in key order; an entry
// whose record is gone is passed over. Returns the first decode error.
func indexed[T any](tx *bolt.Tx, idx, bucket, p []byte, out *[]T) error {
	b := tx.Bucket(bucket)
	return scanPrefix(tx.Bucket(idx), p, func(k, _ []byte) error {
		var v T
		found, err := getJSON(b, lastPart(k), &v)
		if err == nil && found {
			*out = append(*out, v)
		}
		return err
	})
}

// getJSON decodes the value of id in b into v. It reports false when absent.
func getJSON(b *bolt.Bucket, id string, v any) (bool, error) {
	raw := b.Get([]byte(id))
	if raw == nil {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return true, fmt.Errorf("decode %s: %w", id, err)
	}
	return true, nil
}

// putJSON stores v under id in b.
func putJSON(b *bolt.Bucket, id string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", id, err)
	}
	return b.Put([]byte(id), raw)
}
