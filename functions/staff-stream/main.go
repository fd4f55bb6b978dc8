// Command staff-stream is the Lambda function on the table's stream (filtered
// to associate records in template.yaml): an associate going from active to
// terminated goes to reassign.Service.HandleChange, the same function the
// local change feed calls in `loupe serve`, which reassigns the associate's
// book and queues the reassignment_review mail for the store manager on the
// send queue (the sender function delivers it through SES). Other records are
// ignored; a replayed termination moves nobody twice. A failing record is
// reported by its SequenceNumber so Lambda retries from there, and a batch
// interrupted halfway completes on that retry.
//
// Backfill: invoked directly with {"loupe_backfill": "orphans"} instead of a
// stream event, it runs reassign.Service.ReassignOrphans (what `loupe orphans
// --reassign` does locally) until 15 s before the invocation's deadline and
// answers {"batches": [...], "remaining_orphans": n, "complete": bool}; invoke
// again until complete is true (docs/reassignment.md).
//
// Metrics (CloudWatch embedded metric format on standard output, namespace
// Loupe, dimension Function=staff-stream), one line per invocation, stream
// batch or backfill alike (property trigger): ClientsReassigned (clients
// moved) and ReassignmentBatches (batches completed). A replayed termination
// counts 0 of both.
//
// Environment: TABLE_NAME (the DynamoDB table), SEND_QUEUE_URL (the SQS send
// queue), LOUPE_BASE_URL (optional: the public base URL, for the link to the
// printable list in the mail).
package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"time"
	_ "time/tzdata" // store time zones on provided.al2023, which has no tz database

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/loupehq/loupe/shared/dynamo"
	"github.com/loupehq/loupe/shared/emf"
	"github.com/loupehq/loupe/shared/lambdaenv"
	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/reassign"
	"github.com/loupehq/loupe/shared/sqsqueue"
)

// countingBatches is reassign's batch Store counting, for the invocation's
// metrics, the clients moved and the batches completed through it.
type countingBatches struct {
	reassign.Store
	moved int
	done  map[string]bool
}

// SaveReassignmentAssignment saves a and counts it when it records a move.
func (c *countingBatches) SaveReassignmentAssignment(ctx context.Context, id string, a reassign.Assignment) error {
	if err := c.Store.SaveReassignmentAssignment(ctx, id, a); err != nil {
		return err
	}
	if a.State == reassign.StateMoved {
		c.moved++
	}
	return nil
}

// SaveReassignment saves b and counts it when it completes the batch (done,
// review not yet mailed: the save that ends apply, once per batch).
func (c *countingBatches) SaveReassignment(ctx context.Context, b reassign.Batch) error {
	if err := c.Store.SaveReassignment(ctx, b); err != nil {
		return err
	}
	if b.Status == reassign.StatusDone && !b.Mailed {
		c.done[b.ID] = true
	}
	return nil
}

// function wires reassign for one invocation at a time: wiring only, shared
// with the test.
type function struct {
	db      *dynamo.DB
	sender  mail.Sender // nil: no review mail
	baseURL string
	logger  *slog.Logger
	metrics *emf.Writer // nil: no metrics
}

// service returns a reassign.Service whose batch writes go through counted.
func (f *function) service(counted *countingBatches) *reassign.Service {
	return reassign.New(f.db, counted, f.sender, time.Now, reassign.Config{BaseURL: f.baseURL, Logger: f.logger})
}

// newCounter returns a counting batch store over the table.
func (f *function) newCounter() *countingBatches {
	return &countingBatches{Store: f.db, done: map[string]bool{}}
}

// put writes the invocation's metrics line: ClientsReassigned and
// ReassignmentBatches, with the trigger ("stream" or "backfill") as a property.
func (f *function) put(ctx context.Context, trigger string, c *countingBatches) {
	err := f.metrics.Put(map[string]string{"trigger": trigger},
		emf.Count("ClientsReassigned", c.moved), emf.Count("ReassignmentBatches", len(c.done)))
	if err != nil {
		f.logger.WarnContext(ctx, "metrics not written", "err", err)
	}
}

// stream handles a batch of the table's stream.
func (f *function) stream(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	counted := f.newCounter()
	res := dynamo.HandleStream(ctx, ev, f.service(counted).HandleChange)
	f.put(ctx, "stream", counted)
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
// {"loupe_backfill": "orphans"} invocation through ReassignOrphans.
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
	counted := f.newCounter()
	svc := f.service(counted)
	ids, err := svc.ReassignOrphans(run)
	f.put(ctx, "backfill", counted)
	if err != nil && run.Err() == nil {
		return nil, err
	}
	left, err := svc.Orphans(ctx)
	if err != nil {
		return nil, err
	}
	return backfillResult{Batches: append([]string{}, ids...), Remaining: len(left), Complete: run.Err() == nil}, nil
}

func main() {
	logger, cfg := lambdaenv.Boot()
	db := lambdaenv.Table(logger, cfg)

	queueURL := os.Getenv("SEND_QUEUE_URL")
	if queueURL == "" {
		lambdaenv.Exit(logger, "SEND_QUEUE_URL is not set")
	}
	f := &function{db: db, sender: sqsqueue.NewMailer(sqs.NewFromConfig(cfg), queueURL), baseURL: os.Getenv("LOUPE_BASE_URL"),
		logger: logger, metrics: emf.New(os.Stdout, "staff-stream", nil)}
	lambda.Start(f.invoke)
}
