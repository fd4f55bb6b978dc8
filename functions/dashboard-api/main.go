// Command dashboard-api is the Lambda function behind the API Gateway HTTP API
// (payload 2.0) for the chain's staff: GET /compliance, GET /dashboard and
// every other staff route httpapi serves, with the same handler `loupe serve`
// uses. API Gateway's JWT authorizer guards the staff routes, so the handler
// runs without a bearer token of its own.
//
// Environment: TABLE_NAME (the DynamoDB table). Logs are slog lines carrying
// the request id.
package main

import (
	"log/slog"
	"net/http"
	"time"
	_ "time/tzdata" // store time zones on provided.al2023, which has no tz database

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/loupehq/loupe/shared/compliance"
	"github.com/loupehq/loupe/shared/dynamo"
	"github.com/loupehq/loupe/shared/httpapi"
	"github.com/loupehq/loupe/shared/lambdaenv"
	"github.com/loupehq/loupe/shared/lambdahttp"
)

// newHandler wires the staff API over db: wiring only, shared with the test.
func newHandler(db *dynamo.DB, logger *slog.Logger) http.Handler {
	return httpapi.New(httpapi.Config{
		DB: db,
		Compliance: &compliance.Service{Store: db.Compliance(), Stores: db, Associates: db, Customers: db,
			Now: time.Now, Log: logger},
		// Services of the other staff routes plug in here as httpapi.Config
		// gains their fields (reassignments, privacy/erasure, campaigns,
		// coverage), each built over db like Compliance above.
		APIToken: "", // the API Gateway JWT authorizer guards the staff routes
		Now:      time.Now,
		Logger:   logger,
	})
}

func main() {
	logger, cfg := lambdaenv.Boot()

	db := lambdaenv.Table(logger, cfg)
	lambda.Start(lambdahttp.Adapt(newHandler(db, logger)))
}
