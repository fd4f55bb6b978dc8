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
	"github.com/loupehq/loupe/shared/lambdaenv"
	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/reassign"
	"github.com/loupehq/loupe/shared/sqsmail"
)

// newHandler returns the stream handler: wiring only, shared with the test.
func newHandler(db *dynamo.DB, sender mail.Sender, baseURL string, logger *slog.Logger) func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	svc := reassign.New(db, db, sender, time.Now, reassign.Config{BaseURL: baseURL, Logger: logger})
	return func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		return dynamo.HandleStream(ctx, ev, svc.HandleChange), nil
	}
}

// backfillMargin is the time left before the deadline when a backfill stops.
const backfillMargin = 15 * time.Second

// backfillResult answers a backfill invocation.
type backfillResult struct {
	Batches   []string `json:"batches"`
	Remaining int      `json:"remaining_orphans"`
	Complete  bool     `json:"complete"`
}

// newInvokeHandler serves stream events through stream, and a direct
// {"loupe_backfill": "orphans"} invocation through svc.ReassignOrphans.
func newInvokeHandler(stream func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error), svc *reassign.Service) func(context.Context, json.RawMessage) (any, error) {
	return func(ctx context.Context, raw json.RawMessage) (any, error) {
		var probe struct {
			Backfill string `json:"loupe_backfill"`
		}
		if json.Unmarshal(raw, &probe) == nil && probe.Backfill == "orphans" {
			run := ctx
			if dl, ok := ctx.Deadline(); ok {
				var cancel context.CancelFunc
				run, cancel = context.WithDeadline(ctx, dl.Add(-backfillMargin))
				defer cancel()
			}
			ids, err := svc.ReassignOrphans(run)
			if err != nil && run.Err() == nil {
				return nil, err
			}
			left, err := svc.Orphans(ctx)
			if err != nil {
				return nil, err
			}
			return backfillResult{Batches: append([]string{}, ids...), Remaining: len(left), Complete: run.Err() == nil}, nil
		}
		var ev events.DynamoDBEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, err
		}
		return stream(ctx, ev)
	}
}

func main() {
	logger, cfg := lambdaenv.Boot()
	db := lambdaenv.Table(logger, cfg)

	queueURL := os.Getenv("SEND_QUEUE_URL")
	if queueURL == "" {
		lambdaenv.Exit(logger, "SEND_QUEUE_URL is not set")
	}
	sender := sqsmail.New(sqs.NewFromConfig(cfg), queueURL)
	baseURL := os.Getenv("LOUPE_BASE_URL")
	svc := reassign.New(db, db, sender, time.Now, reassign.Config{BaseURL: baseURL, Logger: logger})
	lambda.Start(newInvokeHandler(newHandler(db, sender, baseURL, logger), svc))
}
