package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/loupehq/loupe/shared/dynamo"
	"github.com/loupehq/loupe/shared/emf"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/reassign"
)

// reassigner is the part of *reassign.Service the function calls.
type reassigner interface {
	ApplyChange(ctx context.Context, c loupe.Change) (reassign.Outcome, error)
	ReassignOrphansOutcome(ctx context.Context) (reassign.Outcome, error)
	Orphans(ctx context.Context) ([]reassign.Orphan, error)
}

// function is the Lambda handler's state, made once per instance.
type function struct {
	reassign reassigner
	logger   *slog.Logger
	metrics  *emf.Writer // nil: no metrics
}

// put writes the invocation's metrics line: ClientsReassigned and
// ReassignmentBatches from the outcome reassign reported, with the trigger
// ("stream" or "backfill") as a property.
func (f *function) put(ctx context.Context, trigger string, out reassign.Outcome) {
	err := f.metrics.Put(map[string]string{"trigger": trigger},
		emf.Count("ClientsReassigned", out.Moved), emf.Count("ReassignmentBatches", len(out.Batches)))
	if err != nil {
		f.logger.WarnContext(ctx, "metrics not written", "err", err)
	}
}

// stream handles a batch of the table's stream.
func (f *function) stream(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	var out reassign.Outcome
	res := dynamo.HandleStream(ctx, ev, func(ctx context.Context, c loupe.Change) error {
		o, err := f.reassign.ApplyChange(ctx, c)
		out.Add(o)
		return err
	})
	f.put(ctx, "stream", out)
	return res, nil
}

// backfillMargin is the time left before the deadline when a backfill stops.
const backfillMargin = 15 * time.Second

// backfillResult answers a backfill invocation.
type backfillResult struct {
	Batches   []string `json:"batches"`
	Remaining int      `json:"remaining_orphans"`
	Complete  bool     `json:"complete"`
}

// invoke serves stream events through stream, and a direct
// {"loupe_backfill": "orphans"} invocation through backfill.
func (f *function) invoke(ctx context.Context, raw json.RawMessage) (any, error) {
	var probe struct {
		Backfill string `json:"loupe_backfill"`
	}
	if json.Unmarshal(raw, &probe) == nil && probe.Backfill == "orphans" {
		return f.backfill(ctx)
	}
	var ev events.DynamoDBEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, err
	}
	return f.stream(ctx, ev)
}

// backfill reassigns orphaned clients until backfillMargin before the
// deadline and reports what is left.
func (f *function) backfill(ctx context.Context) (any, error) {
	run := ctx
	if dl, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		run, cancel = context.WithDeadline(ctx, dl.Add(-backfillMargin))
		defer cancel()
	}
	out, err := f.reassign.ReassignOrphansOutcome(run)
	f.put(ctx, "backfill", out)
	if err != nil && run.Err() == nil {
		return nil, err
	}
	left, err := f.reassign.Orphans(ctx)
	if err != nil {
		return nil, err
	}
	return backfillResult{Batches: append([]string{}, out.Batches...), Remaining: len(left), Complete: run.Err() == nil}, nil
}
