package compliancetest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/compliance"
	"github.com/loupehq/loupe/shared/loupe"
)

// RunInspections runs the contract suite of compliance.InspectionStore.
// newStore returns an empty store for each subtest.
func RunInspections(t *testing.T, newStore func(t *testing.T) compliance.InspectionStore) {
	ctx := context.Background()
	at := time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)

	t.Run("set, get, list, replace, delete", func(t *testing.T) {
		s := newStore(t)
		if _, err := s.Inspection(ctx, "s1"); !errors.Is(err, loupe.ErrNotFound) {
			t.Fatalf("Inspection(none) = %v, want ErrNotFound", err)
		}
		if got, err := s.Inspections(ctx); err != nil || len(got) != 0 {
			t.Fatalf("Inspections(empty) = %v, %v; want none", got, err)
		}
		in1 := compliance.Inspection{StoreID: "s2", From: "2026-11-20", To: "2026-12-03", UpdatedAt: at}
		in2 := compliance.Inspection{StoreID: "s1", From: "2026-11-01", To: "2026-11-14", UpdatedAt: at}
		for _, in := range []compliance.Inspection{in1, in2, in1} {
			if err := s.SetInspection(ctx, in); err != nil {
				t.Fatalf("SetInspection(%s): %v", in.StoreID, err)
			}
		}
		got, err := s.Inspection(ctx, "s2")
		if err != nil || !same(got, in1) {
			t.Fatalf("Inspection(s2) = %+v, %v; want %+v", got, err, in1)
		}
		list, err := s.Inspections(ctx)
		if err != nil || len(list) != 2 || !same(list[0], in2) || !same(list[1], in1) {
			t.Fatalf("Inspections = %+v, %v; want [s1 s2]", list, err)
		}
		in3 := compliance.Inspection{StoreID: "s2", From: "2026-11-21", To: "2026-11-22", UpdatedAt: at.Add(time.Hour)}
		if err := s.SetInspection(ctx, in3); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Inspection(ctx, "s2"); err != nil || !same(got, in3) {
			t.Fatalf("after replace Inspection(s2) = %+v, %v; want %+v", got, err, in3)
		}
		for range 2 {
			if err := s.DeleteInspection(ctx, "s2"); err != nil {
				t.Fatalf("DeleteInspection: %v", err)
			}
		}
		if _, err := s.Inspection(ctx, "s2"); !errors.Is(err, loupe.ErrNotFound) {
			t.Fatalf("Inspection(deleted) = %v, want ErrNotFound", err)
		}
		if list, err := s.Inspections(ctx); err != nil || len(list) != 1 || list[0].StoreID != "s1" {
			t.Fatalf("Inspections after delete = %+v, %v; want [s1]", list, err)
		}
	})

	t.Run("a morning is claimed once until released", func(t *testing.T) {
		s := newStore(t)
		steps := []struct {
			name, store, day string
			release          bool
			want             bool
		}{
			{"first claim", "s1", "2026-11-19", false, true},
			{"second claim", "s1", "2026-11-19", false, false},
			{"other day", "s1", "2026-11-20", false, true},
			{"other store", "s2", "2026-11-19", false, true},
			{"after release", "s1", "2026-11-19", true, true},
			{"again after release", "s1", "2026-11-19", false, false},
		}
		for _, st := range steps {
			if st.release {
				if err := s.ReleaseMorning(ctx, st.store, st.day); err != nil {
					t.Fatalf("%s: release: %v", st.name, err)
				}
			}
			got, err := s.ClaimMorning(ctx, st.store, st.day, at)
			if err != nil || got != st.want {
				t.Errorf("%s: ClaimMorning = %v, %v; want %v", st.name, got, err, st.want)
			}
		}
		if err := s.ReleaseMorning(ctx, "s9", "2026-11-19"); err != nil {
			t.Errorf("release of nothing: %v", err)
		}
	})

	t.Run("concurrent claims: exactly one wins", func(t *testing.T) {
		s := newStore(t)
		var wins atomic.Int32
		var wg sync.WaitGroup
		errs := make(chan error, 10)
		for range 10 {
			wg.Go(func() {
				ok, err := s.ClaimMorning(ctx, "s1", "2026-11-19", at)
				if err != nil {
					errs <- err
				}
				if ok {
					wins.Add(1)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if got := wins.Load(); got != 1 {
			t.Fatalf("winners = %d, want 1", got)
		}
	})

	t.Run("deleting the window keeps the ledger", func(t *testing.T) {
		s := newStore(t)
		in := compliance.Inspection{StoreID: "s1", From: "2026-11-19", To: "2026-11-30", UpdatedAt: at}
		if err := s.SetInspection(ctx, in); err != nil {
			t.Fatal(err)
		}
		if ok, err := s.ClaimMorning(ctx, "s1", "2026-11-19", at); err != nil || !ok {
			t.Fatalf("claim = %v, %v", ok, err)
		}
		if err := s.DeleteInspection(ctx, "s1"); err != nil {
			t.Fatal(err)
		}
		if err := s.SetInspection(ctx, in); err != nil {
			t.Fatal(err)
		}
		if ok, err := s.ClaimMorning(ctx, "s1", "2026-11-19", at); err != nil || ok {
			t.Fatalf("claim after restart = %v, %v; want false", ok, err)
		}
	})
}

// same compares inspections, times by instant.
func same(a, b compliance.Inspection) bool {
	return a.StoreID == b.StoreID && a.From == b.From && a.To == b.To && a.UpdatedAt.Equal(b.UpdatedAt)
}
