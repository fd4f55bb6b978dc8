package sesmail

import (
	"encoding/json"
	"fmt"
	netmail "net/mail"
	"strings"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
)

// Event is the part of an SES event-publishing record (the detail of the
// EventBridge event a configuration set publishes) that Loupe reads.
type Event struct {
	EventType string `json:"eventType"` // "Bounce", "Complaint", "Delivery", ...
	Mail      struct {
		MessageID        string        `json:"messageId"`
		HeadersTruncated bool          `json:"headersTruncated"`
		Headers          []eventHeader `json:"headers"` // the mail's original headers
	} `json:"mail"`
	Bounce *struct {
		BounceType        string           `json:"bounceType"` // "Permanent", "Transient", "Undetermined"
		BouncedRecipients []eventRecipient `json:"bouncedRecipients"`
		Timestamp         time.Time        `json:"timestamp"`
	} `json:"bounce"`
	Complaint *struct {
		ComplainedRecipients  []eventRecipient `json:"complainedRecipients"`
		ComplaintFeedbackType string           `json:"complaintFeedbackType"` // "abuse", "not-spam", ... or absent
		Timestamp             time.Time        `json:"timestamp"`
	} `json:"complaint"`
}

type eventHeader struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type eventRecipient struct {
	EmailAddress string `json:"emailAddress"`
}

// DecodeEvent returns the SES event in detail. Returns an error when detail
// is not such a JSON object.
func DecodeEvent(detail []byte) (Event, error) {
	var e Event
	if err := json.Unmarshal(detail, &e); err != nil {
		return Event{}, fmt.Errorf("decode ses event: %w", err)
	}
	return e, nil
}

// BounceType returns the event's bounce type ("Permanent", ...), "" when it
// is not a bounce.
func (e Event) BounceType() string {
	if e.Bounce == nil {
		return ""
	}
	return e.Bounce.BounceType
}

// Feedback returns the event in Loupe's words: kind, permanence, the bare
// recipient addresses ("" where one does not parse), the customer named by
// the X-Loupe-Customer-Id header (its name compared case-insensitively, its
// value trimmed; "" when absent or not a valid id) and the time SES recorded.
// It never fails; an event that is neither a bounce nor a complaint has no
// Kind.
func (e Event) Feedback() loupe.Feedback {
	f := loupe.Feedback{CustomerID: e.customerID()}
	var rcpts []eventRecipient
	switch {
	case e.EventType == "Bounce" && e.Bounce != nil:
		f.Kind, f.Permanent, f.At = loupe.FeedbackBounce, e.Bounce.BounceType == "Permanent", e.Bounce.Timestamp
		rcpts = e.Bounce.BouncedRecipients
	case e.EventType == "Complaint" && e.Complaint != nil:
		f.Kind, f.NotSpam, f.At = loupe.FeedbackComplaint, e.Complaint.ComplaintFeedbackType == "not-spam", e.Complaint.Timestamp
		rcpts = e.Complaint.ComplainedRecipients
	}
	for _, r := range rcpts {
		f.Recipients = append(f.Recipients, bareAddress(r.EmailAddress))
	}
	return f
}

func (e Event) customerID() string {
	for _, h := range e.Mail.Headers {
		if strings.EqualFold(strings.TrimSpace(h.Name), mail.HeaderCustomerID) {
			if v := strings.TrimSpace(h.Value); loupe.ValidID(v) {
				return v
			}
			return ""
		}
	}
	return ""
}

// bareAddress returns the address of s ("a@b" or "Name <a@b>"), or "" when s
// holds none.
func bareAddress(s string) string {
	if a, err := netmail.ParseAddress(s); err == nil {
		return a.Address
	}
	return ""
}
