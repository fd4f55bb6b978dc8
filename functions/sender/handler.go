package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/loupehq/loupe/shared/emf"
	"github.com/loupehq/loupe/shared/sqsqueue"
)

// newHandler returns the SQS handler: drain handles the batch (partial batch
// failures by messageId), then one EMF line records what it did. A metrics
// write error is logged, never returned (the batch is done).
func newHandler(drain *sqsqueue.Drain, mw *emf.Writer, logger *slog.Logger) func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
	return func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		// Stop sending deadlineMargin before Lambda's deadline, so the
		// partial batch response (what was sent, what to retry) gets back to
		// SQS; killed at the deadline, the whole batch would come back and
		// its mail records would be sent again.
		if dl, ok := ctx.Deadline(); ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadline(ctx, dl.Add(-deadlineMargin))
			defer cancel()
		}
		resp, c := drain.Handle(ctx, ev)
		err := mw.Put(nil,
			emf.Count("TouchpointsSent", c.TouchpointsSent),
			emf.Count("TouchpointsSkipped", c.TouchpointsSkipped),
			emf.Count("TouchpointsWaiting", c.TouchpointsWaiting),
			emf.Count("TouchpointsUnconfirmed", c.TouchpointsUnconfirmed),
			emf.Count("MailSent", c.MailSent),
			emf.Count("SendRetried", c.Retried),
			emf.Count("SendDropped", c.Dropped),
		)
		if err != nil {
			logger.WarnContext(ctx, "write metrics", "err", err)
		}
		return resp, nil
	}
}

// deadlineMargin is the time left before the invocation's deadline when the
// sender stops starting sends.
const deadlineMargin = 5 * time.Second
