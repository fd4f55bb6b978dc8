package embedded

import (
	"testing"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/testkit/storetest"
	bolt "go.etcd.io/bbolt"
)

// TestPhoneIndexFilledOnOpen: a file written before idx_phone existed gets
// it filled from its customers when Open creates it.
func TestPhoneIndexFilledOnOpen(t *testing.T) {
	db, path := openTemp(t)
	for _, id := range []string{"c3", "c1", "c2"} {
		c := storetest.Customer(id, "s1", "a1")
		if id == "c2" {
			c.Phone = "+447400123456"
		}
		must(t, "put "+id, loupe.PutCustomer(bg, db, c))
	}
	must(t, "drop the index", db.update(func(tx *bolt.Tx) error { return tx.DeleteBucket(idxPhone) }))
	must(t, "close", db.Close())
	db, err := Open(path)
	must(t, "reopen", err)
	defer db.Close()
	for phone, want := range map[string]string{"+12125550147": "c1 c3", "+447400123456": "c2"} {
		cs, err := db.CustomersByPhone(bg, phone)
		must(t, "by phone", err)
		if g := idsOf(cs); g != want {
			t.Errorf("clients of %s after reopening: got %q, want %q", phone, g, want)
		}
	}
}
