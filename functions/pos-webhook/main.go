// Command pos-webhook is the Lambda function behind the API Gateway HTTP API: it
// serves POST /pos/events (and the staff routes, guarded by the API's JWT
// authorizer) with the same handler `loupe serve` uses.
//
// Environment: TABLE_NAME (the DynamoDB table), LOUPE_WEBHOOK_SECRET (one
// secret, or several separated by commas during a rotation). Logs are slog
// lines carrying the request id; set the function's LoggingConfig LogFormat to
// JSON for JSON lines.
package main

import (
	"context"
	"log/slog"
	"os"
	"time"
	_ "time/tzdata" // store time zones on provided.al2023, which has no tz database

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/loupehq/loupe/shared/dynamo"
	"github.com/loupehq/loupe/shared/httpapi"
	"github.com/loupehq/loupe/shared/lambdahttp"
	"github.com/loupehq/loupe/shared/webhook"
)

func main() {
	logger := slog.New(lambdacontext.NewLogHandler())
	slog.SetDefault(logger)

	table := os.Getenv("TABLE_NAME")
	if table == "" {
		logger.Error("TABLE_NAME is not set")
		os.Exit(1)
	}
	secrets := webhook.ParseSecrets(os.Getenv("LOUPE_WEBHOOK_SECRET"))
	if len(secrets) == 0 {
		// Answer 503 rather than crash-loop: unsigned events are never accepted.
		logger.Warn("LOUPE_WEBHOOK_SECRET is not set; POST /pos/events will answer 503")
	}

	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		logger.Error("load aws config", "err", err)
		os.Exit(1)
	}
	db := dynamo.New(dynamodb.NewFromConfig(cfg), table)

	handler := httpapi.New(httpapi.Config{
		DB:             db,
		WebhookSecrets: secrets,
		APIToken:       "", // the API Gateway JWT authorizer guards the staff routes
		Now:            time.Now,
		Logger:         logger,
	})
	lambda.Start(lambdahttp.Adapt(handler))
}
