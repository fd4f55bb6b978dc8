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
//	{"v":1,"kind":"review","batch_id":"a7-20261121T150405Z"}
//	{"v":1,"kind":"mail","message":{"From":"...","Key":"...",...}}
//
// A review is the reassignment review mail by its batch id: the sender builds
// it from the table when it sends (reassign.Service.SendReview), so the queue
// holds no client names. A mail is a fully built message (the inspection
// morning mail).
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
	// KindMail is a fully built mail.Message (staff mail queued through the
	// Mailer: the inspection morning mail; the reassignment review before
	// KindReview).
	KindMail = "mail"
	// KindTouchpoint is a claimed, unrendered touch.Entry: the sender renders
	// it from the current records (touch.Planner.Deliver).
	KindTouchpoint = "touchpoint"
	// KindReview is a reassignment batch whose review mail the sender builds
	// and sends (reassign.Service.SendReview).
	KindReview = "review"
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
	BatchID string // KindReview
}

// envelope is the queue body.
type envelope struct {
	V       int           `json:"v"`
	Kind    string        `json:"kind,omitempty"`
	Message *mail.Message `json:"message,omitempty"`
	Entry   *touch.Entry  `json:"entry,omitempty"`
	BatchID string        `json:"batch_id,omitempty"`
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

// EncodeReview returns the queue body of batch batchID's review mail.
func EncodeReview(batchID string) ([]byte, error) {
	b, err := json.Marshal(envelope{V: Version, Kind: KindReview, BatchID: batchID})
	if err != nil {
		return nil, fmt.Errorf("encode review %s: %w", batchID, err)
	}
	return b, nil
}

// Decode returns the Item of a queue body written by EncodeMail, EncodeEntry,
// EncodeReview
// or an older Mailer (no kind). Returns an EINVALID *loupe.Error when body is
// not JSON, has another version or an unknown kind, or lacks the mail's Key,
// the entry's customer, occasion, year or store, or the review's batch id. Messages never quote the
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
	case KindReview:
		if !loupe.ValidID(e.BatchID) {
			return Item{}, loupe.Errorf(loupe.EINVALID, "queued review lacks a valid batch_id")
		}
		return Item{Kind: KindReview, BatchID: e.BatchID}, nil
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
