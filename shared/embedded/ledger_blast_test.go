package embedded

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/touch"
)

// cancellingQueue collects enqueued keys and cancels the planning context
// after the first batch: a run stopped in the middle of a blast.
type cancellingQueue struct {
	mu     sync.Mutex
	keys   map[touch.Key]int
	cancel context.CancelFunc
}

func (q *cancellingQueue) Enqueue(ctx context.Context, entries []touch.Entry) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, e := range entries {
		q.keys[e.Key]++
	}
	if q.cancel != nil {
		q.cancel()
	}
	return nil
}

// storeToday is the due function of a run at now, as the touchpoints Lambda
// plans: every store, on its own local day of now.
func storeToday(now time.Time) func(loupe.Store) (touch.Day, bool, error) {
	return func(s loupe.Store) (touch.Day, bool, error) {
		d, err := touch.StoreDay(s, now)
		return d, err == nil, err
	}
}

// TestPlanBlastInterrupted runs the concurrent blast pipeline (more clients
// than one lookup batch) and cancels it after its first batch; a second run
// and a Requeue then finish the job: every client of the campaign is queued,
// none twice across the runs.
func TestPlanBlastInterrupted(t *testing.T) {
	const n, stores = 6000, 4
	db, err := Open(filepath.Join(t.TempDir(), "loupe.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	seedChain(t, db, n, stores)
	ledger := db.Ledger()
	day := touch.Day{Year: 2026, Month: time.June, Day: 1}
	now := day.Time(time.UTC).Add(12 * time.Hour) // the same day in all four zones
	ids := []string{"s00", "s01", "s02", "s03"}
	c := touch.Campaign{CampaignID: "gala", Name: "Gala", EventDate: day.AddDays(30), SendDate: day,
		StoreIDs: ids, Subject: "Save the date", BodyHTML: "<p>Join us</p>"}
	ctx := context.Background()
	if err := ledger.PutCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	p := &touch.Planner{DB: db, Ledger: ledger, Campaigns: ledger, RecoverAfter: -1,
		Now: func() time.Time { return now }, Log: slog.New(slog.DiscardHandler)}

	first := &cancellingQueue{keys: map[touch.Key]int{}}
	rctx, cancel := context.WithCancel(ctx)
	first.cancel = cancel
	if _, err := p.PlanStores(rctx, first, storeToday(now)); err == nil {
		t.Fatal("interrupted run returned no error")
	}
	second := &cancellingQueue{keys: map[touch.Key]int{}}
	if _, err := p.PlanStores(ctx, second, storeToday(now)); err != nil {
		t.Fatalf("second run: %v", err)
	}
	requeued := &cancellingQueue{keys: map[touch.Key]int{}}
	if _, err := p.Requeue(ctx, requeued); err != nil {
		t.Fatalf("requeue: %v", err)
	}
	all := map[touch.Key]int{}
	for _, q := range []*cancellingQueue{first, second} {
		for k, v := range q.keys {
			all[k] += v
		}
	}
	events := 0
	for k, v := range all {
		if v != 1 {
			t.Errorf("%s queued %d times by the two runs, want once", k, v)
		}
		if k.Occasion == c.Occasion() {
			events++
		}
	}
	// What the first run claimed but did not get to queue comes back by Requeue
	// (every claim is pending until sent: Requeue lists them all here).
	for k := range requeued.keys {
		if k.Occasion == c.Occasion() && all[k] == 0 {
			events++
		}
	}
	pending, err := ledger.Pending(ctx)
	if err != nil {
		t.Fatal(err)
	}
	claimed := 0
	for _, e := range pending {
		if e.Occasion == c.Occasion() {
			claimed++
		}
	}
	if events != claimed || claimed == 0 {
		t.Errorf("campaign entries queued %d, claimed %d; want every claim queued", events, claimed)
	}
	if len(first.keys) == 0 || len(first.keys) >= claimed {
		t.Errorf("first run queued %d of %d: want it stopped part-way", len(first.keys), claimed)
	}
	t.Logf("claims %d: first run %d, second %d, requeued %d", claimed, len(first.keys), len(second.keys), len(requeued.keys))
}
