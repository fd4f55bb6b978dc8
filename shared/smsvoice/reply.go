package smsvoice

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2/types"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/textin"
	"github.com/loupehq/loupe/shared/textmsg"
)

// ContextReplyKind is the Context entry carrying a reply's kind
// (textin.KindStopConfirmation or textin.KindHelpReply), logged with its
// delivery events; a reply has no ledger key.
const ContextReplyKind = "reply_kind"

var _ textin.Replier = (*Sender)(nil)

// Reply sends r as one TRANSACTIONAL text from r.From (the number the
// client texted, so the answer comes back on the same thread) to r.To,
// inside the configuration set, Context {"reply_kind": r.Kind}, and returns
// the MessageId. It shares the Sender's pacing (the number's message parts
// per second) and retries: throttling and 5xx are retried with backoff.
// SendTextMessage has no idempotency token: the caller claims r.Key first.
//
// Returns an error wrapping mail.ErrRejected and an EINVALID *loupe.Error
// naming the field when r has no To, From or Body or an unknown Kind, or a
// body over textmsg.MaxSegments segments; wrapping mail.ErrRejected when AWS
// refuses the destination for good (ConflictException: opted out or
// blocked, which it is when AWS manages the number's opt-outs and the text
// is a STOP confirmation; ValidationException); wrapping mail.ErrTemporary
// as Send does otherwise.
func (s *Sender) Reply(ctx context.Context, r textin.Reply) (string, error) {
	if err := r.Check(); err != nil {
		return "", fmt.Errorf("sms reply %s: %w: %w", r.Key, mail.ErrRejected, err)
	}
	count := textmsg.Measure(r.Body)
	if count.Segments > textmsg.MaxSegments {
		return "", fmt.Errorf("sms reply %s: %w: %w", r.Key, mail.ErrRejected,
			loupe.Invalidf("body", "reply %s needs %d %s segments, at most %d", r.Kind, count.Segments, count.Encoding, textmsg.MaxSegments))
	}
	in := &pinpointsmsvoicev2.SendTextMessageInput{
		DestinationPhoneNumber: aws.String(r.To),
		OriginationIdentity:    aws.String(r.From),
		MessageBody:            aws.String(r.Body),
		MessageType:            types.MessageTypeTransactional,
		Context:                map[string]string{ContextReplyKind: r.Kind},
		TimeToLive:             aws.Int32(int32(s.cfg.TimeToLive / time.Second)),
		DryRun:                 s.cfg.DryRun,
	}
	if s.cfg.ConfigurationSet != "" {
		in.ConfigurationSetName = aws.String(s.cfg.ConfigurationSet)
	}
	return deliver(ctx, &s.cfg, s.bucket(r.From), "sms reply", r.Key, count.Segments, time.Time{}, func(ttl int32) (*string, error) {
		in.TimeToLive = aws.Int32(ttl)
		out, err := s.api.SendTextMessage(ctx, in, noSDKRetry)
		if err != nil {
			return nil, err
		}
		return out.MessageId, nil
	})
}
