package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/smithy-go"

	"github.com/loupehq/loupe/shared/emf"
	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/sesmail"
	"github.com/loupehq/loupe/shared/sqsqueue"
	"github.com/loupehq/loupe/shared/testkit/sestest"
	"github.com/loupehq/loupe/shared/touch"
)

// Record ids in testdata/sqs-event.json.
const (
	idClaire    = "059f36b4-87a3-44ab-83d2-661975830a7d"
	idMalformed = "2e1424d4-f796-459a-8184-9c92662be6da"
	idPaul      = "b5f7a0a2-4c1e-4a8b-9a55-0d3f3c7e1f42"
)

func loadEvent(t *testing.T) events.SQSEvent {
	t.Helper()
	return loadFile(t, "testdata/sqs-event.json")
}

func loadFile(t *testing.T, name string) events.SQSEvent {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var ev events.SQSEvent
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatalf("decode event: %v", err)
	}
	if got, want := len(ev.Records), 3; got != want {
		t.Fatalf("%d records, want %d", got, want)
	}
	return ev
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestHandlerSendsThroughSESLocal(t *testing.T) {
	endpoint := sestest.Start(t)
	client := sestest.Client(t, endpoint)
	sender := sesmail.New(client, sesmail.Config{ConfigurationSet: "loupe-test", Concurrency: concurrency, Logger: quiet()})
	var emfOut bytes.Buffer
	handle := newHandler(&sqsqueue.Drain{Sender: sender, Logger: quiet()}, emf.New(&emfOut, "sender", nil), quiet())

	resp, err := handle(context.Background(), loadEvent(t))
	if err != nil {
		t.Fatalf("handler: %v", err)
	}
	if len(resp.BatchItemFailures) != 0 {
		t.Errorf("BatchItemFailures = %v, want none (the malformed record is dropped, not retried)", resp.BatchItemFailures)
	}
	sent := sestest.Sent(t, endpoint)
	var subjects []string
	for _, m := range sent {
		subjects = append(subjects, m.Subject)
	}
	want := []string{"Joyeux anniversaire, Claire", "Joyeux anniversaire, Paul"}
	if !slices.Equal(subjects, want) {
		t.Fatalf("subjects in /store = %q, want %q", subjects, want)
	}
	if got, want := strings.Join(sent[0].Destination.To, ","), "claire@example.net"; !strings.Contains(got, want) {
		t.Errorf("first mail To = %q, want it to hold %q", got, want)
	}
	var line map[string]any
	if err := json.Unmarshal(emfOut.Bytes(), &line); err != nil {
		t.Fatalf("EMF line %q: %v", emfOut.String(), err)
	}
	for name, want := range map[string]float64{"MailSent": 2, "TouchpointsSent": 0, "TouchpointsSkipped": 0, "SendRetried": 0} {
		if got := line[name]; got != want {
			t.Errorf("EMF %s = %v, want %v", name, got, want)
		}
	}
	if got := sender.Rate(context.Background()); got != sestest.MaxSendRate/concurrency {
		t.Errorf("rate = %v, want MaxSendRate/%d = %v", got, concurrency, sestest.MaxSendRate/concurrency)
	}
}

// fakeSES answers SendEmail with err for recipients containing failFor, else success.
type fakeSES struct {
	failFor string
	err     error
	calls   int
}

func (f *fakeSES) SendEmail(ctx context.Context, in *sesv2.SendEmailInput, _ ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error) {
	f.calls++
	if strings.Contains(string(in.Content.Raw.Data), f.failFor) {
		return nil, f.err
	}
	id := "ses-ok"
	return &sesv2.SendEmailOutput{MessageId: &id}, nil
}

func (f *fakeSES) GetAccount(ctx context.Context, _ *sesv2.GetAccountInput, _ ...func(*sesv2.Options)) (*sesv2.GetAccountOutput, error) {
	return &sesv2.GetAccountOutput{}, nil
}

func TestHandlerFailures(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want []string // BatchItemFailures item identifiers
	}{
		{"throttling is retried by SQS", &smithy.GenericAPIError{Code: "TooManyRequestsException", Message: "Maximum sending rate exceeded.", Fault: smithy.FaultClient}, []string{idPaul}},
		{"server fault is retried by SQS", &smithy.GenericAPIError{Code: "InternalFailure", Fault: smithy.FaultServer}, []string{idPaul}},
		{"rejection is dropped", &smithy.GenericAPIError{Code: "MessageRejected", Message: "Email address is not verified.", Fault: smithy.FaultClient}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &fakeSES{failFor: "paul@example.net", err: tt.err}
			sender := sesmail.New(api, sesmail.Config{
				MaxRate: 1000, MaxAttempts: 3, Logger: quiet(),
				Sleep: func(context.Context, time.Duration) error { return nil },
			})
			resp, err := newHandler(&sqsqueue.Drain{Sender: sender, Logger: quiet()}, nil, quiet())(context.Background(), loadEvent(t))
			if err != nil {
				t.Fatalf("handler: %v", err)
			}
			var got []string
			for _, f := range resp.BatchItemFailures {
				got = append(got, f.ItemIdentifier)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("BatchItemFailures = %q, want %q", got, tt.want)
			}
		})
	}
}

// Record ids in testdata/sqs-touchpoints.json (customers c-1001, c-1002, c-1003).
const (
	idBirthday  = "6f1c2a9e-0b7d-4c55-9a0e-3e1f7c2d9b10"
	idChristmas = "8a4e3b1d-2c6f-4f0a-8b9c-5d7e1a2f3c40"
	idEvent     = "d2b7c9e4-5f1a-4e3b-9c8d-7a6b5c4d3e20"
)

// fakeDeliverer answers as Planner.Deliver does: entries in order, stopping
// at the first error, per customer id.
type fakeDeliverer struct {
	results map[string]touch.Result
	errs    map[string]error
	calls   int
	got     []touch.Entry
}

func (f *fakeDeliverer) Deliver(ctx context.Context, entries []touch.Entry, sender mail.Sender) (touch.Result, error) {
	f.calls++
	f.got = append(f.got, entries...)
	var res touch.Result
	for _, e := range entries {
		if err := f.errs[e.CustomerID]; err != nil {
			return res, err
		}
		r, ok := f.results[e.CustomerID]
		if !ok {
			r = touch.Result{Sent: 1}
		}
		res.Sent += r.Sent
		res.Skipped += r.Skipped
		res.Duplicate += r.Duplicate
	}
	return res, nil
}

func TestHandlerTouchpointRecords(t *testing.T) {
	throttled := fmt.Errorf("deliver: %w", mail.ErrTemporary)
	tests := []struct {
		name       string
		deliverer  *fakeDeliverer
		cancelled  bool
		want       []string // BatchItemFailures
		sent, skip float64
	}{
		{"all sent", &fakeDeliverer{}, false, nil, 3, 0},
		{"skipped and duplicate are done", &fakeDeliverer{results: map[string]touch.Result{
			"c-1002": {Skipped: 1}, "c-1003": {Duplicate: 1}}}, false, nil, 1, 1},
		{"a temporary failure is retried with the rest, never dropped", &fakeDeliverer{errs: map[string]error{"c-1002": throttled}}, false, []string{idChristmas, idEvent}, 1, 0},
		{"a ledger error is retried", &fakeDeliverer{errs: map[string]error{"c-1001": errors.New("ProvisionedThroughputExceededException")}}, false, []string{idBirthday, idChristmas, idEvent}, 0, 0},
		{"out of time: every record is retried", &fakeDeliverer{}, true, []string{idBirthday, idChristmas, idEvent}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var emfOut bytes.Buffer
			d := &sqsqueue.Drain{Touchpoints: tt.deliverer, Sender: &mail.Fake{}, Logger: quiet()}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancelled {
				cancel()
			}
			resp, err := newHandler(d, emf.New(&emfOut, "sender", nil), quiet())(ctx, loadFile(t, "testdata/sqs-touchpoints.json"))
			if err != nil {
				t.Fatalf("handler: %v", err)
			}
			var got []string
			for _, f := range resp.BatchItemFailures {
				got = append(got, f.ItemIdentifier)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("BatchItemFailures = %q, want %q", got, tt.want)
			}
			var line map[string]any
			if err := json.Unmarshal(emfOut.Bytes(), &line); err != nil {
				t.Fatalf("EMF line %q: %v", emfOut.String(), err)
			}
			if line["TouchpointsSent"] != tt.sent || line["TouchpointsSkipped"] != tt.skip || line["SendRetried"] != float64(len(tt.want)) {
				t.Errorf("EMF sent %v skipped %v retried %v, want %v %v %v", line["TouchpointsSent"], line["TouchpointsSkipped"],
					line["SendRetried"], tt.sent, tt.skip, len(tt.want))
			}
			if !tt.cancelled && (len(tt.deliverer.got) != 3 || tt.deliverer.calls != 1) {
				t.Fatalf("Deliver saw %d entries in %d calls, want 3 in 1", len(tt.deliverer.got), tt.deliverer.calls)
			}
			if !tt.cancelled {
				if e := tt.deliverer.got[2]; e.Occasion != "event:gala-2027" || e.StoreID != "nyc" || e.Planned.String() != "2026-12-01" {
					t.Errorf("third entry decoded as %+v", e)
				}
			}
		})
	}
}

// Without a planner a touchpoint is retried (and reaches the DLQ), never dropped.
func TestHandlerTouchpointWithoutPlanner(t *testing.T) {
	d := &sqsqueue.Drain{Sender: &mail.Fake{}, Logger: quiet()}
	resp, _ := newHandler(d, nil, quiet())(context.Background(), loadFile(t, "testdata/sqs-touchpoints.json"))
	if got, want := len(resp.BatchItemFailures), 3; got != want {
		t.Fatalf("%d failures, want %d", got, want)
	}
}
