// Package signintest is the contract suite of loupe.SignInStore (the codes
// of sign-in links and the count of link mails, CONTRACT section 3,
// "Sign-in"): every adapter (embedded, dynamo on dynalite, the in-memory
// postest.MemDB) runs the same cases through Run.
package signintest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
)

// T0 is the base instant of the cases (sub-second on purpose).
var T0 = time.Date(2026, time.November, 20, 10, 4, 5, 123456789, time.UTC)

// Racers is how many goroutines the concurrent cases start.
const Racers = 20

var ctx = context.Background()

// Run runs the loupe.SignInStore contract against the store open returns:
// open is called once per case and returns an empty store, registering its
// own cleanup with t.Cleanup.
func Run(t *testing.T, open func(t *testing.T) loupe.SignInStore) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, open(t)) })
	}
}

type testCase struct {
	name string
	run  func(t *testing.T, s loupe.SignInStore)
}

func hash(code string) string { return loupe.SignInCodeHash(code) }

func put(t *testing.T, s loupe.SignInStore, code, email string, expires time.Time) {
	t.Helper()
	if err := s.PutSignInCode(ctx, hash(code), email, expires); err != nil {
		t.Fatalf("put code %s: %v", code, err)
	}
}

// wantTake fails t unless taking code at now returns email.
func wantTake(t *testing.T, s loupe.SignInStore, code string, now time.Time, email string) {
	t.Helper()
	got, err := s.TakeSignInCode(ctx, hash(code), now)
	if err != nil || got != email {
		t.Fatalf("take code %s: got %q, %v; want %q", code, got, err, email)
	}
}

// wantGone fails t unless taking code at now is ErrNotFound.
func wantGone(t *testing.T, s loupe.SignInStore, code string, now time.Time, why string) {
	t.Helper()
	got, err := s.TakeSignInCode(ctx, hash(code), now)
	if !errors.Is(err, loupe.ErrNotFound) {
		t.Fatalf("take code %s (%s): got %q, %v; want ErrNotFound", code, why, got, err)
	}
}

// wantCount fails t unless counting email at at returns want.
func wantCount(t *testing.T, s loupe.SignInStore, email string, at time.Time, want int) {
	t.Helper()
	got, err := s.CountSignInMail(ctx, email, at)
	if err != nil || got != want {
		t.Fatalf("count %s at %s: got %d, %v; want %d", email, at.Format(time.RFC3339), got, err, want)
	}
}

const ttl = 15 * time.Minute

// race runs fn(0) to fn(Racers-1) at once and waits for them all.
func race(fn func(i int)) {
	var wg sync.WaitGroup
	for i := range Racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(i)
		}()
	}
	wg.Wait()
}

var cases = []testCase{
	{"PutTakeOnce", func(t *testing.T, s loupe.SignInStore) {
		put(t, s, "code-1", "Ann.Lee@shop.example.com", T0.Add(ttl))
		wantTake(t, s, "code-1", T0.Add(time.Minute), "Ann.Lee@shop.example.com")
		wantGone(t, s, "code-1", T0.Add(2*time.Minute), "taken before")
	}},
	{"PutSameHashTwice", func(t *testing.T, s loupe.SignInStore) {
		put(t, s, "code-1", "ann@shop.example.com", T0.Add(ttl))
		err := s.PutSignInCode(ctx, hash("code-1"), "eve@shop.example.com", T0.Add(2*ttl))
		if !errors.Is(err, loupe.ErrExists) {
			t.Fatalf("second put of the hash: got %v, want ErrExists", err)
		}
		wantTake(t, s, "code-1", T0, "ann@shop.example.com")
	}},
	{"Unknown", func(t *testing.T, s loupe.SignInStore) {
		wantGone(t, s, "never-stored", T0, "unknown")
		put(t, s, "code-1", "ann@shop.example.com", T0.Add(ttl))
		wantGone(t, s, "code-2", T0, "another code")
		wantTake(t, s, "code-1", T0, "ann@shop.example.com")
	}},
	{"Expired", func(t *testing.T, s loupe.SignInStore) {
		exp := T0.Add(ttl)
		put(t, s, "at-expiry", "ann@shop.example.com", exp)
		put(t, s, "after-expiry", "ann@shop.example.com", exp)
		put(t, s, "just-before", "ann@shop.example.com", exp)
		// In clock order: a store may sweep the codes expired by the now
		// of a take.
		wantTake(t, s, "just-before", exp.Add(-time.Millisecond), "ann@shop.example.com")
		wantGone(t, s, "at-expiry", exp, "taken at its expiry")
		wantGone(t, s, "after-expiry", exp.Add(time.Hour), "taken an hour late")
	}},
	{"ExpiryOfOthersLeavesCode", func(t *testing.T, s loupe.SignInStore) {
		// Codes put out of expiry order; taking one that has expired must
		// not take or lose one that has not.
		put(t, s, "late", "ann@shop.example.com", T0.Add(2*ttl))
		put(t, s, "early", "bob@shop.example.com", T0.Add(ttl))
		put(t, s, "middle", "cy@shop.example.com", T0.Add(ttl+time.Minute))
		at := T0.Add(ttl + time.Second)
		wantGone(t, s, "early", at, "expired")
		wantTake(t, s, "middle", at, "cy@shop.example.com")
		wantTake(t, s, "late", at, "ann@shop.example.com")
	}},
	{"ConcurrentTakesOneWins", func(t *testing.T, s loupe.SignInStore) {
		put(t, s, "code-1", "ann@shop.example.com", T0.Add(ttl))
		won := make([]string, Racers)
		errs := make([]error, Racers)
		race(func(i int) { won[i], errs[i] = s.TakeSignInCode(ctx, hash("code-1"), T0.Add(time.Minute)) })
		wins := 0
		for i, err := range errs {
			switch {
			case err == nil && won[i] == "ann@shop.example.com":
				wins++
			case errors.Is(err, loupe.ErrNotFound):
			default:
				t.Errorf("take %d: got %q, %v; want the email or ErrNotFound", i, won[i], err)
			}
		}
		if wins != 1 {
			t.Errorf("winners of %d racing takes: got %d, want exactly 1", Racers, wins)
		}
	}},
	{"CountsInOrder", func(t *testing.T, s loupe.SignInStore) {
		for want := 1; want <= 6; want++ {
			wantCount(t, s, "ann@shop.example.com", T0.Add(time.Duration(want)*time.Minute), want)
		}
		wantCount(t, s, "bob@shop.example.com", T0, 1)
	}},
	{"ConcurrentCountsDistinct", func(t *testing.T, s loupe.SignInStore) {
		got := make([]int, Racers)
		errs := make([]error, Racers)
		race(func(i int) {
			got[i], errs[i] = s.CountSignInMail(ctx, "ann@shop.example.com", T0.Add(time.Duration(i)*time.Second))
		})
		for i, err := range errs {
			if err != nil {
				t.Fatalf("count %d: %v", i, err)
			}
		}
		slices.Sort(got)
		want := make([]int, Racers)
		for i := range want {
			want[i] = i + 1
		}
		if !slices.Equal(got, want) {
			t.Errorf("counts of %d racing calls: got %v, want 1..%d each once", Racers, got, Racers)
		}
		wantCount(t, s, "ann@shop.example.com", T0.Add(time.Minute), Racers+1)
	}},
	{"HoursCountSeparately", func(t *testing.T, s loupe.SignInStore) {
		hour := T0.Truncate(time.Hour)
		wantCount(t, s, "ann@shop.example.com", hour, 1)
		wantCount(t, s, "ann@shop.example.com", hour.Add(time.Hour-time.Nanosecond), 2)
		wantCount(t, s, "ann@shop.example.com", hour.Add(time.Hour), 1)
		wantCount(t, s, "ann@shop.example.com", hour.Add(3*time.Hour), 1)
		wantCount(t, s, "ann@shop.example.com", hour.Add(time.Hour+time.Minute), 2)
		// The hour is UTC's: the same instant in another zone counts alike.
		india := time.FixedZone("IST", 5*3600+1800)
		wantCount(t, s, "ann@shop.example.com", hour.Add(time.Hour+2*time.Minute).In(india), 3)
	}},
	{"CountCaseInsensitive", func(t *testing.T, s loupe.SignInStore) {
		for i, email := range []string{"Ann@Shop.Example.com", " ann@shop.example.com", "ANN@SHOP.EXAMPLE.COM "} {
			wantCount(t, s, email, T0, i+1)
		}
		wantCount(t, s, "ann2@shop.example.com", T0, 1)
	}},
}
