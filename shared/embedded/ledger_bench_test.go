package embedded

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
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
func seedChain(b testing.TB, db *DB, n, stores int) {
	b.Helper()
	ctx := context.Background()
	zones := []struct{ tz, country string }{{"America/New_York", "US"}, {"Europe/London", "GB"}, {"America/Mexico_City", "MX"}, {"Australia/Sydney", "AU"}}
	for s := range stores {
		z := zones[s%len(zones)]
		id := fmt.Sprintf("s%02d", s)
		st := loupe.Store{StoreID: id, Name: "Store " + id, Timezone: z.tz, Country: z.country, PostalAddress: "1 Main St", FromEmail: id + "@loupe.example.com"}
		if err := loupe.PutStore(ctx, db, st); err != nil {
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
// every client of a 100,000-client, 50-store chain on the embedded store, the
// way the touchpoints Lambda does: PlanStores into a queue that counts. Each
// iteration is a new campaign a cap apart (so every client is claimed
// again). claims/op counts entries enqueued (personal occasions of the day
// included), reads/op store calls, peak-heap-MB the highest HeapInuse and
// sys-MB the highest memory obtained from the OS during the timed runs,
// rss-MB the peak resident set of the process since seeding (bbolt's mapped
// file pages included).
func BenchmarkPlanBlast(b *testing.B) { benchPlanBlast(b, 100_000, 50) }

// BenchmarkPlanBlast1M is BenchmarkPlanBlast with 1,000,000 clients (the
// target: a Save-the-Date day for 1,000,000 clients in under 10 s and
// 512 MB). Seeding takes about a minute and is not timed.
func BenchmarkPlanBlast1M(b *testing.B) { benchPlanBlast(b, 1_000_000, 50) }

// countingQueue is a touch.Queue that only counts.
type countingQueue struct{ n int }

func (q *countingQueue) Enqueue(ctx context.Context, entries []touch.Entry) error {
	q.n += len(entries)
	return nil
}

func benchPlanBlast(b *testing.B, n, stores int) {
	db, err := Open(filepath.Join(b.TempDir(), "loupe.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := db.BulkLoad(func() error { seedChain(b, db, n, stores); return nil }); err != nil {
		b.Fatal(err)
	}
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
	// 12:00 UTC is the same day in New York, London, Mexico City and Sydney.
	first := touch.Day{Year: 2026, Month: time.June, Day: 1}
	var now time.Time
	ledger := db.Ledger()
	p := &touch.Planner{DB: cdb, Ledger: ledger, Campaigns: ledger,
		UnsubscribeURL: func(id string) string { return "https://loupe.example.com/u/" + id },
		Now:            func() time.Time { return now }, Log: slog.New(slog.DiscardHandler)}
	q := &countingQueue{}
	peak := startPeakMem()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		d := first.AddDays(7 * (i % 20))
		now = d.Time(time.UTC).Add(12 * time.Hour)
		c := touch.Campaign{CampaignID: fmt.Sprintf("blast%d", i), Name: "Gala", EventDate: d.AddDays(30), SendDate: d,
			StoreIDs: ids, Subject: "Save the date", BodyHTML: "<p>Join us</p>"}
		if err := ledger.PutCampaign(ctx, c); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := p.PlanStores(ctx, q, storeToday(now)); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	heap, sys, anon, rss := peak()
	b.ReportMetric(float64(cdb.calls.Load())/float64(b.N), "reads/op")
	b.ReportMetric(float64(cdb.records.Load())/float64(b.N), "records/op")
	b.ReportMetric(float64(q.n)/float64(b.N), "claims/op")
	b.ReportMetric(heap, "peak-heap-MB")
	b.ReportMetric(sys, "sys-MB")
	if rss > 0 {
		b.ReportMetric(anon, "anon-MB")
		b.ReportMetric(rss, "rss-MB")
	}
}

// startPeakMem collects garbage, resets the process's peak resident set
// (Linux: /proc/self/clear_refs) and samples runtime/metrics and the
// process's anonymous resident memory every 10 ms. The returned func stops
// sampling and returns the peaks in MB: HeapInuse, memory obtained from the
// OS, RssAnon (the process's own memory, without the pages of the mapped
// database file) and VmHWM (everything resident, mapped file included); the
// last two are 0 when not on Linux.
func startPeakMem() func() (heap, sys, anon, rss float64) {
	runtime.GC()
	debug.FreeOSMemory()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}, {Name: "/memory/classes/total:bytes"}}
	var maxHeap, maxSys, maxAnon uint64
	sample := func() {
		metrics.Read(samples)
		maxHeap = max(maxHeap, samples[0].Value.Uint64()+samples[1].Value.Uint64())
		maxSys = max(maxSys, samples[2].Value.Uint64())
		maxAnon = max(maxAnon, procStatus("RssAnon:"))
	}
	sample()
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				sample()
			}
		}
	}()
	return func() (float64, float64, float64, float64) {
		close(stop)
		<-done
		sample()
		const mb = 1 << 20
		return float64(maxHeap) / mb, float64(maxSys) / mb, float64(maxAnon) / mb, float64(procStatus("VmHWM:")) / mb
	}
}

// procStatus returns the /proc/self/status line named field (a size in kB)
// in bytes, or 0.
func procStatus(field string) uint64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}
