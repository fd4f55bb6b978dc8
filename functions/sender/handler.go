package main

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/loupehq/loupe/shared/metrics"
	"github.com/loupehq/loupe/shared/sendqueue"
)

// newHandler returns the SQS handler: drain handles the batch (partial batch
// failures by messageId), then one EMF line records what it did. A metrics
// write error is logged, never returned (the batch is done).
func newHandler(drain *sendqueue.Drain, mw *metrics.Writer, logger *slog.Logger) func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
	return func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		resp, c := drain.Handle(ctx, ev)
		err := mw.Put(nil,
			metrics.Count("TouchpointsSent", c.TouchpointsSent),
			metrics.Count("TouchpointsSkipped", c.TouchpointsSkipped),
			metrics.Count("MailSent", c.MailSent),
			metrics.Count("SendRetried", c.Retried),
		)
		if err != nil {
			logger.WarnContext(ctx, "write metrics", "err", err)
		}
		return resp, nil
	}
}
