package embedded

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	bolt "go.etcd.io/bbolt"
)

// The change feed is the local stand-in for DynamoDB streams.
//
// A write that changes an associate or inserts a repair appends a loupe.Change
// to bucket "changes" in its own transaction, under a sequence number from the
// bucket's persistent counter (Seq is that number as 20 zero-padded digits, so
// byte order is delivery order). Each subscriber has a durable cursor in bucket
// "cursors": the Seq of the last change its handler accepted. Delivery reads
// past the cursor, calls the handler outside any transaction and advances the
// cursor only after the handler returned nil, so a change is delivered at
// least once, in order, and a crash between commit and delivery only delays
// it. Changes at or below every stored cursor are pruned.

// batchSize bounds the changes read per read transaction during delivery.
const batchSize = 128

type subscriber struct {
	name string
	h    loupe.ChangeHandler
	wake chan struct{} // capacity 1: "there may be something new"
	mu   sync.Mutex    // one delivery at a time per subscriber
}

// Subscribe registers handler h under a durable name; call it before RunFeed or
// DeliverPending. A subscriber seen for the first time starts at the oldest
// change still stored. A subscriber that stops being registered still holds
// back pruning through its stored cursor. Subscribe panics on an empty or
// duplicate name, a wiring mistake.
func (db *DB) Subscribe(name string, h loupe.ChangeHandler) {
	db.subsMu.Lock()
	defer db.subsMu.Unlock()
	if name == "" {
		panic("embedded: Subscribe with an empty name")
	}
	for _, s := range db.subs {
		if s.name == name {
			panic("embedded: duplicate subscriber " + name)
		}
	}
	db.subs = append(db.subs, &subscriber{name: name, h: h, wake: make(chan struct{}, 1)})
}

func (db *DB) subscribers() []*subscriber {
	db.subsMu.RLock()
	defer db.subsMu.RUnlock()
	return append([]*subscriber(nil), db.subs...)
}

// notify wakes every subscriber; registered as a commit hook by appendChange.
func (db *DB) notify() {
	for _, s := range db.subscribers() {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

// seqString formats a feed sequence number as Change.Seq.
func seqString(n uint64) string { return fmt.Sprintf("%020d", n) }

// appendChange stores c in the feed within tx, setting its Seq, and wakes the
// subscribers once tx commits. Call it inside db.update.
func (db *DB) appendChange(tx *bolt.Tx, c loupe.Change) error {
	b := tx.Bucket(bucketChanges)
	n, err := b.NextSequence()
	if err != nil {
		return fmt.Errorf("next change sequence: %w", err)
	}
	c.Seq = seqString(n)
	if err := putJSON(b, c.Seq, c); err != nil {
		return err
	}
	tx.OnCommit(db.notify)
	return nil
}

// ensureCursors stores an empty cursor for every registered subscriber that has
// none, so pruning waits for it.
func (db *DB) ensureCursors() error {
	return db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCursors)
		for _, s := range db.subscribers() {
			if b.Get([]byte(s.name)) == nil {
				if err := b.Put([]byte(s.name), []byte{}); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// RunFeed delivers changes to every subscriber until ctx is done: first what is
// pending (including changes committed before a crash), then each new change
// promptly after its commit. A failing handler is retried with capped
// exponential backoff, never skipped; other subscribers go on. It returns nil
// once ctx is done, or an error if the cursors cannot be initialised.
func (db *DB) RunFeed(ctx context.Context) error {
	if err := db.ensureCursors(); err != nil {
		return fmt.Errorf("run feed: %w", err)
	}
	var wg sync.WaitGroup
	for _, s := range db.subscribers() {
		wg.Go(func() { db.runSubscriber(ctx, s) })
	}
	wg.Wait()
	<-ctx.Done() // also when no subscriber is registered
	return nil
}

func (db *DB) runSubscriber(ctx context.Context, s *subscriber) {
	var backoff time.Duration
	for {
		err := db.deliver(ctx, s)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			backoff = min(max(2*backoff, db.retryMin), db.retryMax)
			db.log.Warn("change feed handler failed", "subscriber", s.name, "retry_in", backoff, "err", err)
			t := time.NewTimer(backoff)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			continue
		}
		backoff = 0
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		}
	}
}

// DeliverPending delivers every pending change to every subscriber once, in
// order, and returns. A subscriber whose handler fails stops at that change
// (its cursor stays before it); the others still get theirs. Returns the first
// handler error, wrapped with the subscriber and Seq, or a storage error.
func (db *DB) DeliverPending(ctx context.Context) error {
	if err := db.ensureCursors(); err != nil {
		return fmt.Errorf("deliver pending: %w", err)
	}
	var first error
	for _, s := range db.subscribers() {
		if err := db.deliver(ctx, s); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// deliver hands s every change past its cursor, advancing the cursor after
// each accepted change. It returns the first handler or storage error.
func (db *DB) deliver(ctx context.Context, s *subscriber) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		var batch []loupe.Change
		err := db.view(func(tx *bolt.Tx) error {
			cursor := tx.Bucket(bucketCursors).Get([]byte(s.name))
			c := tx.Bucket(bucketChanges).Cursor()
			k, v := c.Seek(cursor)
			if k != nil && bytes.Equal(k, cursor) {
				k, v = c.Next()
			}
			for ; k != nil && len(batch) < batchSize; k, v = c.Next() {
				var ch loupe.Change
				if err := json.Unmarshal(v, &ch); err != nil {
					return fmt.Errorf("decode change %s: %w", k, err)
				}
				batch = append(batch, ch)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("read changes for %s: %w", s.name, err)
		}
		if len(batch) == 0 {
			return nil
		}
		for _, ch := range batch {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := s.h(ctx, ch); err != nil {
				return fmt.Errorf("subscriber %s change %s: %w", s.name, ch.Seq, err)
			}
			if err := db.advance(s.name, ch.Seq); err != nil {
				return fmt.Errorf("advance cursor of %s to %s: %w", s.name, ch.Seq, err)
			}
		}
	}
}

// advance stores seq as name's cursor and prunes the changes at or below the
// lowest stored cursor.
func (db *DB) advance(name, seq string) error {
	return db.update(func(tx *bolt.Tx) error {
		cursors := tx.Bucket(bucketCursors)
		if err := cursors.Put([]byte(name), []byte(seq)); err != nil {
			return err
		}
		var low []byte
		first := true
		if err := cursors.ForEach(func(_, v []byte) error {
			if first || bytes.Compare(v, low) < 0 {
				low, first = v, false
			}
			return nil
		}); err != nil {
			return err
		}
		// Re-seek after each delete: a bbolt cursor may skip a key after Delete.
		c := tx.Bucket(bucketChanges).Cursor()
		for k, _ := c.First(); k != nil && bytes.Compare(k, low) <= 0; k, _ = c.First() {
			if err := c.Delete(); err != nil {
				return err
			}
		}
		return nil
	})
}
