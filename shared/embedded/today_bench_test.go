package embedded

import (
	"fmt"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/testkit/storetest"
	bolt "go.etcd.io/bbolt"
)

// The Today benchmarks read one associate's book of todayBook clients in
// a chain of todayChain.
const (
	todayChain = 100_000
	todayBook  = 2_000
)

// todayCustomer returns customer i of a chain of todayChain clients in
// todayChain/todayBook books: birthdays and anniversaries over the year,
// listings and calls over the past year, one client in 50 new to its book.
func todayCustomer(i int) loupe.Customer {
	c := benchCustomer(i)
	c.AssociateID = fmt.Sprintf("a%03d", i%(todayChain/todayBook))
	c.ListedAt = storetest.At(-time.Duration((i*7919)%365*24) * time.Hour)
	if i%3 == 0 {
		c.LastPersonalContactAt = storetest.At(-time.Duration((i*104729)%400*24) * time.Hour)
		c.LastContactAt = c.LastPersonalContactAt
	}
	if i%50 == 7 {
		c.NewSince, c.NewTo = storetest.At(-24*time.Hour), c.AssociateID
		c.LastPersonalContactAt, c.ListedAt = time.Time{}, time.Time{}
	}
	return c
}

// seedToday loads the chain in transactions of 1,000 without fsync.
func seedToday(b *testing.B, db *DB) {
	b.Helper()
	if err := db.BulkLoad(func() error { return putCustomersBulk(db, todayChain, todayCustomer) }); err != nil {
		b.Fatalf("seed: %v", err)
	}
}

// putCustomersBulk writes customers gen(0) .. gen(n-1), new ones, in
// transactions of 1,000 (inside BulkLoad: without fsync), the benchmarks'
// seed of a large chain.
func putCustomersBulk(db *DB, n int, gen func(i int) loupe.Customer) error {
	for start := 0; start < n; start += 1000 {
		err := db.update(func(tx *bolt.Tx) error {
			for i := start; i < min(start+1000, n); i++ {
				if err := putCustomerTx(tx, loupe.Customer{}, false, gen(i)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// BenchmarkBookByTurn reads the first 30 clients of a 2,000-client book in
// turn order in a chain of 100,000 (the first page of a Today list).
func BenchmarkBookByTurn(b *testing.B) {
	db, _ := openTemp(b)
	seedToday(b, db)
	for b.Loop() {
		cs, next, err := db.BookByTurn(bg, "a017", "", 30)
		if err != nil || len(cs) != 30 || next == "" {
			b.Fatalf("book by turn: got %d clients, cursor %q, %v", len(cs), next, err)
		}
	}
}

// BenchmarkBookByMonthDay reads one day's birthdays of a 2,000-client
// book (about 5) in a chain of 100,000.
func BenchmarkBookByMonthDay(b *testing.B) {
	db, _ := openTemp(b)
	seedToday(b, db)
	for b.Loop() {
		cs, err := db.BookByMonthDay(bg, "a017", "birthday", "05-17")
		if err != nil || len(cs) == 0 {
			b.Fatalf("book by month day: got %d clients, %v", len(cs), err)
		}
	}
}

// BenchmarkGetCustomers reads 10 customers by id, spread over a chain of
// 100,000 (the clients of a list being shown).
func BenchmarkGetCustomers(b *testing.B) {
	db, _ := openTemp(b)
	seedToday(b, db)
	ids := make([]string, 10)
	for i := range ids {
		ids[i] = fmt.Sprintf("c%06d", (i*9973+17)%todayChain)
	}
	for b.Loop() {
		cs, err := db.GetCustomers(bg, ids)
		if err != nil || len(cs) != len(ids) {
			b.Fatalf("get customers: got %d, %v", len(cs), err)
		}
	}
}
