package embedded

import (
	"errors"
	"testing"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/testkit/storetest"
	bolt "go.etcd.io/bbolt"
)

func TestDeleteCustomerTx(t *testing.T) {
	db, _ := openTemp(t)
	c := storetest.Customer("c1", "s1", "a1")
	must(t, "put c1", loupe.PutCustomer(bg, db, c))
	must(t, "put c2", loupe.PutCustomer(bg, db, storetest.Customer("c2", "s1", "a1")))
	must(t, "put purchase", db.PutPurchase(bg, storetest.Purchase("p1", "c1", storetest.T0)))
	must(t, "put other purchase", db.PutPurchase(bg, storetest.Purchase("p2", "c2", storetest.T0)))

	var deleted, again bool
	must(t, "delete", db.update(func(tx *bolt.Tx) (err error) {
		deleted, err = deleteCustomerTx(tx, "c1")
		return err
	}))
	must(t, "delete again", db.update(func(tx *bolt.Tx) (err error) {
		again, err = deleteCustomerTx(tx, "c1")
		return err
	}))
	if !deleted || again {
		t.Errorf("deleted: got %v then %v, want true then false", deleted, again)
	}
	if _, err := db.GetCustomer(bg, "c1"); !errors.Is(err, loupe.ErrNotFound) {
		t.Errorf("get erased customer: got %v, want ErrNotFound", err)
	}
	for _, q := range []struct {
		name string
		f    func() ([]loupe.Customer, error)
	}{
		{"book", func() ([]loupe.Customer, error) { return db.CustomersByAssociate(bg, "a1") }},
		{"birthday", func() ([]loupe.Customer, error) { return db.CustomersByMonthDay(bg, "birthday", c.Birthday.MonthDay()) }},
		{"anniversary", func() ([]loupe.Customer, error) {
			return db.CustomersByMonthDay(bg, "anniversary", c.Anniversary.MonthDay())
		}},
	} {
		got, err := q.f()
		must(t, q.name, err)
		if len(got) != 1 || got[0].CustomerID != "c2" {
			t.Errorf("%s after erasure: got %d customers, want only c2", q.name, len(got))
		}
	}
	ps, err := db.PurchasesByCustomer(bg, "c1")
	must(t, "purchases", err)
	if len(ps) != 0 {
		t.Errorf("purchases after erasure: got %d, want 0", len(ps))
	}
	if err := db.PutPurchase(bg, storetest.Purchase("p2", "c2", storetest.T0)); !errors.Is(err, loupe.ErrExists) {
		t.Errorf("other customer's purchase: got %v, want ErrExists (still stored)", err)
	}
}
