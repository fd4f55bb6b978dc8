// Package smsvoice is the AWS End User Messaging SMS and Voice v2 adapter:
// Sender implements touch.Channel for text messages with SendTextMessage,
// from the store's origination identity, inside a configuration set, paced
// to the identity's message parts per second and retrying throttling with
// bounded exponential backoff; Sender.Reply (textin.Replier) answers an
// inbound text from the number it came to. Voice implements touch.Channel
// for service calls (repair_ready, repair_reminder only) with
// SendVoiceMessage and SSML. ParseInbound and ParseEvent decode what AWS
// sends back: the two-way SMS SNS message and the delivery status events.
//
// The planner has already decided consent, quiet hours and the cap; the
// senders only deliver. SendTextMessage and SendVoiceMessage have no
// idempotency token, so a sender calls again at once only after a
// throttling answer (nothing was sent); after a timeout or a server fault
// its error wraps touch.ErrMaybeSent, and the planner marks the touchpoint
// sent, unconfirmed, never sending it again. The windows left in which a
// client may get a message twice are a crash, or the invocation's end,
// between AWS accepting it and the ledger's MarkSent.
package smsvoice

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2/types"
	"github.com/aws/smithy-go"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/pace"
	"github.com/loupehq/loupe/shared/textmsg"
	"github.com/loupehq/loupe/shared/touch"
)

// API is the part of *pinpointsmsvoicev2.Client the Sender uses.
type API interface {
	SendTextMessage(ctx context.Context, params *pinpointsmsvoicev2.SendTextMessageInput, optFns ...func(*pinpointsmsvoicev2.Options)) (*pinpointsmsvoicev2.SendTextMessageOutput, error)
}

var _ API = (*pinpointsmsvoicev2.Client)(nil)

// ContextLedgerKey is the Context entry carrying the touchpoint's ledger
// key ("tp/<customer>/<occasion>/<year>"), logged with every delivery event.
const ContextLedgerKey = "ledger_key"

// Config configures a Sender. Zero values take the defaults noted.
type Config struct {
	// OriginationIdentity is the phone number, pool or sender id (or its
	// ARN) texts go from when StoreIdentities has none for the store.
	OriginationIdentity string
	// StoreIdentities maps a store id to its own origination identity.
	StoreIdentities map[string]string
	// ConfigurationSet is the configuration set of every text (delivery
	// events); none when "".
	ConfigurationSet string
	// MessagesPerSecond is the pacing in message parts (segments) per
	// second of each origination identity, shared by every goroutine using
	// the Sender: the identity's MPS. 0: 1 (10DLC; toll-free is 3).
	MessagesPerSecond float64
	// TimeToLive is how long AWS may try to hand a text off before dropping
	// it (TTL_EXPIRED), so a text held up does not land far outside the
	// hours it was sent in. 0: 1 hour. Sent in whole seconds, 5 s to 72 h.
	TimeToLive time.Duration
	// DryRun validates each text without delivering it (and without charge).
	DryRun bool
	// MaxAttempts bounds the SendTextMessage calls for one text when AWS
	// throttles (the only answer retried in place); 0: 8.
	MaxAttempts int
	// BaseDelay is the first backoff, doubled at each retry up to MaxDelay;
	// 0: 200 ms and 20 s. The wait is half the delay plus a random half.
	BaseDelay, MaxDelay time.Duration
	// Now, Sleep and Rand (in [0, 1)) are injected by tests; time.Now, a
	// context-aware timer and math/rand/v2 when nil.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	Rand  func() float64
	// Logger receives retries; slog.Default() when nil.
	Logger *slog.Logger
}

// Sender sends touchpoints as text messages. Safe for concurrent use; share
// one per process so each origination identity's pacing is shared.
type Sender struct {
	api API
	cfg Config

	mu    sync.Mutex
	slots map[string]*pace.Bucket // the pacing of message parts, by origination identity
}

// bucket returns the pacing of identity's message parts: each number (or
// pool) has its own MessagesPerSecond, so ten stores with their own 10DLC
// numbers send ten parts a second together.
func (s *Sender) bucket(identity string) *pace.Bucket {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.slots == nil {
		s.slots = map[string]*pace.Bucket{}
	}
	b := s.slots[identity]
	if b == nil {
		b = &pace.Bucket{}
		s.slots[identity] = b
	}
	return b
}

var _ touch.Channel = (*Sender)(nil)

// New returns a Sender calling api with cfg, defaults filled in.
func New(api API, cfg Config) *Sender {
	return &Sender{api: api, cfg: cfg.withDefaults()}
}

// withDefaults returns cfg with its zero values replaced by the defaults
// the fields document.
func (cfg Config) withDefaults() Config {
	if cfg.MessagesPerSecond <= 0 {
		cfg.MessagesPerSecond = 1
	}
	if cfg.TimeToLive <= 0 {
		cfg.TimeToLive = time.Hour
	}
	cfg.TimeToLive = min(max(cfg.TimeToLive, 5*time.Second), 72*time.Hour)
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
	return cfg
}

// identity returns cfg's origination identity for storeID: its own, else
// OriginationIdentity.
func (cfg Config) identity(storeID string) string {
	if id := cfg.StoreIdentities[storeID]; id != "" {
		return id
	}
	return cfg.OriginationIdentity
}

// Identity returns the origination identity of storeID's texts: its own,
// else Config.OriginationIdentity ("" when neither is set).
func (s *Sender) Identity(storeID string) string { return s.cfg.identity(storeID) }

// Send composes t's text (textmsg.Compose) and sends it to the client's
// phone with one SendTextMessage call (more when throttled), returning the
// MessageId. PROMOTIONAL for marketing touchpoints, TRANSACTIONAL for
// repair_ready and repair_reminder; Context carries the ledger key. It
// waits for as many pacing slots as the text has segments first.
//
// Returns an error wrapping mail.ErrRejected (and the *loupe.Error or the
// AWS error) when the text cannot go, for good: a client without a phone, a
// body that does not fit (textmsg.Compose's EINVALID), an opted-out or
// blocked destination (ConflictException) or an invalid one
// (ValidationException). Returns an error wrapping mail.ErrTemporary, which
// leaves the touchpoint claimed for a later retry, when throttling outlasts
// MaxAttempts, ctx ends before the call, the store has no origination
// identity, or AWS refuses for a reason a fix of the account can lift
// (AccessDenied, ResourceNotFound, ServiceQuotaExceeded); wrapping
// touch.ErrMaybeSent too after a server fault or no answer (AWS may have
// sent it); wrapping touch.ErrNotNow when the
// recipient's hours (t.Until) end before it could go.
func (s *Sender) Send(ctx context.Context, t touch.Touch) (string, error) {
	key := t.Key.MailKey()
	if t.Customer.Phone == "" {
		return "", fmt.Errorf("sms send %s: %w: %w", key, mail.ErrRejected,
			loupe.Invalidf("phone", "customer %s has no phone", t.Customer.CustomerID))
	}
	m, err := textmsg.Compose(t)
	if err != nil {
		return "", fmt.Errorf("sms send %s: %w: %w", key, mail.ErrRejected, err)
	}
	identity := s.Identity(t.StoreID)
	if identity == "" {
		return "", fmt.Errorf("sms send %s: %w: store %s has no origination identity", key, mail.ErrTemporary, t.StoreID)
	}
	in := &pinpointsmsvoicev2.SendTextMessageInput{
		DestinationPhoneNumber: aws.String(t.Customer.Phone),
		OriginationIdentity:    aws.String(identity),
		MessageBody:            aws.String(m.Body),
		MessageType:            types.MessageTypeTransactional,
		Context:                map[string]string{ContextLedgerKey: key},
		TimeToLive:             aws.Int32(int32(s.cfg.TimeToLive / time.Second)),
		DryRun:                 s.cfg.DryRun,
	}
	if m.Promotional {
		in.MessageType = types.MessageTypePromotional
	}
	if s.cfg.ConfigurationSet != "" {
		in.ConfigurationSetName = aws.String(s.cfg.ConfigurationSet)
	}
	return deliver(ctx, &s.cfg, s.bucket(identity), "sms send", key, m.Count.Segments, t.Until, func(ttl int32) (*string, error) {
		in.TimeToLive = aws.Int32(ttl)
		out, err := s.api.SendTextMessage(ctx, in, noSDKRetry)
		if err != nil {
			return nil, err
		}
		return out.MessageId, nil
	})
}

// deliver makes one request (call) for one message, waiting first for
// parts pacing slots of slots at cfg.MessagesPerSecond, and again after a
// throttled or failed call, with backoff, up to cfg.MaxAttempts calls. op
// ("sms send", "sms reply", "voice send") and key name the message in
// errors and logs. It returns the message id, or an error wrapping
// mail.ErrRejected (refused for good) or mail.ErrTemporary (try later),
// with the AWS error.
//
// until, when not zero, is when the recipient's allowed hours end
// (touch.Touch.Until): each call's TimeToLive is at most the time left, so
// AWS drops rather than hands over a text after it, and when less than
// MinWindow is left after the pacing and backoff waits no call is made: the
// error wraps touch.ErrNotNow (the planner waits for the next allowed
// hours). call gets the TimeToLive in seconds.
func deliver(ctx context.Context, cfg *Config, slots *pace.Bucket, op, key string, parts int, until time.Time, call func(ttl int32) (*string, error)) (string, error) {
	var last error
	for attempt := 1; attempt <= cfg.MaxAttempts; attempt++ {
		if err := wait(ctx, cfg, slots, parts); err != nil {
			return "", fmt.Errorf("%s %s: %w: %w", op, key, mail.ErrTemporary, err)
		}
		ttl := cfg.TimeToLive
		if !until.IsZero() {
			left := until.Sub(cfg.Now())
			if left < MinWindow {
				return "", fmt.Errorf("%s %s: %w: %s left of the recipient's allowed hours", op, key, touch.ErrNotNow, left.Truncate(time.Second))
			}
			ttl = min(ttl, left)
		}
		id, err := call(int32(ttl / time.Second))
		if err == nil {
			return aws.ToString(id), nil
		}
		if ctx.Err() != nil {
			// The invocation ended during the call. The request may not
			// have left (a cancelled context fails before sending), so it
			// stays claimed and is tried again: at least once here, the
			// window docs/channels.md "Exactly once" names.
			return "", fmt.Errorf("%s %s: %w: %w", op, key, mail.ErrTemporary, err)
		}
		switch classify(err) {
		case rejected:
			return "", fmt.Errorf("%s %s: %w: %w", op, key, mail.ErrRejected, err)
		case later:
			return "", fmt.Errorf("%s %s: %w: %w", op, key, mail.ErrTemporary, err)
		case unknown:
			return "", fmt.Errorf("%s %s: %w: %w: %w", op, key, mail.ErrTemporary, touch.ErrMaybeSent, err)
		}
		last = err
		if attempt == cfg.MaxAttempts {
			break
		}
		d := pace.Backoff(attempt, cfg.BaseDelay, cfg.MaxDelay, cfg.Rand)
		cfg.Logger.Warn(op+" throttled, retrying", "key", key, "attempt", attempt, "wait", d, "err", errorCode(err))
		if err := cfg.Sleep(ctx, d); err != nil {
			return "", fmt.Errorf("%s %s: %w: %w", op, key, mail.ErrTemporary, err)
		}
	}
	return "", fmt.Errorf("%s %s: %w after %d attempts: %w", op, key, mail.ErrTemporary, cfg.MaxAttempts, last)
}

// MinWindow is the least time a text or call must have before the
// recipient's allowed hours end for it to go now.
const MinWindow = 10 * time.Minute

// noSDKRetry turns the SDK's own retries off for a call: the Sender retries
// with its own backoff and pacing, so one attempt is one call.
func noSDKRetry(o *pinpointsmsvoicev2.Options) {
	o.Retryer = aws.NopRetryer{}
	o.RetryMaxAttempts = 0
}

// wait takes parts pacing slots of slots at cfg.MessagesPerSecond (AWS
// limits message parts a second) and sleeps until the first comes.
func wait(ctx context.Context, cfg *Config, slots *pace.Bucket, parts int) error {
	if d := slots.Take(cfg.Now(), parts, cfg.MessagesPerSecond); d > 0 {
		return cfg.Sleep(ctx, d)
	}
	return ctx.Err()
}

type outcome int

const (
	retry    outcome = iota // throttled: nothing was sent; back off and call again
	rejected                // refused for good
	later                   // not now, not by retrying at once: leave it claimed
	unknown                 // a server fault or no answer: AWS may have sent it (touch.ErrMaybeSent)
)

// classify says what to do after err.
func classify(err error) outcome {
	var (
		conflict   *types.ConflictException
		validation *types.ValidationException
		throttled  *types.ThrottlingException
	)
	switch {
	case errors.As(err, &conflict), errors.As(err, &validation):
		return rejected
	case errors.As(err, &throttled):
		return retry
	}
	var hs interface{ HTTPStatusCode() int }
	if errors.As(err, &hs) {
		switch code := hs.HTTPStatusCode(); {
		case code == 429:
			return retry
		case code >= 500:
			return unknown
		}
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		if ae.ErrorFault() == smithy.FaultServer {
			return unknown
		}
		// A refusal a fix of the account lifts (AccessDenied,
		// ResourceNotFound, ServiceQuotaExceeded): nothing was sent.
		return later
	}
	// No answer at all (a timeout, a reset): AWS may have taken the text.
	// SendTextMessage has no idempotency token; only a throttling answer
	// says for certain that nothing was sent.
	return unknown
}

// errorCode returns the AWS error code of err, or "".
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}
