// Package compliancetest is the contract suite for compliance.Store: every
// adapter (MemStore, embedded, dynamo) runs Run against a fresh, empty store.
package compliancetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/compliance"
	"github.com/loupehq/loupe/shared/loupe"
)

// Run runs the contract suite. newStore returns an empty store for each subtest.
func Run(t *testing.T, newStore func(t *testing.T) compliance.Store) {
	ctx := context.Background()
	at := time.Date(2026, 11, 3, 15, 4, 5, 0, time.UTC)
	take := func(rid, store, assoc, day string, captured bool) compliance.TakeIn {
		ti := compliance.TakeIn{RepairID: rid, StoreID: store, AssociateID: assoc, CustomerID: "c-" + rid,
			Day: day, TakenInAt: at, Captured: captured}
		if !captured {
			ti.Reason, ti.Suggestion = "typo", "ann@gmail.com"
		}
		return ti
	}
	record := func(t *testing.T, s compliance.Store, ts ...compliance.TakeIn) {
		t.Helper()
		for _, ti := range ts {
			if err := s.Record(ctx, ti); err != nil {
				t.Fatalf("Record(%s): %v", ti.RepairID, err)
			}
		}
	}

	t.Run("counts per associate and day", func(t *testing.T) {
		s := newStore(t)
		record(t, s,
			take("r1", "s1", "a1", "2026-11-03", true),
			take("r2", "s1", "a1", "2026-11-03", false),
			take("r3", "s1", "a2", "2026-11-03", true),
			take("r4", "s1", "a1", "2026-11-04", true),
			take("r5", "s2", "a9", "2026-11-03", false))
		days, err := s.Days(ctx, "2026-11-03", "2026-11-04", "s1")
		if err != nil {
			t.Fatal(err)
		}
		got := summarize(days)
		want := "s1 2026-11-03 a1=2/1 a2=1/1 missing=[r2]; s1 2026-11-04 a1=1/1 missing=[]; "
		if got != want {
			t.Fatalf("Days(s1) = %q, want %q", got, want)
		}
		days, err = s.Days(ctx, "2026-11-01", "2026-11-30", "")
		if err != nil {
			t.Fatal(err)
		}
		want = "s1 2026-11-03 a1=2/1 a2=1/1 missing=[r2]; s1 2026-11-04 a1=1/1 missing=[]; s2 2026-11-03 a9=1/0 missing=[r5]; "
		if got := summarize(days); got != want {
			t.Fatalf("Days(all) = %q, want %q", got, want)
		}
	})

	t.Run("window is inclusive and bounded", func(t *testing.T) {
		s := newStore(t)
		record(t, s,
			take("r1", "s1", "a1", "2026-11-02", true),
			take("r2", "s1", "a1", "2026-11-03", true),
			take("r3", "s1", "a1", "2026-11-05", true),
			take("r4", "s1", "a1", "2026-11-06", true))
		days, err := s.Days(ctx, "2026-11-03", "2026-11-05", "")
		if err != nil {
			t.Fatal(err)
		}
		want := "s1 2026-11-03 a1=1/1 missing=[]; s1 2026-11-05 a1=1/1 missing=[]; "
		if got := summarize(days); got != want {
			t.Fatalf("Days = %q, want %q", got, want)
		}
		days, err = s.Days(ctx, "2026-11-03", "2026-11-05", "unknown")
		if err != nil || len(days) != 0 {
			t.Fatalf("Days(unknown store) = %v, %v; want none", days, err)
		}
	})

	t.Run("recording again changes nothing", func(t *testing.T) {
		s := newStore(t)
		a, b := take("r1", "s1", "a1", "2026-11-03", true), take("r2", "s1", "a1", "2026-11-03", false)
		record(t, s, a, b, a, b, b)
		days, err := s.Days(ctx, "2026-11-03", "2026-11-03", "s1")
		if err != nil {
			t.Fatal(err)
		}
		want := "s1 2026-11-03 a1=2/1 missing=[r2]; "
		if got := summarize(days); got != want {
			t.Fatalf("after replay Days = %q, want %q", got, want)
		}
	})

	t.Run("missing entry keeps its fields", func(t *testing.T) {
		s := newStore(t)
		in := take("r7", "s1", "a3", "2026-11-03", false)
		record(t, s, in)
		days, err := s.Days(ctx, "2026-11-03", "2026-11-03", "s1")
		if err != nil {
			t.Fatal(err)
		}
		if len(days) != 1 || len(days[0].Missing) != 1 {
			t.Fatalf("Days = %+v, want one day with one missing", days)
		}
		got := days[0].Missing[0]
		want := compliance.Missing{RepairID: "r7", AssociateID: "a3", CustomerID: "c-r7", TakenInAt: at, Reason: "typo", Suggestion: "ann@gmail.com"}
		if !got.TakenInAt.Equal(want.TakenInAt) {
			t.Fatalf("taken_in_at = %v, want %v", got.TakenInAt, want.TakenInAt)
		}
		got.TakenInAt = want.TakenInAt
		if got != want {
			t.Fatalf("missing = %+v, want %+v", got, want)
		}
	})

	t.Run("missing list is capped but counted", func(t *testing.T) {
		s := newStore(t)
		n := compliance.MaxMissingPerDay + 5
		for i := range n {
			record(t, s, take(fmt.Sprintf("r%03d", i), "s1", "a1", "2026-11-03", false))
		}
		record(t, s, take("r000", "s1", "a1", "2026-11-03", false)) // a listed one again
		days, err := s.Days(ctx, "2026-11-03", "2026-11-03", "s1")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := days[0].Associates["a1"], (compliance.Count{TakeIns: n}); got != want {
			t.Fatalf("count = %+v, want %+v", got, want)
		}
		if got, want := len(days[0].Missing), compliance.MaxMissingPerDay; got != want {
			t.Fatalf("listed missing = %d, want %d", got, want)
		}
	})

	t.Run("concurrent records all count", func(t *testing.T) {
		s := newStore(t)
		var wg sync.WaitGroup
		errs := make(chan error, 40)
		for i := range 40 {
			wg.Go(func() {
				ti := take(fmt.Sprintf("r%02d", i), "s1", fmt.Sprintf("a%d", i%4), "2026-11-03", i%2 == 0)
				if err := s.Record(ctx, ti); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		days, err := s.Days(ctx, "2026-11-03", "2026-11-03", "s1")
		if err != nil {
			t.Fatal(err)
		}
		want := "s1 2026-11-03 a0=10/10 a1=10/0 a2=10/10 a3=10/0 missing=[r01 r03 r05 r07 r09 r11 r13 r15 r17 r19 r21 r23 r25 r27 r29 r31 r33 r35 r37 r39]; "
		if got := summarize(days); got != want {
			t.Fatalf("Days = %q, want %q", got, want)
		}
	})

	t.Run("scrub erases customer and suggestion but keeps counts", func(t *testing.T) {
		s := newStore(t)
		record(t, s, take("r1", "s1", "a1", "2026-11-03", false), take("r2", "s1", "a1", "2026-11-03", false))
		for _, k := range [][3]string{{"s1", "2026-11-03", "r1"}, {"s1", "2026-11-03", "r404"}, {"s1", "2026-11-09", "r1"}, {"s404", "2026-11-03", "r1"}} {
			if err := s.Scrub(ctx, k[0], k[1], k[2]); err != nil {
				t.Fatalf("Scrub(%v): %v", k, err)
			}
		}
		if err := s.Scrub(ctx, "s1", "2026-11-03", "r1"); err != nil {
			t.Fatalf("Scrub again: %v", err)
		}
		days, err := s.Days(ctx, "2026-11-03", "2026-11-03", "s1")
		if err != nil {
			t.Fatal(err)
		}
		if want := "s1 2026-11-03 a1=2/0 missing=[r1 r2]; "; summarize(days) != want {
			t.Fatalf("Days = %q, want %q", summarize(days), want)
		}
		for _, m := range days[0].Missing {
			wantCustomer, wantSuggestion := "c-"+m.RepairID, "ann@gmail.com"
			if m.RepairID == "r1" {
				wantCustomer, wantSuggestion = "", ""
			}
			if m.CustomerID != wantCustomer || m.Suggestion != wantSuggestion || m.Reason != "typo" || m.AssociateID != "a1" {
				t.Errorf("missing %s = %+v, want customer %q suggestion %q", m.RepairID, m, wantCustomer, wantSuggestion)
			}
		}
	})

	t.Run("report days list only each store's newest missing", func(t *testing.T) {
		s := newStore(t)
		// s1: 3 missing on the 3rd, 2 on the 4th, 2 on the 5th; s2: 1 on the 3rd.
		for i, day := range []string{"2026-11-03", "2026-11-03", "2026-11-03", "2026-11-04", "2026-11-04", "2026-11-05", "2026-11-05"} {
			record(t, s, take(fmt.Sprintf("r%d", i), "s1", "a1", day, false), take(fmt.Sprintf("ok%d", i), "s1", "a2", day, true))
		}
		record(t, s, take("x1", "s2", "a9", "2026-11-03", false))
		tests := []struct {
			name, store string
			perStore    int
			want        string
		}{
			{"three: the newest two days", "", 3,
				"s1 2026-11-03 a1=3/0 a2=3/3 missing=[]; s1 2026-11-04 a1=2/0 a2=2/2 missing=[r3 r4]; s1 2026-11-05 a1=2/0 a2=2/2 missing=[r5 r6]; s2 2026-11-03 a9=1/0 missing=[x1]; "},
			{"two: the newest day", "s1", 2,
				"s1 2026-11-03 a1=3/0 a2=3/3 missing=[]; s1 2026-11-04 a1=2/0 a2=2/2 missing=[]; s1 2026-11-05 a1=2/0 a2=2/2 missing=[r5 r6]; "},
			{"more than there are: all", "", 100,
				"s1 2026-11-03 a1=3/0 a2=3/3 missing=[r0 r1 r2]; s1 2026-11-04 a1=2/0 a2=2/2 missing=[r3 r4]; s1 2026-11-05 a1=2/0 a2=2/2 missing=[r5 r6]; s2 2026-11-03 a9=1/0 missing=[x1]; "},
			{"zero: counts only", "", 0,
				"s1 2026-11-03 a1=3/0 a2=3/3 missing=[]; s1 2026-11-04 a1=2/0 a2=2/2 missing=[]; s1 2026-11-05 a1=2/0 a2=2/2 missing=[]; s2 2026-11-03 a9=1/0 missing=[]; "},
		}
		for _, tt := range tests {
			days, err := s.ReportDays(ctx, "2026-11-01", "2026-11-30", tt.store, tt.perStore)
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			if got := summarize(days); got != tt.want {
				t.Errorf("%s: ReportDays = %q, want %q", tt.name, got, tt.want)
			}
		}
	})

	t.Run("invalid take-in is rejected", func(t *testing.T) {
		s := newStore(t)
		for _, ti := range []compliance.TakeIn{
			{StoreID: "s1", AssociateID: "a1", Day: "2026-11-03"},
			{RepairID: "r1", AssociateID: "a1", Day: "2026-11-03"},
			{RepairID: "r1", StoreID: "s1", Day: "2026-11-03"},
			{RepairID: "r1", StoreID: "s1", AssociateID: "a1", Day: "3 Nov"},
		} {
			err := s.Record(ctx, ti)
			var le *loupe.Error
			if !errors.As(err, &le) || le.Code != loupe.EINVALID {
				t.Errorf("Record(%+v) = %v, want EINVALID", ti, err)
			}
		}
	})
}

// summarize renders days as "store date assoc=take_ins/with_email ... missing=[ids]; ".
func summarize(days []compliance.Day) string {
	var out string
	for _, d := range days {
		out += d.StoreID + " " + d.Date
		for _, a := range sortedKeys(d.Associates) {
			c := d.Associates[a]
			out += fmt.Sprintf(" %s=%d/%d", a, c.TakeIns, c.WithEmail)
		}
		ids := make([]string, 0, len(d.Missing))
		for _, m := range d.Missing {
			ids = append(ids, m.RepairID)
		}
		sortStrings(ids)
		out += fmt.Sprintf(" missing=%v; ", ids)
	}
	return out
}
