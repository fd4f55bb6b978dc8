package httpapi_test

import (
	"context"
	"encoding/base64"
	"strconv"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/loupehq/loupe/shared/lambdahttp"
	"github.com/loupehq/loupe/shared/webhook"
)

// TestThroughAPIGateway runs signed events through lambdahttp.Adapt as the
// pos-webhook function does.
func TestThroughAPIGateway(t *testing.T) {
	h := lambdahttp.Adapt(newAPI(openDB(t)))
	body := event("e1", "2026-11-20T15:00:00Z", `{"customer_id":"c1","home_store_id":"s1"}`)
	tests := []struct {
		name       string
		base64     bool
		sig        string
		wantStatus int
		wantBody   string
	}{
		{"accepted, base64 body", true, webhook.Sign(secret, []byte(body), now), 202, `{"id":"e1","status":"accepted"}` + "\n"},
		{"duplicate, plain body", false, webhook.Sign(secret, []byte(body), now), 200, `{"id":"e1","status":"duplicate"}` + "\n"},
		{"bad signature", false, webhook.Sign("x", []byte(body), now), 401, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := events.APIGatewayV2HTTPRequest{
				Version: "2.0", RouteKey: "POST /pos/events", RawPath: "/pos/events",
				Headers: map[string]string{"content-type": "application/json", "loupe-signature": tt.sig,
					"content-length": strconv.Itoa(len(body)), "host": "abc.execute-api.us-east-1.amazonaws.com"},
				RequestContext: events.APIGatewayV2HTTPRequestContext{Stage: "$default", RequestID: "req-1",
					HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", Path: "/pos/events", Protocol: "HTTP/1.1", SourceIP: "203.0.113.7"}},
				Body: body,
			}
			if tt.base64 {
				ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte(body)), true
			}
			res, err := h(context.Background(), ev)
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != tt.wantStatus || (tt.wantBody != "" && res.Body != tt.wantBody) {
				t.Fatalf("got %d %q, want %d %q", res.StatusCode, res.Body, tt.wantStatus, tt.wantBody)
			}
			if res.Headers["Content-Type"] != "application/json" || res.IsBase64Encoded {
				t.Errorf("headers %v base64 %v, want plain JSON", res.Headers, res.IsBase64Encoded)
			}
		})
	}
}
