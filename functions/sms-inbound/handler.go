package main

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/aws/aws-lambda-go/events"

	"github.com/loupehq/loupe/shared/emf"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/textin"
)

// inbound is the part of *textin.Service the handler calls.
type inbound interface {
	Inbound(ctx context.Context, m textin.Message) (textin.Result, error)
}

var _ inbound = (*textin.Service)(nil)

// newHandler returns the SNS handler: every record's Message is one
// inbound text (docs/channels.md, "Inbound texts"), timed by the SNS
// envelope. It returns the first storage error, so Lambda retries the
// event; records already handled are handled again harmlessly (the
// consent write is idempotent and the reply claimed once).
func newHandler(svc inbound, m *emf.Writer, logger *slog.Logger) func(context.Context, events.SNSEvent) error {
	return func(ctx context.Context, ev events.SNSEvent) error {
		for _, r := range ev.Records {
			msg, err := textin.ParseMessage([]byte(r.SNS.Message))
			if err != nil {
				logger.ErrorContext(ctx, "inbound text dropped: unreadable", "sns_message_id", r.SNS.MessageID,
					"field", loupe.ErrorField(err), "err", err)
				continue
			}
			msg.At = r.SNS.Timestamp
			res, err := svc.Inbound(ctx, msg)
			if err != nil {
				return fmt.Errorf("inbound text %s: %w", msg.ID, err)
			}
			logger.InfoContext(ctx, "inbound text", "sns_message_id", r.SNS.MessageID, "message_id", res.MessageID,
				"intent", res.Intent, "store_id", res.StoreID, "clients", res.Clients, "changed", res.Changed, "kept", res.Kept,
				"reply", res.Reply, "reply_id", res.ReplyID, "duplicate", res.Duplicate, "reply_failed", res.ReplyFailed)
			stops, replies := 0, 0
			if res.Intent == textin.IntentStop {
				stops = 1
			}
			if res.Reply != "" {
				replies = 1
			}
			props := map[string]string{"message_id": res.MessageID, "intent": res.Intent, "changed": strconv.Itoa(res.Changed)}
			if err := m.Put(props, emf.Count("InboundTexts", 1), emf.Count("Stops", stops), emf.Count("Replies", replies)); err != nil {
				logger.WarnContext(ctx, "metrics not written", "message_id", res.MessageID, "err", err)
			}
		}
		return nil
	}
}
