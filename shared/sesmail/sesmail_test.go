package sesmail_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	netmail "net/mail"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/sesmail"
	"github.com/loupehq/loupe/shared/testkit/sestest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func message(i int) mail.Message {
	c := fmt.Sprintf("c%05d", i)
	return mail.Message{
		From:    "Maison Éclat <hello@eclat.example>",
		To:      c + "@client.example",
		Subject: "Joyeux Noël ✨",
		Text:    "Joyeux Noël.\nUnsubscribe: https://l.example/u/" + c,
		HTML:    "<p>Joyeux Noël.</p>",
		Headers: mail.ClientHeaders(c, "christmas", "2026-12-20", "https://l.example/u/"+c),
		Key:     "tp/" + c + "/christmas/2026",
	}
}

// clock is a fake time: Sleep records the wait and moves Now forward when advance is set.
type clock struct {
	mu      sync.Mutex
	t       time.Time
	advance bool
	slept   []time.Duration
}

func newClock(advance bool) *clock {
	return &clock{t: time.Date(2026, 12, 20, 9, 0, 0, 0, time.UTC), advance: advance}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.slept = append(c.slept, d)
	if c.advance {
		c.t = c.t.Add(d)
	}
	return ctx.Err()
}

// fakeAPI answers SendEmail with the scripted errors in turn, then successes.
type fakeAPI struct {
	mu         sync.Mutex
	errs       []error
	calls      []*sesv2.SendEmailInput
	accountErr error
	rate       float64
	accounts   int
}

func (f *fakeAPI) SendEmail(ctx context.Context, in *sesv2.SendEmailInput, _ ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, in)
	if len(f.errs) > 0 {
		err := f.errs[0]
		f.errs = f.errs[1:]
		return nil, err
	}
	return &sesv2.SendEmailOutput{MessageId: aws.String(fmt.Sprintf("ses-%d", len(f.calls)))}, nil
}

func (f *fakeAPI) GetAccount(ctx context.Context, _ *sesv2.GetAccountInput, _ ...func(*sesv2.Options)) (*sesv2.GetAccountOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.accounts++
	if f.accountErr != nil {
		return nil, f.accountErr
	}
	return &sesv2.GetAccountOutput{SendQuota: &types.SendQuota{MaxSendRate: f.rate}}, nil
}

// statusError is a transport error carrying an HTTP status, like smithy's ResponseError.
type statusError int

func (e statusError) Error() string       { return fmt.Sprintf("http %d", int(e)) }
func (e statusError) HTTPStatusCode() int { return int(e) }

func newSender(api sesmail.API, c *clock, cfg sesmail.Config) *sesmail.Sender {
	cfg.Now, cfg.Sleep = c.Now, c.Sleep
	cfg.Rand = func() float64 { return 0.5 }
	cfg.Logger = quiet
	return sesmail.New(api, cfg)
}

func TestSendRawInConfigurationSet(t *testing.T) {
	api := &fakeAPI{}
	s := newSender(api, newClock(true), sesmail.Config{ConfigurationSet: "loupe-marketing", MaxRate: 10})
	id, err := s.Send(context.Background(), message(1))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := id, "ses-1"; got != want {
		t.Errorf("id = %q, want %q", got, want)
	}
	in := api.calls[0]
	if got, want := aws.ToString(in.ConfigurationSetName), "loupe-marketing"; got != want {
		t.Errorf("ConfigurationSetName = %q, want %q", got, want)
	}
	msg, err := netmail.ReadMessage(bytes.NewReader(in.Content.Raw.Data))
	if err != nil {
		t.Fatalf("raw content does not parse: %v", err)
	}
	if got, want := msg.Header.Get(mail.HeaderCustomerID), "c00001"; got != want {
		t.Errorf("%s = %q, want %q", mail.HeaderCustomerID, got, want)
	}
	var tags []string
	for _, tg := range in.EmailTags {
		tags = append(tags, aws.ToString(tg.Name)+"="+aws.ToString(tg.Value))
	}
	if want := []string{"loupe_touchpoint=christmas", "loupe_customer_id=c00001"}; !slices.Equal(tags, want) {
		t.Errorf("tags = %v, want %v", tags, want)
	}
}

func TestPacing(t *testing.T) {
	tests := []struct {
		name string
		n    int
		rate float64
	}{
		{"10 at 1/s", 10, 1},
		{"100 at 14/s", 100, 14},
		{"1000 at 200/s", 1000, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock(true)
			s := newSender(&fakeAPI{}, c, sesmail.Config{MaxRate: tt.rate})
			start := c.Now()
			for i := range tt.n {
				if _, err := s.Send(context.Background(), message(i)); err != nil {
					t.Fatal(err)
				}
			}
			// The bucket holds one token: the first goes at once, then one every 1/rate.
			got := c.Now().Sub(start)
			want := time.Duration(float64(tt.n-1) / tt.rate * float64(time.Second))
			if diff := got - want; diff < -time.Millisecond || diff > time.Millisecond {
				t.Errorf("%d messages took %v on the clock, want %v", tt.n, got, want)
			}
		})
	}
}

func TestPacingSharedAcrossGoroutines(t *testing.T) {
	c := newClock(false) // time stands still: each goroutine's wait shows its slot
	s := newSender(&fakeAPI{}, c, sesmail.Config{MaxRate: 20})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				if _, err := s.Send(context.Background(), message(g*10+i)); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	waits := append([]time.Duration{0}, c.slept...) // the first slot needs no sleep
	slices.Sort(waits)
	if got, want := len(waits), 80; got != want {
		t.Fatalf("%d slots, want %d", got, want)
	}
	for i, w := range waits {
		if want := time.Duration(i) * 50 * time.Millisecond; w != want {
			t.Fatalf("slot %d waits %v, want %v", i, w, want)
		}
	}
}

func TestRateFromAccount(t *testing.T) {
	tests := []struct {
		name       string
		api        *fakeAPI
		configured float64
		share      int
		want       float64
		accounts   int
	}{
		{"configured wins", &fakeAPI{rate: 14}, 50, 2, 50, 0},
		{"from GetAccount", &fakeAPI{rate: 14}, 0, 0, 14, 1},
		{"GetAccount split between 2 instances", &fakeAPI{rate: 14}, 0, 2, 7, 1},
		{"GetAccount fails", &fakeAPI{accountErr: errors.New("access denied")}, 0, 0, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSender(tt.api, newClock(true), sesmail.Config{MaxRate: tt.configured, Concurrency: tt.share})
			for range 3 {
				if got := s.Rate(context.Background()); got != tt.want {
					t.Errorf("Rate = %v, want %v", got, tt.want)
				}
			}
			if got := tt.api.accounts; got != tt.accounts {
				t.Errorf("GetAccount called %d times, want %d", got, tt.accounts)
			}
		})
	}
}

func TestThrottlingIsRetried(t *testing.T) {
	throttled := []error{
		&types.TooManyRequestsException{Message: aws.String("slow down")},
		&types.LimitExceededException{Message: aws.String("rate")},
		statusError(503),
		statusError(429),
		errors.New("connection reset by peer"),
	}
	api := &fakeAPI{errs: slices.Clone(throttled)}
	c := newClock(true)
	s := newSender(api, c, sesmail.Config{MaxRate: 1000, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second})
	id, err := s.Send(context.Background(), message(1))
	if err != nil {
		t.Fatalf("Send err = %v, want success after retries", err)
	}
	if got, want := id, "ses-6"; got != want {
		t.Errorf("id = %q, want %q", got, want)
	}
	if got, want := len(api.calls), 6; got != want {
		t.Errorf("%d SendEmail calls, want %d", got, want)
	}
	// Backoff with Rand 0.5: 3/4 of 100, 200, 400, 800, 1000 (capped) ms; pacing
	// slots at 1000/s are already free after each backoff.
	want := []time.Duration{75, 150, 300, 600, 750}
	for i := range want {
		want[i] *= time.Millisecond
	}
	if !slices.Equal(c.slept, want) {
		t.Errorf("slept %v, want %v", c.slept, want)
	}
}

func TestErrors(t *testing.T) {
	bad := message(1)
	bad.Subject = "x\r\nBcc: y@evil.example"
	tests := []struct {
		name      string
		errs      []error
		m         mail.Message
		calls     int
		wantIs    error
		wantCode  string
		wantAsSES bool
	}{
		{"throttled past MaxAttempts", slices.Repeat([]error{&types.TooManyRequestsException{}}, 10), message(1), 4, mail.ErrTemporary, "", true},
		{"5xx past MaxAttempts", slices.Repeat([]error{statusError(500)}, 10), message(1), 4, mail.ErrTemporary, "", false},
		{"message rejected", []error{&types.MessageRejected{Message: aws.String("bad")}}, message(1), 1, mail.ErrRejected, "", true},
		{"mail from not verified", []error{&types.MailFromDomainNotVerifiedException{}}, message(1), 1, mail.ErrRejected, "", false},
		{"account suspended", []error{&types.AccountSuspendedException{}}, message(1), 1, mail.ErrRejected, "", false},
		{"bad request", []error{&types.BadRequestException{}}, message(1), 1, mail.ErrRejected, "", false},
		{"other 4xx", []error{statusError(403)}, message(1), 1, mail.ErrRejected, "", false},
		{"invalid message", nil, bad, 0, nil, loupe.EINVALID, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &fakeAPI{errs: tt.errs}
			s := newSender(api, newClock(true), sesmail.Config{MaxRate: 100, MaxAttempts: 4})
			_, err := s.Send(context.Background(), tt.m)
			if err == nil {
				t.Fatal("Send succeeded, want an error")
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("err = %v, want it to wrap %v", err, tt.wantIs)
			}
			if tt.wantCode != "" && loupe.ErrorCode(err) != tt.wantCode {
				t.Errorf("code = %q, want %q", loupe.ErrorCode(err), tt.wantCode)
			}
			if tt.wantAsSES && len(tt.errs) > 0 {
				if !errors.As(err, new(*types.TooManyRequestsException)) && !errors.As(err, new(*types.MessageRejected)) {
					t.Errorf("err = %v does not wrap the SES error", err)
				}
			}
			if got := len(api.calls); got != tt.calls {
				t.Errorf("%d SendEmail calls, want %d", got, tt.calls)
			}
		})
	}
}

func TestCancelDuringBackoff(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	api := &fakeAPI{errs: slices.Repeat([]error{&types.TooManyRequestsException{}}, 10)}
	s := sesmail.New(api, sesmail.Config{MaxRate: 1000, Logger: quiet, Sleep: func(ctx context.Context, d time.Duration) error {
		cancel()
		return ctx.Err()
	}})
	_, err := s.Send(ctx, message(1))
	if !errors.Is(err, mail.ErrTemporary) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want ErrTemporary and context.Canceled", err)
	}
}

func TestSendToLocalSES(t *testing.T) {
	ep := sestest.Start(t)
	client := sestest.Client(t, ep)
	s := sesmail.New(client, sesmail.Config{ConfigurationSet: "loupe", Logger: quiet})
	if got, want := s.Rate(context.Background()), sestest.MaxSendRate; got != want {
		t.Errorf("Rate = %v, want the account's %v", got, want)
	}
	m := message(7)
	m.Attachments = []mail.Attachment{{Filename: "list.csv", ContentType: "text/csv", Data: []byte("customer_id\nc7\n")}}
	id, err := s.Send(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	sent := sestest.Sent(t, ep)
	if len(sent) != 1 {
		t.Fatalf("%d stored, want 1", len(sent))
	}
	got := sent[0]
	for _, c := range []struct{ name, got, want string }{
		{"MessageId", got.MessageID, id},
		{"Subject", got.Subject, m.Subject},
		{"From", got.From, `"Maison Éclat" <hello@eclat.example>`},
		{"text", got.Body.Text, m.Text},
		{"html", got.Body.HTML, m.HTML},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if len(got.Destination.To) != 1 || got.Destination.To[0] != m.To {
		t.Errorf("To = %v, want [%s]", got.Destination.To, m.To)
	}
	if len(got.Attachments) != 1 {
		t.Fatalf("%d attachments, want 1", len(got.Attachments))
	}
	data, _ := base64.StdEncoding.DecodeString(got.Attachments[0].Content)
	if got.Attachments[0].Filename != "list.csv" || string(data) != "customer_id\nc7\n" {
		t.Errorf("attachment = %s %q, want list.csv %q", got.Attachments[0].Filename, data, "customer_id\nc7\n")
	}
}
