package httpapi_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/loupehq/loupe/shared/dynamo"
	"github.com/loupehq/loupe/shared/testkit/dynalite"
	"github.com/loupehq/loupe/shared/webhook"
)

// BenchmarkWebhookAcceptDynamo posts signed customer.upserted events through
// the full handler onto the DynamoDB adapter (dynalite) and reports the
// DynamoDB requests each accepted event costs, counted at the SDK boundary.
func BenchmarkWebhookAcceptDynamo(b *testing.B) {
	endpoint := dynalite.Start(b)
	client := dynalite.Client(b, endpoint)
	table := dynalite.TableName(b)
	if err := dynamo.CreateTable(context.Background(), client, table); err != nil {
		b.Fatal(err)
	}
	counter := dynamo.NewCounter(client)
	h := newAPI(dynamo.New(counter, table))
	bodies := make([][]byte, b.N)
	for i := range bodies {
		id := "c" + strconv.Itoa(i%5000)
		bodies[i] = []byte(event("evt_"+strconv.Itoa(i), "2026-11-20T15:00:00Z", `{"customer_id":"`+id+`","home_store_id":"s1","first_name":"Bea","email":"`+id+`@example.com","birthday":"1980-06-14","preferences":["bridal","pearls"],"associate_id":"a1"}`))
	}
	counter.Reset()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest(http.MethodPost, "/pos/events", bytes.NewReader(bodies[i]))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(webhook.Header, webhook.Sign(secret, bodies[i], now))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusAccepted {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(counter.Total())/float64(b.N), "ddb_requests/event")
	for op, n := range counter.Counts() {
		b.ReportMetric(float64(n)/float64(b.N), op+"/event")
	}
}
