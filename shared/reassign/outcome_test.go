package reassign_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/reassign"
)

// countingBatches counts saves the way functions/staff-stream inferred the
// outcome before reassign reported it: assignments saved moved, and batches
// saved done with the review not yet mailed. Outcomes must agree with it.
type countingBatches struct {
	reassign.Store
	moved int
	done  map[string]bool
}

func (c *countingBatches) SaveReassignmentAssignment(ctx context.Context, id string, a reassign.Assignment) error {
	if err := c.Store.SaveReassignmentAssignment(ctx, id, a); err != nil {
		return err
	}
	if a.State == reassign.StateMoved {
		c.moved++
	}
	return nil
}

func (c *countingBatches) SaveReassignment(ctx context.Context, b reassign.Batch) error {
	if err := c.Store.SaveReassignment(ctx, b); err != nil {
		return err
	}
	if b.Status == reassign.StatusDone && !b.Mailed {
		c.done[b.ID] = true
	}
	return nil
}

// counted routes f's batch writes through a fresh counter and returns it.
func (f *fixture) counted() *countingBatches {
	c := &countingBatches{Store: f.db, done: map[string]bool{}}
	f.svc.Batches = c
	return c
}

// agree fails unless got is what c counted.
func agree(t *testing.T, got reassign.Outcome, c *countingBatches) {
	t.Helper()
	if got.Moved != c.moved || len(got.Batches) != len(c.done) {
		t.Errorf("outcome %+v, the counting store saw %d moved and batches %v", got, c.moved, c.done)
	}
	for _, id := range got.Batches {
		if !c.done[id] {
			t.Errorf("outcome batch %s not counted by the store (%v)", id, c.done)
		}
	}
}

func TestOutcomeAdd(t *testing.T) {
	o := reassign.Outcome{Moved: 2, Batches: []string{"b1"}}
	o.Add(reassign.Outcome{Moved: 3, Batches: []string{"b1", "b2"}})
	o.Add(reassign.Outcome{})
	if got, want := fmt.Sprintf("%d %v", o.Moved, o.Batches), "5 [b1 b2]"; got != want {
		t.Fatalf("outcome = %s, want %s", got, want)
	}
}

func TestApplyChangeOutcome(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 25)
	ch := f.terminate(t)
	c := f.counted()
	got, err := f.svc.ApplyChange(ctx, ch)
	must(t, err)
	agree(t, got, c)
	if got.Moved != 25 || fmt.Sprint(got.Batches) != "[a1-20261121T093000Z]" {
		t.Fatalf("first delivery = %+v, want 25 moved and batch a1-20261121T093000Z", got)
	}
	// The same change again, and the associate terminated again (no-op write).
	for i := range 2 {
		c := f.counted()
		got, err := f.svc.ApplyChange(ctx, ch)
		must(t, err)
		agree(t, got, c)
		if got.Moved != 0 || len(got.Batches) != 0 {
			t.Fatalf("replay %d = %+v, want 0 moved and no batches", i, got)
		}
		must(t, loupe.TerminateAssociate(ctx, f.db, "a1", termAt, termAt))
	}
}

func TestApplyChangeOutcomeIgnored(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 5)
	a, _ := f.db.GetAssociate(ctx, "a1")
	term := a
	term.Status = loupe.StatusTerminated
	tests := []struct {
		name string
		c    loupe.Change
	}{
		{"repair insert", loupe.Change{Entity: loupe.EntityRepair, Op: loupe.OpInsert, NewRepair: &loupe.Repair{RepairID: "r1"}}},
		{"terminated to terminated", loupe.Change{Entity: loupe.EntityAssociate, Op: loupe.OpModify, OldAssociate: &term, NewAssociate: &term}},
		{"reactivated before delivery", loupe.Change{Entity: loupe.EntityAssociate, Op: loupe.OpModify, OldAssociate: &a, NewAssociate: &term}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.svc.ApplyChange(ctx, tt.c)
			if err != nil || got.Moved != 0 || len(got.Batches) != 0 {
				t.Fatalf("ApplyChange = %+v, %v; want zero outcome, nil", got, err)
			}
		})
	}
}

// An interrupted delivery reports the moves it recorded and no batch; the
// redelivery reports the rest and the batch, so the two add up to the book.
func TestApplyChangeOutcomeInterrupted(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 30)
	boom := errors.New("lambda timed out")
	f.hook.before = func(n int, id string) error {
		if n == 12 {
			return boom
		}
		return nil
	}
	ch := f.terminate(t)
	c := f.counted()
	first, err := f.svc.ApplyChange(ctx, ch)
	if !errors.Is(err, boom) {
		t.Fatalf("first delivery = %v, want the move error", err)
	}
	agree(t, first, c)
	if first.Moved != 11 || len(first.Batches) != 0 {
		t.Fatalf("first delivery = %+v, want 11 moved and no batch", first)
	}
	f.hook.before = nil
	c = f.counted()
	second, err := f.svc.ApplyChange(ctx, ch)
	must(t, err)
	agree(t, second, c)
	if second.Moved != 19 || fmt.Sprint(second.Batches) != "[a1-20261121T093000Z]" {
		t.Fatalf("redelivery = %+v, want 19 moved and batch a1-20261121T093000Z", second)
	}
}

func TestReassignOrphansOutcome(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 6)
	for _, c := range []loupe.Customer{
		{CustomerID: "x1", HomeStoreID: "s1", AssociateID: "gone", Preferences: []string{"watches"}, UpdatedAt: t0},
		{CustomerID: "x2", HomeStoreID: "s2", AssociateID: "ghost", UpdatedAt: t0},
		{CustomerID: "x3", HomeStoreID: "s2", UpdatedAt: t0},
	} {
		must(t, loupe.PutCustomer(ctx, f.db, c))
	}
	c := f.counted()
	got, err := f.svc.ReassignOrphansOutcome(ctx)
	must(t, err)
	agree(t, got, c)
	if want := "3 [orphans-s1-2026-11-21 orphans-s2-2026-11-21]"; fmt.Sprintf("%d %v", got.Moved, got.Batches) != want {
		t.Fatalf("backfill = %d %v, want %s", got.Moved, got.Batches, want)
	}
	c = f.counted()
	got, err = f.svc.ReassignOrphansOutcome(ctx)
	agree(t, got, c)
	if err != nil || got.Moved != 0 || len(got.Batches) != 0 {
		t.Fatalf("second backfill = %+v, %v; want nothing", got, err)
	}
}

// A backfill first completes the batch an interrupted termination left
// pending, and counts it with the moves it made.
func TestReassignOrphansOutcomeResumes(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 10)
	boom := errors.New("lambda timed out")
	f.hook.before = func(n int, id string) error {
		if n == 4 {
			return boom
		}
		return nil
	}
	if _, err := f.svc.ApplyChange(ctx, f.terminate(t)); !errors.Is(err, boom) {
		t.Fatalf("delivery = %v, want the move error", err)
	}
	f.hook.before = nil
	c := f.counted()
	got, err := f.svc.ReassignOrphansOutcome(ctx)
	must(t, err)
	agree(t, got, c)
	if got.Moved != 7 || fmt.Sprint(got.Batches) != "[a1-20261121T093000Z]" {
		t.Fatalf("backfill = %+v, want 7 moved and batch a1-20261121T093000Z", got)
	}
}
