package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/loupehq/loupe/shared/emf"
	"github.com/loupehq/loupe/shared/textin"
)

type fakeInbound struct {
	got []textin.Message
	err error
}

func (f *fakeInbound) Inbound(_ context.Context, m textin.Message) (textin.Result, error) {
	f.got = append(f.got, m)
	return textin.Result{MessageID: m.ID, Intent: textin.IntentStop, Clients: 1, Changed: 1, Reply: textin.KindStopConfirmation}, f.err
}

func snsEvent(t *testing.T, messages ...string) events.SNSEvent {
	var ev events.SNSEvent
	for i, m := range messages {
		ev.Records = append(ev.Records, events.SNSEventRecord{SNS: events.SNSEntity{
			MessageID: "sns-" + string(rune('a'+i)), Message: m, Timestamp: time.Date(2026, 12, 4, 15, 0, 0, 0, time.UTC)}})
	}
	return ev
}

func TestHandler(t *testing.T) {
	raw, err := os.ReadFile("../../shared/smsvoice/testdata/two-way-sms.json")
	if err != nil {
		t.Fatal(err)
	}
	var logs, metrics bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	f := &fakeInbound{}
	h := newHandler(f, emf.New(&metrics, "sms-inbound", nil), logger)

	// An unreadable message is dropped (a retry fails the same way); the
	// good one is handled, timed by the SNS envelope.
	bad := `{"originationNumber":"2125550142","destinationNumber":"+18005550100","messageBody":"STOP"}`
	if err := h(context.Background(), snsEvent(t, bad, string(raw))); err != nil {
		t.Fatalf("handler: %v", err)
	}
	if len(f.got) != 1 || f.got[0].At.IsZero() {
		t.Fatalf("Inbound got %+v, want the one readable text with the envelope's time", f.got)
	}
	if !strings.Contains(metrics.String(), `"Stops":1`) || !strings.Contains(metrics.String(), `"Replies":1`) {
		t.Errorf("metrics = %s", metrics.String())
	}
	for _, secret := range []string{f.got[0].From, f.got[0].Body, "2125550142"} {
		if secret != "" && strings.Contains(logs.String(), secret) {
			t.Errorf("log holds %q: %s", secret, logs.String())
		}
	}

	// A storage error is returned, so Lambda retries the event.
	f.err = errors.New("table unavailable")
	if err := h(context.Background(), snsEvent(t, string(raw))); err == nil {
		t.Fatal("storage error swallowed")
	}
}
