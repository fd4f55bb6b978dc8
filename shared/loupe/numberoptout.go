package loupe

import (
	"context"
	"strings"
	"time"
)

// NumberOptOuts keeps, apart from any client, whether a phone number said
// no to texts: a STOP texted from it, or AWS answering that it opted out or
// is blocked. A client's sms consent is bound to the client and read
// through an index that lags in DynamoDB; this record is read consistently
// by number before every text, so a STOP also covers a client created a
// moment before it, or added later with that number. Both adapters
// implement it beside DB (the contract suite storetest.RunNumberOptOuts).
// The number is stored only as NumberHash.
type NumberOptOuts interface {
	// SetNumberOptOut records phone's answer at at: out true for an opt-out,
	// false for a START after one. The newest answer stands: an answer
	// older than the stored one changes nothing, whatever order deliveries
	// come in, and two racing writes leave the newer; of two as old, the
	// opt-out stands (a denial wins a tie, as ApplyConsent has it).
	// Reports whether it changed the record. Returns an EINVALID *Error for
	// a phone that is not E.164, and the storage error.
	SetNumberOptOut(ctx context.Context, phone string, out bool, at time.Time) (bool, error)
	// NumberOptedOut reports whether phone's newest answer is an opt-out
	// (false for a number never answered). A consistent read. Returns the
	// storage error.
	NumberOptedOut(ctx context.Context, phone string) (bool, error)
}

// NumberHash returns the hex HMAC-SHA256, under the suppression list's
// pepper, of an E.164 number: the only form in which a number's opt-out is
// stored.
func NumberHash(phone string) string {
	return keyedHash("phone\x00" + strings.TrimSpace(phone))
}

// ValidNumber returns an EINVALID *Error (field "phone") unless phone is an
// E.164 number (+ and 2 to 15 digits, no leading 0).
func ValidNumber(phone string) error {
	if len(phone) < 3 || len(phone) > 16 || phone[0] != '+' || phone[1] == '0' {
		return Invalidf("phone", "not an E.164 number")
	}
	for _, r := range phone[1:] {
		if r < '0' || r > '9' {
			return Invalidf("phone", "not an E.164 number")
		}
	}
	return nil
}
