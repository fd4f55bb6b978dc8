package loupe

import (
	"context"
	"fmt"
	"time"
)

// Feedback is what the mail provider reported about one sent mail, in
// Loupe's words (package sesmail decodes SES's events into it).
type Feedback struct {
	// Kind is FeedbackBounce, FeedbackComplaint, or anything else (a
	// delivery, an open), which ApplyFeedback ignores.
	Kind string
	// Permanent is true for a hard bounce: the address does not exist or
	// refuses mail for good. Transient and undetermined bounces are false.
	Permanent bool
	// NotSpam is true for a complaint whose feedback report says the
	// recipient does not consider the mail spam.
	NotSpam bool
	// Recipients are the bare addresses the report is about; "" stands for
	// one that could not be read.
	Recipients []string
	// CustomerID is the client the mail was sent to (its
	// X-Loupe-Customer-Id header); "" for staff mail or when the provider
	// truncated the headers.
	CustomerID string
	// At is when the provider recorded it.
	At time.Time
}

// Kinds of Feedback.
const (
	FeedbackBounce    = "bounce"
	FeedbackComplaint = "complaint"
)

// FeedbackStore is what ApplyFeedback writes. Neither method scans the
// customers: the suppression list is keyed by address.
type FeedbackStore interface {
	// SetEmailStatusOf sets the email_status of customerID to status (as
	// NextEmailStatus allows) when its email is still email, and puts email
	// on the suppression list either way. It reports whether the customer
	// changed.
	SetEmailStatusOf(ctx context.Context, customerID, email, status string, at time.Time) (bool, error)
	// Suppress puts email on the suppression list with reason.
	Suppress(ctx context.Context, email, reason string, at time.Time) error
}

// FeedbackOutcome is what ApplyFeedback did.
type FeedbackOutcome struct {
	// Applied is false when the feedback was ignored (not a permanent bounce
	// or a complaint, or a not-spam report).
	Applied bool
	// Status is EmailBounced or EmailComplained when Applied.
	Status string
	// Marked counts the recipients suppressed; Skipped those whose address
	// could not be read; Changed the customers whose email_status changed.
	Marked, Skipped, Changed int
}

// Bounces returns the recipients a bounce marked, 0 for a complaint.
func (o FeedbackOutcome) Bounces() int {
	if o.Status == EmailBounced {
		return o.Marked
	}
	return 0
}

// Complaints returns the recipients a complaint marked, 0 for a bounce.
func (o FeedbackOutcome) Complaints() int {
	if o.Status == EmailComplained {
		return o.Marked
	}
	return 0
}

// FeedbackStatus returns the email_status a report calls for, and false when
// it calls for none: a permanent bounce marks the address bounced, a
// complaint marks it complained unless the report says "not spam"; transient
// and undetermined bounces and every other kind change nothing.
func FeedbackStatus(f Feedback) (string, bool) {
	switch {
	case f.Kind == FeedbackBounce && f.Permanent:
		return EmailBounced, true
	case f.Kind == FeedbackComplaint && !f.NotSpam:
		return EmailComplained, true
	}
	return "", false
}

// ApplyFeedback applies the policy of FeedbackStatus: every recipient of a
// report that calls for a status goes on the suppression list, which senders
// check before each mail, so no customer holding the address is mailed
// again; when the mail named its customer, that customer's email_status is
// set too (if the address is still its own). Replays are harmless: the
// suppression list keeps its first entry and a status only ever moves to the
// worse one. A zero At is taken as now. Returns the storage error, after which
// the report should be delivered again.
func ApplyFeedback(ctx context.Context, st FeedbackStore, f Feedback, now time.Time) (FeedbackOutcome, error) {
	status, ok := FeedbackStatus(f)
	if !ok {
		return FeedbackOutcome{}, nil
	}
	at := f.At
	if at.IsZero() {
		at = now
	}
	out := FeedbackOutcome{Applied: true, Status: status}
	for _, addr := range f.Recipients {
		if addr == "" {
			out.Skipped++
			continue
		}
		if f.CustomerID == "" {
			if err := st.Suppress(ctx, addr, status, at); err != nil {
				return out, fmt.Errorf("apply %s feedback: %w", f.Kind, err)
			}
			out.Marked++
			continue
		}
		changed, err := st.SetEmailStatusOf(ctx, f.CustomerID, addr, status, at)
		if err != nil {
			return out, fmt.Errorf("apply %s feedback: customer %s: %w", f.Kind, f.CustomerID, err)
		}
		out.Marked++
		if changed {
			out.Changed++
		}
	}
	return out, nil
}
