// Command pos-webhook is the Lambda function behind the API Gateway HTTP API: it
// serves POST /pos/events (and the staff routes, guarded by the API's JWT
// authorizer) with the same handler `loupe serve` uses.
//
// Environment: TABLE_NAME (the DynamoDB table), LOUPE_WEBHOOK_SECRET (one
// secret, or several separated by commas during a rotation). Logs are slog
// lines carrying the request id; set the function's LoggingConfig LogFormat to
// JSON for JSON lines. LOUPE_UNSUBSCRIBE_SECRET verifies the tokens of the
// unsubscribe routes /u/{token}.
//
// Metrics (CloudWatch embedded metric format on standard output, namespace
// Loupe, dimension Function=pos-webhook), one line per POST /pos/events:
// WebhookEventsAccepted (202), WebhookEventsDuplicate (200, the same event id
// again), WebhookEventsRejected (4xx: invalid, unsigned, too large, wrong
// content type) or WebhookEventsFailed (5xx: no secret configured, internal
// error), with the status and its class ("4xx") as properties.
package main

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"time"
	_ "time/tzdata" // store time zones on provided.al2023, which has no tz database

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/loupehq/loupe/shared/emf"
	"github.com/loupehq/loupe/shared/httpapi"
	"github.com/loupehq/loupe/shared/lambdaenv"
	"github.com/loupehq/loupe/shared/lambdahttp"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/unsub"
	"github.com/loupehq/loupe/shared/webhook"
)

// apiHandler is a Lambda handler of API Gateway HTTP API (payload 2.0) events.
type apiHandler = func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

// newHandler returns the Lambda handler over db: the routes of httpapi with
// one metrics line per POS event. Wiring only, shared with the test.
func newHandler(db loupe.DB, secrets []string, signer *unsub.Signer, logger *slog.Logger, m *emf.Writer) apiHandler {
	h := httpapi.New(httpapi.Config{
		DB:             db,
		WebhookSecrets: secrets,
		Unsubscribe:    signer,
		APIToken:       "", // the API Gateway JWT authorizer guards the staff routes
		Now:            time.Now,
		Logger:         logger,
	})
	return withEventMetrics(lambdahttp.Adapt(h), logger, m)
}

// withEventMetrics writes, for each POST /pos/events that next answers, one
// metrics line to m named after the answer's status (see the package
// comment). Other routes and errors of next itself write nothing.
func withEventMetrics(next apiHandler, logger *slog.Logger, m *emf.Writer) apiHandler {
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		res, err := next(ctx, ev)
		if err != nil || ev.RequestContext.HTTP.Method != http.MethodPost || ev.RawPath != "/pos/events" {
			return res, err
		}
		name := "WebhookEventsFailed"
		switch code := res.StatusCode; {
		case code == http.StatusAccepted:
			name = "WebhookEventsAccepted"
		case code == http.StatusOK:
			name = "WebhookEventsDuplicate"
		case code >= 400 && code < 500:
			name = "WebhookEventsRejected"
		}
		props := map[string]string{"status": strconv.Itoa(res.StatusCode), "status_class": strconv.Itoa(res.StatusCode/100) + "xx"}
		if perr := m.Put(props, emf.Count(name, 1)); perr != nil {
			logger.WarnContext(ctx, "metrics not written", "err", perr)
		}
		return res, nil
	}
}

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
	lambda.Start(newHandler(db, secrets, signer, logger, emf.New(os.Stdout, "pos-webhook", nil)))
}
