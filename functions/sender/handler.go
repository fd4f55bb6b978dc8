package main

import (
	"context"
	"errors"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/smithy-go"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/sqsmail"
)

// newHandler returns the SQS handler sending each queued mail through sender.
// Records are sent one after the other: sender paces them at the SES rate.
//
// Outcome per record:
//   - sent: nothing reported; SQS deletes the message.
//   - mail.ErrTemporary (throttling that outlasted the retries, a 5xx, the
//     invocation running out of time): reported in BatchItemFailures, so SQS
//     makes it visible again, and after the queue's maxReceiveCount moves it
//     to the dead-letter queue.
//   - malformed body (sqsmail.Decode fails), an invalid Message, or
//     mail.ErrRejected (SES refused it for good): logged with the SQS message
//     id and not reported, so SQS deletes it. Retrying would fail the same
//     way; the message lands nowhere but the log line.
//
// TODO(ledger): the touchpoint ledger (MarkSent) is not in DynamoDB yet. Once
// it is, consult it before Send and record the Key after, so a redelivered
// client mail is not sent twice (SES has no idempotency token). The
// reassignment review mails need no ledger: their idempotency is the
// batch's "mailed" flag, set by the producer.
func newHandler(sender mail.Sender, logger *slog.Logger) func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
	return func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		var resp events.SQSEventResponse
		sent, dropped := 0, 0
		for _, r := range ev.Records {
			m, err := sqsmail.Decode(r.Body)
			if err != nil {
				logger.ErrorContext(ctx, "queued mail dropped: malformed body", "sqs_message_id", r.MessageId, "err", err)
				dropped++
				continue
			}
			id, err := sender.Send(ctx, m)
			switch {
			case err == nil:
				sent++
				logger.InfoContext(ctx, "mail sent", "sqs_message_id", r.MessageId, "key", m.Key, "ses_message_id", id)
			case errors.Is(err, mail.ErrTemporary):
				logger.WarnContext(ctx, "mail not sent, will retry", "sqs_message_id", r.MessageId, "key", m.Key, "code", errorCode(err))
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
			default: // mail.ErrRejected or an invalid Message: permanent
				logger.ErrorContext(ctx, "mail dropped: rejected", "sqs_message_id", r.MessageId, "key", m.Key, "code", errorCode(err))
				dropped++
			}
		}
		logger.InfoContext(ctx, "batch done", "records", len(ev.Records), "sent", sent,
			"retry", len(resp.BatchItemFailures), "dropped", dropped)
		return resp, nil
	}
}

// errorCode returns the SES error code in err, else a short kind; never the
// error text itself, which may quote an address.
func errorCode(err error) string {
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
	}
	return loupe.ErrorCode(err) // EINVALID from Render
}
