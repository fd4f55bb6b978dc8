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
// Environment (wire.Config, read once by lambdawire.Boot): TABLE_NAME (the
// DynamoDB table), LOUPE_ALLOWED_EMAIL_DOMAINS and LOUPE_FATIGUE_CAP_DAYS (the
// same judgements as the stream and schedule functions). Logs are slog lines
// carrying the request id.
package main
