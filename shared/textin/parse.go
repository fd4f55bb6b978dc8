package textin

import (
	"encoding/json"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/loupehq/loupe/shared/loupe"
)

// MaxBody is the longest inbound body kept, in bytes: a concatenated text
// of 10 UCS-2 segments is under 1,400; a longer one is not a text.
const MaxBody = 4096

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)

// inbound is the JSON of an inbound text: the Message of the two-way SMS
// SNS notification, also the body of POST /sms/inbound.
type inbound struct {
	OriginationNumber          *string `json:"originationNumber"`
	DestinationNumber          *string `json:"destinationNumber"`
	MessageKeyword             string  `json:"messageKeyword"`
	MessageBody                *string `json:"messageBody"`
	InboundMessageID           string  `json:"inboundMessageId"`
	PreviousPublishedMessageID string  `json:"previousPublishedMessageId"`
}

// ParseMessage decodes and checks one inbound text: the JSON End User
// Messaging publishes to the number's SNS topic (originationNumber,
// destinationNumber, messageKeyword, messageBody, inboundMessageId,
// previousPublishedMessageId), which POST /sms/inbound and `loupe sms
// inbound` take too: the one validation path of every way a text comes in.
// At is left zero (the JSON has no time); messageKeyword and
// previousPublishedMessageId are not kept.
//
// Returns an EINVALID *loupe.Error naming the field, never quoting a
// value: "message" when it is not a JSON object, "originationNumber" and
// "destinationNumber" when missing or not E.164, "messageBody" when
// missing, not UTF-8, holding a NUL or longer than MaxBody (an empty body
// is kept), "inboundMessageId" when longer than 128 bytes.
func ParseMessage(data []byte) (Message, error) {
	var in inbound
	if err := json.Unmarshal(data, &in); err != nil {
		return Message{}, loupe.Invalidf("message", "inbound text is not a JSON object: %s", loupe.JSONProblem(err))
	}
	switch {
	case in.OriginationNumber == nil || *in.OriginationNumber == "":
		return Message{}, loupe.Invalidf("originationNumber", "inbound text has no originationNumber")
	case !e164.MatchString(*in.OriginationNumber):
		return Message{}, loupe.Invalidf("originationNumber", "originationNumber is not an E.164 number (+ and up to 15 digits)")
	case in.DestinationNumber == nil || strings.TrimSpace(*in.DestinationNumber) == "":
		return Message{}, loupe.Invalidf("destinationNumber", "inbound text has no destinationNumber")
	case !e164.MatchString(*in.DestinationNumber):
		return Message{}, loupe.Invalidf("destinationNumber", "destinationNumber is not an E.164 number (+ and up to 15 digits)")
	case in.MessageBody == nil:
		return Message{}, loupe.Invalidf("messageBody", "inbound text has no messageBody")
	case !utf8.ValidString(*in.MessageBody) || strings.ContainsRune(*in.MessageBody, 0):
		return Message{}, loupe.Invalidf("messageBody", "messageBody is not UTF-8 text")
	case len(*in.MessageBody) > MaxBody:
		return Message{}, loupe.Invalidf("messageBody", "messageBody is longer than %d bytes", MaxBody)
	case len(in.InboundMessageID) > 128:
		return Message{}, loupe.Invalidf("inboundMessageId", "inboundMessageId is longer than 128 bytes")
	}
	return Message{ID: in.InboundMessageID, From: *in.OriginationNumber, To: *in.DestinationNumber, Body: *in.MessageBody}, nil
}
