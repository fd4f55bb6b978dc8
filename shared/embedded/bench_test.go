package embedded

import (
	"fmt"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/testkit/storetest"
	bolt "go.etcd.io/bbolt"
)

var benchSizes = []int{5_000, 50_000}

// benchCustomer returns customer i of a chain of 20 stores and 400 associates,
// with birthdays and anniversaries spread over the year.
func benchCustomer(i int) loupe.Customer {
	c := storetest.Customer(fmt.Sprintf("c%06d", i), fmt.Sprintf("s%02d", i%20), fmt.Sprintf("a%03d", i%400))
	day := time.Date(2024, time.January, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i%366)
	c.Birthday = loupe.Date{Year: 1960 + 4*(i%10), Month: day.Month(), Day: day.Day()} // leap years: Feb 29 is valid
	aday := day.AddDate(0, 0, 100)
	c.Anniversary = loupe.Date{Month: aday.Month(), Day: aday.Day()}
	return c
}

// seed loads n customers in transactions of 1,000 (fast set-up, the same
// write path as PutCustomer; bbolt nodes only split at commit, so one huge
// transaction would be quadratic).
func seed(b *testing.B, db *DB, n int) {
	b.Helper()
	for start := 0; start < n; start += 1000 {
		err := db.update(func(tx *bolt.Tx) error {
			for i := start; i < min(start+1000, n); i++ {
				if err := putCustomerTx(tx, loupe.Customer{}, false, benchCustomer(i)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatalf("seed: %v", err)
		}
	}
}

// BenchmarkPutCustomer upserts existing customers (a newer UpdatedAt and a
// moved birthday each time) into a chain of n customers: one fsynced
// transaction per call, index entries moved.
func BenchmarkPutCustomer(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("customers=%d", n), func(b *testing.B) {
			db, _ := openTemp(b)
			seed(b, db, n)
			i := 0
			for b.Loop() {
				c := benchCustomer((i * 7919) % n)
				c.UpdatedAt = storetest.At(time.Duration(i+1) * time.Second)
				c.Birthday.Day = 1 + i%28
				if err := loupe.PutCustomer(bg, db, c); err != nil {
					b.Fatalf("put customer: %v", err)
				}
				i++
			}
		})
	}
}

// BenchmarkCustomersByMonthDay reads one day's birthdays (about n/366
// customers) from the index of a chain of n customers.
func BenchmarkCustomersByMonthDay(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("customers=%d", n), func(b *testing.B) {
			db, _ := openTemp(b)
			seed(b, db, n)
			want := (n + 365) / 366
			for b.Loop() {
				got, err := db.CustomersByMonthDay(bg, "birthday", "05-17")
				if err != nil {
					b.Fatalf("by month day: %v", err)
				}
				if len(got) < want-1 || len(got) > want+1 {
					b.Fatalf("customers: got %d, want about %d", len(got), want)
				}
			}
		})
	}
}

// BenchmarkScanCustomers reads every customer of one store (n/20) through the
// home-store index.
func BenchmarkScanCustomers(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("customers=%d", n), func(b *testing.B) {
			db, _ := openTemp(b)
			seed(b, db, n)
			for b.Loop() {
				count := 0
				if err := db.ScanCustomers(bg, "s07", func(loupe.Customer) error { count++; return nil }); err != nil {
					b.Fatalf("scan: %v", err)
				}
				if count != n/20 {
					b.Fatalf("scanned: got %d, want %d", count, n/20)
				}
			}
		})
	}
}
