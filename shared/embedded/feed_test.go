package embedded

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/testkit/storetest"
	bolt "go.etcd.io/bbolt"
)

var bg = context.Background()

// recorder is a ChangeHandler that keeps what it accepted and fails while
// fail returns an error.
type recorder struct {
	mu   sync.Mutex
	got  []loupe.Change
	fail func(c loupe.Change) error
	seen chan struct{}
}

func newRecorder() *recorder { return &recorder{seen: make(chan struct{}, 1000)} }

func (r *recorder) handle(_ context.Context, c loupe.Change) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		if err := r.fail(c); err != nil {
			return err
		}
	}
	r.got = append(r.got, c)
	r.seen <- struct{}{}
	return nil
}

// summary returns "<entity> <op> <id>" per accepted change.
func (r *recorder) summary() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, c := range r.got {
		id := ""
		switch {
		case c.NewAssociate != nil:
			id = c.NewAssociate.AssociateID
		case c.NewRepair != nil:
			id = c.NewRepair.RepairID
		}
		out = append(out, c.Entity+" "+c.Op+" "+id)
	}
	return out
}

func (r *recorder) seqs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, c := range r.got {
		out = append(out, c.Seq)
	}
	return out
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func sameStrings(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %q\nwant %q", what, got, want)
	}
}

// storedChanges returns the number of changes kept in the feed bucket.
func storedChanges(t *testing.T, db *DB) int {
	t.Helper()
	var n int
	must(t, "count changes", db.view(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketChanges).Stats().KeyN
		return nil
	}))
	return n
}

// writeSome commits: associate a1 inserted, a1 unchanged, a1 terminated and the
// termination replayed,
// repair r1 inserted and re-inserted, plus writes that yield no change.
func writeSome(t *testing.T, db *DB) {
	t.Helper()
	a := storetest.Associate("a1", "s1")
	must(t, "put associate", loupe.PutAssociate(bg, db, a))
	must(t, "put same associate", loupe.PutAssociate(bg, db, a))
	must(t, "terminate", loupe.TerminateAssociate(bg, db, "a1", storetest.At(time.Hour), storetest.At(time.Hour)))
	must(t, "replay the termination", loupe.TerminateAssociate(bg, db, "a1", storetest.At(time.Hour), storetest.At(time.Hour)))
	must(t, "put repair", db.PutRepair(bg, storetest.Repair("r1", "s1", "c1", storetest.T0)))
	if err := db.PutRepair(bg, storetest.Repair("r1", "s1", "c1", storetest.T0)); !errors.Is(err, loupe.ErrExists) {
		t.Fatalf("re-insert repair: got %v, want ErrExists", err)
	}
	must(t, "put store", loupe.PutStore(bg, db, storetest.Store("s1")))
	must(t, "put customer", loupe.PutCustomer(bg, db, storetest.Customer("c1", "s1", "a1")))
}

var someWant = []string{"associate INSERT a1", "associate MODIFY a1", "repair INSERT r1"}

func TestFeedChangesAndImages(t *testing.T) {
	db, _ := openTemp(t)
	rec := newRecorder()
	db.Subscribe("rec", rec.handle)
	writeSome(t, db)
	must(t, "deliver", db.DeliverPending(bg))
	sameStrings(t, "changes", rec.summary(), someWant)
	sameStrings(t, "seqs", rec.seqs(), []string{seqString(1), seqString(2), seqString(3)})
	if len(rec.got) != 3 {
		t.Fatalf("changes: got %d, want 3", len(rec.got))
	}
	ins, mod, rep := rec.got[0], rec.got[1], rec.got[2]
	if ins.OldAssociate != nil || ins.NewAssociate.Status != loupe.StatusActive {
		t.Errorf("insert images: got old %+v new %+v, want nil and active", ins.OldAssociate, ins.NewAssociate)
	}
	if mod.OldAssociate == nil || mod.OldAssociate.Status != loupe.StatusActive || mod.NewAssociate.Status != loupe.StatusTerminated {
		t.Errorf("modify images: got old %+v new %+v, want active then terminated", mod.OldAssociate, mod.NewAssociate)
	}
	if rep.OldRepair != nil || rep.NewRepair == nil || rep.NewRepair.CustomerEmail != "c1@client.example.com" {
		t.Errorf("repair images: got old %+v new %+v", rep.OldRepair, rep.NewRepair)
	}
	must(t, "deliver again", db.DeliverPending(bg))
	if got := len(rec.summary()); got != 3 {
		t.Errorf("changes after second delivery: got %d, want 3 (nothing new)", got)
	}
}

func TestFeedTombstoneIsInsert(t *testing.T) {
	db, _ := openTemp(t)
	rec := newRecorder()
	db.Subscribe("rec", rec.handle)
	must(t, "terminate unknown", loupe.TerminateAssociate(bg, db, "a9", storetest.T0, storetest.T0))
	must(t, "deliver", db.DeliverPending(bg))
	sameStrings(t, "changes", rec.summary(), []string{"associate INSERT a9"})
}

func TestFeedDeliversAfterCrash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "loupe.db")
	db, err := Open(path)
	must(t, "open", err)
	first := newRecorder()
	db.Subscribe("rec", first.handle)
	must(t, "put associate", loupe.PutAssociate(bg, db, storetest.Associate("a1", "s1")))
	must(t, "deliver", db.DeliverPending(bg))
	writeRepairs(t, db, "r1", "r2")
	must(t, "close without delivering", db.Close()) // the process dies here

	db, err = Open(path)
	must(t, "reopen", err)
	defer db.Close()
	second := newRecorder()
	db.Subscribe("rec", second.handle)
	must(t, "deliver after restart", db.DeliverPending(bg))
	sameStrings(t, "before crash", first.summary(), []string{"associate INSERT a1"})
	sameStrings(t, "after restart", second.summary(), []string{"repair INSERT r1", "repair INSERT r2"})
	writeRepairs(t, db, "r3")
	must(t, "deliver", db.DeliverPending(bg))
	sameStrings(t, "seqs continue", second.seqs(), []string{seqString(2), seqString(3), seqString(4)})
}

func writeRepairs(t *testing.T, db *DB, ids ...string) {
	t.Helper()
	for i, id := range ids {
		must(t, "put repair", db.PutRepair(bg, storetest.Repair(id, "s1", "c1", storetest.At(time.Duration(i)*time.Minute))))
	}
}

func TestFeedRetriesWithoutSkipping(t *testing.T) {
	db, _ := openTemp(t)
	boom := errors.New("handler down")
	failing := true
	rec := newRecorder()
	rec.fail = func(c loupe.Change) error {
		if failing && c.NewRepair != nil && c.NewRepair.RepairID == "r2" {
			return boom
		}
		return nil
	}
	db.Subscribe("rec", rec.handle)
	writeRepairs(t, db, "r1", "r2", "r3")
	err := db.DeliverPending(bg)
	if !errors.Is(err, boom) {
		t.Fatalf("deliver: got %v, want the handler's error", err)
	}
	sameStrings(t, "delivered before the failure", rec.summary(), []string{"repair INSERT r1"})
	err = db.DeliverPending(bg)
	if !errors.Is(err, boom) {
		t.Fatalf("deliver again: got %v, want the handler's error", err)
	}
	sameStrings(t, "no skipping while failing", rec.summary(), []string{"repair INSERT r1"})
	rec.mu.Lock()
	failing = false
	rec.mu.Unlock()
	must(t, "deliver after recovery", db.DeliverPending(bg))
	sameStrings(t, "all in order", rec.summary(), []string{"repair INSERT r1", "repair INSERT r2", "repair INSERT r3"})
}

func TestRunFeedRetriesAndWakes(t *testing.T) {
	db, _ := openTemp(t)
	db.retryMin, db.retryMax = time.Millisecond, 4*time.Millisecond
	attempts := 0
	rec := newRecorder()
	rec.fail = func(c loupe.Change) error {
		if c.NewRepair != nil && c.NewRepair.RepairID == "r1" {
			attempts++
			if attempts <= 3 {
				return fmt.Errorf("attempt %d fails", attempts)
			}
		}
		return nil
	}
	db.Subscribe("rec", rec.handle)
	writeRepairs(t, db, "r1") // committed before the feed runs

	ctx, cancel := context.WithCancel(bg)
	done := make(chan error, 1)
	go func() { done <- db.RunFeed(ctx) }()
	wait := func(n int) {
		t.Helper()
		for range n {
			select {
			case <-rec.seen:
			case <-time.After(10 * time.Second): // a hang guard, not a timing assertion
				cancel()
				t.Fatalf("change not delivered; got %q", rec.summary())
			}
		}
	}
	wait(1)
	writeRepairs(t, db, "r2", "r3")
	wait(2)
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run feed: got %v, want nil after cancel", err)
	}
	sameStrings(t, "delivered", rec.summary(), []string{"repair INSERT r1", "repair INSERT r2", "repair INSERT r3"})
	if attempts != 4 {
		t.Errorf("attempts on r1: got %d, want 4", attempts)
	}
}

func TestFeedIndependentCursors(t *testing.T) {
	db, _ := openTemp(t)
	down := errors.New("down")
	a, b := newRecorder(), newRecorder()
	a.fail = func(loupe.Change) error { return down }
	db.Subscribe("a", a.handle)
	db.Subscribe("b", b.handle)
	writeRepairs(t, db, "r1", "r2")
	if err := db.DeliverPending(bg); !errors.Is(err, down) {
		t.Fatalf("deliver: got %v, want a's error", err)
	}
	sameStrings(t, "a while down", a.summary(), nil)
	sameStrings(t, "b while a is down", b.summary(), []string{"repair INSERT r1", "repair INSERT r2"})
	if got := storedChanges(t, db); got != 2 {
		t.Errorf("stored changes while a lags: got %d, want 2", got)
	}
	a.mu.Lock()
	a.fail = nil
	a.mu.Unlock()
	must(t, "deliver", db.DeliverPending(bg))
	sameStrings(t, "a after recovery", a.summary(), []string{"repair INSERT r1", "repair INSERT r2"})
	sameStrings(t, "b not redelivered", b.summary(), []string{"repair INSERT r1", "repair INSERT r2"})
}

func TestFeedPrunes(t *testing.T) {
	tests := []struct {
		name       string
		subs       []string
		deliverTo  int // how many of subs are registered when delivering
		wantStored int
	}{
		{"every subscriber caught up", []string{"a", "b"}, 2, 0},
		{"no subscriber yet", nil, 0, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, _ := openTemp(t)
			for _, name := range tt.subs[:tt.deliverTo] {
				db.Subscribe(name, newRecorder().handle)
			}
			writeRepairs(t, db, "r1", "r2", "r3")
			must(t, "deliver", db.DeliverPending(bg))
			if got := storedChanges(t, db); got != tt.wantStored {
				t.Errorf("stored changes: got %d, want %d", got, tt.wantStored)
			}
		})
	}
}

func TestFeedPruneWaitsForAbsentSubscriber(t *testing.T) {
	path := filepath.Join(t.TempDir(), "loupe.db")
	db, err := Open(path)
	must(t, "open", err)
	db.Subscribe("a", newRecorder().handle)
	db.Subscribe("b", newRecorder().handle)
	must(t, "deliver", db.DeliverPending(bg)) // both cursors stored
	writeRepairs(t, db, "r1", "r2")
	must(t, "close", db.Close())

	db, err = Open(path) // a process that only runs "a"
	must(t, "reopen", err)
	db.Subscribe("a", newRecorder().handle)
	must(t, "deliver to a", db.DeliverPending(bg))
	if got := storedChanges(t, db); got != 2 {
		t.Errorf("stored changes while b is away: got %d, want 2", got)
	}
	must(t, "close", db.Close())

	db, err = Open(path)
	must(t, "reopen", err)
	defer db.Close()
	b := newRecorder()
	db.Subscribe("b", b.handle)
	must(t, "deliver to b", db.DeliverPending(bg))
	sameStrings(t, "b after its absence", b.summary(), []string{"repair INSERT r1", "repair INSERT r2"})
	if got := storedChanges(t, db); got != 0 {
		t.Errorf("stored changes after b caught up: got %d, want 0", got)
	}
}
