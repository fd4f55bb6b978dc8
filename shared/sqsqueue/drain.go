package sqsqueue

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
	// TouchpointsWaiting counts texts outside the recipient's allowed
	// hours: leased until then; the hourly Requeue hands them on again.
	TouchpointsWaiting int
	// TouchpointsUnconfirmed counts texts the provider may have taken
	// although the call failed (touch.ErrMaybeSent): marked sent, never
	// sent again.
	TouchpointsUnconfirmed int
	// MailSent counts mail records sent.
	MailSent int
	// Retried counts records reported in BatchItemFailures (SQS delivers them
	// again); Dropped counts records deleted unsent (malformed, or mail SES
	// refused for good).
	Retried, Dropped int
}

// Drain consumes batches of the send queue: the touchpoint records of a batch
// go to Touchpoints.Deliver in one call (which takes each entry's send lease,
// renders from the current records, reading each store once per call, and
// sends each key at most once), mail records to Sender.Send. Records are
// handled one after the other: Sender paces them at the SES rate.
type Drain struct {
	Touchpoints Deliverer // nil: touchpoint records are retried, never dropped
	// Reviews builds and sends the review mail of a queued batch
	// (*reassign.Service). Nil: review records are retried, never dropped.
	Reviews ReviewSender
	Sender  mail.Sender
	Logger  *slog.Logger // nil: slog.Default()
}

// Handle handles one SQS batch and returns the partial batch response and
// what it did. Outcome per record:
//
//   - sent, skipped or duplicate: not reported; SQS deletes the message.
//   - a touchpoint Deliver could not finish (mail.ErrTemporary after
//     sesmail's retries, a ledger or table error, the invocation running out
//     of time), and every touchpoint after it in the batch (Deliver stops at
//     the first error); a mail record failing with a temporary error; every
//     record left when the context is done: reported in BatchItemFailures by
//     messageId, so SQS delivers it again (after the queue's maxReceiveCount,
//     to the dead-letter queue). Touchpoints are never dropped: Deliver sends
//     a key at most once however often it is delivered, and Requeue finds
//     what is still claimed.
//   - a well-formed body of a version or kind it does not know
//     (ErrUnknownFormat, a newer producer mid deploy): failed, so it is kept
//     and ends in the dead-letter queue if no newer sender takes it;
//   - malformed body, or a mail record SES refused for good (mail.ErrRejected,
//     EINVALID): logged with the SQS message id and deleted (counted Dropped).
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
	var tpRecords []events.SQSMessage
	var entries []touch.Entry
	for _, r := range ev.Records {
		it, err := Decode(r.Body)
		if errors.Is(err, ErrUnknownFormat) {
			// A newer producer's body (mid deploy): keep it; retries end in
			// the dead-letter queue, where an operator can redrive it.
			log.ErrorContext(ctx, "queued body of an unknown format, left for a newer sender or the dead-letter queue",
				"sqs_message_id", r.MessageId, "err", err)
			retry(r)
			continue
		}
		if err != nil {
			log.ErrorContext(ctx, "queued body dropped: malformed", "sqs_message_id", r.MessageId, "err", err)
			c.Dropped++
			continue
		}
		if it.Kind == KindTouchpoint {
			tpRecords = append(tpRecords, r)
			entries = append(entries, it.Entry)
			continue
		}
		if ctx.Err() != nil {
			retry(r) // out of time: not attempted
			continue
		}
		if it.Kind == KindReview {
			d.review(ctx, log, r, it.BatchID, &c, retry)
			continue
		}
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
	if len(entries) > 0 {
		d.deliver(ctx, log, tpRecords, entries, &c, retry)
	}
	log.InfoContext(ctx, "batch done", "records", c.Records, "touchpoints_sent", c.TouchpointsSent,
		"touchpoints_skipped", c.TouchpointsSkipped, "touchpoints_duplicate", c.TouchpointsDuplicate, "touchpoints_waiting", c.TouchpointsWaiting, "touchpoints_unconfirmed", c.TouchpointsUnconfirmed,
		"mail_sent", c.MailSent, "retry", c.Retried, "dropped", c.Dropped)
	return resp, c
}

// deliver hands the batch's touchpoints to Deliver in one call and retries
// the entry it stopped at and every one after it.
func (d *Drain) deliver(ctx context.Context, log *slog.Logger, records []events.SQSMessage, entries []touch.Entry, c *Counts, retry func(events.SQSMessage)) {
	if d.Touchpoints == nil {
		log.ErrorContext(ctx, "touchpoints not sent: no planner configured, will retry", "records", len(records))
		for _, r := range records {
			retry(r)
		}
		return
	}
	if ctx.Err() != nil {
		for _, r := range records {
			retry(r)
		}
		return
	}
	res, err := d.Touchpoints.Deliver(ctx, entries, d.Sender)
	c.TouchpointsSent += res.Sent
	c.TouchpointsSkipped += res.Skipped
	c.TouchpointsDuplicate += res.Duplicate
	c.TouchpointsWaiting += res.Waiting
	c.TouchpointsUnconfirmed += res.Unconfirmed
	if err == nil {
		return
	}
	// Deliver handles entries in order and stops at the first error: the
	// entries it counted are done, the rest stay claimed.
	done := min(max(res.Sent+res.Skipped+res.Duplicate+res.Waiting+res.Unconfirmed, 0), len(records))
	log.WarnContext(ctx, "touchpoint not sent, will retry", "sqs_message_id", records[done%len(records)].MessageId,
		"key", entries[done%len(entries)].Key.String(), "code", ErrorCode(err), "retried", len(records)-done)
	for _, r := range records[done:] {
		retry(r)
	}
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

// ReviewSender builds and sends a reassignment batch's review mail
// (*reassign.Service implements it).
type ReviewSender interface {
	SendReview(ctx context.Context, batchID string) error
}

// review sends the review mail of one queued batch: a refusal for good
// (EINVALID, mail.ErrRejected) is dropped, anything else retried.
func (d *Drain) review(ctx context.Context, log *slog.Logger, r events.SQSMessage, batchID string, c *Counts, retry func(events.SQSMessage)) {
	if d.Reviews == nil {
		log.ErrorContext(ctx, "review mail not sent: no reassignment service configured, will retry", "sqs_message_id", r.MessageId, "batch_id", batchID)
		retry(r)
		return
	}
	err := d.Reviews.SendReview(ctx, batchID)
	switch {
	case err == nil:
		c.MailSent++
		log.InfoContext(ctx, "review mail sent", "sqs_message_id", r.MessageId, "batch_id", batchID)
	case errors.Is(err, mail.ErrRejected) || loupe.ErrorCode(err) == loupe.EINVALID:
		log.ErrorContext(ctx, "review mail dropped: rejected", "sqs_message_id", r.MessageId, "batch_id", batchID, "code", ErrorCode(err))
		c.Dropped++
	default:
		log.WarnContext(ctx, "review mail not sent, will retry", "sqs_message_id", r.MessageId, "batch_id", batchID, "code", ErrorCode(err))
		retry(r)
	}
}
