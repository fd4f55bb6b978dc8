package embedded

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/testkit/ledgertest"
	"github.com/loupehq/loupe/shared/touch"
	bolt "go.etcd.io/bbolt"
)

func openLedger(t *testing.T) *Ledger {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "loupe.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db.Ledger()
}

func TestLedgerContract(t *testing.T) {
	ledgertest.Run(t, func(t *testing.T) touch.Ledger { return openLedger(t) })
}

func TestCampaignsContract(t *testing.T) {
	ledgertest.RunCampaigns(t, func(t *testing.T) touch.Campaigns { return openLedger(t) })
}

// TestLedgerConvertsOlderLayout opens a file written with the customer-first,
// JSON ledger and checks that entries, pending claims and the fatigue index
// come through, and that the old buckets are gone.
func TestLedgerConvertsOlderLayout(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "loupe.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	t0 := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	old := []touch.Entry{
		{Key: touch.Key{CustomerID: "c1", Occasion: touch.Birthday, Year: 2026}, StoreID: "s1", Planned: touch.Day{Year: 2026, Month: 5, Day: 1}, ClaimedAt: t0, State: touch.StateClaimed},
		{Key: touch.Key{CustomerID: "c1", Occasion: touch.Valentines, Year: 2026}, StoreID: "s1", Planned: touch.Day{Year: 2026, Month: 2, Day: 1}, ClaimedAt: t0, State: touch.StateSent, MessageID: "m1", SentAt: t0},
		{Key: touch.Key{CustomerID: "c2", Occasion: touch.Valentines, Year: 2026}, StoreID: "s1", Planned: touch.Day{Year: 2026, Month: 2, Day: 10}, ClaimedAt: t0, State: touch.StateSkipped, Reason: touch.SkipNoEmail},
	}
	err = db.update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(oldLedger)
		if err != nil {
			return err
		}
		for _, name := range [][]byte{oldPending, oldMarketing} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		for _, e := range old {
			if err := putJSON(b, string(key(e.CustomerID, e.Occasion, "2026")), e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	l := db.Ledger()
	for _, want := range old {
		got, err := l.Get(ctx, want.Key)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("get %s = %+v, %v; want %+v", want.Key, got, err, want)
		}
	}
	pending, err := l.Pending(ctx)
	if err != nil || len(pending) != 1 || pending[0].Key != old[0].Key {
		t.Errorf("pending = %+v, %v; want the claimed birthday", pending, err)
	}
	if d, ok, err := l.LastMarketing(ctx, "c1"); err != nil || !ok || d != old[0].Planned {
		t.Errorf("last marketing c1 = %s, %v, %v; want %s", d, ok, err, old[0].Planned)
	}
	if _, ok, _ := l.LastMarketing(ctx, "c2"); ok {
		t.Errorf("a skipped entry counts as marketing after conversion")
	}
	_ = db.view(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{oldLedger, oldPending, oldMarketing} {
			if tx.Bucket(name) != nil {
				t.Errorf("bucket %s still there", name)
			}
		}
		return nil
	})
}
