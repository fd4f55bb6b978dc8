package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	netmail "net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/loupehq/loupe/shared/emf"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
)

// privacy is the part of the DynamoDB adapter the handler calls. Neither
// method Scans: the table has no email index, and SetEmailStatusByAddress
// (which Scans it whole) is not called here.
type privacy interface {
	SetEmailStatusOf(ctx context.Context, customerID, email, status string, at time.Time) (bool, error)
	Suppress(ctx context.Context, email, reason string, at time.Time) error
}

// sesEvent is the part of an SES event-publishing record (the EventBridge
// event's detail) the handler reads.
type sesEvent struct {
	EventType string `json:"eventType"` // "Bounce", "Complaint", "Delivery", ...
	Mail      struct {
		MessageID        string   `json:"messageId"`
		HeadersTruncated bool     `json:"headersTruncated"`
		Headers          []header `json:"headers"` // the mail's original headers
	} `json:"mail"`
	Bounce *struct {
		BounceType        string      `json:"bounceType"` // "Permanent", "Transient", "Undetermined"
		BouncedRecipients []recipient `json:"bouncedRecipients"`
		Timestamp         time.Time   `json:"timestamp"`
	} `json:"bounce"`
	Complaint *struct {
		ComplainedRecipients  []recipient `json:"complainedRecipients"`
		ComplaintFeedbackType string      `json:"complaintFeedbackType"` // "abuse", "not-spam", ... or absent
		Timestamp             time.Time   `json:"timestamp"`
	} `json:"complaint"`
}

type header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// customerID returns the value of the mail's X-Loupe-Customer-Id header (the
// name compared case-insensitively, the value trimmed), or "" when the mail
// has none (staff mail, or headers SES truncated) or it is not a valid id.
func (d sesEvent) customerID() string {
	for _, h := range d.Mail.Headers {
		if strings.EqualFold(strings.TrimSpace(h.Name), mail.HeaderCustomerID) {
			if v := strings.TrimSpace(h.Value); loupe.ValidID(v) {
				return v
			}
			return ""
		}
	}
	return ""
}

type recipient struct {
	EmailAddress string `json:"emailAddress"`
}

// newHandler returns the EventBridge handler for SES events from the
// configuration set. A permanent bounce marks the bounced addresses
// EmailBounced, a complaint marks the complained addresses EmailComplained (a
// "not-spam" feedback report excepted), both as of the event's timestamp:
//
//   - every such address goes on the suppression list, which senders check
//     before each mail, so no customer holding it is mailed again;
//   - when the mail carried X-Loupe-Customer-Id (every mail to a client does),
//     that customer's email_status is set too, if the address is still its
//     own (SetEmailStatusOf: 2-3 requests a recipient);
//   - without it (staff mail such as the reassignment review or the
//     inspection morning mail, or headers SES truncated) only the suppression
//     entry is written (Suppress: 1 request a recipient).
//
// Nothing Scans the table. Transient and undetermined bounces and every other
// event are ignored. Replays are harmless: the suppression list keeps its
// first entry and a status only ever moves to the worse one
// (loupe.NextEmailStatus).
//
// It returns an error only when DynamoDB fails, so EventBridge retries the
// event (template.yaml: 10 attempts within a day, then the SesFeedbackDLQ);
// an undecodable detail is logged and dropped, as a retry would fail again.
// Logs carry the SES message id, the customer id and counts, never an address.
//
// Each applied event writes one metrics line to m (nil: none): Bounces and
// Complaints, the recipients the event marked (one of the two is 0), with the
// SES message id, the customer id (when the mail named one) and the customers
// changed as properties. Ignored and failed events write none (a retried
// event writes its line when it succeeds).
func newHandler(p privacy, logger *slog.Logger, m *emf.Writer) func(context.Context, events.CloudWatchEvent) error {
	return func(ctx context.Context, ev events.CloudWatchEvent) error {
		var d sesEvent
		if err := json.Unmarshal(ev.Detail, &d); err != nil {
			logger.ErrorContext(ctx, "ses event dropped: undecodable detail", "event_id", ev.ID, "detail_type", ev.DetailType, "err", err)
			return nil
		}
		var (
			status string
			rcpts  []recipient
			at     time.Time
		)
		switch {
		case d.EventType == "Bounce" && d.Bounce != nil && d.Bounce.BounceType == "Permanent":
			status, rcpts, at = loupe.EmailBounced, d.Bounce.BouncedRecipients, d.Bounce.Timestamp
		case d.EventType == "Complaint" && d.Complaint != nil && d.Complaint.ComplaintFeedbackType != "not-spam":
			status, rcpts, at = loupe.EmailComplained, d.Complaint.ComplainedRecipients, d.Complaint.Timestamp
		default:
			logger.InfoContext(ctx, "ses event ignored", "event_id", ev.ID, "event_type", d.EventType,
				"bounce_type", bounceType(d), "ses_message_id", d.Mail.MessageID)
			return nil
		}
		if at.IsZero() {
			at = ev.Time
		}
		customerID := d.customerID()
		changed, skipped := 0, 0
		for _, r := range rcpts {
			addr := address(r.EmailAddress)
			if addr == "" {
				skipped++
				continue
			}
			if customerID == "" {
				if err := p.Suppress(ctx, addr, status, at); err != nil {
					return fmt.Errorf("ses %s %s: %w", d.EventType, d.Mail.MessageID, err)
				}
				continue
			}
			ok, err := p.SetEmailStatusOf(ctx, customerID, addr, status, at)
			if err != nil {
				return fmt.Errorf("ses %s %s: customer %s: %w", d.EventType, d.Mail.MessageID, customerID, err)
			}
			if ok {
				changed++
			}
		}
		logger.InfoContext(ctx, "ses feedback applied", "event_id", ev.ID, "event_type", d.EventType,
			"ses_message_id", d.Mail.MessageID, "status", status, "customer_id", customerID,
			"headers_truncated", d.Mail.HeadersTruncated, "recipients", len(rcpts),
			"skipped", skipped, "customers_changed", changed)
		marked := len(rcpts) - skipped
		bounces, complaints := marked, 0
		if status == loupe.EmailComplained {
			bounces, complaints = 0, marked
		}
		props := map[string]string{"ses_message_id": d.Mail.MessageID, "customers_changed": strconv.Itoa(changed)}
		if customerID != "" {
			props["customer_id"] = customerID
		}
		if err := m.Put(props, emf.Count("Bounces", bounces), emf.Count("Complaints", complaints)); err != nil {
			logger.WarnContext(ctx, "metrics not written", "event_id", ev.ID, "err", err)
		}
		return nil
	}
}

// address returns the bare address of s ("a@b" or "Name <a@b>"), or "" when
// s holds none.
func address(s string) string {
	if a, err := netmail.ParseAddress(s); err == nil {
		return a.Address
	}
	return ""
}

func bounceType(d sesEvent) string {
	if d.Bounce == nil {
		return ""
	}
	return d.Bounce.BounceType
}
