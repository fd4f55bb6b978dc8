// Package textin is what Loupe does with the texts that come back (CONTRACT
// section 4, "Inbound texts"): a client's inbound text (STOP and the other
// opt-out words, HELP, START and UNSTOP) and the delivery events of the
// texts Loupe sent. The two-way SNS topic (functions/sms-inbound), POST
// /sms/inbound and `loupe sms inbound` all end in Service.Inbound; the
// delivery events (EventBridge aws.sms-voice, functions/sms-events) in
// Service.Delivery.
package textin

import (
	"context"
	"strings"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
)

// Message is one inbound text, as the two-way SNS topic carries it
// (originationNumber, destinationNumber, messageBody, inboundMessageId).
type Message struct {
	// ID is the inbound message id (inboundMessageId); every delivery of
	// one text carries the same. "" when the caller has none (POST
	// /sms/inbound without one): Service.Inbound derives it from the
	// other fields.
	ID string `json:"inboundMessageId,omitempty"`
	// From is the client's number (originationNumber), E.164.
	From string `json:"originationNumber"`
	// To is Loupe's number the client texted (destinationNumber), E.164.
	To string `json:"destinationNumber"`
	// Body is the text as the client wrote it (messageBody).
	Body string `json:"messageBody"`
	// At is when AWS received it; the zero time: the service's clock.
	At time.Time `json:"-"`
}

// Reply kinds: the kind field of CONTRACT section 4's outbox files.
const (
	KindStopConfirmation = "stop_confirmation"
	KindHelpReply        = "help_reply"
)

// Reply is a text Loupe answers an inbound text with (only where Loupe
// manages opt-outs: always locally, in AWS by a setting).
type Reply struct {
	// Key makes the reply idempotent: one reply per inbound message and
	// kind ("sms-reply/<message id>/<kind>"). An outbox names its file by
	// it; AWS has no idempotency token, so the service claims it first.
	Key string
	// To is the client's number, From the number they texted (the reply
	// goes back from it).
	To, From string
	// Body is the reply's text: the store's name first.
	Body string
	// Kind is KindStopConfirmation or KindHelpReply.
	Kind string
	// StoreID is the store the number belongs to ("" when unknown).
	StoreID string
	// CustomerID is the first client with the number ("" when none): the
	// outbox file carries it, so an erasure finds it.
	CustomerID string
	// At is when the inbound text came.
	At time.Time
}

// Replier sends replies: the End User Messaging sender in AWS
// (smsvoice.Sender.Reply), the local outbox (outbox/sms/*.json).
type Replier interface {
	// Reply sends r (TRANSACTIONAL, never paced behind marketing) and
	// returns the provider's message id. An outbox writes r.Key once.
	Reply(ctx context.Context, r Reply) (string, error)
}

// Event is one delivery event of a text Loupe sent (the configuration
// set's event destination record, or EventBridge source aws.sms-voice,
// detail-type "Text Message Delivery Status Updated").
type Event struct {
	// MessageID is the id SendTextMessage returned.
	MessageID string
	// Status is AWS's eventType: "TEXT_DELIVERED", "TEXT_BLOCKED",
	// "TEXT_INVALID", "TEXT_CARRIER_BLOCKED", "TEXT_OPTED_OUT", ...
	Status string
	// Description is AWS's messageStatusDescription (never logged: it may
	// quote the number).
	Description string
	// To is the destination number, E.164.
	To string
	// LedgerKey is the Context entry ledger_key of the text
	// ("tp/<customer>/<occasion>/<year>"), "" for a reply.
	LedgerKey string
	// At is when the status was reached.
	At time.Time
}

// Check returns an EINVALID *loupe.Error naming the first missing or wrong
// field of r (key, to, from, body, kind), or nil: what every Replier
// checks before it sends.
func (r Reply) Check() error {
	switch {
	case strings.TrimSpace(r.Key) == "":
		return loupe.Invalidf("key", "reply %s has no idempotency key", r.Kind)
	case strings.TrimSpace(r.To) == "":
		return loupe.Invalidf("to", "reply %s has no destination number", r.Kind)
	case strings.TrimSpace(r.From) == "":
		return loupe.Invalidf("from", "reply %s has no number to go from", r.Kind)
	case strings.TrimSpace(r.Body) == "":
		return loupe.Invalidf("body", "reply %s has no body", r.Kind)
	case r.Kind != KindStopConfirmation && r.Kind != KindHelpReply:
		return loupe.Invalidf("kind", "unknown reply kind %q", r.Kind)
	}
	return nil
}
