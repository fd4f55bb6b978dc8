package httpapi_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
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

// BenchmarkEventRequestsDynamo reports the DynamoDB requests of each kind of
// POS event through the full handler on dynalite (docs/data-model.md,
// "Writes"): the claim, the read of the record, the conditional write, and
// the reads a rule needs (the named associate, an erasure record).
func BenchmarkEventRequestsDynamo(b *testing.B) {
	endpoint := dynalite.Start(b)
	client := dynalite.Client(b, endpoint)
	kinds := []struct {
		name  string
		setup func(i int) string // an event applied before counting, "" for none
		event func(i int) string // the counted event
		code  int
	}{
		{"customer_new", nil, func(i int) string {
			return customerEvent("n"+strconv.Itoa(i), "2026-11-20T15:00:00Z", `"first_name":"Bea","email":"b@example.com","preferences":["pearls"]`)
		}, http.StatusAccepted},
		{"customer_update", func(i int) string {
			return customerEvent("u"+strconv.Itoa(i), "2026-11-20T14:00:00Z", `"first_name":"Bea"`)
		}, func(i int) string {
			return customerEvent("u"+strconv.Itoa(i), "2026-11-20T15:00:00Z", `"last_name":"Lee"`)
		}, http.StatusAccepted},
		{"customer_update_naming_owner", func(i int) string {
			return customerEvent("o"+strconv.Itoa(i), "2026-11-20T14:00:00Z", `"first_name":"Bea"`)
		}, func(i int) string {
			return customerEvent("o"+strconv.Itoa(i), "2026-11-20T15:00:00Z", `"associate_id":"a1"`)
		}, http.StatusAccepted},
		{"customer_older_changes_nothing", func(i int) string {
			return customerEvent("s"+strconv.Itoa(i), "2026-11-20T15:00:00Z", `"first_name":"Bea"`)
		}, func(i int) string {
			return customerEvent("s"+strconv.Itoa(i), "2026-11-20T14:00:00Z", `"first_name":"Old"`)
		}, http.StatusAccepted},
		{"duplicate", func(i int) string {
			return customerEvent("d"+strconv.Itoa(i), "2026-11-20T15:00:00Z", `"first_name":"Bea"`)
		}, func(i int) string {
			return customerEvent("d"+strconv.Itoa(i), "2026-11-20T15:00:00Z", `"first_name":"Bea"`)
		}, http.StatusOK},
		{"reused_id_other_body", func(i int) string {
			return customerEvent("r"+strconv.Itoa(i), "2026-11-20T15:00:00Z", `"first_name":"Bea"`)
		}, func(i int) string {
			return customerEvent("r"+strconv.Itoa(i), "2026-11-20T15:00:00Z", `"first_name":"Eve"`)
		}, http.StatusConflict},
		{"associate_termination", func(i int) string {
			return typedEvent("ta"+strconv.Itoa(i), "associate.upserted", "2026-11-20T14:00:00Z", `{"associate_id":"t`+strconv.Itoa(i)+`","store_id":"s1","name":"Ann"}`)
		}, func(i int) string {
			return typedEvent("tt"+strconv.Itoa(i), "associate.terminated", "2026-11-20T15:00:00Z", `{"associate_id":"t`+strconv.Itoa(i)+`"}`)
		}, http.StatusAccepted},
		{"purchase", func(i int) string {
			return customerEvent("pc"+strconv.Itoa(i), "2026-11-20T14:00:00Z", `"first_name":"Bea"`)
		}, func(i int) string {
			return typedEvent("pp"+strconv.Itoa(i), "purchase.created", "2026-11-20T15:00:00Z",
				`{"purchase_id":"pp`+strconv.Itoa(i)+`","store_id":"s1","associate_id":"a1","customer_id":"pc`+strconv.Itoa(i)+`","total_cents":129900}`)
		}, http.StatusAccepted},
		{"repair", nil, func(i int) string {
			return typedEvent("rp"+strconv.Itoa(i), "repair.created", "2026-11-20T15:00:00Z",
				`{"repair_id":"rp`+strconv.Itoa(i)+`","store_id":"s1","associate_id":"a1","customer_id":"c1","customer_email":"c1@example.com"}`)
		}, http.StatusAccepted},
	}
	for _, k := range kinds {
		b.Run(k.name, func(b *testing.B) {
			table := dynalite.TableName(b)
			if err := dynamo.CreateTable(context.Background(), client, table); err != nil {
				b.Fatal(err)
			}
			counter := dynamo.NewCounter(client)
			h := newAPI(dynamo.New(counter, table))
			post := func(body string, want int) {
				req := httptest.NewRequest(http.MethodPost, "/pos/events", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set(webhook.Header, webhook.Sign(secret, []byte(body), now))
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != want {
					b.Fatalf("status %d, want %d: %s", rec.Code, want, rec.Body)
				}
			}
			post(typedEvent("seed-a1", "associate.upserted", "2026-11-20T13:00:00Z", `{"associate_id":"a1","store_id":"s1","name":"A"}`), http.StatusAccepted)
			if k.setup != nil {
				for i := range b.N {
					post(k.setup(i), http.StatusAccepted)
				}
			}
			counter.Reset()
			b.ResetTimer()
			for i := range b.N {
				post(k.event(i), k.code)
			}
			b.StopTimer()
			b.ReportMetric(float64(counter.Total())/float64(b.N), "ddb_requests/event")
			for op, n := range counter.Counts() {
				b.ReportMetric(float64(n)/float64(b.N), op+"/event")
			}
		})
	}
}

func typedEvent(id, typ, occurred, data string) string {
	return `{"id":"` + id + `","type":"` + typ + `","occurred_at":"` + occurred + `","data":` + data + `}`
}

func customerEvent(customerID, occurred, fields string) string {
	return typedEvent("e-"+customerID+"-"+occurred[11:13], "customer.upserted", occurred,
		`{"customer_id":"`+customerID+`","home_store_id":"s1",`+fields+`}`)
}
