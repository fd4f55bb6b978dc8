package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/loupehq/loupe/shared/dynamo"
	"github.com/loupehq/loupe/shared/emf"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/testkit/dynalite"
	"github.com/loupehq/loupe/shared/testkit/storetest"
)

func TestMain(m *testing.M) { os.Exit(dynalite.Main(m)) }

func loadEvent(t *testing.T, name string) events.CloudWatchEvent {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.CloudWatchEvent
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return ev
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// Customers on the table: c1 holds the permanently bounced address (in other
// case), c2 the transiently bounced and complained one, c3 neither, c4 the
// same address as c1 (a second profile of the same person, say).
var customers = map[string]string{
	"c1": "claire.martin@example.net",
	"c2": "paul@example.net",
	"c3": "zoe@example.net",
	"c4": "CLAIRE.MARTIN@example.net",
}

// allOK is every customer's EmailStatus before any event.
var allOK = map[string]string{"c1": loupe.EmailOK, "c2": loupe.EmailOK, "c3": loupe.EmailOK, "c4": loupe.EmailOK}

func TestHandlerAgainstDynalite(t *testing.T) {
	const (
		claire  = "claire.martin@example.net"
		paul    = "paul@example.net"
		manager = "manager.fifth@stores.example.com"
	)
	tests := []struct {
		name       string
		events     []events.CloudWatchEvent // delivered in order
		want       map[string]string        // EmailStatus by customer id
		suppressed []string                 // addresses on the suppression list
		clean      []string                 // addresses not on it
		requests   map[string]int64         // DynamoDB requests of the events; nil: not checked (but never a Scan)
	}{
		{"permanent bounce marks the named customer, suppresses the address for the other holder",
			[]events.CloudWatchEvent{loadEvent(t, "bounce-permanent.json")},
			with(allOK, "c1", loupe.EmailBounced), []string{claire}, []string{paul},
			map[string]int64{"PutItem": 1, "GetItem": 1, "UpdateItem": 1}},
		{"complaint",
			[]events.CloudWatchEvent{loadEvent(t, "complaint.json")},
			with(allOK, "c2", loupe.EmailComplained), []string{paul}, []string{claire},
			map[string]int64{"PutItem": 1, "GetItem": 1, "UpdateItem": 1}},
		{"staff mail without the header: suppression only",
			[]events.CloudWatchEvent{loadEvent(t, "bounce-staff.json")},
			allOK, []string{manager}, []string{claire, paul},
			map[string]int64{"PutItem": 1}},
		{"header names a customer whose address is another",
			[]events.CloudWatchEvent{withCustomerHeader(t, loadEvent(t, "bounce-permanent.json"), "X-Loupe-Customer-Id", "c3")},
			allOK, []string{claire}, nil,
			map[string]int64{"PutItem": 1, "GetItem": 1}},
		{"header names an unknown customer",
			[]events.CloudWatchEvent{withCustomerHeader(t, loadEvent(t, "bounce-permanent.json"), "X-Loupe-Customer-Id", "c9")},
			allOK, []string{claire}, nil,
			map[string]int64{"PutItem": 1, "GetItem": 1}},
		{"transient bounce changes nothing",
			[]events.CloudWatchEvent{loadEvent(t, "bounce-transient.json")},
			allOK, nil, []string{paul}, map[string]int64{}},
		{"delivery changes nothing",
			[]events.CloudWatchEvent{loadEvent(t, "delivery.json")},
			allOK, nil, []string{paul}, map[string]int64{}},
		{"replay is harmless",
			[]events.CloudWatchEvent{loadEvent(t, "bounce-permanent.json"), loadEvent(t, "complaint.json"),
				loadEvent(t, "bounce-permanent.json"), loadEvent(t, "complaint.json")},
			with(with(allOK, "c1", loupe.EmailBounced), "c2", loupe.EmailComplained), []string{claire, paul}, nil,
			map[string]int64{"PutItem": 4, "GetItem": 4, "UpdateItem": 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			client := dynalite.Client(t, dynalite.Shared(t))
			table := dynalite.TableName(t)
			if err := dynamo.CreateTable(ctx, client, table); err != nil {
				t.Fatalf("create table: %v", err)
			}
			counter := dynamo.NewCounter(client)
			db := dynamo.New(counter, table)
			for id, email := range customers {
				c := storetest.Customer(id, "s1", "a1")
				c.Email = email
				if err := loupe.PutCustomer(ctx, db, c); err != nil {
					t.Fatalf("put %s: %v", id, err)
				}
			}
			counter.Reset()
			handle := newHandler(db, quiet(), nil)
			for i, ev := range tt.events {
				if err := handle(ctx, ev); err != nil {
					t.Fatalf("handle event %d: %v", i, err)
				}
			}
			counts := counter.Counts()
			t.Logf("requests: %v", counts)
			if counts["Scan"] != 0 {
				t.Errorf("Scans = %d, want 0", counts["Scan"])
			}
			if !maps.Equal(counts, tt.requests) {
				t.Errorf("requests = %v, want %v", counts, tt.requests)
			}
			for id, want := range tt.want {
				c, err := db.GetCustomer(ctx, id)
				if err != nil {
					t.Fatalf("get %s: %v", id, err)
				}
				if c.EmailStatus != want {
					t.Errorf("%s EmailStatus = %q, want %q", id, c.EmailStatus, want)
				}
			}
			for _, addr := range append(tt.suppressed, tt.clean...) {
				got, err := db.Suppressed(ctx, addr)
				if err != nil {
					t.Fatalf("suppressed: %v", err)
				}
				if want := slices.Contains(tt.suppressed, addr); got != want {
					t.Errorf("Suppressed(%q) = %v, want %v", addr, got, want)
				}
			}
		})
	}
}

// with returns a copy of m with id set to status.
func with(m map[string]string, id, status string) map[string]string {
	m = maps.Clone(m)
	m[id] = status
	return m
}

// withCustomerHeader returns ev with the mail's X-Loupe-Customer-Id header
// replaced by name: value (name "": removed).
func withCustomerHeader(t *testing.T, ev events.CloudWatchEvent, name, value string) events.CloudWatchEvent {
	t.Helper()
	var d map[string]any
	if err := json.Unmarshal(ev.Detail, &d); err != nil {
		t.Fatalf("decode detail: %v", err)
	}
	m := d["mail"].(map[string]any)
	var hs []any
	for _, h := range m["headers"].([]any) {
		if h.(map[string]any)["name"] != "X-Loupe-Customer-Id" {
			hs = append(hs, h)
		}
	}
	if name != "" {
		hs = append(hs, map[string]any{"name": name, "value": value})
	}
	m["headers"] = hs
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatalf("encode detail: %v", err)
	}
	ev.Detail = b
	return ev
}

// fakePrivacy records calls and fails with err.
type fakePrivacy struct {
	calls []call
	err   error
}

// call is one call: customerID "" for Suppress, else SetEmailStatusOf.
type call struct {
	customerID, email, status string
	at                        time.Time
}

func (f *fakePrivacy) SetEmailStatusOf(ctx context.Context, customerID, email, status string, at time.Time) (bool, error) {
	f.calls = append(f.calls, call{customerID, email, status, at})
	return f.err == nil, f.err
}

func (f *fakePrivacy) Suppress(ctx context.Context, email, reason string, at time.Time) error {
	f.calls = append(f.calls, call{"", email, reason, at})
	return f.err
}

func TestHandlerCalls(t *testing.T) {
	bounceAt := time.Date(2026, 11, 21, 9, 30, 1, 512e6, time.UTC)
	complaintAt := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	bounce := loadEvent(t, "bounce-permanent.json")
	tests := []struct {
		name  string
		event events.CloudWatchEvent
		want  []call
		emf   *[2]float64 // Bounces, Complaints; nil: no metrics line
	}{
		{"permanent bounce of the named customer at the bounce timestamp", bounce,
			[]call{{"c1", "Claire.Martin@Example.net", loupe.EmailBounced, bounceAt}}, &[2]float64{1, 0}},
		{"complaint at the complaint timestamp", loadEvent(t, "complaint.json"),
			[]call{{"c2", "paul@example.net", loupe.EmailComplained, complaintAt}}, &[2]float64{0, 1}},
		{"staff mail: suppression only", loadEvent(t, "bounce-staff.json"),
			[]call{{"", "Manager.Fifth@Stores.Example.com", loupe.EmailBounced, bounceAt}}, &[2]float64{1, 0}},
		{"header name in other case, value with spaces", withCustomerHeader(t, bounce, "x-loupe-customer-id", " c1 "),
			[]call{{"c1", "Claire.Martin@Example.net", loupe.EmailBounced, bounceAt}}, &[2]float64{1, 0}},
		{"header missing (truncated): suppression only", withCustomerHeader(t, bounce, "", ""),
			[]call{{"", "Claire.Martin@Example.net", loupe.EmailBounced, bounceAt}}, &[2]float64{1, 0}},
		{"invalid id in the header: suppression only", withCustomerHeader(t, bounce, "X-Loupe-Customer-Id", "a/b"),
			[]call{{"", "Claire.Martin@Example.net", loupe.EmailBounced, bounceAt}}, &[2]float64{1, 0}},
		{"not-spam feedback is ignored", withDetail(loadEvent(t, "complaint.json"),
			`{"eventType":"Complaint","complaint":{"complainedRecipients":[{"emailAddress":"paul@example.net"}],"complaintFeedbackType":"not-spam","timestamp":"2026-11-22T08:00:00Z"},"mail":{"messageId":"m"}}`),
			nil, nil},
		{"undetermined bounce is ignored", withDetail(bounce,
			`{"eventType":"Bounce","bounce":{"bounceType":"Undetermined","bouncedRecipients":[{"emailAddress":"paul@example.net"}]},"mail":{"messageId":"m"}}`),
			nil, nil},
		{"named address, no timestamp: bare address at the event time", withDetail(bounce,
			`{"eventType":"Bounce","bounce":{"bounceType":"Permanent","bouncedRecipients":[{"emailAddress":"Paul <paul@example.net>"},{"emailAddress":"not an address"}]},"mail":{"messageId":"m","headers":[{"name":"X-Loupe-Customer-Id","value":"c2"}]}}`),
			[]call{{"c2", "paul@example.net", loupe.EmailBounced, time.Date(2026, 11, 21, 9, 30, 2, 0, time.UTC)}}, &[2]float64{1, 0}},
		{"undecodable detail is dropped", withDetail(bounce, `"just a string"`), nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakePrivacy{}
			var out, logs bytes.Buffer
			logger := slog.New(slog.NewJSONHandler(&logs, nil))
			if err := newHandler(f, logger, emf.New(&out, "ses-feedback", nil))(context.Background(), tt.event); err != nil {
				t.Fatalf("handler: %v", err)
			}
			checkEMF(t, &out, tt.emf)
			if bytes.Contains(logs.Bytes(), []byte("@")) {
				t.Errorf("log holds an address: %s", logs.Bytes())
			}
			if len(f.calls) != len(tt.want) {
				t.Fatalf("calls = %+v, want %+v", f.calls, tt.want)
			}
			for i := range tt.want {
				got, want := f.calls[i], tt.want[i]
				if got.customerID != want.customerID || got.email != want.email || got.status != want.status || !got.at.Equal(want.at) {
					t.Errorf("call %d = %+v, want %+v", i, got, want)
				}
			}
		})
	}
}

func TestHandlerReturnsStoreErrors(t *testing.T) {
	boom := errors.New("dynamodb unavailable")
	for _, name := range []string{"bounce-permanent.json", "bounce-staff.json"} {
		t.Run(name, func(t *testing.T) {
			f := &fakePrivacy{err: boom}
			var out, logs bytes.Buffer
			logger := slog.New(slog.NewJSONHandler(&logs, nil))
			err := newHandler(f, logger, emf.New(&out, "ses-feedback", nil))(context.Background(), loadEvent(t, name))
			if !errors.Is(err, boom) {
				t.Fatalf("err = %v, want it to wrap %v (so EventBridge retries)", err, boom)
			}
			if strings.Contains(err.Error(), "@") {
				t.Errorf("error holds an address: %v", err)
			}
			checkEMF(t, &out, nil) // the retry writes the line
		})
	}
}

func withDetail(ev events.CloudWatchEvent, detail string) events.CloudWatchEvent {
	ev.Detail = json.RawMessage(detail)
	return ev
}

// checkEMF checks that out holds no line (want nil) or one EMF line of this
// function with Bounces and Complaints equal to want, and no address.
func checkEMF(t *testing.T, out *bytes.Buffer, want *[2]float64) {
	t.Helper()
	if want == nil {
		if out.Len() != 0 {
			t.Errorf("metrics line %q, want none", out.String())
		}
		return
	}
	if n := bytes.Count(out.Bytes(), []byte("\n")); n != 1 {
		t.Fatalf("want one EMF line, got %d: %q", n, out.String())
	}
	var line struct {
		AWS struct {
			CloudWatchMetrics []struct {
				Namespace  string
				Dimensions [][]string
				Metrics    []struct{ Name, Unit string }
			}
		} `json:"_aws"`
		Function   string
		Bounces    *float64
		Complaints *float64
	}
	if err := json.Unmarshal(out.Bytes(), &line); err != nil {
		t.Fatalf("EMF line is not JSON: %v: %s", err, out.Bytes())
	}
	cw := line.AWS.CloudWatchMetrics
	if line.Function != "ses-feedback" || len(cw) != 1 || cw[0].Namespace != emf.Namespace ||
		len(cw[0].Dimensions) != 1 || len(cw[0].Dimensions[0]) != 1 || cw[0].Dimensions[0][0] != "Function" || len(cw[0].Metrics) != 2 {
		t.Fatalf("EMF metadata = %+v (Function %q)", cw, line.Function)
	}
	if line.Bounces == nil || line.Complaints == nil || *line.Bounces != want[0] || *line.Complaints != want[1] {
		t.Errorf("Bounces, Complaints = %v, %v; want %v, %v", line.Bounces, line.Complaints, want[0], want[1])
	}
	if bytes.Contains(out.Bytes(), []byte("@")) {
		t.Errorf("EMF line holds an address: %s", out.Bytes())
	}
}
