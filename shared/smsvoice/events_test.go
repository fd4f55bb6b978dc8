package smsvoice_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/smsvoice"
	"github.com/loupehq/loupe/shared/textin"
)

// Testdata: two-way-sms.json, eventbridge-text-delivered.json,
// eventbridge-text-successful.json and event-record-sms.json are AWS's
// documented examples as published (End User Messaging SMS user guide:
// "Example of a two-way SMS message payload for Amazon SNS topics",
// "Monitoring with EventBridge", "Example event data");
// sns-two-way-stop.json (a Lambda SNS event carrying a STOP) and
// eventbridge-text-blocked-loupe.json (a text Loupe sent, with its
// Context and the destination) are shaped after them.

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseInbound(t *testing.T) {
	var sns events.SNSEvent
	if err := json.Unmarshal(readTestdata(t, "sns-two-way-stop.json"), &sns); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		message string
		want    textin.Message
	}{
		{"AWS's example", string(readTestdata(t, "two-way-sms.json")), textin.Message{
			ID: "cae173d2-66b9-564c-8309-21f858e9fb84", From: "+14255550182", To: "+12125550101", Body: "EXAMPLE"}},
		{"STOP through the SNS Lambda event", sns.Records[0].SNS.Message, textin.Message{
			ID: "7c2f1c8e-2b9d-5a43-9c6e-0d5f4f2b8a11", From: "+12125550142", To: "+18005550100", Body: "Stop"}},
		{"no inbound id", `{"originationNumber":"+12125550142","destinationNumber":"+18005550100","messageBody":"HELP"}`, textin.Message{
			From: "+12125550142", To: "+18005550100", Body: "HELP"}},
		{"empty body kept", `{"originationNumber":"+12125550142","destinationNumber":"+18005550100","messageBody":""}`, textin.Message{
			From: "+12125550142", To: "+18005550100"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := smsvoice.ParseInbound(tt.message)
			if err != nil {
				t.Fatalf("ParseInbound: %v", err)
			}
			if got != tt.want {
				t.Errorf("ParseInbound = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseInboundMalformed(t *testing.T) {
	tests := []struct {
		name, message, field string
	}{
		{"not JSON", `originationNumber=+12125550142`, "message"},
		{"an array", `[]`, "message"},
		{"no origination", `{"destinationNumber":"+18005550100","messageBody":"STOP"}`, "originationNumber"},
		{"origination not E.164", `{"originationNumber":"2125550142","destinationNumber":"+18005550100","messageBody":"STOP"}`, "originationNumber"},
		{"origination a number", `{"originationNumber":12125550142,"destinationNumber":"+18005550100","messageBody":"STOP"}`, "message"},
		{"no destination", `{"originationNumber":"+12125550142","messageBody":"STOP"}`, "destinationNumber"},
		{"no body", `{"originationNumber":"+12125550142","destinationNumber":"+18005550100"}`, "messageBody"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := smsvoice.ParseInbound(tt.message)
			var le *loupe.Error
			if !errors.As(err, &le) || le.Code != loupe.EINVALID || le.Field != tt.field {
				t.Fatalf("ParseInbound error = %v, want EINVALID on %s", err, tt.field)
			}
			if strings.Contains(err.Error(), "2125550142") {
				t.Errorf("error quotes the phone number: %v", err)
			}
		})
	}
}

func TestParseEvent(t *testing.T) {
	tests := []struct {
		file string
		want textin.Event
	}{
		{"eventbridge-text-delivered.json", textin.Event{
			MessageID: "9539975a-e71f-45f3-b496-8d98dc098a77", Status: "TEXT_DELIVERED",
			Description: "Message has been accepted by phone", At: time.UnixMilli(1729099299998).UTC()}},
		{"eventbridge-text-successful.json", textin.Event{
			MessageID: "ed23196c-75ce-4727-93ee-7bf72b64998f", Status: "TEXT_SUCCESSFUL",
			Description: "Message has been accepted by phone carrier", At: time.UnixMilli(1759342841377).UTC()}},
		{"eventbridge-text-blocked-loupe.json", textin.Event{
			MessageID: "00000000-0000-4000-9000-000000000001", Status: "TEXT_CARRIER_BLOCKED",
			Description: "Message blocked by carrier", To: "+12125550142", LedgerKey: "tp/c1/birthday/2026",
			At: time.Date(2026, 5, 9, 18, 0, 2, 871e6, time.UTC)}},
		{"event-record-sms.json", textin.Event{
			MessageID: "862a8790-60c0-4430-9b2b-658bdexample", Status: "TEXT_SUCCESSFUL",
			Description: "Message has been accepted by phone carrier", To: "+14255550156",
			At: time.UnixMilli(1686975103470).UTC()}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := smsvoice.ParseEvent(readTestdata(t, tt.file))
			if err != nil {
				t.Fatalf("ParseEvent: %v", err)
			}
			if got != tt.want {
				t.Errorf("ParseEvent =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestParseEventFallbacks(t *testing.T) {
	got, err := smsvoice.ParseEvent([]byte(`{"source":"aws.sms-voice","detail-type":"Text Message Delivery Status Updated",
		"time":"2026-05-09T18:00:03Z","detail":{"messageId":"m1","messageStatus":"DELIVERED","context":{"reply_kind":"help_reply"}}}`))
	if err != nil {
		t.Fatalf("ParseEvent: %v", err)
	}
	want := textin.Event{MessageID: "m1", Status: "TEXT_DELIVERED", At: time.Date(2026, 5, 9, 18, 0, 3, 0, time.UTC)}
	if got != want {
		t.Errorf("ParseEvent = %+v, want %+v", got, want)
	}
}

func TestParseEventOther(t *testing.T) {
	for name, raw := range map[string]string{
		"voice event":        `{"source":"aws.sms-voice","detail-type":"Voice Message Delivery Status Updated","time":"2026-05-09T18:00:03Z","detail":{"eventType":"VOICE_COMPLETED","messageId":"m1"}}`,
		"registration event": `{"source":"aws.sms-voice","detail-type":"Registration Status Change","time":"2026-05-09T18:00:03Z","detail":{}}`,
		"voice record":       `{"eventType":"VOICE_COMPLETED","messageId":"m1","eventTimestamp":1778349602871}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := smsvoice.ParseEvent([]byte(raw)); !errors.Is(err, smsvoice.ErrOtherEvent) {
				t.Errorf("ParseEvent error = %v, want ErrOtherEvent", err)
			}
		})
	}
}

func TestParseEventMalformed(t *testing.T) {
	const env = `{"source":"aws.sms-voice","detail-type":"Text Message Delivery Status Updated","time":"2026-05-09T18:00:03Z","detail":`
	tests := []struct {
		name, raw, field string
	}{
		{"not JSON", `TEXT_DELIVERED m1`, "event"},
		{"another source", `{"source":"aws.ses","detail-type":"Text Message Delivery Status Updated","detail":{}}`, "source"},
		{"no detail", `{"source":"aws.sms-voice","detail-type":"Text Message Delivery Status Updated","time":"2026-05-09T18:00:03Z"}`, "detail"},
		{"detail a string", env + `"TEXT_DELIVERED"}`, "detail"},
		{"bad time", `{"source":"aws.sms-voice","detail-type":"Text Message Delivery Status Updated","time":"yesterday","detail":{}}`, "time"},
		{"no message id", env + `{"eventType":"TEXT_DELIVERED","eventTimestamp":1778349602871}}`, "detail.messageId"},
		{"no status", env + `{"messageId":"m1","eventTimestamp":1778349602871}}`, "detail.eventType"},
		{"timestamp text", env + `{"messageId":"m1","eventType":"TEXT_DELIVERED","eventTimestamp":"soon"}}`, "detail.eventTimestamp"},
		{"timestamp negative", env + `{"messageId":"m1","eventType":"TEXT_DELIVERED","eventTimestamp":-5}}`, "detail.eventTimestamp"},
		{"destination not E.164", env + `{"messageId":"m1","eventType":"TEXT_DELIVERED","destinationPhoneNumber":"2125550142"}}`, "detail.destinationPhoneNumber"},
		{"context not strings", env + `{"messageId":"m1","eventType":"TEXT_DELIVERED","context":{"ledger_key":7}}}`, "detail.context"},
		{"record without timestamp", `{"messageId":"m1","eventType":"TEXT_DELIVERED"}`, "eventTimestamp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := smsvoice.ParseEvent([]byte(tt.raw))
			var le *loupe.Error
			if !errors.As(err, &le) || le.Code != loupe.EINVALID || le.Field != tt.field {
				t.Fatalf("ParseEvent error = %v, want EINVALID on %s", err, tt.field)
			}
			if strings.Contains(err.Error(), "2125550142") {
				t.Errorf("error quotes the phone number: %v", err)
			}
		})
	}
}
