package main

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/aws/aws-lambda-go/events"

	"github.com/loupehq/loupe/shared/emf"
	"github.com/loupehq/loupe/shared/lambdahttp"
)

// apiHandler is a Lambda handler of API Gateway HTTP API (payload 2.0) events.
type apiHandler = func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

// newHandler returns the Lambda handler of h (the routes of httpapi, built by
// wire) with one metrics line per POS event.
func newHandler(h http.Handler, logger *slog.Logger, m *emf.Writer) apiHandler {
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
