package smsvoice_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/smsvoice"
	"github.com/loupehq/loupe/shared/testkit/smsvoicetest"
)

// BenchmarkTextRate measures the achieved text rate against the configured
// MPS (the target: within 5 %), on the real SDK client through the
// stand-in and the real clock: per iteration, 4 goroutines send 60
// one-segment texts from one identity paced at 20 parts a second, then 60
// from each of two identities (each paced at 20: together 40). The rate is
// counted between the first and the last accepted request, so the first
// text's free slot does not flatter it; ratio_to_mps is achieved over
// configured (1.00 is the floor the pacing may not beat).
func BenchmarkTextRate(b *testing.B) {
	srv := smsvoicetest.Start(b)
	client := srv.Client(b)
	for _, ids := range []int{1, 2} {
		b.Run(fmt.Sprintf("identities=%d", ids), func(b *testing.B) {
			const perIdentity, mps = 60, 20.0
			var ratio float64
			for i := 0; i < b.N; i++ {
				byStore := map[string]string{}
				for k := range ids {
					byStore[fmt.Sprint("s", k)] = fmt.Sprintf("+1800555%04d", 100*i+k)
				}
				s := smsvoice.New(client, smsvoice.Config{StoreIdentities: byStore, MessagesPerSecond: mps})
				var mu sync.Mutex
				var first, last time.Time
				var wg sync.WaitGroup
				work := make(chan int)
				for range 4 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for n := range work {
							tp := touchpoint(fmt.Sprint("s", n%ids), "birthday", fmt.Sprintf("+1212555%04d", n))
							tp.Key.CustomerID = fmt.Sprint("c", n)
							if _, err := s.Send(context.Background(), tp); err != nil {
								b.Error(err)
								return
							}
							now := time.Now()
							mu.Lock()
							if first.IsZero() || now.Before(first) {
								first = now
							}
							if now.After(last) {
								last = now
							}
							mu.Unlock()
						}
					}()
				}
				for n := range perIdentity * ids {
					work <- n
				}
				close(work)
				wg.Wait()
				achieved := float64(perIdentity*ids-1) / last.Sub(first).Seconds()
				ratio += achieved / (mps * float64(ids))
			}
			b.ReportMetric(ratio/float64(b.N), "ratio_to_mps")
		})
	}
}
