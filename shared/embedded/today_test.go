package embedded

import (
	"strings"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/testkit/storetest"
	"github.com/loupehq/loupe/shared/testkit/todaytest"
	"github.com/loupehq/loupe/shared/today"
	bolt "go.etcd.io/bbolt"
)

func TestTodayContract(t *testing.T) {
	todaytest.Run(t, func(t *testing.T) (today.Store, today.Book, todaytest.Records) {
		db, _ := openTemp(t)
		return db, db, db
	})
}

// TestBookIndexesFilledOnOpen: a file written before the book indexes
// existed gets them filled from its records when Open creates them.
func TestBookIndexesFilledOnOpen(t *testing.T) {
	db, path := openTemp(t)
	for _, id := range []string{"c3", "c1", "c2"} {
		c := storetest.Customer(id, "s1", "a1")
		if id == "c2" {
			c.AssociateID = "a2"
		}
		must(t, "put "+id, loupe.PutCustomer(bg, db, c))
	}
	must(t, "list c1", db.UpdateCustomer(bg, "c1", func(c *loupe.Customer, _ time.Time) (loupe.Customer, bool, error) {
		c.ListedAt = storetest.T0
		return *c, true, nil
	}))
	must(t, "drop the indexes", db.update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{idxTurn, idxBookBirthday, idxBookAnniversary} {
			if err := tx.DeleteBucket(name); err != nil {
				return err
			}
		}
		return nil
	}))
	must(t, "close", db.Close())
	db, err := Open(path)
	must(t, "reopen", err)
	defer db.Close()
	cs, next, err := db.BookByTurn(bg, "a1", "", 10)
	must(t, "book by turn", err)
	if g := idsOf(cs); g != "c3 c1" || next != "" {
		t.Errorf("book of a1 after reopening: got %q, %q; want \"c3 c1\" (c1 listed), no cursor", g, next)
	}
	cs, err = db.BookByMonthDay(bg, "a1", "birthday", "05-17")
	must(t, "by birthday", err)
	if g := idsOf(cs); g != "c1 c3" {
		t.Errorf("birthdays of a1 after reopening: got %q, want \"c1 c3\"", g)
	}
	cs, err = db.BookByMonthDay(bg, "a2", "anniversary", "06-21")
	must(t, "by anniversary", err)
	if g := idsOf(cs); g != "c2" {
		t.Errorf("anniversaries of a2 after reopening: got %q, want \"c2\"", g)
	}
}

func idsOf(cs []loupe.Customer) string {
	var s []string
	for _, c := range cs {
		s = append(s, c.CustomerID)
	}
	return strings.Join(s, " ")
}
