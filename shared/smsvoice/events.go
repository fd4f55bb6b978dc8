package smsvoice

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/textin"
)

// EventSource is the EventBridge source of End User Messaging SMS and
// Voice v2 events.
const EventSource = "aws.sms-voice"

// DetailTypeText is the EventBridge detail-type of a text's delivery
// status event.
const DetailTypeText = "Text Message Delivery Status Updated"

// ErrOtherEvent is wrapped by ParseEvent's error for a well-formed event
// that is not a text's delivery status (a voice or media message's, a
// registration's): the caller skips it.
var ErrOtherEvent = errors.New("smsvoice: not a text delivery status event")

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)

// ParseInbound decodes the Message of a two-way SMS notification (the JSON
// End User Messaging publishes to the number's SNS topic) into a
// textin.Message: textin.ParseMessage, the validation every way a text
// comes in shares. Returns its EINVALID *loupe.Error naming the field.
func ParseInbound(message string) (textin.Message, error) {
	return textin.ParseMessage([]byte(message))
}

// envelope is an EventBridge event.
type envelope struct {
	Source     string          `json:"source"`
	DetailType string          `json:"detail-type"`
	Time       string          `json:"time"`
	Detail     json.RawMessage `json:"detail"`
}

// statusDetail is the detail of a delivery status event, also the record
// a configuration set's event destination (SNS, Firehose, CloudWatch
// Logs) receives as it is.
type statusDetail struct {
	EventType                string            `json:"eventType"`
	EventTimestamp           json.RawMessage   `json:"eventTimestamp"`
	IsFinal                  *bool             `json:"isFinal"`
	MessageID                string            `json:"messageId"`
	MessageStatus            string            `json:"messageStatus"`
	MessageStatusDescription string            `json:"messageStatusDescription"`
	DestinationPhoneNumber   string            `json:"destinationPhoneNumber"`
	Context                  map[string]string `json:"context"`
}

// ParseEvent decodes a delivery status event of a text: an EventBridge
// event of source aws.sms-voice and detail-type "Text Message Delivery
// Status Updated", or the bare event record a configuration set's event
// destination delivers (the same fields as the EventBridge detail). Status
// is the detail's eventType ("TEXT_DELIVERED", "TEXT_SUCCESSFUL",
// "TEXT_BLOCKED", "TEXT_INVALID", "TEXT_CARRIER_BLOCKED", "TEXT_SPAM",
// "TEXT_TTL_EXPIRED", ...), the values textin.Event names; AWS's own
// messageStatus is the same without "TEXT_" ("DELIVERED"), used as
// "TEXT_<messageStatus>" when eventType is missing. LedgerKey is the
// context's ledger_key (ContextLedgerKey; "" for a reply, which carries
// reply_kind). At is eventTimestamp (Unix milliseconds), else the
// envelope's time. To is destinationPhoneNumber, which the EventBridge
// events AWS documents leave out: "" then.
//
// Returns an error wrapping ErrOtherEvent for an EventBridge event of
// another detail-type, and an EINVALID *loupe.Error naming the field for
// malformed input: "event" (not a JSON object), "source" (not
// aws.sms-voice), "detail" (missing), "detail.messageId" (missing),
// "detail.eventType" (neither it nor messageStatus), "detail.eventTimestamp"
// (not a number, or missing without an envelope time), "time" (not RFC
// 3339), "detail.destinationPhoneNumber" (present but not E.164),
// "detail.context" (not an object of strings).
func ParseEvent(raw []byte) (textin.Event, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(raw, &probe); err != nil {
		return textin.Event{}, loupe.Invalidf("event", "delivery event is not a JSON object: %v", loupe.JSONProblem(err))
	}
	prefix := "detail."
	detail := raw
	var at time.Time
	if _, ok := probe["detail-type"]; ok || probe["source"] != nil || probe["detail"] != nil {
		var env envelope
		if err := json.Unmarshal(raw, &env); err != nil {
			return textin.Event{}, loupe.Invalidf("event", "EventBridge event: %v", loupe.JSONProblem(err))
		}
		if env.Source != EventSource {
			return textin.Event{}, loupe.Invalidf("source", "EventBridge event source %q is not %s", env.Source, EventSource)
		}
		if env.DetailType != DetailTypeText {
			return textin.Event{}, fmt.Errorf("event detail-type %q: %w", env.DetailType, ErrOtherEvent)
		}
		if len(bytes.TrimSpace(env.Detail)) == 0 || string(bytes.TrimSpace(env.Detail)) == "null" {
			return textin.Event{}, loupe.Invalidf("detail", "EventBridge event has no detail")
		}
		if env.Time != "" {
			t, err := time.Parse(time.RFC3339, env.Time)
			if err != nil {
				return textin.Event{}, loupe.Invalidf("time", "EventBridge event time %q is not RFC 3339", env.Time)
			}
			at = t
		}
		detail = env.Detail
	} else {
		prefix = ""
	}
	var d statusDetail
	if err := json.Unmarshal(detail, &d); err != nil {
		field := strings.TrimSuffix(prefix, ".")
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			field = prefix + te.Field
		}
		if field == "" {
			field = "event"
		}
		return textin.Event{}, loupe.Invalidf(field, "delivery event: %v", loupe.JSONProblem(err))
	}
	status := d.EventType
	if status == "" && d.MessageStatus != "" {
		status = "TEXT_" + d.MessageStatus
	}
	switch {
	case d.MessageID == "":
		return textin.Event{}, loupe.Invalidf(prefix+"messageId", "delivery event has no messageId")
	case status == "":
		return textin.Event{}, loupe.Invalidf(prefix+"eventType", "delivery event has neither eventType nor messageStatus")
	case prefix == "" && !strings.HasPrefix(status, "TEXT_"):
		return textin.Event{}, fmt.Errorf("event type %q: %w", status, ErrOtherEvent)
	case d.DestinationPhoneNumber != "" && !e164.MatchString(d.DestinationPhoneNumber):
		return textin.Event{}, loupe.Invalidf(prefix+"destinationPhoneNumber", "delivery event destinationPhoneNumber is not E.164")
	}
	if ts := string(bytes.TrimSpace(d.EventTimestamp)); ts != "" && ts != "null" {
		ms, err := strconv.ParseInt(ts, 10, 64)
		if err != nil || ms <= 0 {
			return textin.Event{}, loupe.Invalidf(prefix+"eventTimestamp", "delivery event eventTimestamp is not Unix milliseconds")
		}
		at = time.UnixMilli(ms).UTC()
	}
	if at.IsZero() {
		return textin.Event{}, loupe.Invalidf(prefix+"eventTimestamp", "delivery event has no eventTimestamp")
	}
	return textin.Event{
		MessageID:   d.MessageID,
		Status:      status,
		Description: d.MessageStatusDescription,
		To:          d.DestinationPhoneNumber,
		LedgerKey:   d.Context[ContextLedgerKey],
		At:          at,
	}, nil
}
