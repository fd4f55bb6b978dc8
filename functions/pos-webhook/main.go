// Command pos-webhook is the Lambda function behind the API Gateway HTTP API: it
// serves POST /pos/events (and the staff routes, guarded by the API's JWT
// authorizer) with the same handler `loupe serve` uses.
//
// Environment: TABLE_NAME (the DynamoDB table), LOUPE_WEBHOOK_SECRET (one
// secret, or several separated by commas during a rotation). Logs are slog
// lines carrying the request id; set the function's LoggingConfig LogFormat to
// JSON for JSON lines. LOUPE_UNSUBSCRIBE_SECRET verifies the tokens of the
// unsubscribe routes /u/{token}.
package main

import (
	"os"
	"time"
	_ "time/tzdata" // store time zones on provided.al2023, which has no tz database

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/loupehq/loupe/shared/httpapi"
	"github.com/loupehq/loupe/shared/lambdaenv"
	"github.com/loupehq/loupe/shared/lambdahttp"
	"github.com/loupehq/loupe/shared/unsub"
	"github.com/loupehq/loupe/shared/webhook"
)

func main() {
	logger, cfg := lambdaenv.Boot()
	db := lambdaenv.Table(logger, cfg)

	secrets := webhook.ParseSecrets(os.Getenv("LOUPE_WEBHOOK_SECRET"))
	if len(secrets) == 0 {
		// Answer 503 rather than crash-loop: unsigned events are never accepted.
		logger.Warn("LOUPE_WEBHOOK_SECRET is not set; POST /pos/events will answer 503")
	}
	// The unsubscribe links in every client mail point here (GET and POST /u/{token}).
	var signer *unsub.Signer
	if s := os.Getenv("LOUPE_UNSUBSCRIBE_SECRET"); len(s) >= 16 {
		signer = unsub.New([]byte(s))
	} else {
		logger.Warn("LOUPE_UNSUBSCRIBE_SECRET is not set or shorter than 16 characters; /u/{token} will answer 503")
	}

	handler := httpapi.New(httpapi.Config{
		DB:             db,
		WebhookSecrets: secrets,
		Unsubscribe:    signer,
		APIToken:       "", // the API Gateway JWT authorizer guards the staff routes
		Now:            time.Now,
		Logger:         logger,
	})
	lambda.Start(lambdahttp.Adapt(handler))
}
