package pos_test

// The purchase totals on the profile (loupe.CountPurchases) through every
// way a purchase or a client comes in, on the embedded store and on
// DynamoDB (dynalite).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/pos"
)

func purchaseEvent(eventID, purchaseID, customerID string, cents int64) []byte {
	return event(eventID, pos.TypePurchaseCreated, stamp(-time.Minute), fmt.Sprintf(
		`{"purchase_id":%q,"store_id":"s1","associate_id":"a1","customer_id":%q,"total_cents":%d,"purchased_at":%q}`,
		purchaseID, customerID, cents, stamp(-time.Minute)))
}

func customerEvent(eventID, customerID, firstName string, d time.Duration) []byte {
	return event(eventID, pos.TypeCustomerUpserted, stamp(d), fmt.Sprintf(`{"customer_id":%q,"home_store_id":"s1","first_name":%q}`, customerID, firstName))
}

var errCut = errors.New("delivery cut")

// cutCount is a DB whose second read of customer id's purchases fails:
// the delivery that created the customer (the first read) stops before
// its second look (loupe.CountPurchasesOfNew).
type cutCount struct {
	loupe.DB
	id    string
	calls int
}

func (c *cutCount) PurchasesByCustomer(ctx context.Context, id string) ([]loupe.Purchase, error) {
	if id == c.id {
		if c.calls++; c.calls == 2 {
			return nil, errCut
		}
	}
	return c.DB.PurchasesByCustomer(ctx, id)
}

// wantTotals fails the test unless customer id holds n purchases summing
// to cents.
func wantTotals(t *testing.T, what string, db loupe.DB, id string, n int, cents int64) {
	t.Helper()
	c, err := db.GetCustomer(context.Background(), id)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if c.Purchases != n || c.PurchaseCents != cents {
		t.Errorf("%s: %s has %d purchases, %d cents; want %d, %d", what, id, c.Purchases, c.PurchaseCents, n, cents)
	}
}

func TestPurchaseTotalsFromEvents(t *testing.T) {
	forEachStore(t, func(t *testing.T, db loupe.DB) {
		ctx := context.Background()
		s := serviceOn(db)
		// A purchase before its client: stored, no profile written.
		mustApply(t, s, purchaseEvent("e-p1", "p1", "c1", 1000))
		if _, err := db.GetCustomer(ctx, "c1"); !errors.Is(err, loupe.ErrNotFound) {
			t.Fatalf("the purchase created its client: %v", err)
		}
		// The client's creation counts it.
		mustApply(t, s, customerEvent("e-c1", "c1", "Ann", -time.Hour))
		wantTotals(t, "created after its purchase", db, "c1", 1, 1000)

		// A replayed delivery, and the same purchase under another event
		// id, count once.
		if got := mustApply(t, s, purchaseEvent("e-p1", "p1", "c1", 1000)); got.Status != pos.StatusDuplicate {
			t.Fatalf("replay: %+v, want duplicate", got)
		}
		if got := mustApply(t, s, purchaseEvent("e-p1-again", "p1", "c1", 1000)); !got.Outdated {
			t.Fatalf("the same purchase again: %+v, want outdated", got)
		}
		wantTotals(t, "after replays", db, "c1", 1, 1000)

		// A delivery that stopped after the insert, before the count: the
		// POS's retry counts it.
		p2 := loupe.Purchase{PurchaseID: "p2", StoreID: "s1", AssociateID: "a1", CustomerID: "c1", TotalCents: 250, PurchasedAt: atTime.Add(-time.Minute)}
		if err := db.PutPurchase(ctx, p2); err != nil {
			t.Fatal(err)
		}
		mustApply(t, s, purchaseEvent("e-p2", "p2", "c1", 250))
		wantTotals(t, "after an interrupted delivery's retry", db, "c1", 2, 1250)

		// A creation whose delivery stops after writing the profile, before
		// its second look, already holds the totals of the purchases stored
		// before it.
		mustApply(t, s, purchaseEvent("e-p3", "p3", "c2", 40))
		cut := &cutCount{DB: db, id: "c2"}
		if _, err := serviceOn(cut).Apply(ctx, customerEvent("e-c2", "c2", "Cy", -time.Hour)); !errors.Is(err, errCut) {
			t.Fatalf("cut delivery: %v, want errCut", err)
		}
		wantTotals(t, "created by a cut delivery", db, "c2", 1, 40)

		// Upserts of the client keep the totals.
		mustApply(t, s, customerEvent("e-c1-later", "c1", "Anna", 0))
		mustApply(t, s, customerEvent("e-c1-older", "c1", "Old", -2*time.Hour))
		wantTotals(t, "after upserts", db, "c1", 2, 1250)
		if c, _ := db.GetCustomer(ctx, "c1"); c.FirstName != "Anna" {
			t.Errorf("first name %q, want the newer upsert's", c.FirstName)
		}
	})
}

func TestPurchaseTotalsUnderRaces(t *testing.T) {
	forEachStore(t, func(t *testing.T, db loupe.DB) {
		s := serviceOn(db)
		const rounds = 6
		for r := range rounds {
			// Two purchases of one client applied at the same time both
			// count.
			id := fmt.Sprintf("c%d", r)
			mustApply(t, s, customerEvent("e-"+id, id, "Ann", -time.Hour))
			bodies := [][]byte{purchaseEvent("e-a"+id, "a"+id, id, 100), purchaseEvent("e-b"+id, "b"+id, id, 20)}
			applyAll(t, s, bodies)
			wantTotals(t, fmt.Sprintf("round %d, two purchases", r), db, id, 2, 120)

			// A purchase applied while its client is being created counts.
			id = fmt.Sprintf("n%d", r)
			applyAll(t, s, [][]byte{customerEvent("e-"+id, id, "Bea", -time.Hour), purchaseEvent("e-p"+id, "p"+id, id, 7)})
			wantTotals(t, fmt.Sprintf("round %d, purchase during the creation", r), db, id, 1, 7)
		}
	})
}

// applyAll applies bodies at the same time, one goroutine each.
func applyAll(t *testing.T, s *pos.Service, bodies [][]byte) {
	t.Helper()
	errs := make([]error, len(bodies))
	var wg sync.WaitGroup
	for i := range bodies {
		wg.Go(func() { _, errs[i] = s.Apply(context.Background(), bodies[i]) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("apply %s: %v", bodies[i], err)
		}
	}
}

// The import (loupe import, per row): purchases imported before their
// clients are counted when the clients are imported.
func TestPurchaseTotalsFromImport(t *testing.T) {
	forEachStore(t, func(t *testing.T, db loupe.DB) {
		ctx := context.Background()
		im := pos.NewImporter(serviceOn(db))
		row := func(typ, data string) error {
			return im.ImportRow(ctx, typ, json.RawMessage(data), atTime.Add(-time.Hour))
		}
		for _, r := range []struct{ typ, data string }{
			{pos.TypeStoreUpserted, `{"store_id":"s1","name":"S1","timezone":"America/New_York","country":"US"}`},
			{pos.TypeAssociateUpserted, `{"associate_id":"a1","store_id":"s1","name":"A1"}`},
			{pos.TypePurchaseCreated, `{"purchase_id":"p1","store_id":"s1","associate_id":"a1","customer_id":"k1","total_cents":300}`},
			{pos.TypePurchaseCreated, `{"purchase_id":"p2","store_id":"s1","associate_id":"a1","customer_id":"k1","total_cents":45}`},
			{pos.TypeCustomerUpserted, `{"customer_id":"k1","home_store_id":"s1","first_name":"Kim"}`},
		} {
			if err := row(r.typ, r.data); err != nil {
				t.Fatalf("import %s: %v", r.data, err)
			}
		}
		wantTotals(t, "imported after its purchases", db, "k1", 2, 345)
		// The same files again change nothing.
		if err := row(pos.TypePurchaseCreated, `{"purchase_id":"p1","store_id":"s1","associate_id":"a1","customer_id":"k1","total_cents":300}`); !errors.Is(err, loupe.ErrExists) {
			t.Fatalf("purchase row again: %v, want ErrExists", err)
		}
		if err := row(pos.TypeCustomerUpserted, `{"customer_id":"k1","home_store_id":"s1","first_name":"Kim"}`); !errors.Is(err, loupe.ErrStale) {
			t.Fatalf("customer row again: %v, want ErrStale", err)
		}
		wantTotals(t, "after the files again", db, "k1", 2, 345)
	})
}
