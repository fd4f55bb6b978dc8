package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/dynamo"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/testkit/ledgertest"
	"github.com/loupehq/loupe/shared/touch"
)

func TestLedgerContract(t *testing.T) {
	ledgertest.Run(t, func(t *testing.T) touch.Ledger { return open(t).Ledger() })
}

var ledgerT0 = time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)

func ledgerEntry(cust, occ, store string) touch.Entry {
	return touch.Entry{Key: touch.Key{CustomerID: cust, Occasion: occ, Year: 2026}, StoreID: store,
		Planned: touch.Day{Year: 2026, Month: 5, Day: 1}, ClaimedAt: ledgerT0}
}

// TestLedgerRequests counts the DynamoDB requests of each ledger operation
// (the figures docs/touchpoints.md reports).
func TestLedgerRequests(t *testing.T) {
	ctx := context.Background()
	client, table := newTable(t)
	counter := dynamo.NewCounter(client)
	l := dynamo.New(counter, table).Ledger()
	a, b := ledgerEntry("c1", touch.Birthday, "s1"), ledgerEntry("c2", touch.Birthday, "s1")
	skip := ledgerEntry("c3", touch.Birthday, "s1")
	skip.State, skip.Reason = touch.StateSkipped, touch.SkipNoEmail
	steps := []struct {
		name string
		do   func() error
		want map[string]int64
	}{
		{"claim", func() error { _, err := l.Claim(ctx, a); return err }, map[string]int64{"PutItem": 1}},
		{"claim taken", func() error { _, err := l.Claim(ctx, a); return err }, map[string]int64{"PutItem": 1}},
		{"claim skipped", func() error { _, err := l.Claim(ctx, skip); return err }, map[string]int64{"PutItem": 1, "UpdateItem": 1}},
		{"lease", func() error { _, err := l.Lease(ctx, a.Key, ledgerT0, ledgerT0.Add(time.Minute)); return err }, map[string]int64{"UpdateItem": 1}},
		{"lease held", func() error { _, err := l.Lease(ctx, a.Key, ledgerT0, ledgerT0.Add(time.Minute)); return err }, map[string]int64{"UpdateItem": 1, "GetItem": 1}},
		{"release", func() error { return l.Release(ctx, a.Key, ledgerT0.Add(time.Minute)) }, map[string]int64{"UpdateItem": 1}},
		{"mark sent", func() error { return l.MarkSent(ctx, a.Key, "m1", ledgerT0) }, map[string]int64{"UpdateItem": 2, "PutItem": 1}},
		{"mark sent again", func() error { return l.MarkSent(ctx, a.Key, "m1", ledgerT0) }, map[string]int64{"UpdateItem": 1, "GetItem": 1, "PutItem": 1}},
		{"claim b", func() error { _, err := l.Claim(ctx, b); return err }, map[string]int64{"PutItem": 1}},
		{"mark skipped", func() error { return l.MarkSkipped(ctx, b.Key, touch.SkipRejected, ledgerT0) }, map[string]int64{"UpdateItem": 2}},
		{"mark skipped again", func() error { return l.MarkSkipped(ctx, b.Key, touch.SkipRejected, ledgerT0) }, map[string]int64{"UpdateItem": 1, "GetItem": 1}},
		{"last marketing", func() error { _, _, err := l.LastMarketing(ctx, "c1"); return err }, map[string]int64{"Query": 1}},
		{"pending", func() error { _, err := l.Pending(ctx); return err }, map[string]int64{"Query": 8}},
		{"counts", func() error {
			_, err := l.Counts(ctx, "s1", touch.Day{Year: 2026, Month: 4, Day: 2}, touch.Day{Year: 2026, Month: 5, Day: 1})
			return err
		}, map[string]int64{"Query": 1}},
		{"touches", func() error {
			_, err := l.Touches(ctx, "s1", touch.Day{Year: 2025, Month: 5, Day: 2}, touch.Day{Year: 2026, Month: 5, Day: 1})
			return err
		}, map[string]int64{"Query": 1}},
	}
	for _, st := range steps {
		counter.Reset()
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := counter.Counts(); !maps.Equal(got, st.want) {
			t.Errorf("%s: requests = %v, want %v", st.name, got, st.want)
		}
	}
}

// TestClaimBatchCountsSkipsOnce claims a batch with skips of two reasons and
// checks one counter ADD per store, day and reason, and the counts.
func TestClaimBatchCountsSkipsOnce(t *testing.T) {
	ctx := context.Background()
	client, table := newTable(t)
	counter := dynamo.NewCounter(client)
	l := dynamo.New(counter, table).Ledger()
	var entries []touch.Entry
	for i := range 30 {
		e := ledgerEntry(fmt.Sprintf("c%02d", i), touch.Valentines, "s1")
		switch i % 3 {
		case 1:
			e.State, e.Reason = touch.StateSkipped, touch.SkipNoEmail
		case 2:
			e.State, e.Reason = touch.StateSkipped, touch.SkipOptedOut
		}
		entries = append(entries, e)
	}
	entries = append(entries, entries[1]) // a repeated skip: won once, counted once
	won, err := l.ClaimBatch(ctx, entries)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, w := range won {
		if w {
			n++
		}
	}
	if n != 30 || won[30] {
		t.Errorf("won %d (last %v), want 30 (false)", n, won[30])
	}
	if got, want := counter.Counts(), map[string]int64{"PutItem": 30, "UpdateItem": 2}; !maps.Equal(got, want) {
		t.Errorf("requests = %v, want %v", got, want)
	}
	counts, err := l.Counts(ctx, "s1", entries[0].Planned, entries[0].Planned)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{touch.SkipNoEmail: 10, touch.SkipOptedOut: 10}
	if len(counts) != 1 || counts[0].Sent != 0 || !maps.Equal(counts[0].Skipped, want) {
		t.Errorf("counts = %+v, want skipped %v", counts, want)
	}
	pending, err := l.Pending(ctx)
	if err != nil || len(pending) != 10 {
		t.Errorf("pending = %d entries, %v; want 10", len(pending), err)
	}
}

func TestLedgerLease(t *testing.T) {
	ctx := context.Background()
	l := open(t).Ledger()
	e := ledgerEntry("c1", touch.Birthday, "s1")
	if _, err := l.Lease(ctx, e.Key, ledgerT0, ledgerT0.Add(time.Minute)); !errors.Is(err, loupe.ErrNotFound) {
		t.Errorf("lease unknown: got %v, want ErrNotFound", err)
	}
	if err := l.Release(ctx, e.Key, ledgerT0); err != nil {
		t.Errorf("release unknown: got %v, want nil", err)
	}
	if _, err := l.Claim(ctx, e); err != nil {
		t.Fatal(err)
	}
	until := ledgerT0.Add(time.Minute)
	steps := []struct {
		name string
		now  time.Time
		want bool
	}{
		{"first", ledgerT0, true},
		{"held", ledgerT0.Add(30 * time.Second), false},
		{"expired at now", until, true},
	}
	for _, st := range steps {
		got, err := l.Lease(ctx, e.Key, st.now, st.now.Add(time.Minute))
		if err != nil || got != st.want {
			t.Errorf("%s: lease = %v, %v; want %v", st.name, got, err, st.want)
		}
	}
	got, _ := l.Get(ctx, e.Key)
	if want := until.Add(time.Minute); !got.LeaseUntil.Equal(want) {
		t.Errorf("lease until = %v, want %v", got.LeaseUntil, want)
	}
	if err := l.Release(ctx, e.Key, until.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if ok, err := l.Lease(ctx, e.Key, ledgerT0, until); !ok || err != nil {
		t.Errorf("lease after release = %v, %v; want true", ok, err)
	}
	if err := l.MarkSent(ctx, e.Key, "m", ledgerT0); err != nil {
		t.Fatal(err)
	}
	if got, _ := l.Get(ctx, e.Key); !got.LeaseUntil.IsZero() {
		t.Errorf("sent entry keeps lease until %v", got.LeaseUntil)
	}
	if ok, err := l.Lease(ctx, e.Key, until.Add(time.Hour), until.Add(2*time.Hour)); ok || err != nil {
		t.Errorf("lease sent = %v, %v; want false, nil", ok, err)
	}
	if err := l.Release(ctx, e.Key, until); err != nil {
		t.Errorf("release sent: got %v, want nil", err)
	}
}
