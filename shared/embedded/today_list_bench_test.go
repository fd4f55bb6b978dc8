package embedded

import (
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/today"
)

// BenchmarkTodayEmbedded's chain: listChain clients in books of listBook
// (listChain/listBook associates), the list of associate listAssociate
// (store listStore, America/New_York) read through today.Service.
const (
	listChain     = 1_000_000
	listBook      = 2_000
	listAssociate = "a017"
	listStore     = "nyc"
)

// listCustomer returns customer i of the chain: birthdays and
// anniversaries over the year (benchCustomer), listings over the past
// year, one client in three called in the past 400 days, one in 50 new to
// its book since yesterday.
func listCustomer(i int, at time.Time) loupe.Customer {
	c := benchCustomer(i)
	c.HomeStoreID = listStore
	c.AssociateID = fmt.Sprintf("a%03d", i%(listChain/listBook))
	c.ListedAt = at.Add(-time.Duration((i*7919)%365*24) * time.Hour)
	if i%3 == 0 {
		c.LastPersonalContactAt = at.Add(-time.Duration((i*104729)%400*24) * time.Hour)
		c.LastContactAt = c.LastPersonalContactAt
	}
	if i%50 == 7 {
		c.NewSince, c.NewTo = at.Add(-24*time.Hour), c.AssociateID
		c.LastPersonalContactAt, c.LastContactAt, c.ListedAt = time.Time{}, time.Time{}, time.Time{}
	}
	return c
}

// seedList loads the chain with BulkLoad (no fsync until the end), in
// transactions of 1,000 customers through putCustomerTx, the write path of
// every customer write (one transaction per customer would take about
// 200 µs each here: over three minutes for the chain). Returns how long
// it took.
func seedList(b *testing.B, db *DB, at time.Time) time.Duration {
	b.Helper()
	start := time.Now()
	err := db.BulkLoad(func() error {
		if err := loupe.PutStore(bg, db, loupe.Store{StoreID: listStore, Name: "Fifth Avenue", Timezone: "America/New_York",
			Country: "US", PostalAddress: "1 Fifth Ave", FromEmail: "nyc@loupe.example.com"}); err != nil {
			return err
		}
		if err := loupe.PutAssociate(bg, db, loupe.Associate{AssociateID: listAssociate, StoreID: listStore, Name: "Ada",
			Status: loupe.StatusActive, UpdatedAt: at}); err != nil {
			return err
		}
		return putCustomersBulk(db, listChain, func(i int) loupe.Customer { return listCustomer(i, at) })
	})
	if err != nil {
		b.Fatalf("seed: %v", err)
	}
	return time.Since(start)
}

// BenchmarkTodayEmbedded reads associate a017's Today list (a book of
// 2,000) in a chain of 1,000,000 clients on the embedded store, through
// today.Service as the wiring builds it. The chain is seeded once for the
// sub-benchmarks (about a minute, not timed):
//
//   - floor_get10: GetCustomers of the 10 clients of a list, the least a
//     read of a stored list must do (one read transaction, 10 records).
//   - floor_commit: one fsynced write of one customer (UpdateCustomer
//     moving ListedAt), the least making a list must add: it is stored.
//   - first_read: each iteration a new store-local day, so the list is
//     made (the book by turn, 14 month-day reads, the due items, the list
//     stored, its 10 clients marked listed, the list marked) and shown.
//   - later_read: the stored list of the day read again.
//
// x-floor is ns/op over the floor of the same run: floor_get10 for
// later_read, floor_get10 + floor_commit for first_read.
func BenchmarkTodayEmbedded(b *testing.B) {
	db, _ := openTemp(b)
	base := time.Date(2027, time.March, 1, 14, 0, 0, 0, time.UTC) // 09:00 in New York
	took := seedList(b, db, base)
	b.Logf("seeded %d clients in %s", listChain, took.Round(time.Second))
	now := base
	svc := &today.Service{Records: db, Book: db, Store: db, Now: func() time.Time { return now },
		Log: slog.New(slog.DiscardHandler)}
	v, err := svc.Today(bg, listAssociate, "")
	if err != nil || len(v.Tasks) != today.DefaultPerDay {
		b.Fatalf("first list: %d tasks, %v", len(v.Tasks), err)
	}
	var ids []string
	for _, t := range v.Tasks {
		ids = append(ids, t.CustomerID)
	}
	var get10, commit float64 // ns/op of the floors
	b.Run("floor_get10", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			cs, err := db.GetCustomers(bg, ids)
			if err != nil || len(cs) != len(ids) {
				b.Fatalf("get customers: got %d, %v", len(cs), err)
			}
		}
		get10 = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	b.Run("floor_commit", func(b *testing.B) {
		b.ReportAllocs()
		at := now
		for b.Loop() {
			at = at.Add(time.Second)
			err := db.UpdateCustomer(bg, ids[0], func(c *loupe.Customer, _ time.Time) (loupe.Customer, bool, error) {
				out := *c
				out.ListedAt = at
				return out, true, nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		commit = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	day := 0
	b.Run("first_read", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			day++
			now = base.AddDate(0, 0, day)
			v, err := svc.Today(bg, listAssociate, "")
			if err != nil || len(v.Tasks) != today.DefaultPerDay || v.Date != now.Format(time.DateOnly) {
				b.Fatalf("list of day %d: %s, %d tasks, %v", day, v.Date, len(v.Tasks), err)
			}
		}
		if get10 > 0 && commit > 0 {
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(get10+commit), "x-floor")
		}
	})
	b.Run("later_read", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			v, err := svc.Today(bg, listAssociate, "")
			if err != nil || len(v.Tasks) != today.DefaultPerDay {
				b.Fatalf("stored list: %d tasks, %v", len(v.Tasks), err)
			}
		}
		if get10 > 0 {
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/get10, "x-floor")
		}
	})
}
