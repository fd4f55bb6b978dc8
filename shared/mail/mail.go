// Package mail is Loupe's mail port: the Message every feature builds, the
// Sender interface the adapters implement (package outbox writes .eml files,
// package sesmail sends through SES v2), and Render, which turns a Message into
// the RFC 5322 bytes both adapters hand on.
//
// A feature builds a Message, sets the contract headers with ClientHeaders (mail
// to a client) or a single X-Loupe-Touchpoint/X-Loupe-Send-Date pair (mail to
// staff), gives it an idempotency Key, and calls Sender.Send.
package mail

import (
	"context"
	"errors"
)

// Contract header names (CONTRACT.md section 4).
const (
	HeaderTouchpoint          = "X-Loupe-Touchpoint"
	HeaderCustomerID          = "X-Loupe-Customer-Id"
	HeaderSendDate            = "X-Loupe-Send-Date"
	HeaderListUnsubscribe     = "List-Unsubscribe"
	HeaderListUnsubscribePost = "List-Unsubscribe-Post"
)

// TouchpointReassignmentReview is the X-Loupe-Touchpoint of the list of
// reassigned clients sent to a store manager.
const TouchpointReassignmentReview = "reassignment_review"

// Message is one mail to one recipient.
type Message struct {
	From    string // "Name <addr@domain>" or "addr@domain"; required
	To      string // one recipient, same forms as From; required
	ReplyTo string // optional, same forms as From
	Subject string // required; may be non-ASCII (RFC 2047 encoded on render)
	Text    string // plain-text part; required
	HTML    string // HTML part; required
	// Headers are extra headers written in this order after the standard ones:
	// the X-Loupe-* and List-Unsubscribe* headers (see ClientHeaders). Standard
	// headers (From, To, Subject, Date, Message-ID, MIME-Version, Content-*, ...)
	// cannot be set here.
	Headers     []Header
	Attachments []Attachment
	// Customers are the ids of the clients a staff mail lists (a
	// reassignment review, an inspection's missing list). Not rendered: an
	// adapter that keeps a copy (the outbox) records them, so an erasure
	// finds the copy by id (docs/privacy.md).
	Customers []string
	// Key is the idempotency key, required: the same logical mail always carries
	// the same Key ("tp/<customer_id>/<occasion>/<year>", "rr/<reassignment_id>/<manager>").
	// The Message-ID is derived from it, and adapters that can remember (outbox)
	// never deliver a Key twice.
	Key string
}

// Header is one extra header line.
type Header struct {
	Name, Value string
}

// Attachment is a file attached to a Message.
type Attachment struct {
	Filename    string // may be non-ASCII (RFC 2231 encoded on render)
	ContentType string // e.g. "text/csv"; "" means application/octet-stream
	Data        []byte
}

// Header returns the value of the first extra header named name (case
// insensitive), or "".
func (m Message) Header(name string) string {
	for _, h := range m.Headers {
		if equalFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

// Sender delivers one Message. It is the port features depend on; adapters:
// outbox.Outbox (local .eml files), sesmail.Sender (SES v2), Fake (tests).
//
// Send returns an adapter-specific id (the outbox's and Fake's are the
// Message-ID, SES's is the SES MessageId). It returns an EINVALID *loupe.Error
// for a Message that Render rejects, an error wrapping ErrTemporary when nothing
// was sent and a later retry may succeed (throttling that outlasted the retries,
// a 5xx, a disk error), and an error wrapping ErrRejected when the provider
// refused the message for good.
//
// Idempotency: Send with a Key already sent returns the earlier id and sends
// nothing more where the adapter can know it. The outbox and Fake can; SES
// cannot (SendEmail has no idempotency token), so callers keep their own ledger
// of sent keys (the touchpoint log) and record a send before calling SES
// again. All adapters are safe for concurrent use.
type Sender interface {
	Send(ctx context.Context, m Message) (id string, err error)
}

// Errors adapters wrap; test them with errors.Is.
var (
	// ErrTemporary: nothing was sent; try the same Message (same Key) later.
	ErrTemporary = errors.New("mail: temporary failure, retry later")
	// ErrRejected: the provider refused the message for good; retrying the same
	// message will fail again.
	ErrRejected = errors.New("mail: rejected by provider")
)

// ClientHeaders returns the contract headers of a mail to a client, in order:
// X-Loupe-Touchpoint, X-Loupe-Customer-Id, X-Loupe-Send-Date (store-local
// "YYYY-MM-DD"), List-Unsubscribe "<unsubscribeURL>" and List-Unsubscribe-Post
// "List-Unsubscribe=One-Click" (RFC 8058). Empty arguments are left out, so it
// also serves staff mail: ClientHeaders("", TouchpointReassignmentReview, day, "").
// It does not validate; Render rejects values holding CR or LF.
func ClientHeaders(customerID, touchpoint, sendDate, unsubscribeURL string) []Header {
	hs := make([]Header, 0, 5)
	if touchpoint != "" {
		hs = append(hs, Header{HeaderTouchpoint, touchpoint})
	}
	if customerID != "" {
		hs = append(hs, Header{HeaderCustomerID, customerID})
	}
	if sendDate != "" {
		hs = append(hs, Header{HeaderSendDate, sendDate})
	}
	if unsubscribeURL != "" {
		hs = append(hs,
			Header{HeaderListUnsubscribe, "<" + unsubscribeURL + ">"},
			Header{HeaderListUnsubscribePost, "List-Unsubscribe=One-Click"})
	}
	return hs
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
