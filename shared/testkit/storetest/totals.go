package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
)

// putAndCount puts p, as pos.Service.applyPurchase does, and counts the
// client's purchase totals whether p was new or already stored.
func putAndCount(db loupe.DB, p loupe.Purchase) error {
	if err := db.PutPurchase(ctx, p); err != nil && !errors.Is(err, loupe.ErrExists) {
		return err
	}
	return loupe.CountPurchases(ctx, db, p.CustomerID)
}

// wantTotals fails the test unless customer id holds n purchases summing
// to cents.
func wantTotals(t *testing.T, what string, db loupe.DB, id string, n int, cents int64) {
	t.Helper()
	c := getCustomer(t, db, id)
	if c.Purchases != n || c.PurchaseCents != cents {
		t.Errorf("%s: %s has %d purchases, %d cents; want %d, %d", what, id, c.Purchases, c.PurchaseCents, n, cents)
	}
}

// totalCases check loupe.CountPurchases over the adapter: the purchase
// totals on the profile.
var totalCases = []testCase{
	{"ReplayCountsOnce", func(t *testing.T, db loupe.DB) {
		must(t, "put customer", loupe.PutCustomer(ctx, db, Customer("c1", "s1", "a1")))
		p1 := Purchase("p1", "c1", T0)
		for i := range 3 { // the first delivery and two replays
			must(t, fmt.Sprintf("delivery %d", i), putAndCount(db, p1))
		}
		wantTotals(t, "after replays", db, "c1", 1, p1.TotalCents)
		p2 := Purchase("p2", "c1", At(time.Hour))
		p2.TotalCents = 500
		must(t, "second purchase", putAndCount(db, p2))
		wantTotals(t, "after a second purchase", db, "c1", 2, p1.TotalCents+500)
		// A delivery that stopped after its insert is finished by the
		// next one.
		p3 := Purchase("p3", "c1", At(2*time.Hour))
		p3.TotalCents = 1
		must(t, "insert only", db.PutPurchase(ctx, p3))
		wantTotals(t, "before the count", db, "c1", 2, p1.TotalCents+500)
		must(t, "redelivery", putAndCount(db, p3))
		wantTotals(t, "after the redelivery", db, "c1", 3, p1.TotalCents+501)
	}},
	{"BeforeTheCustomer", func(t *testing.T, db loupe.DB) {
		// A purchase of a client Loupe does not know yet writes no
		// profile; the count once the client exists takes it in.
		p := Purchase("p1", "c1", T0)
		must(t, "purchase first", putAndCount(db, p))
		if _, err := db.GetCustomer(ctx, "c1"); !errors.Is(err, loupe.ErrNotFound) {
			t.Fatalf("a count created the customer: %v", err)
		}
		must(t, "put customer", loupe.PutCustomer(ctx, db, Customer("c1", "s1", "a1")))
		wantTotals(t, "a new customer", db, "c1", 0, 0)
		must(t, "count", loupe.CountPurchases(ctx, db, "c1"))
		wantTotals(t, "counted", db, "c1", 1, p.TotalCents)
	}},
	{"UpsertKeepsThem", func(t *testing.T, db loupe.DB) {
		// The totals are Loupe's: a POS upsert (an event or an import
		// row) neither sets nor clears them.
		must(t, "put customer", loupe.PutCustomer(ctx, db, Customer("c1", "s1", "a1")))
		p := Purchase("p1", "c1", T0)
		must(t, "purchase", putAndCount(db, p))
		later := Customer("c1", "s1", "a1")
		later.FirstName, later.UpdatedAt = "Later", At(time.Hour)
		later.Purchases, later.PurchaseCents = 99, 99
		must(t, "upsert", loupe.PutCustomer(ctx, db, later))
		wantTotals(t, "after an upsert", db, "c1", 1, p.TotalCents)
		if got := getCustomer(t, db, "c1").FirstName; got != "Later" {
			t.Errorf("first name %q, want the upsert's", got)
		}
		fresh := Customer("c2", "s1", "a1")
		fresh.Purchases, fresh.PurchaseCents = 5, 5
		must(t, "new customer carrying totals", loupe.PutCustomer(ctx, db, fresh))
		wantTotals(t, "a new customer", db, "c2", 0, 0)
	}},
	{"ConcurrentPurchasesBothCount", func(t *testing.T, db loupe.DB) {
		// Two purchases of one client counted at the same time, each
		// twice: both count, once each. Several rounds, to meet the
		// interleavings.
		const rounds = 8
		for r := range rounds {
			id := fmt.Sprintf("c%d", r)
			must(t, "put customer", loupe.PutCustomer(ctx, db, Customer(id, "s1", "a1")))
			ps := []loupe.Purchase{Purchase(id+"-a", id, T0), Purchase(id+"-b", id, At(time.Minute))}
			ps[1].TotalCents = 700
			var wg sync.WaitGroup
			errs := make([]error, 2*len(ps))
			for i := range errs {
				wg.Go(func() { errs[i] = putAndCount(db, ps[i%len(ps)]) })
			}
			wg.Wait()
			for i, err := range errs {
				must(t, fmt.Sprintf("round %d, delivery %d", r, i), err)
			}
			wantTotals(t, fmt.Sprintf("round %d", r), db, id, 2, ps[0].TotalCents+700)
		}
	}},
}
