package embedded

import (
	"slices"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/testkit/storetest"
	bolt "go.etcd.io/bbolt"
)

// TestRepairCustomerIndexFilledOnOpen: a file written before the
// per-customer repair index existed gets it filled from its repairs when
// Open creates the bucket, and RepairsByCustomer reads it in time order.
func TestRepairCustomerIndexFilledOnOpen(t *testing.T) {
	db, path := openTemp(t)
	for _, r := range []struct {
		id, customer string
		at           time.Duration
	}{{"r3", "c1", 0}, {"r1", "c1", time.Hour}, {"r2", "c2", 0}, {"r0", "c1", 0}} {
		must(t, "put "+r.id, db.PutRepair(ctx, storetest.Repair(r.id, "s1", r.customer, storetest.At(r.at))))
	}
	must(t, "drop the index", db.update(func(tx *bolt.Tx) error { return tx.DeleteBucket(idxRepairCustomer) }))
	must(t, "close", db.Close())
	db, err := Open(path)
	must(t, "reopen", err)
	defer db.Close()
	if n := keys(t, db, idxRepairCustomer); n != 4 {
		t.Errorf("index entries after reopening: got %d, want 4", n)
	}
	rs, err := db.RepairsByCustomer(ctx, "c1")
	must(t, "repairs of c1", err)
	var got []string
	for _, r := range rs {
		got = append(got, r.RepairID)
	}
	if want := []string{"r0", "r3", "r1"}; !slices.Equal(got, want) {
		t.Errorf("repairs of c1 after reopening: got %v, want %v", got, want)
	}
}
