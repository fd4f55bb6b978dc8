package pace_test

import (
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/pace"
)

func TestBucket(t *testing.T) {
	var b pace.Bucket
	t0 := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	var waits []time.Duration
	for _, n := range []int{1, 2, 0, 1} {
		waits = append(waits, b.Take(t0, n, 10))
	}
	want := []time.Duration{0, 100 * time.Millisecond, 300 * time.Millisecond, 400 * time.Millisecond}
	for i := range want {
		if waits[i] != want[i] {
			t.Errorf("take %d: wait %v, want %v (all: %v)", i, waits[i], want[i], waits)
		}
	}
	// After a pause the bucket does not bank slots.
	if d := b.Take(t0.Add(time.Minute), 1, 10); d != 0 {
		t.Errorf("after a minute: wait %v, want 0", d)
	}
}

func TestBackoff(t *testing.T) {
	zero := func() float64 { return 0 }
	for attempt, want := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 20: time.Second} {
		if got := pace.Backoff(attempt, 200*time.Millisecond, 2*time.Second, zero); got != want {
			t.Errorf("attempt %d: %v, want %v", attempt, got, want)
		}
	}
	if got := pace.Backoff(1, 200*time.Millisecond, 2*time.Second, func() float64 { return 0.5 }); got != 150*time.Millisecond {
		t.Errorf("jitter: %v, want 150ms", got)
	}
}
