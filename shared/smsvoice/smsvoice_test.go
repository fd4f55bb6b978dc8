package smsvoice_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/smsvoice"
	"github.com/loupehq/loupe/shared/testkit/smsvoicetest"
	"github.com/loupehq/loupe/shared/textmsg"
	"github.com/loupehq/loupe/shared/touch"
)

// clock is a fake time: Sleep records the wait and moves Now on by it.
type clock struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

func newClock() *clock { return &clock{now: time.Date(2026, 5, 9, 14, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waits = append(c.waits, d)
	c.now = c.now.Add(d)
	return ctx.Err()
}

func (c *clock) Waits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.waits...)
}

func (c *clock) total() time.Duration {
	var sum time.Duration
	for _, w := range c.Waits() {
		sum += w
	}
	return sum
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func config(c *clock) smsvoice.Config {
	return smsvoice.Config{
		OriginationIdentity: "+18005550100",
		StoreIdentities:     map[string]string{"s2": "pool-0123456789abcdef"},
		ConfigurationSet:    "loupe-sms",
		MessagesPerSecond:   10,
		TimeToLive:          2 * time.Hour,
		BaseDelay:           100 * time.Millisecond,
		Now:                 c.Now, Sleep: c.Sleep, Rand: func() float64 { return 0 },
		Logger: quiet,
	}
}

func touchpoint(storeID, occasion, phone string) touch.Touch {
	return touch.Touch{
		Entry:    touch.Entry{Key: touch.Key{CustomerID: "c1", Occasion: occasion, Year: 2026}, StoreID: storeID, Channel: "sms"},
		Customer: loupe.Customer{CustomerID: "c1", FirstName: "Ana", Phone: phone},
		Store:    loupe.Store{StoreID: storeID, Name: "Éclat"},
		Date:     touch.Day{Year: 2026, Month: time.May, Day: 9},
	}
}

func TestSendEveryFieldOnTheWire(t *testing.T) {
	srv := smsvoicetest.Start(t)
	c := newClock()
	s := smsvoice.New(srv.Client(t), config(c))
	tests := []struct {
		name     string
		t        touch.Touch
		identity string
		typ      string
	}{
		{"birthday from the default identity", touchpoint("s1", touch.Birthday, "+12125550100"), "+18005550100", "PROMOTIONAL"},
		{"repair ready from the store's own", touchpoint("s2", "repair_ready:r7", "+12125550101"), "pool-0123456789abcdef", "TRANSACTIONAL"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := s.Send(context.Background(), tt.t)
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			sent := srv.Sent()
			if len(sent) != i+1 {
				t.Fatalf("stand-in got %d texts, want %d", len(sent), i+1)
			}
			got := sent[i]
			want, _ := textmsg.Compose(tt.t)
			if got.MessageID != id {
				t.Errorf("id = %q, stand-in's %q", id, got.MessageID)
			}
			if got.DestinationPhoneNumber != tt.t.Customer.Phone {
				t.Errorf("DestinationPhoneNumber = %q, want %q", got.DestinationPhoneNumber, tt.t.Customer.Phone)
			}
			if got.OriginationIdentity != tt.identity {
				t.Errorf("OriginationIdentity = %q, want %q", got.OriginationIdentity, tt.identity)
			}
			if got.MessageBody != want.Body {
				t.Errorf("MessageBody = %q, want %q", got.MessageBody, want.Body)
			}
			if got.MessageType != tt.typ {
				t.Errorf("MessageType = %q, want %q", got.MessageType, tt.typ)
			}
			if got.ConfigurationSetName != "loupe-sms" {
				t.Errorf("ConfigurationSetName = %q, want loupe-sms", got.ConfigurationSetName)
			}
			if k := got.Context[smsvoice.ContextLedgerKey]; k != tt.t.Key.MailKey() || len(got.Context) != 1 {
				t.Errorf("Context = %v, want {ledger_key: %s}", got.Context, tt.t.Key.MailKey())
			}
			if got.TimeToLive == nil || *got.TimeToLive != 7200 {
				t.Errorf("TimeToLive = %v, want 7200", got.TimeToLive)
			}
			if got.DryRun {
				t.Errorf("DryRun sent")
			}
		})
	}
}

func TestThrottledThenSent(t *testing.T) {
	srv := smsvoicetest.Start(t)
	c := newClock()
	s := smsvoice.New(srv.Client(t), config(c))
	srv.Throttle(3)
	id, err := s.Send(context.Background(), touchpoint("s1", touch.Birthday, "+12125550100"))
	if err != nil {
		t.Fatalf("Send after 3 throttles: %v", err)
	}
	if got := srv.Sent(); len(got) != 1 || got[0].MessageID != id {
		t.Fatalf("stand-in got %+v, want the one text %s", got, id)
	}
	if got, want := srv.Calls(), 4; got != want {
		t.Errorf("calls = %d, want %d", got, want)
	}
	// Backoff with Rand 0: half of 100, 200, 400 ms; each retry also waits
	// for its pacing slot at 10 a second (100 ms after the last call, less
	// the backoff already waited: none once the backoff is longer).
	want := []time.Duration{50 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond}
	if got := c.Waits(); !equal(got, want) {
		t.Errorf("waits = %v, want %v", got, want)
	}
}

func TestThrottledPastTheAttemptsIsNotDropped(t *testing.T) {
	srv := smsvoicetest.Start(t)
	c := newClock()
	cfg := config(c)
	cfg.MaxAttempts = 3
	s := smsvoice.New(srv.Client(t), cfg)
	srv.Throttle(10)
	_, err := s.Send(context.Background(), touchpoint("s1", touch.Birthday, "+12125550100"))
	if !errors.Is(err, mail.ErrTemporary) || errors.Is(err, mail.ErrRejected) {
		t.Fatalf("err = %v, want a retryable mail.ErrTemporary", err)
	}
	if got := srv.Calls(); got != 3 {
		t.Errorf("calls = %d, want 3 (MaxAttempts)", got)
	}
	if len(srv.Sent()) != 0 {
		t.Errorf("a throttled text was recorded sent")
	}
}

func TestCancelledWhileBackingOff(t *testing.T) {
	srv := smsvoicetest.Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	cfg := config(newClock())
	cfg.Sleep = func(context.Context, time.Duration) error { cancel(); return context.Canceled }
	s := smsvoice.New(srv.Client(t), cfg)
	srv.Throttle(1)
	_, err := s.Send(ctx, touchpoint("s1", touch.Birthday, "+12125550100"))
	if !errors.Is(err, mail.ErrTemporary) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want mail.ErrTemporary and context.Canceled", err)
	}
}

func TestRejected(t *testing.T) {
	srv := smsvoicetest.Start(t)
	s := smsvoice.New(srv.Client(t), config(newClock()))
	srv.OptOut("+12125550199")
	srv.Invalid("+12125550198")
	long := touchpoint("s1", "event:gala", "+12125550100")
	long.Campaign = &touch.Campaign{CampaignID: "gala", Name: strings.Repeat("The grand gala ", 20)}
	tests := []struct {
		name  string
		t     touch.Touch
		calls int // SendTextMessage calls the refusal takes
	}{
		{"opted out", touchpoint("s1", touch.Birthday, "+12125550199"), 1},
		{"invalid number", touchpoint("s1", touch.Birthday, "+12125550198"), 1},
		{"not E.164", touchpoint("s1", touch.Birthday, "2125550100"), 1},
		{"no phone", touchpoint("s1", touch.Birthday, ""), 0},
		{"body over 2 segments", long, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := srv.Calls()
			_, err := s.Send(context.Background(), tt.t)
			if !errors.Is(err, mail.ErrRejected) {
				t.Fatalf("err = %v, want mail.ErrRejected", err)
			}
			if got := srv.Calls() - before; got != tt.calls {
				t.Errorf("calls = %d, want %d", got, tt.calls)
			}
		})
	}
	if len(srv.Sent()) != 0 {
		t.Errorf("stand-in recorded %d texts, want none", len(srv.Sent()))
	}
}

func TestNoIdentityLeavesItClaimed(t *testing.T) {
	srv := smsvoicetest.Start(t)
	cfg := config(newClock())
	cfg.OriginationIdentity = ""
	s := smsvoice.New(srv.Client(t), cfg)
	_, err := s.Send(context.Background(), touchpoint("s1", touch.Birthday, "+12125550100"))
	if !errors.Is(err, mail.ErrTemporary) || errors.Is(err, mail.ErrRejected) {
		t.Fatalf("err = %v, want a retryable mail.ErrTemporary", err)
	}
	if srv.Calls() != 0 {
		t.Errorf("called AWS without an origination identity")
	}
}

func TestPacing(t *testing.T) {
	srv := smsvoicetest.Start(t)
	c := newClock()
	s := smsvoice.New(srv.Client(t), config(c)) // 10 a second
	for i := range 5 {
		if _, err := s.Send(context.Background(), touchpoint("s1", touch.Birthday, "+12125550100")); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	if got := c.total(); got < 400*time.Millisecond {
		t.Errorf("5 texts at 10 a second waited %v in all (%v), want at least 400ms", got, c.Waits())
	}
	want := []time.Duration{100 * time.Millisecond, 100 * time.Millisecond, 100 * time.Millisecond, 100 * time.Millisecond}
	if got := c.Waits(); !equal(got, want) {
		t.Errorf("waits = %v, want %v", got, want)
	}
}

func TestPacingCountsSegments(t *testing.T) {
	srv := smsvoicetest.Start(t)
	c := newClock()
	cfg := config(c)
	cfg.MessagesPerSecond = 1
	s := smsvoice.New(srv.Client(t), cfg)
	two := touchpoint("s1", touch.Birthday, "+12125550100")
	two.Customer.FirstName = "Łucja" // UCS-2: 2 segments
	if m, _ := textmsg.Compose(two); m.Count.Segments != 2 {
		t.Fatalf("test text has %d segments, want 2", m.Count.Segments)
	}
	for range 2 {
		if _, err := s.Send(context.Background(), two); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := c.Waits(), []time.Duration{2 * time.Second}; !equal(got, want) {
		t.Errorf("waits = %v, want %v (the second text waits for both parts of the first)", got, want)
	}
}

func TestDefaults(t *testing.T) {
	srv := smsvoicetest.Start(t)
	c := newClock()
	s := smsvoice.New(srv.Client(t), smsvoice.Config{OriginationIdentity: "+18005550100", Now: c.Now, Sleep: c.Sleep, Logger: quiet})
	for range 2 {
		if _, err := s.Send(context.Background(), touchpoint("s1", touch.Birthday, "+12125550100")); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := c.Waits(), []time.Duration{time.Second}; !equal(got, want) {
		t.Errorf("waits = %v, want %v (1 a second)", got, want)
	}
	sent := srv.Sent()
	if sent[0].TimeToLive == nil || *sent[0].TimeToLive != 3600 || sent[0].ConfigurationSetName != "" {
		t.Errorf("defaults on the wire: %+v", sent[0])
	}
}

func equal(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
