package main

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/aws/aws-lambda-go/events"

	"github.com/loupehq/loupe/shared/emf"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/sesmail"
)

// newHandler returns the EventBridge handler for SES events from the
// configuration set: sesmail decodes the event into a loupe.Feedback and
// loupe.ApplyFeedback applies the policy (a permanent bounce or a complaint
// other than "not-spam" suppresses the addresses and marks the customer the
// mail named; everything else is ignored), as of the event's timestamp, else
// the EventBridge event's time. Neither Scans the table (SetEmailStatusOf:
// 2-3 requests a recipient; Suppress: 1).
//
// It returns an error only when DynamoDB fails, so EventBridge retries the
// event (template.yaml: 10 attempts within a day, then the SesFeedbackDLQ);
// an undecodable detail is logged and dropped, as a retry would fail again.
// Logs carry the SES message id, the customer id and counts, never an address.
//
// Each applied event writes one metrics line to m (nil: none): Bounces and
// Complaints, the recipients the event marked (one of the two is 0), with the
// SES message id, the customer id (when the mail named one) and the customers
// changed as properties. Ignored and failed events write none (a retried
// event writes its line when it succeeds).
func newHandler(st loupe.FeedbackStore, logger *slog.Logger, m *emf.Writer) func(context.Context, events.CloudWatchEvent) error {
	return func(ctx context.Context, ev events.CloudWatchEvent) error {
		d, err := sesmail.DecodeEvent(ev.Detail)
		if err != nil {
			logger.ErrorContext(ctx, "ses event dropped: undecodable detail", "event_id", ev.ID, "detail_type", ev.DetailType, "err", err)
			return nil
		}
		f := d.Feedback()
		out, err := loupe.ApplyFeedback(ctx, st, f, ev.Time)
		if err != nil {
			return fmt.Errorf("ses %s %s: %w", d.EventType, d.Mail.MessageID, err)
		}
		if !out.Applied {
			logger.InfoContext(ctx, "ses event ignored", "event_id", ev.ID, "event_type", d.EventType,
				"bounce_type", d.BounceType(), "ses_message_id", d.Mail.MessageID)
			return nil
		}
		logger.InfoContext(ctx, "ses feedback applied", "event_id", ev.ID, "event_type", d.EventType,
			"ses_message_id", d.Mail.MessageID, "status", out.Status, "customer_id", f.CustomerID,
			"headers_truncated", d.Mail.HeadersTruncated, "recipients", len(f.Recipients),
			"skipped", out.Skipped, "customers_changed", out.Changed)
		props := map[string]string{"ses_message_id": d.Mail.MessageID, "customers_changed": strconv.Itoa(out.Changed)}
		if f.CustomerID != "" {
			props["customer_id"] = f.CustomerID
		}
		if err := m.Put(props, emf.Count("Bounces", out.Bounces()), emf.Count("Complaints", out.Complaints())); err != nil {
			logger.WarnContext(ctx, "metrics not written", "event_id", ev.ID, "err", err)
		}
		return nil
	}
}
