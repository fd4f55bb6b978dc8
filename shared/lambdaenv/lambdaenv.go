// Package lambdaenv is the start-up every Loupe Lambda shares: the JSON logger
// carrying each request id, the AWS configuration loaded once before
// lambda.Start, and the DynamoDB table named by TABLE_NAME. It is for a
// function's main only: on failure it logs one line and exits, so Lambda
// reports an init error instead of serving half-configured.
package lambdaenv

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/loupehq/loupe/shared/dynamo"
)

// Boot installs a logger that writes JSON lines with the request id (with the
// function's LoggingConfig LogFormat JSON) as slog's default, and loads the
// AWS configuration from the environment. It exits when the configuration
// cannot be loaded.
func Boot() (*slog.Logger, aws.Config) {
	logger := slog.New(lambdacontext.NewLogHandler())
	slog.SetDefault(logger)
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		Exit(logger, "load aws config", "err", err)
	}
	return logger, cfg
}

// Table returns the DynamoDB adapter on the table named by TABLE_NAME. It
// exits when TABLE_NAME is not set.
func Table(logger *slog.Logger, cfg aws.Config) *dynamo.DB {
	table := os.Getenv("TABLE_NAME")
	if table == "" {
		Exit(logger, "TABLE_NAME is not set")
	}
	return dynamo.New(dynamodb.NewFromConfig(cfg), table)
}

// Exit logs msg with args as an error and ends the process with status 1.
func Exit(logger *slog.Logger, msg string, args ...any) {
	logger.Error(msg, args...)
	os.Exit(1)
}
