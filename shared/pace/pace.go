// Package pace is how Loupe's senders space their calls to a provider (SES,
// End User Messaging): a token bucket at a rate a second, and bounded
// exponential backoff with jitter after throttling. It is a domain package:
// no I/O, the clock and the sleeper are the caller's.
package pace

import (
	"context"
	"sync"
	"time"
)

// Bucket paces calls: a token bucket holding one token, filled at the rate
// given to Take. The zero value is ready; it is safe for concurrent use.
type Bucket struct {
	mu   sync.Mutex
	next time.Time // when the next slot starts
}

// Take reserves n slots (at least 1) at rate a second from now and returns
// how long to wait for the first of them (0: at once).
func (b *Bucket) Take(now time.Time, n int, rate float64) time.Duration {
	interval := time.Duration(float64(time.Second) / rate)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.next.Before(now) {
		b.next = now
	}
	at := b.next
	b.next = b.next.Add(time.Duration(max(n, 1)) * interval)
	return at.Sub(now)
}

// Backoff returns the wait after the attempt-th failed call (from 1): half
// of base*2^(attempt-1), capped at limit, plus rnd() (in [0, 1)) of the
// other half.
func Backoff(attempt int, base, limit time.Duration, rnd func() float64) time.Duration {
	d := base
	for i := 1; i < attempt && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	return d/2 + time.Duration(rnd()*float64(d/2))
}

// Sleep waits d, or returns ctx's error when it ends first.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
