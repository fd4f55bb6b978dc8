package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
)

var repairCases = []testCase{
	{"RoundTrip", func(t *testing.T, db loupe.DB) {
		full := Repair("r1", "s1", "c1", T0)
		noEmail := Repair("r2", "s1", "c2", T0)
		noEmail.CustomerEmail, noEmail.Item = "", ""
		malformed := Repair("r3", "s1", "c3", T0)
		malformed.CustomerEmail = "not an email"
		for _, r := range []loupe.Repair{full, noEmail, malformed} {
			must(t, "put repair", db.PutRepair(ctx, r))
			got, err := db.GetRepair(ctx, r.RepairID)
			must(t, "get repair", err)
			sameEntity(t, "repair "+r.RepairID, got, r, normRepair)
		}
	}},
	{"GetNotFound", func(t *testing.T, db loupe.DB) {
		_, err := db.GetRepair(ctx, "nope")
		wantErr(t, "get unknown repair", err, loupe.ErrNotFound)
	}},
	{"ReinsertIsErrExists", func(t *testing.T, db loupe.DB) {
		r := Repair("r1", "s1", "c1", T0)
		must(t, "put repair", db.PutRepair(ctx, r))
		again := r
		again.Item = "watch battery"
		again.StoreID = "s2"
		wantErr(t, "put repair again", db.PutRepair(ctx, again), loupe.ErrExists)
		got, err := db.GetRepair(ctx, "r1")
		must(t, "get repair", err)
		sameEntity(t, "repair after re-insert", got, r, normRepair)
		list, err := db.RepairsByStoreDay(ctx, "s2", r.LocalDay)
		must(t, "repairs of s2", err)
		sameIDs(t, "repairs of s2 after re-insert", repairIDs(list), nil)
	}},
	{"ByStoreDay", func(t *testing.T, db loupe.DB) {
		day := time.Date(2026, time.November, 20, 10, 0, 0, 0, time.UTC)
		late := Repair("r0", "s1", "c1", time.Date(2026, time.November, 21, 2, 0, 0, 0, time.UTC))
		late.LocalDay = "2026-11-20" // 21:00 the evening before in New York
		rs := []loupe.Repair{
			Repair("r5", "s1", "c1", day.Add(500*time.Millisecond)), // RFC 3339 text would sort it before r4
			Repair("r4", "s1", "c1", day),
			Repair("r3", "s1", "c1", day.Add(-time.Hour)),
			Repair("r2", "s1", "c1", day.Add(-time.Hour)), // same instant as r3: by id
			late,
			Repair("r6", "s2", "c1", day), // other store
			Repair("r7", "s1", "c1", day.Add(24*time.Hour)), // other day
		}
		for _, r := range rs {
			must(t, "put repair", db.PutRepair(ctx, r))
		}
		tests := []struct {
			name, storeID, day string
			want               []string
		}{
			{"s1 on the 20th", "s1", "2026-11-20", []string{"r2", "r3", "r4", "r5", "r0"}},
			{"s2 on the 20th", "s2", "2026-11-20", []string{"r6"}},
			{"s1 on the 21st", "s1", "2026-11-21", []string{"r7"}},
			{"s1 on a quiet day", "s1", "2026-11-22", nil},
		}
		for _, tt := range tests {
			got, err := db.RepairsByStoreDay(ctx, tt.storeID, tt.day)
			must(t, tt.name, err)
			sameIDs(t, tt.name, repairIDs(got), tt.want)
		}
		got, err := db.RepairsByStoreDay(ctx, "s1", "2026-11-20")
		must(t, "by store day", err)
		if len(got) == 5 {
			sameEntity(t, "listed repair", got[4], late, normRepair)
		}
	}},
	{"ByCustomer", func(t *testing.T, db loupe.DB) {
		day := time.Date(2026, time.November, 20, 10, 0, 0, 0, time.UTC)
		rs := []loupe.Repair{
			Repair("r5", "s1", "c1", day.Add(500*time.Millisecond)), // RFC 3339 text would sort it before r4
			Repair("r4", "s2", "c1", day),                           // another store: still c1's
			Repair("r3", "s1", "c1", day.Add(-48*time.Hour)),
			Repair("r2", "s1", "c1", day.Add(-48*time.Hour)), // same instant as r3: by id
			Repair("r6", "s1", "c2", day),
			Repair("r1", "s1", "c2", day.Add(time.Hour)),
			Repair("r7", "s1", "c10", day), // an id c1 is a prefix of
		}
		for _, r := range rs {
			must(t, "put repair", db.PutRepair(ctx, r))
		}
		again := rs[1]
		again.CustomerID, again.TakenInAt = "c2", day.Add(-time.Hour) // another customer and sort key must not dodge the id
		wantErr(t, "put repair again", db.PutRepair(ctx, again), loupe.ErrExists)
		tests := []struct {
			name, customerID string
			want             []string
		}{
			{"c1", "c1", []string{"r2", "r3", "r4", "r5"}},
			{"c2", "c2", []string{"r6", "r1"}},
			{"c10", "c10", []string{"r7"}},
			{"a customer without repairs", "c3", nil},
		}
		for _, tt := range tests {
			got, err := db.RepairsByCustomer(ctx, tt.customerID)
			must(t, tt.name, err)
			sameIDs(t, "repairs of "+tt.name, repairIDs(got), tt.want)
		}
		got, err := db.RepairsByCustomer(ctx, "c1")
		must(t, "repairs of c1", err)
		if len(got) == 4 {
			sameEntity(t, "listed repair", got[2], rs[1], normRepair)
		}
	}},
}

var purchaseCases = []testCase{
	{"RoundTripAndOrder", func(t *testing.T, db loupe.DB) {
		ps := []loupe.Purchase{
			Purchase("p3", "c1", At(2*time.Hour)),
			Purchase("p1", "c1", At(500*time.Millisecond)),
			Purchase("p2", "c1", T0),
			Purchase("p9", "c2", T0),
		}
		ps[2].Categories = nil
		ps[2].TotalCents = 0
		for _, p := range ps {
			must(t, "put purchase", db.PutPurchase(ctx, p))
		}
		got, err := db.PurchasesByCustomer(ctx, "c1")
		must(t, "purchases of c1", err)
		sameIDs(t, "purchases of c1", purchaseIDs(got), []string{"p2", "p1", "p3"})
		want := map[string]loupe.Purchase{"p1": ps[1], "p2": ps[2], "p3": ps[0]}
		for _, p := range got {
			sameEntity(t, "purchase "+p.PurchaseID, p, want[p.PurchaseID], normPurchase)
		}
		got, err = db.PurchasesByCustomer(ctx, "c8")
		must(t, "purchases of unknown customer", err)
		sameIDs(t, "purchases of unknown customer", purchaseIDs(got), nil)
	}},
	{"ReinsertIsErrExists", func(t *testing.T, db loupe.DB) {
		p := Purchase("p1", "c1", T0)
		must(t, "put purchase", db.PutPurchase(ctx, p))
		again := p
		again.TotalCents = 1
		wantErr(t, "put purchase again", db.PutPurchase(ctx, again), loupe.ErrExists)
		later := p
		later.PurchasedAt = At(time.Hour) // a different sort key must not dodge the guard
		wantErr(t, "put purchase again at another time", db.PutPurchase(ctx, later), loupe.ErrExists)
		got, err := db.PurchasesByCustomer(ctx, "c1")
		must(t, "purchases", err)
		if len(got) != 1 {
			t.Fatalf("purchases after re-insert: got %d, want 1", len(got))
		}
		sameEntity(t, "purchase after re-insert", got[0], p, normPurchase)
	}},
}

var eventCases = []testCase{
	{"ClaimOnceByHash", func(t *testing.T, db loupe.DB) {
		first, err := db.ClaimEvent(ctx, "evt_1", "h1", T0)
		must(t, "first claim", err)
		second, err := db.ClaimEvent(ctx, "evt_1", "h1", At(time.Minute))
		must(t, "same body again", err)
		if !first || second {
			t.Errorf("claims: got %v then %v, want true then false", first, second)
		}
		_, err = db.ClaimEvent(ctx, "evt_1", "h2", At(time.Minute))
		wantErr(t, "other body", err, loupe.ErrConflict)
		again, err := db.ClaimEvent(ctx, "evt_1", "h1", At(2*time.Minute))
		must(t, "same body after a conflict", err)
		other, err := db.ClaimEvent(ctx, "evt_2", "h2", T0)
		must(t, "other event", err)
		if again || !other {
			t.Errorf("claims: same body after conflict %v (want false), other id %v (want true)", again, other)
		}
	}},
}

const racers = 16

var concurrencyCases = []testCase{
	{"ClaimEventOnce", func(t *testing.T, db loupe.DB) {
		// Half the racers deliver one body, half another: one claim wins;
		// the winner's twins are duplicates, the others conflicts.
		var wg sync.WaitGroup
		results := make([]bool, racers)
		errs := make([]error, racers)
		for i := range racers {
			wg.Go(func() { results[i], errs[i] = db.ClaimEvent(ctx, "evt_race", fmt.Sprintf("h%d", i%2), T0) })
		}
		wg.Wait()
		winner := -1
		for i := range racers {
			if results[i] {
				if winner >= 0 {
					t.Fatalf("claims that won: %d and %d, want one", winner, i)
				}
				winner = i
			}
		}
		if winner < 0 {
			t.Fatalf("no claim won: %v", errs)
		}
		for i := range racers {
			switch {
			case i == winner:
				must(t, "winning claim", errs[i])
			case i%2 == winner%2:
				must(t, "duplicate claim", errs[i])
			default:
				wantErr(t, "conflicting claim", errs[i], loupe.ErrConflict)
			}
		}
	}},
	{"MoveCustomerOnce", func(t *testing.T, db loupe.DB) {
		must(t, "put customer", loupe.PutCustomer(ctx, db, Customer("c1", "s1", "a0")))
		var wg sync.WaitGroup
		errs := make([]error, racers)
		for i := range racers {
			wg.Go(func() { errs[i] = loupe.MoveCustomerTo(ctx, db, "c1", "a0", fmt.Sprintf("to%02d", i), time.Now()) })
		}
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil:
				if winner >= 0 {
					t.Errorf("moves that succeeded: %d and %d, want one", winner, i)
				}
				winner = i
			case !errors.Is(err, loupe.ErrConflict):
				t.Errorf("move %d: got %v, want nil or ErrConflict", i, err)
			}
		}
		if winner < 0 {
			t.Fatalf("no move succeeded")
		}
		want := fmt.Sprintf("to%02d", winner)
		if got := getCustomer(t, db, "c1").AssociateID; got != want {
			t.Errorf("owner: got %q, want %q", got, want)
		}
		book, err := db.CustomersByAssociate(ctx, want)
		must(t, "winner's book", err)
		sameIDs(t, "winner's book", customerIDs(book), []string{"c1"})
		book, err = db.CustomersByAssociate(ctx, "a0")
		must(t, "old book", err)
		sameIDs(t, "old book", customerIDs(book), nil)
	}},
}
