package main

import (
	"context"
	"encoding/json"
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

	"github.com/loupehq/loupe/shared/sesmail"
	"github.com/loupehq/loupe/shared/sestest"
)

// Record ids in testdata/sqs-event.json.
const (
	idClaire    = "059f36b4-87a3-44ab-83d2-661975830a7d"
	idMalformed = "2e1424d4-f796-459a-8184-9c92662be6da"
	idPaul      = "b5f7a0a2-4c1e-4a8b-9a55-0d3f3c7e1f42"
)

func loadEvent(t *testing.T) events.SQSEvent {
	t.Helper()
	b, err := os.ReadFile("testdata/sqs-event.json")
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
	handle := newHandler(sender, quiet())

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
			resp, err := newHandler(sender, quiet())(context.Background(), loadEvent(t))
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

func TestParseRate(t *testing.T) {
	tests := []struct {
		in      string
		want    float64
		wantErr bool
	}{
		{"", 0, false},
		{"7", 7, false},
		{"0.5", 0.5, false},
		{"0", 0, true},
		{"-1", 0, true},
		{"fast", 0, true},
		{"NaN", 0, true},
		{"+Inf", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseRate(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("parseRate(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}
