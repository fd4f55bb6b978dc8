package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/loupehq/loupe/shared/dynamo"
	"github.com/loupehq/loupe/shared/lambdahttp"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/testkit/dynalite"
	"github.com/loupehq/loupe/shared/testkit/storetest"
	"github.com/loupehq/loupe/shared/wire"
	"github.com/loupehq/loupe/shared/wire/lambdawire"
)

func TestMain(m *testing.M) { os.Exit(dynalite.Main(m)) }

// apiEvent is an API Gateway HTTP API (payload 2.0) GET request.
func apiEvent(path, query string) events.APIGatewayV2HTTPRequest {
	return events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "GET " + path, RawPath: path, RawQueryString: query,
		Headers: map[string]string{"host": "abc.execute-api.us-east-1.amazonaws.com"},
		RequestContext: events.APIGatewayV2HTTPRequestContext{Stage: "$default", RequestID: "req-1",
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET", Path: path, Protocol: "HTTP/1.1", SourceIP: "203.0.113.7"}},
	}
}

func TestHandler(t *testing.T) {
	ctx := context.Background()
	client := dynalite.Client(t, dynalite.Shared(t))
	table := dynalite.TableName(t)
	if err := dynamo.CreateTable(ctx, client, table); err != nil {
		t.Fatal(err)
	}
	db := dynamo.New(client, table)
	if err := loupe.PutStore(ctx, db, storetest.Store("s1")); err != nil {
		t.Fatal(err)
	}
	if err := loupe.PutAssociate(ctx, db, storetest.Associate("a1", "s1")); err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	const apiToken = "dashboard-api-test-token"
	services := lambdawire.ServicesOn(db, wire.Config{APIToken: apiToken}, nil, quiet)
	svc := services.Compliance
	for _, r := range []struct{ id, email string }{{"r1", "ann@gmail.com"}, {"r2", ""}, {"r3", "bob@gmial.com"}} {
		rep := storetest.Repair(r.id, "s1", "c"+r.id, storetest.T0)
		rep.CustomerEmail = r.email
		if err := svc.HandleChange(ctx, loupe.Change{Entity: loupe.EntityRepair, Op: loupe.OpInsert, NewRepair: &rep}); err != nil {
			t.Fatal(err)
		}
	}
	h := lambdahttp.Adapt(services.HTTP(""))

	tests := []struct {
		name, path, query string
		status            int
		contentType, body string // body: a substring
	}{
		{"compliance", "/compliance", "from=2026-11-14&to=2026-11-20", 200, "application/json", `"totals":{"take_ins":3,"with_email":1,"rate":0.3333}`},
		{"compliance one store", "/compliance", "from=2026-11-20&to=2026-11-20&store_id=s1", 200, "application/json", `"suggestion":"bob@gmail.com"`},
		{"bad window", "/compliance", "from=2026-11-20&to=2026-11-01", 400, "application/json", `"field":"from"`},
		{"dashboard", "/dashboard", "", 200, "text/html; charset=utf-8", "<html"},
		{"no token", "/compliance", "", 401, "application/json", `"unauthorized"`},
		{"auth config", "/auth/config", "", 200, "application/json", `"mode":"link"`},
		{"me", "/me", "", 200, "application/json", `"roles":["admin"]`},
		// Every staff route is wired: none answers 503 (service not configured).
		{"reassignments", "/reassignments", "", 200, "application/json", `[`},
		{"coverage", "/coverage", "", 200, "application/json", `"store_id":"s1"`},
		{"inspection", "/stores/s1/inspection", "", 404, "application/json", `"error"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := apiEvent(tt.path, tt.query)
			if tt.name != "no token" {
				ev.Headers["authorization"] = "Bearer " + apiToken
			}
			res, err := h(ctx, ev)
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != tt.status || res.Headers["Content-Type"] != tt.contentType || !strings.Contains(res.Body, tt.body) {
				t.Fatalf("got %d %q %.300s; want %d %q containing %s", res.StatusCode, res.Headers["Content-Type"], res.Body, tt.status, tt.contentType, tt.body)
			}
			if tt.contentType == "application/json" && !json.Valid([]byte(res.Body)) {
				t.Fatalf("body is not JSON: %s", res.Body)
			}
		})
	}
}
