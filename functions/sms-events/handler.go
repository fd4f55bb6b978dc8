package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/loupehq/loupe/shared/emf"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/smsvoice"
	"github.com/loupehq/loupe/shared/textin"
)

// delivery is the part of *textin.Service the handler calls.
type delivery interface {
	Delivery(ctx context.Context, e textin.Event) error
}

var _ delivery = (*textin.Service)(nil)

// newHandler returns the SNS handler of the delivery events. It returns
// the first error Delivery gives (storage, or textin.ErrNotRecordedYet),
// so Lambda retries the event; Delivery only moves a status forward, so
// records handled before are harmless again.
func newHandler(svc delivery, m *emf.Writer, logger *slog.Logger) func(context.Context, events.SNSEvent) error {
	return func(ctx context.Context, ev events.SNSEvent) error {
		for _, r := range ev.Records {
			e, err := smsvoice.ParseEvent([]byte(r.SNS.Message))
			if errors.Is(err, smsvoice.ErrOtherEvent) {
				logger.InfoContext(ctx, "sms event skipped: not a text's", "sns_message_id", r.SNS.MessageID)
				continue
			}
			if err != nil {
				logger.ErrorContext(ctx, "sms event dropped: unreadable", "sns_message_id", r.SNS.MessageID,
					"field", loupe.ErrorField(err), "err", err)
				continue
			}
			if err := svc.Delivery(ctx, e); err != nil {
				return fmt.Errorf("sms event %s %s: %w", e.MessageID, e.Status, err)
			}
			_, stops := textin.HistoryStatus(e.Status)
			stopped := 0
			if stops {
				stopped = 1
			}
			logger.InfoContext(ctx, "sms event", "sns_message_id", r.SNS.MessageID, "message_id", e.MessageID,
				"status", e.Status, "ledger_key", e.LedgerKey, "stops_number", stops)
			if err := m.Put(map[string]string{"message_id": e.MessageID, "status": e.Status},
				emf.Count("TextEvents", 1), emf.Count("StoppedNumbers", stopped)); err != nil {
				logger.WarnContext(ctx, "metrics not written", "message_id", e.MessageID, "err", err)
			}
		}
		return nil
	}
}
