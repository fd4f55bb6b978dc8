package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/loupehq/loupe/shared/dynamo"
	"github.com/loupehq/loupe/shared/emf"
	"github.com/loupehq/loupe/shared/testkit/dynalite"
	"github.com/loupehq/loupe/shared/webhook"
	"github.com/loupehq/loupe/shared/wire"
	"github.com/loupehq/loupe/shared/wire/lambdawire"
)

func TestMain(m *testing.M) { os.Exit(dynalite.Main(m)) }

const secret = "whsec_test"

// request is an API Gateway HTTP API (payload 2.0) request as the route
// integration delivers it.
func request(method, path, contentType, signature, body string) events.APIGatewayV2HTTPRequest {
	h := map[string]string{"host": "abc.execute-api.us-east-1.amazonaws.com"}
	if contentType != "" {
		h["content-type"] = contentType
	}
	if signature != "" {
		h["loupe-signature"] = signature
	}
	return events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: method + " " + path, RawPath: path, Headers: h, Body: body,
		RequestContext: events.APIGatewayV2HTTPRequestContext{Stage: "$default", RequestID: "req-1",
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path, Protocol: "HTTP/1.1", SourceIP: "203.0.113.7"}},
	}
}

func signed(body string) events.APIGatewayV2HTTPRequest {
	return request("POST", "/pos/events", "application/json", webhook.Sign(secret, []byte(body), time.Now()), body)
}

func TestEventMetrics(t *testing.T) {
	ctx := context.Background()
	client := dynalite.Client(t, dynalite.Shared(t))
	table := dynalite.TableName(t)
	if err := dynamo.CreateTable(ctx, client, table); err != nil {
		t.Fatal(err)
	}
	db := dynamo.New(client, table)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	customer := `{"id":"evt_c1","type":"customer.upserted","occurred_at":"2026-11-20T15:04:05Z",` +
		`"data":{"customer_id":"c1","home_store_id":"s1","first_name":"Bea","email":"bea.marsh@example.com","birthday":"--06-14"}}`

	tests := []struct {
		name    string
		secrets []string
		req     events.APIGatewayV2HTTPRequest
		status  int
		metric  string // "" when no line is written
	}{
		{"accepted", []string{secret}, signed(customer), 202, "WebhookEventsAccepted"},
		{"same id again", []string{secret}, signed(customer), 200, "WebhookEventsDuplicate"},
		{"wrong signature", []string{secret}, request("POST", "/pos/events", "application/json", webhook.Sign("other", []byte(customer), time.Now()), customer), 401, "WebhookEventsRejected"},
		{"invalid event", []string{secret}, signed(`{"id":"evt_2","type":"customer.upserted","occurred_at":"2026-11-20T15:04:05Z","data":{}}`), 400, "WebhookEventsRejected"},
		{"not JSON", []string{secret}, request("POST", "/pos/events", "text/plain", "", "x"), 415, "WebhookEventsRejected"},
		{"no secret configured", nil, signed(customer), 503, "WebhookEventsFailed"},
		{"other route", []string{secret}, request("GET", "/healthz", "", "", ""), 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			svc := lambdawire.ServicesOn(db, wire.Config{WebhookSecrets: tt.secrets}, nil, quiet)
			handle := newHandler(svc.HTTP(""), quiet, emf.New(&out, "pos-webhook", nil))
			res, err := handle(ctx, tt.req)
			if err != nil || res.StatusCode != tt.status {
				t.Fatalf("status %d (err %v), want %d; body %s", res.StatusCode, err, tt.status, res.Body)
			}
			if tt.metric == "" {
				if out.Len() != 0 {
					t.Errorf("metrics line %q, want none", out.String())
				}
				return
			}
			if n := bytes.Count(out.Bytes(), []byte("\n")); n != 1 {
				t.Fatalf("want one EMF line, got %d: %q", n, out.String())
			}
			var line map[string]any
			if err := json.Unmarshal(out.Bytes(), &line); err != nil {
				t.Fatalf("EMF line is not JSON: %v: %s", err, out.Bytes())
			}
			var meta struct {
				AWS struct {
					CloudWatchMetrics []struct {
						Namespace  string
						Dimensions [][]string
						Metrics    []struct{ Name, Unit string }
					}
				} `json:"_aws"`
			}
			if err := json.Unmarshal(out.Bytes(), &meta); err != nil {
				t.Fatal(err)
			}
			cw := meta.AWS.CloudWatchMetrics
			wantMeta := fmt.Sprintf("[{%s [[Function]] [{%s Count}]}]", emf.Namespace, tt.metric)
			if got := fmt.Sprint(cw); got != wantMeta || line["Function"] != "pos-webhook" {
				t.Errorf("EMF metadata = %s (Function %v), want %s", got, line["Function"], wantMeta)
			}
			wantClass := fmt.Sprintf("%dxx", tt.status/100)
			if line[tt.metric] != 1.0 || line["status"] != fmt.Sprint(tt.status) || line["status_class"] != wantClass {
				t.Errorf("EMF line %v, want %s=1 status %d class %s", line, tt.metric, tt.status, wantClass)
			}
			if bytes.Contains(out.Bytes(), []byte("@")) || bytes.Contains(out.Bytes(), []byte("Bea")) {
				t.Errorf("EMF line holds customer data: %s", out.Bytes())
			}
		})
	}
}
