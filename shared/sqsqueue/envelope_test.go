package sqsqueue_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/sqsqueue"
	"github.com/loupehq/loupe/shared/touch"
)

func entry(customerID string) touch.Entry {
	return touch.Entry{
		Key:       touch.Key{CustomerID: customerID, Occasion: touch.Birthday, Year: 2026},
		StoreID:   "nyc",
		Planned:   touch.Day{Year: 2026, Month: time.June, Day: 7},
		ClaimedAt: time.Date(2026, 6, 7, 13, 0, 0, 0, time.UTC),
		State:     touch.StateClaimed,
	}
}

func TestEntryRoundTrip(t *testing.T) {
	want := entry("c42")
	body, err := sqsqueue.EncodeEntry(want)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), `"kind":"touchpoint"`) {
		t.Errorf("body %s lacks the kind", body)
	}
	got, err := sqsqueue.Decode(string(body))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if got.Kind != sqsqueue.KindTouchpoint || !reflect.DeepEqual(got.Entry, want) {
		t.Errorf("Decode = %+v, want kind touchpoint and %+v", got, want)
	}
}

func TestMailRoundTrip(t *testing.T) {
	want := mail.Message{From: "s <s@x.example>", To: "m@x.example", Subject: "s", Text: "t", HTML: "h", Key: "rr/1/nyc"}
	body, err := sqsqueue.EncodeMail(want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := sqsqueue.Decode(string(body))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if got.Kind != sqsqueue.KindMail || !reflect.DeepEqual(got.Message, want) {
		t.Errorf("Decode = %+v, want kind mail and %+v", got, want)
	}
}

// A body written by the Mailer before kinds existed is a mail message.
func TestDecodeBodyWithoutKind(t *testing.T) {
	got, err := sqsqueue.Decode(`{"v":1,"message":{"Key":"rr/1/nyc","Subject":"Review"}}`)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if got.Kind != sqsqueue.KindMail || got.Message.Key != "rr/1/nyc" || got.Message.Subject != "Review" {
		t.Errorf("Decode = %+v, want the mail rr/1/nyc", got)
	}
}

func TestDecodeRejects(t *testing.T) {
	tests := []struct{ name, body string }{
		{"not json", "hello"},
		{"wrong type", `{"v":"1"}`},
		{"wrong version", `{"v":2,"kind":"mail","message":{"Key":"k"}}`},
		{"no version", `{"kind":"mail","message":{"Key":"k"}}`},
		{"unknown kind", `{"v":1,"kind":"sms","message":{"Key":"k"}}`},
		{"mail without key", `{"v":1,"message":{"To":"ada@client.example"}}`},
		{"mail kind without message", `{"v":1,"kind":"mail"}`},
		{"touchpoint without entry", `{"v":1,"kind":"touchpoint"}`},
		{"touchpoint without store", `{"v":1,"kind":"touchpoint","entry":{"customer_id":"c1","occasion":"birthday","year":2026}}`},
		{"touchpoint without year", `{"v":1,"kind":"touchpoint","entry":{"customer_id":"c1","occasion":"birthday","store_id":"nyc"}}`},
		{"touchpoint with a bad day", `{"v":1,"kind":"touchpoint","entry":{"customer_id":"c1","occasion":"birthday","year":2026,"store_id":"nyc","planned":"June 7"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sqsqueue.Decode(tt.body)
			if got := loupe.ErrorCode(err); got != loupe.EINVALID {
				t.Fatalf("Decode code = %q (%v), want %q", got, err, loupe.EINVALID)
			}
			if strings.Contains(loupe.ErrorMessage(err), "@") {
				t.Errorf("error message %q quotes an address", loupe.ErrorMessage(err))
			}
		})
	}
}
