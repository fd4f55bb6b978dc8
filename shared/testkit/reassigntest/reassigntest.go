// Package reassigntest is the contract suite of reassign.Store: every adapter
// (embedded, dynamo) runs Run against a fresh store.
package reassigntest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/reassign"
)

// Run runs the contract against stores made by open, a fresh empty store per
// subtest.
func Run(t *testing.T, open func(t *testing.T) reassign.Store) {
	ctx := context.Background()
	t0 := time.Date(2026, 11, 21, 15, 4, 5, 123456789, time.UTC)
	batch := func(id string, at time.Time) reassign.Batch {
		return reassign.Batch{ID: id, AssociateID: "a1", StoreID: "s1", CreatedAt: at,
			Status: reassign.StatusPlanning, Source: reassign.SourceTermination}
	}
	asg := func(cid, to string) reassign.Assignment {
		return reassign.Assignment{CustomerID: cid, CustomerName: "Name " + cid, HomeStoreID: "s1",
			FromAssociateID: "a1", ToAssociateID: to, ToAssociateName: "Assoc " + to, Score: 0.875,
			Reasons: []string{"preference:bridal", "same_store"}, State: reassign.StatePlanned}
	}

	t.Run("create get and exists", func(t *testing.T) {
		st := open(t)
		b := batch("a1-20261121T150405Z", t0)
		if err := st.CreateReassignment(ctx, b); err != nil {
			t.Fatal(err)
		}
		got, err := st.GetReassignment(ctx, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.CreatedAt.Equal(t0) || got.ID != b.ID || got.Status != b.Status || got.StoreID != "s1" || got.Source != b.Source {
			t.Fatalf("got %+v, want %+v", got, b)
		}
		again := b
		again.Status = reassign.StatusDone
		if err := st.CreateReassignment(ctx, again); !errors.Is(err, loupe.ErrExists) {
			t.Fatalf("second create = %v, want ErrExists", err)
		}
		got, _ = st.GetReassignment(ctx, b.ID)
		if got.Status != reassign.StatusPlanning {
			t.Fatalf("status after rejected create = %q, want planning", got.Status)
		}
	})

	t.Run("missing", func(t *testing.T) {
		st := open(t)
		if _, err := st.GetReassignment(ctx, "nope"); !errors.Is(err, loupe.ErrNotFound) {
			t.Fatalf("get = %v, want ErrNotFound", err)
		}
		if err := st.SaveReassignment(ctx, batch("nope", t0)); !errors.Is(err, loupe.ErrNotFound) {
			t.Fatalf("save = %v, want ErrNotFound", err)
		}
		if err := st.PutReassignmentAssignments(ctx, "nope", []reassign.Assignment{asg("c1", "a2")}); !errors.Is(err, loupe.ErrNotFound) {
			t.Fatalf("put assignments = %v, want ErrNotFound", err)
		}
		if err := st.SaveReassignmentAssignment(ctx, "nope", asg("c1", "a2")); !errors.Is(err, loupe.ErrNotFound) {
			t.Fatalf("save assignment = %v, want ErrNotFound", err)
		}
		as, err := st.ReassignmentAssignments(ctx, "nope")
		if err != nil || len(as) != 0 {
			t.Fatalf("assignments = %v, %v; want none", as, err)
		}
		bs, err := st.ListReassignments(ctx)
		if err != nil || len(bs) != 0 {
			t.Fatalf("list = %v, %v; want none", bs, err)
		}
	})

	t.Run("save keeps created_at", func(t *testing.T) {
		st := open(t)
		b := batch("b1", t0)
		if err := st.CreateReassignment(ctx, b); err != nil {
			t.Fatal(err)
		}
		b.Status, b.Clients, b.Mailed, b.CreatedAt = reassign.StatusDone, 3, true, t0.Add(time.Hour)
		if err := st.SaveReassignment(ctx, b); err != nil {
			t.Fatal(err)
		}
		got, err := st.GetReassignment(ctx, "b1")
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != reassign.StatusDone || got.Clients != 3 || !got.Mailed || !got.CreatedAt.Equal(t0) {
			t.Fatalf("got %+v, want done, 3 clients, mailed, created %v", got, t0)
		}
	})

	t.Run("list newest first", func(t *testing.T) {
		st := open(t)
		for i, id := range []string{"old", "new", "mid-a", "mid-b"} {
			at := []time.Time{t0, t0.Add(2 * time.Hour), t0.Add(time.Hour), t0.Add(time.Hour)}[i]
			if err := st.CreateReassignment(ctx, batch(id, at)); err != nil {
				t.Fatal(err)
			}
		}
		bs, err := st.ListReassignments(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, b := range bs {
			got = append(got, b.ID)
		}
		if want := "[new mid-b mid-a old]"; fmt.Sprint(got) != want {
			t.Fatalf("order = %v, want %s", got, want)
		}
	})

	t.Run("assignments", func(t *testing.T) {
		st := open(t)
		for _, id := range []string{"b1", "b10"} {
			if err := st.CreateReassignment(ctx, batch(id, t0)); err != nil {
				t.Fatal(err)
			}
		}
		plan := []reassign.Assignment{asg("c3", "a2"), asg("c1", "a3"), asg("c2", ""), asg("c10", "a2")}
		plan[2].State, plan[2].Reasons = reassign.StateUnassigned, []string{"no_capacity"}
		if err := st.PutReassignmentAssignments(ctx, "b1", plan); err != nil {
			t.Fatal(err)
		}
		if err := st.PutReassignmentAssignments(ctx, "b10", []reassign.Assignment{asg("c9", "a2")}); err != nil {
			t.Fatal(err)
		}
		as, err := st.ReassignmentAssignments(ctx, "b1")
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, a := range as {
			ids = append(ids, a.CustomerID)
		}
		if want := "[c1 c10 c2 c3]"; fmt.Sprint(ids) != want {
			t.Fatalf("ids = %v, want %s (only batch b1, by customer id)", ids, want)
		}
		c1 := as[0]
		if c1.CustomerName != "Name c1" || c1.ToAssociateID != "a3" || c1.ToAssociateName != "Assoc a3" || c1.Score != 0.875 ||
			fmt.Sprint(c1.Reasons) != "[preference:bridal same_store]" || c1.FromAssociateID != "a1" || c1.HomeStoreID != "s1" || c1.Claimed {
			t.Fatalf("c1 = %+v", c1)
		}
		if as[2].ToAssociateID != "" || as[2].State != reassign.StateUnassigned {
			t.Fatalf("c2 = %+v, want unassigned", as[2])
		}

		if one, err := st.ReassignmentAssignment(ctx, "b1", "c1"); err != nil || fmt.Sprint(one) != fmt.Sprint(c1) {
			t.Fatalf("ReassignmentAssignment(b1, c1) = %+v, %v; want %+v", one, err, c1)
		}
		for _, k := range [][2]string{{"b1", "c9"}, {"b10", "c1"}, {"nope", "c1"}, {"b1", "c"}} {
			if _, err := st.ReassignmentAssignment(ctx, k[0], k[1]); !errors.Is(err, loupe.ErrNotFound) {
				t.Fatalf("ReassignmentAssignment(%s, %s) = %v, want ErrNotFound", k[0], k[1], err)
			}
		}

		c1.State, c1.Claimed, c1.ClaimedBy, c1.ClaimedByName, c1.ClaimedAt = reassign.StateMoved, true, "a9", "Zoe", t0
		if err := st.SaveReassignmentAssignment(ctx, "b1", c1); err != nil {
			t.Fatal(err)
		}
		if err := st.SaveReassignmentAssignment(ctx, "b1", asg("c77", "a2")); !errors.Is(err, loupe.ErrNotFound) {
			t.Fatalf("save unknown assignment = %v, want ErrNotFound", err)
		}
		as, _ = st.ReassignmentAssignments(ctx, "b1")
		if len(as) != 4 {
			t.Fatalf("len = %d, want 4", len(as))
		}
		if g := as[0]; !g.Claimed || g.ClaimedBy != "a9" || g.ClaimedByName != "Zoe" || !g.ClaimedAt.Equal(t0) || g.State != reassign.StateMoved {
			t.Fatalf("after save = %+v", g)
		}

		// An erased assignment stays erased whatever a later save carries.
		erased := as[1]
		erased.CustomerName, erased.Reasons = reassign.ErasedName, nil
		if err := st.SaveReassignmentAssignment(ctx, "b1", erased); err != nil {
			t.Fatal(err)
		}
		late := as[1]
		late.Claimed, late.ClaimedBy = true, "a9"
		if err := st.SaveReassignmentAssignment(ctx, "b1", late); err != nil {
			t.Fatal(err)
		}
		if g, err := st.ReassignmentAssignment(ctx, "b1", late.CustomerID); err != nil || g.CustomerName != reassign.ErasedName || len(g.Reasons) != 0 || !g.Claimed || g.ClaimedBy != "a9" {
			t.Fatalf("save over an erased assignment = %+v, %v; want erased name and no reasons, claim kept", g, err)
		}

		// Overwrite with a new plan: same customers are replaced, not duplicated.
		if err := st.PutReassignmentAssignments(ctx, "b1", []reassign.Assignment{asg("c1", "a4")}); err != nil {
			t.Fatal(err)
		}
		as, _ = st.ReassignmentAssignments(ctx, "b1")
		if len(as) != 4 || as[0].ToAssociateID != "a4" || as[0].Claimed {
			t.Fatalf("after overwrite = %d items, c1 %+v", len(as), as[0])
		}
	})

	t.Run("many assignments", func(t *testing.T) {
		st := open(t)
		if err := st.CreateReassignment(ctx, batch("big", t0)); err != nil {
			t.Fatal(err)
		}
		var plan []reassign.Assignment
		for i := range 130 {
			plan = append(plan, asg(fmt.Sprintf("c%04d", i), "a2"))
		}
		if err := st.PutReassignmentAssignments(ctx, "big", plan); err != nil {
			t.Fatal(err)
		}
		as, err := st.ReassignmentAssignments(ctx, "big")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(as), 130; got != want {
			t.Fatalf("got %d assignments, want %d", got, want)
		}
	})
}
