package sendqueue

import (
	"context"
	"errors"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/smithy-go"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/touch"
)

// Deliverer is the part of *touch.Planner a Drain calls for touchpoints.
type Deliverer interface {
	Deliver(ctx context.Context, entries []touch.Entry, sender mail.Sender) (touch.Result, error)
}

var _ Deliverer = (*touch.Planner)(nil)

// Counts is what one batch did.
type Counts struct {
	Records int
	// TouchpointsSent, TouchpointsSkipped (ineligible meanwhile, rejected)
	// and TouchpointsDuplicate (already sent or skipped, or being sent by
	// another sender: nothing sent) count touchpoint records.
	TouchpointsSent, TouchpointsSkipped, TouchpointsDuplicate int
	// MailSent counts mail records sent.
	MailSent int
	// Retried counts records reported in BatchItemFailures (SQS delivers them
	// again); Dropped counts records deleted unsent (malformed, or mail SES
	// refused for good).
	Retried, Dropped int
}

// Drain consumes batches of the send queue: for a touchpoint record it calls
// Touchpoints.Deliver (which renders from the current records, takes the send
// lease and sends at most once per key), for a mail record Sender.Send.
// Records are handled one after the other: Sender paces them at the SES rate.
type Drain struct {
	Touchpoints Deliverer // nil: touchpoint records are retried, never dropped
	Sender      mail.Sender
	Logger      *slog.Logger // nil: slog.Default()
}

// Handle handles one SQS batch and returns the partial batch response and
// what it did. Outcome per record:
//
//   - sent, skipped or duplicate: not reported; SQS deletes the message.
//   - any error from Deliver (mail.ErrTemporary after sesmail's retries, a
//     ledger or table error, the invocation running out of time), a
//     temporary mail error, and every record left when the context is done:
//     reported in BatchItemFailures by messageId, so SQS delivers it again
//     (after the queue's maxReceiveCount, to the dead-letter queue).
//     Touchpoints are never dropped: Deliver sends a key at most once however
//     often it is delivered, and Requeue finds what is still claimed.
//   - malformed body, or a mail record SES refused for good (mail.ErrRejected,
//     EINVALID): logged with the SQS message id and deleted.
//
// It never returns an error itself: a whole-batch failure would retry the
// records already sent.
func (d *Drain) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, Counts) {
	log := d.Logger
	if log == nil {
		log = slog.Default()
	}
	var resp events.SQSEventResponse
	c := Counts{Records: len(ev.Records)}
	retry := func(r events.SQSMessage) {
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
		c.Retried++
	}
	for _, r := range ev.Records {
		if ctx.Err() != nil {
			retry(r) // out of time: not attempted
			continue
		}
		it, err := Decode(r.Body)
		if err != nil {
			log.ErrorContext(ctx, "queued body dropped: malformed", "sqs_message_id", r.MessageId, "err", err)
			c.Dropped++
			continue
		}
		switch it.Kind {
		case KindTouchpoint:
			key := it.Entry.Key.String()
			if d.Touchpoints == nil {
				log.ErrorContext(ctx, "touchpoint not sent: no planner configured, will retry", "sqs_message_id", r.MessageId, "key", key)
				retry(r)
				continue
			}
			res, err := d.Touchpoints.Deliver(ctx, []touch.Entry{it.Entry}, d.Sender)
			c.TouchpointsSent += res.Sent
			c.TouchpointsSkipped += res.Skipped
			c.TouchpointsDuplicate += res.Duplicate
			if err != nil {
				log.WarnContext(ctx, "touchpoint not sent, will retry", "sqs_message_id", r.MessageId, "key", key, "code", ErrorCode(err))
				retry(r)
				continue
			}
			log.InfoContext(ctx, "touchpoint delivered", "sqs_message_id", r.MessageId, "key", key,
				"sent", res.Sent, "skipped", res.Skipped, "duplicate", res.Duplicate)
		default:
			m := it.Message
			id, err := d.Sender.Send(ctx, m)
			switch {
			case err == nil:
				c.MailSent++
				log.InfoContext(ctx, "mail sent", "sqs_message_id", r.MessageId, "key", m.Key, "ses_message_id", id)
			case errors.Is(err, mail.ErrRejected) || loupe.ErrorCode(err) == loupe.EINVALID:
				log.ErrorContext(ctx, "mail dropped: rejected", "sqs_message_id", r.MessageId, "key", m.Key, "code", ErrorCode(err))
				c.Dropped++
			default: // mail.ErrTemporary, a cancelled context: try again
				log.WarnContext(ctx, "mail not sent, will retry", "sqs_message_id", r.MessageId, "key", m.Key, "code", ErrorCode(err))
				retry(r)
			}
		}
	}
	log.InfoContext(ctx, "batch done", "records", c.Records, "touchpoints_sent", c.TouchpointsSent,
		"touchpoints_skipped", c.TouchpointsSkipped, "touchpoints_duplicate", c.TouchpointsDuplicate,
		"mail_sent", c.MailSent, "retry", c.Retried, "dropped", c.Dropped)
	return resp, c
}

// ErrorCode returns the AWS error code in err, else a short kind; never the
// error text itself, which may quote an address.
func ErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, mail.ErrTemporary):
		return "temporary"
	case errors.Is(err, mail.ErrRejected):
		return "rejected"
	case errors.Is(err, loupe.ErrNotFound):
		return "not_found"
	}
	return loupe.ErrorCode(err)
}
