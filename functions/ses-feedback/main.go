// Command ses-feedback is the Lambda function behind the EventBridge rule on
// SES events from Loupe's configuration set ("Email Bounced", "Email
// Complaint Received"): a permanent bounce or a complaint marks every customer
// holding the address bounced or complained, so no touchpoint mails it again.
// See newHandler for what is ignored and what is retried.
//
// Environment: TABLE_NAME (the DynamoDB table).
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/loupehq/loupe/shared/dynamo"
)

func main() {
	logger := slog.New(lambdacontext.NewLogHandler())
	slog.SetDefault(logger)

	table := os.Getenv("TABLE_NAME")
	if table == "" {
		logger.Error("TABLE_NAME is not set")
		os.Exit(1)
	}
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		logger.Error("load aws config", "err", err)
		os.Exit(1)
	}
	lambda.Start(newHandler(dynamo.New(dynamodb.NewFromConfig(cfg), table), logger))
}
