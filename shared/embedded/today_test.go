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

// TestTodaySweeps: the first list of an associate's day deletes that
// associate's lists of days more than 400 days before and due items
// whose window ended more than 30 days before; nothing of another
// associate, nothing newer.
func TestTodaySweeps(t *testing.T) {
	db, _ := openTemp(t)
	mk := func(associate, day string) {
		t.Helper()
		ok, err := db.CreateList(bg, today.List{AssociateID: associate, StoreID: "s1", Day: day, CreatedAt: storetest.T0})
		if err != nil || !ok {
			t.Fatalf("create list of %s on %s: %v, %v", associate, day, ok, err)
		}
	}
	for _, a := range []string{"a1", "a2"} {
		mk(a, "2025-10-31") // 401 days before 2026-12-06
		mk(a, "2025-11-01") // 400 days before
		for _, until := range []string{"2026-11-05", "2026-11-06"} {
			must(t, "put due", db.PutDue(bg, today.Due{AssociateID: a, CustomerID: "c1", Reason: today.ReasonThankYou,
				Ref: "ref-" + until, From: "2026-11-01", Until: until}))
		}
	}
	mk("a1", "2026-12-06")
	if ok, err := db.CreateList(bg, today.List{AssociateID: "a1", Day: "2026-12-06"}); ok || err != nil {
		t.Fatalf("create the day's list again: %v, %v", ok, err)
	}
	for _, q := range []struct {
		associate string
		lists     int
		due       []string
	}{
		{"a1", 2, []string{"ref-2026-11-06"}},
		{"a2", 2, []string{"ref-2026-11-05", "ref-2026-11-06"}},
	} {
		ls, err := db.GetLists(bg, q.associate, []string{"2025-10-31", "2025-11-01", "2026-12-06"})
		must(t, "lists", err)
		if len(ls) != q.lists {
			t.Errorf("lists of %s after the sweep: got %d, want %d", q.associate, len(ls), q.lists)
		}
		var refs []string
		err = db.view(func(tx *bolt.Tx) error {
			return scanPrefix(tx.Bucket(bucketTodayDue), prefix(q.associate), func(k, _ []byte) error {
				refs = append(refs, lastPart(k))
				return nil
			})
		})
		must(t, "due items", err)
		if strings.Join(refs, " ") != strings.Join(q.due, " ") {
			t.Errorf("due items of %s after the sweep: got %v, want %v", q.associate, refs, q.due)
		}
	}
	if got, want := keys(t, db, idxTodayDue), 3; got != want {
		t.Errorf("due index entries after the sweep: got %d, want %d", got, want)
	}
}
