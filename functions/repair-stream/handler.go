package main

import (
	"context"
	"log/slog"
	"strconv"

	"github.com/aws/aws-lambda-go/events"

	"github.com/loupehq/loupe/shared/compliance"
	"github.com/loupehq/loupe/shared/dynamo"
	"github.com/loupehq/loupe/shared/emf"
	"github.com/loupehq/loupe/shared/loupe"
)

// changes is the part of *compliance.Service the handler calls.
type changes interface {
	ApplyChange(ctx context.Context, c loupe.Change) (compliance.Outcome, error)
}

// newHandler returns the stream handler: each record goes to c.ApplyChange
// (through dynamo.HandleStream, which reports the first failure by its
// SequenceNumber), then one metrics line per batch goes to m (nil: none)
// from the outcomes compliance reported.
func newHandler(c changes, logger *slog.Logger, m *emf.Writer) func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	return func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		var out compliance.Outcome
		res := dynamo.HandleStream(ctx, ev, func(ctx context.Context, ch loupe.Change) error {
			o, err := c.ApplyChange(ctx, ch)
			out.Add(o)
			return err
		})
		ms := []emf.Metric{emf.Count("TakeInsRecorded", out.TakeIns), emf.Count("TakeInsWithEmail", out.Captured)}
		if rate, ok := out.CaptureRate(); ok {
			ms = append(ms, emf.Percent("CaptureRate", rate))
		}
		props := map[string]string{"records": strconv.Itoa(len(ev.Records)), "batch_failed": strconv.FormatBool(len(res.BatchItemFailures) > 0)}
		if err := m.Put(props, ms...); err != nil {
			logger.WarnContext(ctx, "metrics not written", "err", err)
		}
		return res, nil
	}
}
