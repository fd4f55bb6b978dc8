package embedded

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/touch"
	bolt "go.etcd.io/bbolt"
)

// countingDB counts the store reads the planner makes: calls and customer
// records returned.
type countingDB struct {
	*DB
	calls, records atomic.Int64
}

func (c *countingDB) CustomersByMonthDay(ctx context.Context, field, md string) ([]loupe.Customer, error) {
	c.calls.Add(1)
	out, err := c.DB.CustomersByMonthDay(ctx, field, md)
	c.records.Add(int64(len(out)))
	return out, err
}

func (c *countingDB) ScanCustomers(ctx context.Context, storeID string, fn func(loupe.Customer) error) error {
	c.calls.Add(1)
	return c.DB.ScanCustomers(ctx, storeID, func(cu loupe.Customer) error {
		c.records.Add(1)
		return fn(cu)
	})
}

func (c *countingDB) GetAssociate(ctx context.Context, id string) (loupe.Associate, error) {
	c.calls.Add(1)
	return c.DB.GetAssociate(ctx, id)
}

// seedChain loads n customers over stores stores (10 associates each), with
// birthdays and anniversaries spread over the year, in transactions of 1,000.
func seedChain(b *testing.B, db *DB, n, stores int) {
	b.Helper()
	ctx := context.Background()
	zones := []struct{ tz, country string }{{"America/New_York", "US"}, {"Europe/London", "GB"}, {"America/Mexico_City", "MX"}, {"Australia/Sydney", "AU"}}
	for s := range stores {
		z := zones[s%len(zones)]
		id := fmt.Sprintf("s%02d", s)
		st := loupe.Store{StoreID: id, Name: "Store " + id, Timezone: z.tz, Country: z.country, PostalAddress: "1 Main St", FromEmail: id + "@loupe.example.com"}
		if err := db.PutStore(ctx, st); err != nil {
			b.Fatal(err)
		}
	}
	for start := 0; start < n; start += 1000 {
		err := db.update(func(tx *bolt.Tx) error {
			for i := start; i < min(start+1000, n); i++ {
				c := benchCustomer(i)
				c.HomeStoreID = fmt.Sprintf("s%02d", i%stores)
				c.AssociateID = fmt.Sprintf("a%s-%d", c.HomeStoreID, i%10)
				if err := putCustomerTx(tx, loupe.Customer{}, false, c); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPlanDay plans and delivers (to mail.Fake) one store-local day for
// every store of a 100,000-client, 50-store chain on the embedded store, with
// the bbolt ledger. "quiet" days have no holiday window open: only the clients
// due a birthday or anniversary are read. Each iteration plans the next day,
// so every claim is new. reads/op counts store calls, records/op customer
// records read, mails/op mails sent.
func BenchmarkPlanDay(b *testing.B) {
	const n, stores = 100_000, 50
	db, err := Open(filepath.Join(b.TempDir(), "loupe.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	seedChain(b, db, n, stores)
	for _, bc := range []struct {
		name  string
		first string
	}{{"quiet", "2026-06-01"}} {
		b.Run(bc.name, func(b *testing.B) {
			cdb := &countingDB{DB: db}
			now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
			p := &touch.Planner{DB: cdb, Ledger: db.Ledger(), Campaigns: db.Ledger(),
				UnsubscribeURL: func(id string) string { return "https://loupe.example.com/u/" + id },
				Now:            func() time.Time { return now }, Log: slog.New(slog.DiscardHandler)}
			first, _ := touch.ParseDay(bc.first)
			mails := 0
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				res, err := p.RunDay(context.Background(), first.AddDays(i%60), &mail.Fake{})
				if err != nil {
					b.Fatal(err)
				}
				mails += res.Sent
			}
			b.ReportMetric(float64(cdb.calls.Load())/float64(b.N), "reads/op")
			b.ReportMetric(float64(cdb.records.Load())/float64(b.N), "records/op")
			b.ReportMetric(float64(mails)/float64(b.N), "mails/op")
		})
	}
}

// BenchmarkPlanBlast plans (without sending) a Save-the-Date campaign to
// every client of a 100,000-client, 50-store chain on the embedded store: a
// scan of each store, one ledger lookup and fatigue check per client, and
// batched claims. Each iteration is a new campaign a cap apart.
func BenchmarkPlanBlast(b *testing.B) {
	const n, stores = 100_000, 50
	db, err := Open(filepath.Join(b.TempDir(), "loupe.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	seedChain(b, db, n, stores)
	ctx := context.Background()
	all, err := db.ListStores(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var ids []string
	for _, s := range all {
		ids = append(ids, s.StoreID)
	}
	cdb := &countingDB{DB: db}
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	p := &touch.Planner{DB: cdb, Ledger: db.Ledger(), Campaigns: db.Ledger(),
		UnsubscribeURL: func(id string) string { return "https://loupe.example.com/u/" + id },
		Now:            func() time.Time { return now }, Log: slog.New(slog.DiscardHandler)}
	first := touch.Day{Year: 2026, Month: time.June, Day: 1}
	claimed := 0
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		d := first.AddDays(7 * (i % 20))
		c := touch.Campaign{CampaignID: fmt.Sprintf("blast%d", i), Name: "Gala", EventDate: d.AddDays(30), SendDate: d,
			StoreIDs: ids, Subject: "Save the date", BodyHTML: "<p>Join us</p>"}
		if err := db.Ledger().PutCampaign(ctx, c); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		for _, s := range all {
			sends, err := p.PlanDay(ctx, s, d)
			if err != nil {
				b.Fatal(err)
			}
			claimed += len(sends)
		}
	}
	b.ReportMetric(float64(cdb.calls.Load())/float64(b.N), "reads/op")
	b.ReportMetric(float64(cdb.records.Load())/float64(b.N), "records/op")
	b.ReportMetric(float64(claimed)/float64(b.N), "claims/op")
}
