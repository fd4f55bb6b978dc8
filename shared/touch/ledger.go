package touch

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/loupehq/loupe/shared/contact"
	"github.com/loupehq/loupe/shared/loupe"
)

// Skip reasons recorded in the ledger and shown by GET /coverage.
const (
	SkipNoEmail      = "no_email"
	SkipUnsubscribed = "unsubscribed"
	SkipBounced      = "bounced"
	SkipComplained   = "complained"
	SkipOptedOut     = "opted_out"
	SkipNoConsent    = "no_consent"
	SkipFatigue      = "fatigue_cap_window_closed"
	// SkipRejected: the mail provider refused the message for good (or it
	// could not be rendered, e.g. a store without from_email).
	SkipRejected = "rejected"
	// SkipSuppressed: the address is on the suppression list (it bounced or
	// complained, possibly under another client who shares it, or belonged
	// to an erased client), checked at send time.
	SkipSuppressed = "suppressed"
)

// Ledger entry states.
const (
	StateClaimed = "claimed" // claimed before the send; not sent yet (or the sender crashed)
	StateSent    = "sent"
	StateSkipped = "skipped"
)

// Key identifies one touchpoint: one client, one occasion, one year. A Key is
// claimed at most once, so a touchpoint never goes twice.
type Key struct {
	CustomerID string `json:"customer_id"`
	Occasion   string `json:"occasion"` // Birthday, ..., or "event:<campaign_id>"
	Year       int    `json:"year"`     // the occasion's year (the campaign's send_date year)
}

// PurchaseKey returns the key of a touchpoint that goes once per purchase
// (thank_you, bridal_30, bridal_60, bridal_90): the occasion names the
// purchase, "<touchpoint>:<purchase_id>", and Year is 0. Whatever the
// channel, the purchase's touchpoint is claimed once.
func PurchaseKey(customerID, touchpoint, purchaseID string) Key {
	return Key{CustomerID: customerID, Occasion: touchpoint + ":" + purchaseID}
}

// RepairKey returns the key of a touchpoint that goes once per repair
// (repair_ready, repair_reminder), as PurchaseKey does for a purchase.
func RepairKey(customerID, touchpoint, repairID string) Key {
	return Key{CustomerID: customerID, Occasion: touchpoint + ":" + repairID}
}

// MailKey returns the mail idempotency key "tp/<customer>/<occasion>/<year>".
func (k Key) MailKey() string {
	return fmt.Sprintf("tp/%s/%s/%d", k.CustomerID, k.Occasion, k.Year)
}

// String returns the same text as MailKey.
func (k Key) String() string { return k.MailKey() }

// Entry is the ledger record of one touchpoint.
type Entry struct {
	Key
	StoreID   string    `json:"store_id"`
	Planned   Day       `json:"planned"` // the store-local day the mail was planned (or skipped) for
	ClaimedAt time.Time `json:"claimed_at"`
	State     string    `json:"state"` // StateClaimed, StateSent or StateSkipped
	MessageID string    `json:"message_id,omitempty"`
	SentAt    time.Time `json:"sent_at,omitzero"`
	Reason    string    `json:"reason,omitempty"` // skip reason
	// LeaseUntil: while a sender holds the send lease of a claimed entry
	// (see Ledger.Lease), the time the lease runs out; zero without a lease.
	// A text waiting for the recipient's allowed hours is leased until then.
	LeaseUntil time.Time `json:"lease_until,omitzero"`
	// Channel is the channel the touchpoint goes on, chosen when it was
	// claimed (contact.Lists.Choose): contact.Email, SMS, Mail or Personal
	// (a Today task). "" is email (entries written before channels).
	Channel string `json:"channel,omitempty"`
}

// On returns the entry's channel, contact.Email for "".
func (e Entry) On() string {
	if e.Channel == "" {
		return contact.Email
	}
	return e.Channel
}

// Marketing reports whether the entry counts against the fatigue cap: it was
// claimed for sending (pending or sent), not skipped.
func (e Entry) Marketing() bool { return e.State == StateClaimed || e.State == StateSent }

// DayCount is one store's touchpoint tally for one store-local day: mails sent
// (by planned day) and touchpoints skipped, by reason.
type DayCount struct {
	StoreID string         `json:"store_id"`
	Day     Day            `json:"date"`
	Sent    int            `json:"sent"`
	Skipped map[string]int `json:"skipped,omitempty"`
	// ByChannel splits Sent by channel (Entry.On). Counters written before
	// channels have none: their Sent is email.
	ByChannel map[string]int `json:"by_channel,omitempty"`
}

// SentOn returns dc's sent count of channel, counting what ByChannel does
// not split as email.
func (dc DayCount) SentOn(channel string) int {
	n := dc.ByChannel[channel]
	if channel == contact.Email {
		rest := dc.Sent
		for _, m := range dc.ByChannel {
			rest -= m
		}
		n += max(rest, 0)
	}
	return n
}

// Ledger is the touchpoint log: the conditional claim that makes each
// touchpoint effective once, the send lease that lets several senders
// deliver the same entries, the per-client marketing history behind the
// fatigue cap, and per-store-per-day counters behind GET /coverage. Every
// state change follows one rule, whichever adapter stores it: ClaimEntry
// (what a claim records), Transition (claimed to sent or skipped), Leasable
// and Releasable (the send lease). Implementations: MemLedger (tests),
// embedded.Ledger (bbolt), dynamo.Ledger. All methods are safe for
// concurrent use.
type Ledger interface {
	// Claim records ClaimEntry(e) unless its Key is already in the ledger
	// (any state): the conditional write. When e.State is StateSkipped it is
	// recorded as skipped with e.Reason (a touchpoint decided against, so it
	// is never reconsidered). It returns true when this call wrote the Key and
	// false when the Key was already there (never send twice). It fails only
	// on storage errors.
	Claim(ctx context.Context, e Entry) (bool, error)
	// ClaimBatch claims many entries as Claim would one by one (in one write
	// where the store allows it), returning for each whether this call
	// claimed it; a key repeated in entries is won at most once. It fails
	// only on storage errors.
	ClaimBatch(ctx context.Context, entries []Entry) ([]bool, error)
	// Get returns the entry of k, or an error wrapping loupe.ErrNotFound.
	Get(ctx context.Context, k Key) (Entry, error)
	// MarkSent moves a claimed entry to sent with the provider's message id,
	// as Transition(state, found, StateSent) allows: marking a sent entry
	// again changes nothing. Returns an error wrapping loupe.ErrNotFound for
	// an unclaimed key and loupe.ErrConflict for a skipped one.
	MarkSent(ctx context.Context, k Key, messageID string, at time.Time) error
	// MarkSkipped moves a claimed entry to skipped with reason, as
	// Transition(state, found, StateSkipped) allows: skipping a skipped entry
	// changes nothing. Returns loupe.ErrNotFound for an unclaimed key and
	// loupe.ErrConflict for a sent one.
	MarkSkipped(ctx context.Context, k Key, reason string, at time.Time) error
	// Lease marks the claimed entry k as being sent by one caller until
	// `until`: a conditional write that succeeds only when Leasable (k is in
	// state claimed and has no lease or a lease that expired at or before
	// now). Returns true when this call won; false (nil error) when k is
	// sent, skipped, or leased by someone else; an error wrapping
	// loupe.ErrNotFound when k is not in the ledger.
	Lease(ctx context.Context, k Key, now, until time.Time) (bool, error)
	// Release clears the lease of k that this caller took with Lease(...,
	// until) (after a failed send) so a retry can take it at once. It clears
	// only a lease ending exactly at until (Releasable): a lease another
	// sender took after this one ran out is left alone, so a slow sender
	// cannot open the way to a third. Releasing an unknown key, an entry
	// without that lease or one that is no longer claimed changes nothing and
	// returns nil. Fails only on storage errors.
	Release(ctx context.Context, k Key, until time.Time) error
	// Pending returns the entries claimed but neither sent nor skipped, ordered
	// by ClaimedAt then key: the sends a crash interrupted, or not yet made.
	// Leased entries are included (with their LeaseUntil).
	Pending(ctx context.Context) ([]Entry, error)
	// LastMarketing returns the latest planned day of a claimed or sent entry of
	// the client, and false when there is none.
	LastMarketing(ctx context.Context, customerID string) (Day, bool, error)
	// Counts returns one store's per-day counters for the days from..to
	// (inclusive) that have any, in day order.
	Counts(ctx context.Context, storeID string, from, to Day) ([]DayCount, error)
	// Touches returns, per client of the store, how many mails were sent with a
	// planned day from..to (inclusive).
	Touches(ctx context.Context, storeID string, from, to Day) (map[string]int, error)
}

// ClaimEntry returns the entry Ledger.Claim records for e: skipped with
// e.Reason when e.State is StateSkipped, otherwise claimed without a reason;
// never a message id, sent time or lease; ClaimedAt in UTC. It never fails.
func ClaimEntry(e Entry) Entry {
	e.MessageID, e.SentAt, e.LeaseUntil = "", time.Time{}, time.Time{}
	e.ClaimedAt = e.ClaimedAt.UTC()
	if e.State != StateSkipped {
		e.State, e.Reason = StateClaimed, ""
	}
	return e
}

// Transition is the rule of MarkSent and MarkSkipped: whether the entry of a
// key, in state from (found is false when the key is not in the ledger), may
// move to state to (StateSent or StateSkipped). It returns true when the
// move is to be written (from is StateClaimed); false and nil when the entry
// is in state to already (a repeat changes nothing); an error wrapping
// loupe.ErrNotFound when the key is not in the ledger; and an error wrapping
// loupe.ErrConflict, naming from, otherwise (a sent touchpoint is never
// skipped, a skipped one never sent, and nothing moves back to claimed).
func Transition(from string, found bool, to string) (bool, error) {
	switch {
	case !found:
		return false, loupe.ErrNotFound
	case to != StateSent && to != StateSkipped:
		return false, fmt.Errorf("touchpoint %s cannot become %s: %w", from, to, loupe.ErrConflict)
	case from == to:
		return false, nil
	case from == StateClaimed:
		return true, nil
	default:
		return false, fmt.Errorf("touchpoint already %s: %w", from, loupe.ErrConflict)
	}
}

// Leasable is the rule of Ledger.Lease: whether a sender may take the send
// lease of e at now. It returns true when e is claimed and has no lease or
// one that ended at or before now; false and nil when e is sent, skipped or
// leased by another sender; and an error wrapping loupe.ErrNotFound when
// found is false (the key is not in the ledger).
func Leasable(e Entry, found bool, now time.Time) (bool, error) {
	if !found {
		return false, loupe.ErrNotFound
	}
	return e.State == StateClaimed && !e.LeaseUntil.After(now), nil
}

// Releasable is the rule of Ledger.Release: whether releasing the lease that
// ends at until clears e's lease. It reports true only when found, e is
// claimed and its lease ends exactly at until. It never fails.
func Releasable(e Entry, found bool, until time.Time) bool {
	return found && e.State == StateClaimed && e.LeaseUntil.Equal(until)
}

// Campaign is a Save-the-Date blast (POST /campaigns): mailed to every
// emailable client of StoreIDs on SendDate (store-local), deferrable within
// its window (see Planner.CampaignWindow).
type Campaign struct {
	CampaignID string   `json:"campaign_id"`
	Name       string   `json:"name"`
	EventDate  Day      `json:"event_date"`
	SendDate   Day      `json:"send_date"`
	StoreIDs   []string `json:"store_ids"`
	Subject    string   `json:"subject"`
	BodyHTML   string   `json:"body_html"` // staff-written HTML, inserted as is (trusted, authenticated input)
	// Channels is the campaign's ordered channel list (nil: email only).
	Channels []string `json:"channels,omitempty"`
	// CallList: the invitations also go on the associates' Today lists
	// (CONTRACT section 3), with the message, as one contact.
	CallList bool `json:"call_list,omitempty"`
}

// Occasion returns the campaign's touchpoint name "event:<campaign_id>".
func (c Campaign) Occasion() string { return EventPrefix + c.CampaignID }

// HasStore reports whether the campaign goes to storeID's clients.
func (c Campaign) HasStore(storeID string) bool {
	for _, s := range c.StoreIDs {
		if s == storeID {
			return true
		}
	}
	return false
}

// Validate returns an EINVALID *loupe.Error naming the first bad field: an
// empty or malformed campaign_id ([A-Za-z0-9_-]{1,64}), empty name, subject,
// body_html or store_ids, a zero date, or send_date after event_date.
func (c Campaign) Validate() error {
	if !validCampaignID(c.CampaignID) {
		return loupe.Invalidf("campaign_id", "campaign_id must be 1-64 letters, digits, '-' or '_'")
	}
	if strings.TrimSpace(c.Name) == "" {
		return loupe.Invalidf("name", "name is required")
	}
	if c.EventDate == (Day{}) {
		return loupe.Invalidf("event_date", "event_date is required")
	}
	if c.SendDate == (Day{}) {
		return loupe.Invalidf("send_date", "send_date is required")
	}
	if c.EventDate.Before(c.SendDate) {
		return loupe.Invalidf("send_date", "send_date is after event_date")
	}
	if len(c.StoreIDs) == 0 {
		return loupe.Invalidf("store_ids", "store_ids must name at least one store")
	}
	if strings.TrimSpace(c.Subject) == "" || strings.ContainsAny(c.Subject, "\r\n") {
		return loupe.Invalidf("subject", "subject is required and is one line")
	}
	if strings.TrimSpace(c.BodyHTML) == "" {
		return loupe.Invalidf("body_html", "body_html is required")
	}
	if c.Channels != nil && len(c.Channels) == 0 {
		return loupe.Invalidf("channels", "channels must name at least one channel")
	}
	if err := contact.CheckList(c.Channels); err != nil {
		return loupe.Invalidf("channels", "channels: %v", err)
	}
	return nil
}

func validCampaignID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// Campaigns stores campaigns. Implementations: MemCampaigns, embedded.Ledger.
type Campaigns interface {
	// PutCampaign stores c. Storing an equal campaign again is a no-op; a
	// different campaign under an existing id returns an error wrapping
	// loupe.ErrExists (nothing written).
	PutCampaign(ctx context.Context, c Campaign) error
	// GetCampaign returns a campaign or an error wrapping loupe.ErrNotFound.
	GetCampaign(ctx context.Context, campaignID string) (Campaign, error)
	// ListCampaigns returns every campaign ordered by CampaignID.
	ListCampaigns(ctx context.Context) ([]Campaign, error)
}

// MarshalText writes "YYYY-MM-DD" ("" for the zero Day).
func (d Day) MarshalText() ([]byte, error) {
	if d == (Day{}) {
		return []byte{}, nil
	}
	return []byte(d.String()), nil
}

// UnmarshalText reads "YYYY-MM-DD"; "" gives the zero Day. Returns an EINVALID
// *loupe.Error otherwise.
func (d *Day) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Day{}
		return nil
	}
	t, err := loupe.ParseDay(string(b))
	if err != nil {
		return err
	}
	*d = DayOf(t)
	return nil
}

// SameCampaign reports whether a and b are equal campaigns (adapters use it
// to make PutCampaign idempotent).
func SameCampaign(a, b Campaign) bool {
	if a.CampaignID != b.CampaignID || a.Name != b.Name || a.EventDate != b.EventDate ||
		a.SendDate != b.SendDate || a.Subject != b.Subject || a.BodyHTML != b.BodyHTML || a.CallList != b.CallList ||
		len(a.StoreIDs) != len(b.StoreIDs) || !slices.Equal(a.Channels, b.Channels) {
		return false
	}
	for i := range a.StoreIDs {
		if a.StoreIDs[i] != b.StoreIDs[i] {
			return false
		}
	}
	return true
}
