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
// Environment: TABLE_NAME (the DynamoDB table), SEND_QUEUE_URL (the SQS send
// queue), LOUPE_BASE_URL (optional: the public base URL, for the link to the
// printable list in the mail).
package main

import (
	"context"
	"log/slog"
	"os"
	"time"
	_ "time/tzdata" // store time zones on provided.al2023, which has no tz database

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/loupehq/loupe/shared/dynamo"
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

func main() {
	logger := slog.New(lambdacontext.NewLogHandler())
	slog.SetDefault(logger)

	table, queueURL := os.Getenv("TABLE_NAME"), os.Getenv("SEND_QUEUE_URL")
	if table == "" || queueURL == "" {
		logger.Error("TABLE_NAME and SEND_QUEUE_URL must be set")
		os.Exit(1)
	}
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		logger.Error("load aws config", "err", err)
		os.Exit(1)
	}
	db := dynamo.New(dynamodb.NewFromConfig(cfg), table)
	sender := sqsmail.New(sqs.NewFromConfig(cfg), queueURL)
	lambda.Start(newHandler(db, sender, os.Getenv("LOUPE_BASE_URL"), logger))
}
