package sesmail_test

import (
	"context"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/loupehq/loupe/shared/sesmail"
	"github.com/loupehq/loupe/shared/testkit/sestest"
)

// countingAPI counts the SendEmail calls that reach SES.
type countingAPI struct {
	sesmail.API
	calls atomic.Int64
}

func (c *countingAPI) SendEmail(ctx context.Context, in *sesv2.SendEmailInput, opts ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error) {
	c.calls.Add(1)
	return c.API.SendEmail(ctx, in, opts...)
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// BenchmarkSESBlast sends LOUPE_BLAST_N messages (default 2,000; the Christmas
// blast of a large chain is 100,000) to aws-ses-v2-local at LOUPE_BLAST_RATE
// messages a second (default 200) from LOUPE_BLAST_WORKERS goroutines (default
// 32) sharing one Sender, and reports the achieved rate against the set one and
// the SendEmail calls per 1,000 mails (1,000 when nothing is retried).
func BenchmarkSESBlast(b *testing.B) {
	n := envInt("LOUPE_BLAST_N", 2000)
	rate := float64(envInt("LOUPE_BLAST_RATE", 200))
	workers := envInt("LOUPE_BLAST_WORKERS", 32)
	ep := sestest.Start(b)
	api := &countingAPI{API: sestest.Client(b, ep)}
	var elapsed time.Duration
	var sent int
	for b.Loop() {
		sestest.Clear(b, ep)
		s := sesmail.New(api, sesmail.Config{ConfigurationSet: "loupe", MaxRate: rate, Logger: quiet})
		jobs := make(chan int)
		var wg sync.WaitGroup
		var failed atomic.Int64
		start := time.Now()
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range jobs {
					if _, err := s.Send(context.Background(), message(i)); err != nil {
						failed.Add(1)
					}
				}
			}()
		}
		for i := range n {
			jobs <- i
		}
		close(jobs)
		wg.Wait()
		elapsed += time.Since(start)
		sent += n
		if f := failed.Load(); f > 0 {
			b.Fatalf("%d of %d sends failed", f, n)
		}
		if got := len(sestest.Sent(b, ep)); got != n {
			b.Fatalf("aws-ses-v2-local stored %d, want %d", got, n)
		}
	}
	b.ReportMetric(float64(sent)/elapsed.Seconds(), "achieved_msgs/s")
	b.ReportMetric(rate, "set_msgs/s")
	b.ReportMetric(float64(api.calls.Load())/float64(sent)*1000, "ses_calls/1000mails")
}
