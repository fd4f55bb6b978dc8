// Command pos-webhook is the Lambda function behind the API Gateway HTTP API: it
// serves POST /pos/events (and the staff routes, guarded by the API's JWT
// authorizer) with the same handler `loupe serve` uses.
//
// Environment (wire.Config, read once by lambdawire.Boot): TABLE_NAME (the
// DynamoDB table), LOUPE_WEBHOOK_SECRET_ID (the Secrets Manager secret whose
// current and previous values verify POST /pos/events, read at start-up; the
// current one may list several secrets separated by commas; unset, POST
// /pos/events answers 503 rather than the function crash-looping),
// LOUPE_UNSUBSCRIBE_SECRET_ID (the secret whose current and previous values
// verify the tokens of the unsubscribe routes /u/{token}; unset, they answer
// 503). Locally and in tests LOUPE_WEBHOOK_SECRET and LOUPE_UNSUBSCRIBE_SECRET
// give the values themselves. Logs are slog
// lines carrying the request id; set the function's LoggingConfig LogFormat to
// JSON for JSON lines.
//
// Metrics (CloudWatch embedded metric format on standard output, namespace
// Loupe, dimension Function=pos-webhook), one line per POST /pos/events:
// WebhookEventsAccepted (202), WebhookEventsDuplicate (200, the same event id
// again), WebhookEventsRejected (4xx: invalid, unsigned, too large, wrong
// content type) or WebhookEventsFailed (5xx: no secret configured, internal
// error), with the status and its class ("4xx") as properties.
package main
