// Command dashboard-api is the Lambda function behind the API Gateway HTTP API
// (payload 2.0) for the chain's staff: GET /compliance, GET /dashboard and
// every other staff route httpapi serves, with the same handler `loupe serve`
// uses. API Gateway's JWT authorizer guards the staff routes, so the handler
// runs without a bearer token of its own.
//
// Routes served here: /compliance, /dashboard, /customers/{id} (GET, DELETE),
// /reassignments (list, one, .csv, print page, claims), /stores/{id}/inspection,
// POST /campaigns and GET /coverage. A claim sends no mail, so the reassignment
// service has no sender here (review mail goes from staff-stream).
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
	"github.com/loupehq/loupe/shared/reassign"
	"github.com/loupehq/loupe/shared/touch"
)

// newHandler wires the staff API over db: wiring only, shared with the test.
func newHandler(db *dynamo.DB, logger *slog.Logger) http.Handler {
	ledger := db.Ledger()
	comp := &compliance.Service{Store: db.Compliance(), Inspections: db.Compliance(),
		Stores: db, Associates: db, Customers: db, Now: time.Now, Log: logger}
	return httpapi.New(httpapi.Config{
		DB:         db,
		Compliance: comp,
		Reassign:   reassign.New(db, db, nil, time.Now, reassign.Config{Logger: logger}),
		Touch: &touch.Planner{DB: db, Ledger: ledger, Campaigns: ledger, Consent: comp.ConsentFor,
			Now: time.Now, Log: logger},
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
