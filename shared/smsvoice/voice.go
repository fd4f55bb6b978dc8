package smsvoice

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2/types"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/pace"
	"github.com/loupehq/loupe/shared/textmsg"
	"github.com/loupehq/loupe/shared/touch"
)

// VoiceAPI is the part of *pinpointsmsvoicev2.Client the Voice sender uses.
type VoiceAPI interface {
	SendVoiceMessage(ctx context.Context, params *pinpointsmsvoicev2.SendVoiceMessageInput, optFns ...func(*pinpointsmsvoicev2.Options)) (*pinpointsmsvoicev2.SendVoiceMessageOutput, error)
}

var _ VoiceAPI = (*pinpointsmsvoicev2.Client)(nil)

// Voice sends service touchpoints (repair_ready, repair_reminder) as voice
// calls with SendVoiceMessage: Amazon Polly reads the SSML of
// textmsg.ComposeVoice in a voice of the client's locale. Safe for
// concurrent use; share one per process so the pacing is shared.
//
// Loupe never places a marketing call: SendVoiceMessage plays a message and
// takes no key press, so it cannot offer the automated, interactive opt-out
// that 47 CFR 64.1200(b)(3) requires of an artificial or prerecorded voice
// call that is telemarketing. Voice refuses every touchpoint that is not a
// service message.
type Voice struct {
	api VoiceAPI
	cfg Config

	slots pace.Bucket // the pacing of calls
}

var _ touch.Channel = (*Voice)(nil)

// NewVoice returns a Voice sender calling api with cfg, defaults filled in
// as for New. Config's fields mean the same for calls: the origination
// identity per store (a voice-capable number), the configuration set, the
// time to live (default 1 hour, so a call held up does not ring outside the
// hours it was sent in), the backoff; MessagesPerSecond paces calls, one
// slot a call, on their own bucket (not the texts' one).
func NewVoice(api VoiceAPI, cfg Config) *Voice {
	return &Voice{api: api, cfg: cfg.withDefaults()}
}

// Identity returns the origination identity of storeID's calls: its own,
// else Config.OriginationIdentity ("" when neither is set).
func (v *Voice) Identity(storeID string) string { return v.cfg.identity(storeID) }

// DefaultVoice is the Polly voice of a locale VoiceFor does not know.
const DefaultVoice = types.VoiceIdJoanna

// voices are the Polly voices by locale (types.VoiceId values), one per
// locale CONTRACT section 4 names.
var voices = map[string]types.VoiceId{
	"en-US": types.VoiceIdJoanna,
	"en-GB": types.VoiceIdAmy,
	"fr-FR": types.VoiceIdLea,
	"de-DE": types.VoiceIdVicki,
	"es-ES": types.VoiceIdLucia,
	"es-MX": types.VoiceIdMia,
	"it-IT": types.VoiceIdBianca,
}

// languages are the voice of each language for a locale of it not in
// voices (fr-CA, de-AT, es-AR ...).
var languages = map[string]types.VoiceId{
	"en": types.VoiceIdJoanna,
	"fr": types.VoiceIdLea,
	"de": types.VoiceIdVicki,
	"es": types.VoiceIdLucia,
	"it": types.VoiceIdBianca,
}

// VoiceFor returns the Polly voice of a call to c from store: of the
// client's locale, else the store's, else en-US; a locale Loupe has no
// voice for falls back to its language's voice, then to DefaultVoice.
// Locales compare case aside, "_" taken as "-".
func VoiceFor(c loupe.Customer, store loupe.Store) types.VoiceId {
	for _, tag := range []string{c.Locale, store.Locale} {
		if id, ok := voiceOf(tag); ok {
			return id
		}
	}
	return DefaultVoice
}

func voiceOf(tag string) (types.VoiceId, bool) {
	tag = strings.ReplaceAll(strings.TrimSpace(tag), "_", "-")
	if tag == "" {
		return "", false
	}
	lang, region, _ := strings.Cut(tag, "-")
	lang = strings.ToLower(lang)
	if region != "" {
		region, _, _ = strings.Cut(region, "-")
		if id, ok := voices[lang+"-"+strings.ToUpper(region)]; ok {
			return id, true
		}
	}
	id, ok := languages[lang]
	return id, ok
}

// Send calls the client's phone with t's spoken message
// (textmsg.ComposeVoice) in one SendVoiceMessage call (more when
// throttled): MessageBodyTextType SSML, the VoiceFor voice, from the
// store's origination identity, inside the configuration set, Context
// carrying the ledger key. It returns the MessageId. It waits for a pacing
// slot first.
//
// Returns an error wrapping mail.ErrRejected (and the *loupe.Error or the
// AWS error) when the call cannot go, for good: a touchpoint that is not a
// service message (no marketing call, ever), a client without a phone, a
// store without a name or an E.164 phone to close with, an opted-out or
// blocked destination (ConflictException) or an invalid one
// (ValidationException). Returns an error wrapping mail.ErrTemporary as
// Sender.Send does: throttling or 5xx past MaxAttempts, ctx ended, no
// origination identity for the store, AccessDenied, ResourceNotFound,
// ServiceQuotaExceeded.
func (v *Voice) Send(ctx context.Context, t touch.Touch) (string, error) {
	key := t.Key.MailKey()
	if !textmsg.Service(t.Occasion) {
		return "", fmt.Errorf("voice send %s: %w: %w", key, mail.ErrRejected,
			loupe.Invalidf("occasion", "touchpoint %s is marketing: Loupe never places a marketing call", t.Occasion))
	}
	if t.Customer.Phone == "" {
		return "", fmt.Errorf("voice send %s: %w: %w", key, mail.ErrRejected,
			loupe.Invalidf("phone", "customer %s has no phone", t.Customer.CustomerID))
	}
	m, err := textmsg.ComposeVoice(t)
	if err != nil {
		return "", fmt.Errorf("voice send %s: %w: %w", key, mail.ErrRejected, err)
	}
	identity := v.Identity(t.StoreID)
	if identity == "" {
		return "", fmt.Errorf("voice send %s: %w: store %s has no origination identity", key, mail.ErrTemporary, t.StoreID)
	}
	in := &pinpointsmsvoicev2.SendVoiceMessageInput{
		DestinationPhoneNumber: aws.String(t.Customer.Phone),
		OriginationIdentity:    aws.String(identity),
		MessageBody:            aws.String(m.SSML),
		MessageBodyTextType:    types.VoiceMessageBodyTextTypeSsml,
		VoiceId:                VoiceFor(t.Customer, t.Store),
		Context:                map[string]string{ContextLedgerKey: key},
		TimeToLive:             aws.Int32(int32(v.cfg.TimeToLive / time.Second)),
		DryRun:                 v.cfg.DryRun,
	}
	if v.cfg.ConfigurationSet != "" {
		in.ConfigurationSetName = aws.String(v.cfg.ConfigurationSet)
	}
	return deliver(ctx, &v.cfg, &v.slots, "voice send", key, 1, t.Until, func(ttl int32) (*string, error) {
		in.TimeToLive = aws.Int32(ttl)
		out, err := v.api.SendVoiceMessage(ctx, in, noSDKRetry)
		if err != nil {
			return nil, err
		}
		return out.MessageId, nil
	})
}
