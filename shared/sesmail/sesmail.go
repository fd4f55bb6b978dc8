// Package sesmail is the SES v2 mail adapter: it implements mail.Sender with
// SendEmail and Content.Raw (the bytes mail.Render produces), inside a
// configuration set, paced at the account's maximum send rate, retrying
// throttling with exponential backoff and jitter.
//
// SES has no idempotency token: a Send retried after a lost answer may deliver
// twice, and a Key sent earlier is sent again. Callers keep a ledger of sent
// keys (the touchpoint log) and consult it before calling Send.
package sesmail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/smithy-go"

	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/pace"
)

// API is the part of *sesv2.Client the Sender uses.
type API interface {
	SendEmail(ctx context.Context, params *sesv2.SendEmailInput, optFns ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
	GetAccount(ctx context.Context, params *sesv2.GetAccountInput, optFns ...func(*sesv2.Options)) (*sesv2.GetAccountOutput, error)
}

var _ API = (*sesv2.Client)(nil)

// Config configures a Sender. Zero values take the defaults noted.
type Config struct {
	// ConfigurationSet is the SES configuration set every message is sent in
	// (event publishing of bounces and complaints); none when "".
	ConfigurationSet string
	// MessageIDDomain is the domain of the Message-ID header; the From domain when "".
	MessageIDDomain string
	// MaxRate is the pacing in messages per second, shared by every goroutine
	// using the Sender. 0: SendQuota.MaxSendRate from GetAccount, read on the
	// first Send (1 a second, the sandbox rate, while GetAccount fails; it is
	// asked again a minute later).
	MaxRate float64
	// Concurrency is how many processes (Lambda instances) send on the same
	// account at once; a rate read from GetAccount is divided by it so that
	// together they stay under the quota. 0: 1. Ignored when MaxRate is set.
	Concurrency int
	// MaxAttempts bounds the SendEmail calls for one message when SES throttles
	// or fails with a 5xx; 0: 8.
	MaxAttempts int
	// BaseDelay is the first backoff, doubled at each retry up to MaxDelay;
	// 0: 200 ms and 20 s. The wait is half the delay plus a random half.
	BaseDelay, MaxDelay time.Duration
	// Now, Sleep and Rand (in [0, 1)) are injected by tests; time.Now, a
	// context-aware timer and math/rand/v2 when nil.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	Rand  func() float64
	// Logger receives retries and the resolved rate; slog.Default() when nil.
	Logger *slog.Logger
}

// Sender sends mail through SES v2. Safe for concurrent use; share one per
// process so the pacing is shared.
type Sender struct {
	api API
	cfg Config

	rateMu    sync.Mutex
	rate      float64   // resolved messages per second; 0 until known
	rateRetry time.Time // when to ask GetAccount again after a failure

	slots pace.Bucket // the pacing of SendEmail calls
}

var _ mail.Sender = (*Sender)(nil)

// New returns a Sender calling api with cfg, defaults filled in.
func New(api API, cfg Config) *Sender {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 1
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 8
	}
	if cfg.BaseDelay <= 0 {
		cfg.BaseDelay = 200 * time.Millisecond
	}
	if cfg.MaxDelay <= 0 {
		cfg.MaxDelay = 20 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sleep == nil {
		cfg.Sleep = pace.Sleep
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Float64
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Sender{api: api, cfg: cfg, rate: cfg.MaxRate}
}

// Send renders m and sends it with one SendEmail call (more when throttled),
// returning the SES MessageId. It waits for its pacing slot first.
//
// Returns Render's EINVALID *loupe.Error for an invalid Message (nothing is
// called); an error wrapping mail.ErrRejected and the SES error for a
// permanent refusal (MessageRejected, MailFromDomainNotVerifiedException,
// AccountSuspendedException, SendingPausedException, BadRequestException,
// any other 4xx); and an error wrapping mail.ErrTemporary when throttling or
// 5xx answers outlast MaxAttempts or ctx ends, in which case the message may
// be sent again later with the same Key.
func (s *Sender) Send(ctx context.Context, m mail.Message) (string, error) {
	raw, err := mail.Render(m, s.cfg.Now(), s.cfg.MessageIDDomain)
	if err != nil {
		return "", err
	}
	in := &sesv2.SendEmailInput{
		Content:   &types.EmailContent{Raw: &types.RawMessage{Data: raw}},
		EmailTags: tags(m),
	}
	if s.cfg.ConfigurationSet != "" {
		in.ConfigurationSetName = aws.String(s.cfg.ConfigurationSet)
	}
	rate := s.Rate(ctx)
	var last error
	for attempt := 1; attempt <= s.cfg.MaxAttempts; attempt++ {
		if err := s.wait(ctx, rate); err != nil {
			return "", fmt.Errorf("ses send %s: %w: %w", m.Key, mail.ErrTemporary, err)
		}
		out, err := s.api.SendEmail(ctx, in)
		if err == nil {
			return aws.ToString(out.MessageId), nil
		}
		if ctx.Err() != nil {
			return "", fmt.Errorf("ses send %s: %w: %w", m.Key, mail.ErrTemporary, err)
		}
		if !retryable(err) {
			return "", fmt.Errorf("ses send %s: %w: %w", m.Key, mail.ErrRejected, err)
		}
		last = err
		if attempt == s.cfg.MaxAttempts {
			break
		}
		d := s.backoff(attempt)
		s.cfg.Logger.Warn("ses throttled, retrying", "key", m.Key, "attempt", attempt, "wait", d, "err", errorCode(err))
		if err := s.cfg.Sleep(ctx, d); err != nil {
			return "", fmt.Errorf("ses send %s: %w: %w", m.Key, mail.ErrTemporary, err)
		}
	}
	return "", fmt.Errorf("ses send %s: %w after %d attempts: %w", m.Key, mail.ErrTemporary, s.cfg.MaxAttempts, last)
}

// Rate returns the pacing in messages per second: Config.MaxRate, else the
// account's SendQuota.MaxSendRate from GetAccount (asked once) divided by
// Config.Concurrency, else 1 while GetAccount fails.
func (s *Sender) Rate(ctx context.Context) float64 {
	s.rateMu.Lock()
	defer s.rateMu.Unlock()
	if s.rate > 0 {
		return s.rate
	}
	now := s.cfg.Now()
	if now.Before(s.rateRetry) {
		return 1
	}
	out, err := s.api.GetAccount(ctx, &sesv2.GetAccountInput{})
	if err != nil || out.SendQuota == nil || out.SendQuota.MaxSendRate <= 0 {
		s.rateRetry = now.Add(time.Minute)
		s.cfg.Logger.Warn("ses send quota unknown, pacing at 1 message a second", "err", errorCode(err))
		return 1
	}
	s.rate = out.SendQuota.MaxSendRate / float64(s.cfg.Concurrency)
	s.cfg.Logger.Info("ses pacing from account send quota", "max_send_rate", out.SendQuota.MaxSendRate,
		"concurrency", s.cfg.Concurrency, "rate", s.rate)
	return s.rate
}

// wait takes the next pacing slot at rate a second and sleeps until it
// comes.
func (s *Sender) wait(ctx context.Context, rate float64) error {
	if d := s.slots.Take(s.cfg.Now(), 1, rate); d > 0 {
		return s.cfg.Sleep(ctx, d)
	}
	return ctx.Err()
}

// backoff returns the wait after the attempt-th failed call (pace.Backoff).
func (s *Sender) backoff(attempt int) time.Duration {
	return pace.Backoff(attempt, s.cfg.BaseDelay, s.cfg.MaxDelay, s.cfg.Rand)
}

// retryable reports whether err is throttling or a server fault worth retrying.
func retryable(err error) bool {
	switch errorCode(err) {
	case "TooManyRequestsException", "LimitExceededException", "ThrottlingException", "Throttling",
		"ThrottledException", "RequestLimitExceeded", "InternalServiceErrorException", "InternalFailure",
		"ServiceUnavailable":
		return true
	case "MessageRejected", "MailFromDomainNotVerifiedException", "AccountSuspendedException",
		"SendingPausedException", "BadRequestException", "NotFoundException":
		return false
	}
	var hs interface{ HTTPStatusCode() int }
	if errors.As(err, &hs) {
		code := hs.HTTPStatusCode()
		return code == 429 || code >= 500
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorFault() == smithy.FaultServer
	}
	return true // no answer from SES (connection reset, timeout): nothing was accepted
}

// errorCode returns the SES error code of err, or "".
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// tags returns the SES message tags (event dimensions) for m: loupe_touchpoint
// and loupe_customer_id, characters outside [A-Za-z0-9_-] replaced by '_'. The
// headers remain the authoritative values.
func tags(m mail.Message) []types.MessageTag {
	var ts []types.MessageTag
	for _, p := range [][2]string{
		{"loupe_touchpoint", m.Header(mail.HeaderTouchpoint)},
		{"loupe_customer_id", m.Header(mail.HeaderCustomerID)},
	} {
		if p[1] == "" {
			continue
		}
		v := strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' {
				return r
			}
			return '_'
		}, p[1])
		if len(v) > 256 {
			v = v[:256]
		}
		ts = append(ts, types.MessageTag{Name: aws.String(p[0]), Value: aws.String(v)})
	}
	return ts
}
