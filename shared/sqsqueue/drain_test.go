package sqsqueue_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/sqsqueue"
	"github.com/loupehq/loupe/shared/touch"
)

type recordingDeliverer struct{ calls [][]string }

func (r *recordingDeliverer) Deliver(ctx context.Context, entries []touch.Entry, sender mail.Sender) (touch.Result, error) {
	var ids []string
	for _, e := range entries {
		ids = append(ids, e.CustomerID)
	}
	r.calls = append(r.calls, ids)
	return touch.Result{Sent: len(entries)}, nil
}

func record(id string, encoded func() ([]byte, error)) events.SQSMessage {
	body, err := encoded()
	if err != nil {
		panic(err)
	}
	return events.SQSMessage{MessageId: id, Body: string(body)}
}

// A batch mixing touchpoints, a review mail and a malformed body: the
// touchpoints go to Deliver in one call, the mail to the sender, the
// malformed body is dropped.
func TestDrainMixedBatch(t *testing.T) {
	review := mail.Message{From: "Loupe <s1@stores.example.com>", To: "manager@stores.example.com", Subject: "Review",
		Text: "t", HTML: "<p>h</p>", Key: "rr/1/s1"}
	ev := events.SQSEvent{Records: []events.SQSMessage{
		record("1", func() ([]byte, error) { return sqsqueue.EncodeEntry(entry("c1")) }),
		record("2", func() ([]byte, error) { return sqsqueue.EncodeMail(review) }),
		{MessageId: "3", Body: "{"},
		record("4", func() ([]byte, error) { return sqsqueue.EncodeEntry(entry("c2")) }),
	}}
	del := &recordingDeliverer{}
	fake := &mail.Fake{}
	d := &sqsqueue.Drain{Touchpoints: del, Sender: fake, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	resp, c := d.Handle(context.Background(), ev)
	if len(resp.BatchItemFailures) != 0 {
		t.Errorf("failures %v, want none", resp.BatchItemFailures)
	}
	if len(del.calls) != 1 || !slices.Equal(del.calls[0], []string{"c1", "c2"}) {
		t.Errorf("Deliver calls = %q, want one with c1, c2", del.calls)
	}
	if got := fake.Sent(); len(got) != 1 || got[0].Key != "rr/1/s1" {
		t.Errorf("mail sent = %+v, want the review mail", got)
	}
	if want := (sqsqueue.Counts{Records: 4, TouchpointsSent: 2, MailSent: 1, Dropped: 1}); c != want {
		t.Errorf("counts = %+v, want %+v", c, want)
	}
}

// A body of a version or kind this sender does not know (a newer producer,
// mid deploy) is failed back to SQS, never deleted.
func TestDrainKeepsUnknownFormats(t *testing.T) {
	ev := events.SQSEvent{Records: []events.SQSMessage{
		{MessageId: "v2", Body: `{"v":2,"kind":"touchpoint","entry":{}}`},
		{MessageId: "sms", Body: `{"v":1,"kind":"sms"}`},
	}}
	d := &sqsqueue.Drain{Touchpoints: &recordingDeliverer{}, Sender: &mail.Fake{}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	resp, c := d.Handle(context.Background(), ev)
	var got []string
	for _, f := range resp.BatchItemFailures {
		got = append(got, f.ItemIdentifier)
	}
	if !slices.Equal(got, []string{"v2", "sms"}) || c.Dropped != 0 || c.Retried != 2 {
		t.Errorf("failures %q, counts %+v; want both failed back, none dropped", got, c)
	}
}

type reviewFunc func(ctx context.Context, batchID string) error

func (f reviewFunc) SendReview(ctx context.Context, batchID string) error { return f(ctx, batchID) }

// TestDrainReviews: a queued review is handed to Reviews by its batch id; a
// refusal for good is dropped, a temporary failure and a missing Reviews are
// retried.
func TestDrainReviews(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	body := func(id string) string {
		b, err := sqsqueue.EncodeReview(id)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	var got []string
	d := &sqsqueue.Drain{Logger: quiet, Reviews: reviewFunc(func(ctx context.Context, id string) error {
		got = append(got, id)
		switch id {
		case "refused":
			return fmt.Errorf("send: %w", mail.ErrRejected)
		case "later":
			return fmt.Errorf("send: %w", mail.ErrTemporary)
		}
		return nil
	})}
	ev := events.SQSEvent{Records: []events.SQSMessage{
		{MessageId: "m1", Body: body("b1")}, {MessageId: "m2", Body: body("refused")}, {MessageId: "m3", Body: body("later")},
	}}
	resp, c := d.Handle(context.Background(), ev)
	if !slices.Equal(got, []string{"b1", "refused", "later"}) || c.MailSent != 1 || c.Dropped != 1 ||
		len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "m3" {
		t.Fatalf("reviews %v, counts %+v, failures %+v", got, c, resp.BatchItemFailures)
	}
	d.Reviews = nil
	if resp, _ := d.Handle(context.Background(), events.SQSEvent{Records: ev.Records[:1]}); len(resp.BatchItemFailures) != 1 {
		t.Fatalf("without Reviews: failures %+v, want the record retried", resp.BatchItemFailures)
	}
	if _, err := sqsqueue.Decode(`{"v":1,"kind":"review","batch_id":""}`); err == nil {
		t.Fatal("Decode of a review without batch_id: nil error")
	}
}
