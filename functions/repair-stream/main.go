// Command repair-stream is the Lambda function on the table's stream (filtered
// to repair INSERTs in template.yaml): each repair take-in goes to
// compliance.Service.HandleChange, the same function the local change feed
// calls in `loupe serve`. Other records are ignored; a re-delivered record
// counts nothing twice. A failing record is reported by its SequenceNumber so
// Lambda retries from there.
//
// Environment: TABLE_NAME (the DynamoDB table).
package main

import (
	"context"
	"log/slog"
	"time"
	_ "time/tzdata" // store time zones on provided.al2023, which has no tz database

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/loupehq/loupe/shared/compliance"
	"github.com/loupehq/loupe/shared/dynamo"
	"github.com/loupehq/loupe/shared/lambdaenv"
)

// newHandler returns the stream handler over db: wiring only, shared with the test.
func newHandler(db *dynamo.DB, logger *slog.Logger) func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	svc := &compliance.Service{Store: db.Compliance(), Stores: db, Associates: db, Customers: db, Now: time.Now, Log: logger}
	return func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		return dynamo.HandleStream(ctx, ev, svc.HandleChange), nil
	}
}

func main() {
	logger, cfg := lambdaenv.Boot()

	lambda.Start(newHandler(lambdaenv.Table(logger, cfg), logger))
}
