package embedded

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/testkit/storetest"
)

// TestCompactUnderLoad compacts the file five times while readers and a
// writer keep going: no call fails, every write is in the compacted file, and
// the file reopens.
func TestCompactUnderLoad(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "loupe.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		if err := loupe.PutCustomer(ctx, db, storetest.Customer(fmt.Sprintf("c%d", i), "s1", "a1")); err != nil {
			t.Fatal(err)
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var reads, writes atomic.Int64
	errs := make(chan error, 8)
	for r := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := db.GetCustomer(ctx, fmt.Sprintf("c%d", (i*7+r)%200)); err != nil {
					errs <- fmt.Errorf("read: %w", err)
					return
				}
				reads.Add(1)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := loupe.PutCustomer(ctx, db, storetest.Customer(fmt.Sprintf("w%d", i), "s1", "a1")); err != nil {
				errs <- fmt.Errorf("write: %w", err)
				return
			}
			writes.Add(1)
		}
	}()
	for range 5 {
		time.Sleep(20 * time.Millisecond)
		if err := db.Compact(ctx); err != nil {
			t.Fatalf("compact: %v", err)
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	n := writes.Load()
	t.Logf("during 5 compactions: %d reads, %d writes", reads.Load(), n)
	// The compacted file is still this process's: another Open is refused.
	saved := openTimeout
	openTimeout = 100 * time.Millisecond
	defer func() { openTimeout = saved }()
	if other, err := Open(path); !errors.Is(err, ErrInUse) {
		if other != nil {
			other.Close()
		}
		t.Fatalf("Open of a compacted file in use = %v, want ErrInUse", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Compact(ctx); err == nil {
		t.Fatal("Compact after Close: nil error")
	}
	db, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i := range n {
		if _, err := db.GetCustomer(ctx, fmt.Sprintf("w%d", i)); err != nil {
			t.Fatalf("write w%d lost by a compaction: %v", i, err)
		}
	}
}

// BenchmarkCompact measures the compaction that ends every local erasure on a
// file of 5,000 and 50,000 customers, against its floor in the same run:
// copying the file's bytes to a new file and fsyncing it (what any rewrite of
// the file must at least do). Reported: MB of the file and the ratio.
func BenchmarkCompact(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("customers=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			path := filepath.Join(dir, "loupe.db")
			db, err := Open(path)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			seed(b, db, n)
			if err := db.Compact(context.Background()); err != nil {
				b.Fatal(err)
			}
			st, err := os.Stat(path)
			if err != nil {
				b.Fatal(err)
			}
			floor := copyFloor(b, path, filepath.Join(dir, "copy"))
			b.ResetTimer()
			for range b.N {
				if err := db.Compact(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			per := b.Elapsed() / time.Duration(b.N)
			b.ReportMetric(float64(st.Size())/1e6, "MB")
			b.ReportMetric(float64(floor.Microseconds())/1e3, "floor-ms")
			b.ReportMetric(float64(per)/float64(floor), "x-floor")
		})
	}
}

// copyFloor returns the best of three copies of src to dst, each fsynced.
func copyFloor(b *testing.B, src, dst string) time.Duration {
	b.Helper()
	best := time.Duration(1 << 62)
	for range 3 {
		start := time.Now()
		in, err := os.ReadFile(src)
		if err != nil {
			b.Fatal(err)
		}
		f, err := os.Create(dst)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := f.Write(in); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
		f.Close()
		best = min(best, time.Since(start))
	}
	return best
}
