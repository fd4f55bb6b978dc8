package touch_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/touch"
)

// memQueue is a touch.Queue that keeps what it was given.
type memQueue struct {
	entries []touch.Entry
	fail    error
}

func (q *memQueue) Enqueue(ctx context.Context, entries []touch.Entry) error {
	if q.fail != nil {
		return q.fail
	}
	q.entries = append(q.entries, entries...)
	return nil
}

// valentinesPlan plans 2026-01-31 (Valentine's window opens) for c1..cn of nyc.
func valentinesPlan(t *testing.T, n int, ledger touch.Ledger) (*touch.Planner, *fakeDB, []touch.Entry) {
	t.Helper()
	db := chainDB()
	for i := range n {
		db.put(customer(fmt.Sprintf("c%d", i+1), "nyc", loupe.Date{}, loupe.Date{}))
	}
	p := newPlanner(db, ledger, nil)
	entries, err := planStore(context.Background(), p, db.stores["nyc"], day("2026-01-31"))
	if err != nil || len(entries) != n {
		t.Fatalf("plan = %d entries, %v; want %d", len(entries), err, n)
	}
	return p, db, entries
}

func TestDeliverTwiceSendsOnce(t *testing.T) {
	for _, tt := range []struct {
		name   string
		ledger touch.Ledger
	}{
		{"leaser", &touch.MemLedger{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			p, _, entries := valentinesPlan(t, 3, tt.ledger)
			sender := &countingSender{next: &mail.Fake{}}
			res, err := p.Deliver(ctx, entries, sender)
			if err != nil || res.Sent != 3 || res.Duplicate != 0 {
				t.Fatalf("first deliver = %+v, %v; want 3 sent", res, err)
			}
			// The same queue messages again (an SQS redelivery), plus an unknown key.
			again := append(append([]touch.Entry(nil), entries...), touch.Entry{Key: touch.Key{CustomerID: "ghost", Occasion: touch.Valentines, Year: 2026}, StoreID: "nyc"})
			res, err = p.Deliver(ctx, again, sender)
			if want := (touch.Result{Duplicate: 4}); err != nil || res != want {
				t.Errorf("second deliver = %+v, %v; want %+v", res, err, want)
			}
			if got := len(sender.calls); got != 3 {
				t.Errorf("sent %d mails, want 3", got)
			}
			for _, e := range entries {
				got, _ := tt.ledger.Get(ctx, e.Key)
				if got.State != touch.StateSent || got.MessageID == "" {
					t.Errorf("%s = %+v, want sent with a message id", e.Key, got)
				}
			}
		})
	}
}

func TestDeliverRechecksEligibility(t *testing.T) {
	ctx := context.Background()
	ledger := &touch.MemLedger{}
	p, db, entries := valentinesPlan(t, 3, ledger)
	// Between plan and deliver: c1 unsubscribes, c2 is erased.
	c1, _ := db.GetCustomer(ctx, "c1")
	c1.EmailStatus = loupe.EmailUnsubscribed
	db.put(c1)
	db.mu.Lock()
	delete(db.customers, "c2")
	db.mu.Unlock()
	sender := &countingSender{next: &mail.Fake{}}
	res, err := p.Deliver(ctx, entries, sender)
	if want := (touch.Result{Sent: 1, Skipped: 2}); err != nil || res != want {
		t.Fatalf("deliver = %+v, %v; want %+v", res, err, want)
	}
	if len(sender.calls) != 1 || sender.calls[0].Key != "tp/c3/valentines/2026" {
		t.Errorf("sent %v, want only c3", sender.calls)
	}
	for _, tt := range []struct{ id, reason string }{{"c1", touch.SkipUnsubscribed}, {"c2", touch.SkipNoEmail}} {
		e, _ := ledger.Get(ctx, touch.Key{CustomerID: tt.id, Occasion: touch.Valentines, Year: 2026})
		if e.State != touch.StateSkipped || e.Reason != tt.reason {
			t.Errorf("%s = %s %q, want skipped %q", tt.id, e.State, e.Reason, tt.reason)
		}
	}
}

func TestDeliverLease(t *testing.T) {
	ctx := context.Background()
	ledger := &touch.MemLedger{}
	p, _, entries := valentinesPlan(t, 2, ledger)
	now := time.Date(2026, 1, 31, 12, 0, 0, 0, time.UTC)
	p.Now = func() time.Time { return now }
	// Another sender leased c1 a minute ago and is still sending it.
	if ok, err := ledger.Lease(ctx, entries[0].Key, now.Add(-time.Minute), now.Add(4*time.Minute)); !ok || err != nil {
		t.Fatalf("lease = %v, %v", ok, err)
	}
	sender := &countingSender{next: &mail.Fake{}}
	res, err := p.Deliver(ctx, entries, sender)
	if want := (touch.Result{Sent: 1, Duplicate: 1}); err != nil || res != want {
		t.Fatalf("deliver with a live lease = %+v, %v; want %+v", res, err, want)
	}
	if e, _ := ledger.Get(ctx, entries[0].Key); e.State != touch.StateClaimed {
		t.Errorf("leased entry = %+v, want still claimed", e)
	}
	// The other sender died: once its lease has run out the entry is taken over.
	now = now.Add(4 * time.Minute)
	res, err = p.Deliver(ctx, entries, sender)
	if want := (touch.Result{Sent: 1, Duplicate: 1}); err != nil || res != want {
		t.Fatalf("deliver after the lease ran out = %+v, %v; want %+v", res, err, want)
	}
	if got := len(sender.calls); got != 2 {
		t.Errorf("sent %d mails, want 2", got)
	}
}

func TestDeliverErrors(t *testing.T) {
	ctx := context.Background()
	ledger := &touch.MemLedger{}
	p, _, entries := valentinesPlan(t, 3, ledger)
	sender := &countingSender{next: &mail.Fake{}, fail: func(m mail.Message) error {
		switch m.Key {
		case "tp/c1/valentines/2026":
			return fmt.Errorf("ses: %w", mail.ErrRejected)
		case "tp/c2/valentines/2026":
			return fmt.Errorf("ses: %w", mail.ErrTemporary)
		}
		return nil
	}}
	res, err := p.Deliver(ctx, entries, sender)
	if want := (touch.Result{Skipped: 1}); !errors.Is(err, mail.ErrTemporary) || res != want {
		t.Fatalf("deliver = %+v, %v; want %+v and ErrTemporary", res, err, want)
	}
	c1, _ := ledger.Get(ctx, entries[0].Key)
	c2, _ := ledger.Get(ctx, entries[1].Key)
	c3, _ := ledger.Get(ctx, entries[2].Key)
	if c1.State != touch.StateSkipped || c1.Reason != touch.SkipRejected {
		t.Errorf("rejected = %+v, want skipped %s", c1, touch.SkipRejected)
	}
	if c2.State != touch.StateClaimed || !c2.LeaseUntil.IsZero() {
		t.Errorf("temporary failure = %+v, want claimed with the lease released", c2)
	}
	if c3.State != touch.StateClaimed {
		t.Errorf("after the failure = %+v, want claimed", c3)
	}
	// A retry takes the released entry at once.
	sender.fail = nil
	res, err = p.Deliver(ctx, entries, sender)
	if want := (touch.Result{Sent: 2, Duplicate: 1}); err != nil || res != want {
		t.Errorf("retry = %+v, %v; want %+v", res, err, want)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := p.Deliver(cancelled, entries, sender); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: got %v, want context.Canceled", err)
	}
}

func TestPlanStoresTodayAndRequeue(t *testing.T) {
	ctx := context.Background()
	ledger := &touch.MemLedger{}
	db := chainDB()
	for i := range 3 {
		db.put(customer(fmt.Sprintf("c%d", i+1), "nyc", loupe.Date{}, loupe.Date{}))
	}
	db.put(customer("l1", "lon", loupe.Date{}, loupe.Date{}))
	p := newPlanner(db, ledger, nil)
	p.RecoverAfter = 10 * time.Minute
	// 2026-01-31 04:00 UTC: London's day is 01-31 (Valentine's window opens),
	// New York's is still 01-30.
	now := time.Date(2026, 1, 31, 4, 0, 0, 0, time.UTC)
	p.Now = func() time.Time { return now }
	q := &memQueue{}
	res, err := p.PlanStores(ctx, q, today(p.Now()))
	if err != nil || res.Planned != 1 || len(q.entries) != 1 || q.entries[0].CustomerID != "l1" {
		t.Fatalf("plan today at 04:00 UTC = %+v, %v, queued %v; want l1 only", res, err, q.entries)
	}
	if r, err := p.Deliver(ctx, q.entries, &mail.Fake{}); err != nil || r.Sent != 1 {
		t.Fatalf("deliver l1 = %+v, %v", r, err)
	}
	now = time.Date(2026, 1, 31, 12, 0, 0, 0, time.UTC)
	q.fail = errors.New("sqs down")
	if _, err := p.PlanStores(ctx, q, today(p.Now())); err == nil {
		t.Fatal("plan today with a failing queue: want an error")
	}
	q.fail = nil
	// The nyc claims were written but never enqueued.
	if n, err := p.Requeue(ctx, q); n != 0 || err != nil {
		t.Errorf("requeue of fresh claims = %d, %v; want 0", n, err)
	}
	now = now.Add(10 * time.Minute)
	// c1 is being sent right now by a sender holding its lease.
	if ok, _ := ledger.Lease(ctx, touch.Key{CustomerID: "c1", Occasion: touch.Valentines, Year: 2026}, now, now.Add(time.Minute)); !ok {
		t.Fatal("lease c1")
	}
	q.entries = nil
	n, err := p.Requeue(ctx, q)
	if err != nil || n != 2 {
		t.Fatalf("requeue = %d, %v; want 2 (c2, c3)", n, err)
	}
	var got []string
	for _, e := range q.entries {
		got = append(got, e.CustomerID)
	}
	if want := []string{"c2", "c3"}; !reflect.DeepEqual(got, want) {
		t.Errorf("requeued %v, want %v", got, want)
	}
}

func TestEntryJSONRoundTrip(t *testing.T) {
	ledger := &touch.MemLedger{}
	_, _, entries := valentinesPlan(t, 1, ledger)
	e := entries[0]
	e.LeaseUntil = time.Date(2026, 1, 31, 12, 5, 0, 123, time.UTC)
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var back touch.Entry
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, e) {
		t.Errorf("round trip of %s = %+v, want %+v", b, back, e)
	}
}

// suppressionList is a touch.Suppression over a set of lower-cased addresses.
type suppressionList struct {
	addrs map[string]bool
	err   error
}

func (s suppressionList) Suppressed(ctx context.Context, email string) (bool, error) {
	return s.addrs[loupe.SuppressionKey(email)], s.err
}

// TestDeliverHonoursSuppressionList: an address that bounced under another
// client (or changed hands) is on the suppression list; the client's own
// email_status is still ok, and Deliver skips the mail anyway.
func TestDeliverHonoursSuppressionList(t *testing.T) {
	ctx := context.Background()
	ledger := &touch.MemLedger{}
	p, db, entries := valentinesPlan(t, 2, ledger)
	c1, _ := db.GetCustomer(ctx, "c1")
	p.Suppression = suppressionList{addrs: map[string]bool{loupe.SuppressionKey(c1.Email): true}}
	sender := &countingSender{next: &mail.Fake{}}
	res, err := p.Deliver(ctx, entries, sender)
	if want := (touch.Result{Sent: 1, Skipped: 1}); err != nil || res != want {
		t.Fatalf("deliver = %+v, %v; want %+v", res, err, want)
	}
	e, _ := ledger.Get(ctx, touch.Key{CustomerID: "c1", Occasion: touch.Valentines, Year: 2026})
	if e.State != touch.StateSkipped || e.Reason != touch.SkipSuppressed {
		t.Errorf("c1 = %s %q, want skipped %q", e.State, e.Reason, touch.SkipSuppressed)
	}

	// A failing lookup sends nothing and leaves the entry claimed for a retry.
	p2, _, entries2 := valentinesPlan(t, 1, &touch.MemLedger{})
	p2.Suppression = suppressionList{err: errors.New("table unavailable")}
	sender2 := &countingSender{next: &mail.Fake{}}
	if _, err := p2.Deliver(ctx, entries2, sender2); err == nil || len(sender2.calls) != 0 {
		t.Errorf("deliver with a failing list = %v, %d sent; want an error and none", err, len(sender2.calls))
	}
}
