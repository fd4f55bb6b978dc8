package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/loupehq/loupe/shared/dynalite"
	"github.com/loupehq/loupe/shared/dynamo"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/metrics"
	"github.com/loupehq/loupe/shared/storetest"
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
// case), c2 the transiently bounced and complained one, c3 neither.
var customers = map[string]string{
	"c1": "claire.martin@example.net",
	"c2": "paul@example.net",
	"c3": "zoe@example.net",
}

func TestHandlerAgainstDynalite(t *testing.T) {
	tests := []struct {
		name   string
		events []string          // testdata files, delivered in order
		want   map[string]string // EmailStatus by customer id
	}{
		{"permanent bounce", []string{"bounce-permanent.json"},
			map[string]string{"c1": loupe.EmailBounced, "c2": loupe.EmailOK, "c3": loupe.EmailOK}},
		{"complaint", []string{"complaint.json"},
			map[string]string{"c1": loupe.EmailOK, "c2": loupe.EmailComplained, "c3": loupe.EmailOK}},
		{"transient bounce changes nothing", []string{"bounce-transient.json"},
			map[string]string{"c1": loupe.EmailOK, "c2": loupe.EmailOK, "c3": loupe.EmailOK}},
		{"delivery changes nothing", []string{"delivery.json"},
			map[string]string{"c1": loupe.EmailOK, "c2": loupe.EmailOK, "c3": loupe.EmailOK}},
		{"replay is harmless", []string{"bounce-permanent.json", "complaint.json", "bounce-permanent.json", "complaint.json"},
			map[string]string{"c1": loupe.EmailBounced, "c2": loupe.EmailComplained, "c3": loupe.EmailOK}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			client := dynalite.Client(t, dynalite.Shared(t))
			table := dynalite.TableName(t)
			if err := dynamo.CreateTable(ctx, client, table); err != nil {
				t.Fatalf("create table: %v", err)
			}
			db := dynamo.New(client, table)
			for id, email := range customers {
				c := storetest.Customer(id, "s1", "a1")
				c.Email = email
				if err := db.PutCustomer(ctx, c); err != nil {
					t.Fatalf("put %s: %v", id, err)
				}
			}
			handle := newHandler(db, quiet(), nil)
			for _, name := range tt.events {
				if err := handle(ctx, loadEvent(t, name)); err != nil {
					t.Fatalf("handle %s: %v", name, err)
				}
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
		})
	}
}

// fakePrivacy records calls and fails with err.
type fakePrivacy struct {
	calls []call
	err   error
}

type call struct {
	email, status string
	at            time.Time
}

func (f *fakePrivacy) SetEmailStatusByAddress(ctx context.Context, email, status string, at time.Time) (int, error) {
	f.calls = append(f.calls, call{email, status, at})
	return 1, f.err
}

func TestHandlerCalls(t *testing.T) {
	bounceAt := time.Date(2026, 11, 21, 9, 30, 1, 512e6, time.UTC)
	complaintAt := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		event events.CloudWatchEvent
		want  []call
		emf   *[2]float64 // Bounces, Complaints; nil: no metrics line
	}{
		{"permanent bounce at the bounce timestamp", loadEvent(t, "bounce-permanent.json"),
			[]call{{"Claire.Martin@Example.net", loupe.EmailBounced, bounceAt}}, &[2]float64{1, 0}},
		{"complaint at the complaint timestamp", loadEvent(t, "complaint.json"),
			[]call{{"paul@example.net", loupe.EmailComplained, complaintAt}}, &[2]float64{0, 1}},
		{"not-spam feedback is ignored", withDetail(loadEvent(t, "complaint.json"),
			`{"eventType":"Complaint","complaint":{"complainedRecipients":[{"emailAddress":"paul@example.net"}],"complaintFeedbackType":"not-spam","timestamp":"2026-11-22T08:00:00Z"},"mail":{"messageId":"m"}}`),
			nil, nil},
		{"undetermined bounce is ignored", withDetail(loadEvent(t, "bounce-permanent.json"),
			`{"eventType":"Bounce","bounce":{"bounceType":"Undetermined","bouncedRecipients":[{"emailAddress":"paul@example.net"}]},"mail":{"messageId":"m"}}`),
			nil, nil},
		{"named address, no timestamp: bare address at the event time", withDetail(loadEvent(t, "bounce-permanent.json"),
			`{"eventType":"Bounce","bounce":{"bounceType":"Permanent","bouncedRecipients":[{"emailAddress":"Paul <paul@example.net>"},{"emailAddress":"not an address"}]},"mail":{"messageId":"m"}}`),
			[]call{{"paul@example.net", loupe.EmailBounced, time.Date(2026, 11, 21, 9, 30, 2, 0, time.UTC)}}, &[2]float64{1, 0}},
		{"undecodable detail is dropped", withDetail(loadEvent(t, "bounce-permanent.json"), `"just a string"`), nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakePrivacy{}
			var out bytes.Buffer
			if err := newHandler(f, quiet(), metrics.New(&out, "ses-feedback", nil))(context.Background(), tt.event); err != nil {
				t.Fatalf("handler: %v", err)
			}
			checkEMF(t, &out, tt.emf)
			if len(f.calls) != len(tt.want) {
				t.Fatalf("calls = %+v, want %+v", f.calls, tt.want)
			}
			for i := range tt.want {
				got, want := f.calls[i], tt.want[i]
				if got.email != want.email || got.status != want.status || !got.at.Equal(want.at) {
					t.Errorf("call %d = %+v, want %+v", i, got, want)
				}
			}
		})
	}
}

func TestHandlerReturnsStoreErrors(t *testing.T) {
	boom := errors.New("dynamodb unavailable")
	f := &fakePrivacy{err: boom}
	var out bytes.Buffer
	err := newHandler(f, quiet(), metrics.New(&out, "ses-feedback", nil))(context.Background(), loadEvent(t, "bounce-permanent.json"))
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want it to wrap %v (so EventBridge retries)", err, boom)
	}
	checkEMF(t, &out, nil) // the retry writes the line
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
	if line.Function != "ses-feedback" || len(cw) != 1 || cw[0].Namespace != metrics.Namespace ||
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
