// Package sqsqueue is the SQS adapter: the send queue between the functions
// that decide what to mail and the sender function, the only one that calls
// SES. It holds the one queue body format (Encode*, Decode), the producers
// (Queue, a touch.Queue of touchpoint entries; Mailer, a mail.Sender that
// queues a built message), and the consumer (Drain) the sender Lambda runs on
// each SQS batch.
//
// A body is a JSON envelope with a version and a kind:
//
//	{"v":1,"kind":"touchpoint","entry":{"customer_id":"c1","occasion":"birthday","year":2026,...}}
//	{"v":1,"kind":"mail","message":{"From":"...","Key":"rr/...",...}}
//
// A body without kind is a mail message: that is what the Mailer wrote before
// touchpoints were queued, so messages already in the queue during a deploy
// still decode.
package sqsqueue

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/touch"
)

// Kinds of queue bodies.
const (
	// KindMail is a fully built mail.Message (the reassignment review mail a
	// stream handler queues through the Mailer).
	KindMail = "mail"
	// KindTouchpoint is a claimed, unrendered touch.Entry: the sender renders
	// it from the current records (touch.Planner.Deliver).
	KindTouchpoint = "touchpoint"
)

// Version is the envelope version Encode writes and Decode accepts.
const Version = 1

// MaxBodyBytes is the largest message body SQS accepts (1 MiB).
const MaxBodyBytes = 1 << 20

// Item is one decoded queue body: Message when Kind is KindMail, Entry when
// Kind is KindTouchpoint.
type Item struct {
	Kind    string
	Message mail.Message
	Entry   touch.Entry
}

// envelope is the queue body.
type envelope struct {
	V       int           `json:"v"`
	Kind    string        `json:"kind,omitempty"`
	Message *mail.Message `json:"message,omitempty"`
	Entry   *touch.Entry  `json:"entry,omitempty"`
}

// EncodeMail returns the queue body of m. It fails only when m cannot be
// encoded as JSON.
func EncodeMail(m mail.Message) ([]byte, error) {
	b, err := json.Marshal(envelope{V: Version, Kind: KindMail, Message: &m})
	if err != nil {
		return nil, fmt.Errorf("encode mail %s: %w", m.Key, err)
	}
	return b, nil
}

// EncodeEntry returns the queue body of a claimed touchpoint. It fails only
// when e cannot be encoded as JSON.
func EncodeEntry(e touch.Entry) ([]byte, error) {
	b, err := json.Marshal(envelope{V: Version, Kind: KindTouchpoint, Entry: &e})
	if err != nil {
		return nil, fmt.Errorf("encode touchpoint %s: %w", e.Key, err)
	}
	return b, nil
}

// Decode returns the Item of a queue body written by EncodeMail, EncodeEntry
// or an older Mailer (no kind). Returns an EINVALID *loupe.Error when body is
// not JSON, has another version or an unknown kind, or lacks the mail's Key
// or the entry's customer, occasion, year or store. Messages never quote the
// body (it holds addresses).
func Decode(body string) (Item, error) {
	var e envelope
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		if !json.Valid([]byte(body)) {
			return Item{}, loupe.Errorf(loupe.EINVALID, "queued body is not JSON")
		}
		return Item{}, loupe.Errorf(loupe.EINVALID, "queued body is malformed")
	}
	if e.V != Version {
		return Item{}, unknownFormat{loupe.Errorf(loupe.EINVALID, "queued body has unknown version %d", e.V)}
	}
	switch e.Kind {
	case "", KindMail:
		if e.Message == nil || e.Message.Key == "" {
			return Item{}, loupe.Errorf(loupe.EINVALID, "queued mail has no key")
		}
		return Item{Kind: KindMail, Message: *e.Message}, nil
	case KindTouchpoint:
		if e.Entry == nil || e.Entry.CustomerID == "" || e.Entry.Occasion == "" || e.Entry.Year <= 0 || e.Entry.StoreID == "" {
			return Item{}, loupe.Errorf(loupe.EINVALID, "queued touchpoint lacks customer_id, occasion, year or store_id")
		}
		return Item{Kind: KindTouchpoint, Entry: *e.Entry}, nil
	}
	return Item{}, unknownFormat{loupe.Errorf(loupe.EINVALID, "queued body has an unknown kind")}
}

// unknownFormat is an EINVALID *loupe.Error that is also ErrUnknownFormat.
type unknownFormat struct{ err error }

func (u unknownFormat) Error() string        { return u.err.Error() }
func (u unknownFormat) Unwrap() error        { return u.err }
func (u unknownFormat) Is(target error) bool { return target == ErrUnknownFormat }

// ErrUnknownFormat is wrapped by Decode for a well-formed body of a version
// or kind this build does not know: written by a newer producer (mid
// deploy), it must be kept for a sender that knows it, not deleted.
var ErrUnknownFormat = errors.New("unknown queue body format")
