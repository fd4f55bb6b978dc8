package main

import (
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
			handle := newHandler(db, quiet())
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
		name   string
		event  events.CloudWatchEvent
		want   []call
		failed bool
	}{
		{"permanent bounce at the bounce timestamp", loadEvent(t, "bounce-permanent.json"),
			[]call{{"Claire.Martin@Example.net", loupe.EmailBounced, bounceAt}}, false},
		{"complaint at the complaint timestamp", loadEvent(t, "complaint.json"),
			[]call{{"paul@example.net", loupe.EmailComplained, complaintAt}}, false},
		{"not-spam feedback is ignored", withDetail(loadEvent(t, "complaint.json"),
			`{"eventType":"Complaint","complaint":{"complainedRecipients":[{"emailAddress":"paul@example.net"}],"complaintFeedbackType":"not-spam","timestamp":"2026-11-22T08:00:00Z"},"mail":{"messageId":"m"}}`),
			nil, false},
		{"undetermined bounce is ignored", withDetail(loadEvent(t, "bounce-permanent.json"),
			`{"eventType":"Bounce","bounce":{"bounceType":"Undetermined","bouncedRecipients":[{"emailAddress":"paul@example.net"}]},"mail":{"messageId":"m"}}`),
			nil, false},
		{"named address, no timestamp: bare address at the event time", withDetail(loadEvent(t, "bounce-permanent.json"),
			`{"eventType":"Bounce","bounce":{"bounceType":"Permanent","bouncedRecipients":[{"emailAddress":"Paul <paul@example.net>"},{"emailAddress":"not an address"}]},"mail":{"messageId":"m"}}`),
			[]call{{"paul@example.net", loupe.EmailBounced, time.Date(2026, 11, 21, 9, 30, 2, 0, time.UTC)}}, false},
		{"undecodable detail is dropped", withDetail(loadEvent(t, "bounce-permanent.json"), `"just a string"`), nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakePrivacy{}
			if err := newHandler(f, quiet())(context.Background(), tt.event); err != nil {
				t.Fatalf("handler: %v", err)
			}
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
	err := newHandler(f, quiet())(context.Background(), loadEvent(t, "bounce-permanent.json"))
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want it to wrap %v (so EventBridge retries)", err, boom)
	}
}

func withDetail(ev events.CloudWatchEvent, detail string) events.CloudWatchEvent {
	ev.Detail = json.RawMessage(detail)
	return ev
}
