// Command repair-stream is the Lambda function on the table's stream (filtered
// to repair INSERTs in template.yaml): each repair take-in goes to
// compliance.Service.HandleChange, the same function the local change feed
// calls in `loupe serve`. Other records are ignored; a re-delivered record
// counts nothing twice. A failing record is reported by its SequenceNumber so
// Lambda retries from there.
//
// Metrics (CloudWatch embedded metric format on standard output, namespace
// Loupe, dimension Function=repair-stream), one line per batch:
// TakeInsRecorded and TakeInsWithEmail (Count: take-ins the batch handled, and
// those whose email counts as captured; a re-delivered take-in counts again
// here, never in the compliance figures) and CaptureRate (Percent, only when
// the batch held take-ins).
//
// Environment: TABLE_NAME (the DynamoDB table).
package main

import (
	"context"
	"log/slog"
	"os"
	"strconv"
	"time"
	_ "time/tzdata" // store time zones on provided.al2023, which has no tz database

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/loupehq/loupe/shared/compliance"
	"github.com/loupehq/loupe/shared/dynamo"
	"github.com/loupehq/loupe/shared/emf"
	"github.com/loupehq/loupe/shared/lambdaenv"
)

// countingStore is compliance's Store counting the take-ins it records, so
// the batch's metrics come from what compliance itself judged.
type countingStore struct {
	compliance.Store
	takeIns, withEmail int
}

// Record records t and counts it when the store accepted it.
func (c *countingStore) Record(ctx context.Context, t compliance.TakeIn) error {
	if err := c.Store.Record(ctx, t); err != nil {
		return err
	}
	c.takeIns++
	if t.Captured {
		c.withEmail++
	}
	return nil
}

// newHandler returns the stream handler over db writing one metrics line per
// batch to m (nil: none): wiring only, shared with the test.
func newHandler(db *dynamo.DB, logger *slog.Logger, m *emf.Writer) func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	return func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		counted := &countingStore{Store: db.Compliance()}
		svc := &compliance.Service{Store: counted, Stores: db, Associates: db, Customers: db, Now: time.Now, Log: logger}
		res := dynamo.HandleStream(ctx, ev, svc.HandleChange)
		ms := []emf.Metric{
			emf.Count("TakeInsRecorded", counted.takeIns),
			emf.Count("TakeInsWithEmail", counted.withEmail),
		}
		if counted.takeIns > 0 {
			ms = append(ms, emf.Percent("CaptureRate", 100*float64(counted.withEmail)/float64(counted.takeIns)))
		}
		props := map[string]string{"records": strconv.Itoa(len(ev.Records)), "batch_failed": strconv.FormatBool(len(res.BatchItemFailures) > 0)}
		if err := m.Put(props, ms...); err != nil {
			logger.WarnContext(ctx, "metrics not written", "err", err)
		}
		return res, nil
	}
}

func main() {
	logger, cfg := lambdaenv.Boot()

	lambda.Start(newHandler(lambdaenv.Table(logger, cfg), logger, emf.New(os.Stdout, "repair-stream", nil)))
}
