package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/loupehq/loupe/shared/emf"
	"github.com/loupehq/loupe/shared/textin"
)

type fakeDelivery struct {
	got []textin.Event
	err error
}

func (f *fakeDelivery) Delivery(_ context.Context, e textin.Event) error {
	f.got = append(f.got, e)
	return f.err
}

func snsEvent(messages ...string) events.SNSEvent {
	var ev events.SNSEvent
	for i, m := range messages {
		ev.Records = append(ev.Records, events.SNSEventRecord{SNS: events.SNSEntity{MessageID: fmt.Sprint("sns-", i), Message: m}})
	}
	return ev
}

func TestHandler(t *testing.T) {
	record, err := os.ReadFile("../../shared/smsvoice/testdata/event-record-sms.json")
	if err != nil {
		t.Fatal(err)
	}
	var logs, metrics bytes.Buffer
	f := &fakeDelivery{}
	h := newHandler(f, emf.New(&metrics, "sms-events", nil), slog.New(slog.NewJSONHandler(&logs, nil)))

	voice := `{"source":"aws.sms-voice","detail-type":"Voice Message Delivery Status Updated","time":"2026-12-04T15:00:00Z","detail":{"messageId":"m-1"}}`
	if err := h(context.Background(), snsEvent("not json", voice, string(record))); err != nil {
		t.Fatalf("handler: %v", err)
	}
	if len(f.got) != 1 || f.got[0].MessageID == "" || f.got[0].Status == "" {
		t.Fatalf("Delivery got %+v, want the one text record", f.got)
	}
	if !strings.Contains(metrics.String(), `"TextEvents":1`) {
		t.Errorf("metrics = %s", metrics.String())
	}
	if to := f.got[0].To; to != "" && strings.Contains(logs.String(), to) {
		t.Errorf("log holds the destination number: %s", logs.String())
	}

	// Not recorded yet, or a storage error: returned, so Lambda retries.
	f.err = textin.ErrNotRecordedYet
	if err := h(context.Background(), snsEvent(string(record))); !errors.Is(err, textin.ErrNotRecordedYet) {
		t.Fatalf("handler = %v, want ErrNotRecordedYet for a retry", err)
	}
}
