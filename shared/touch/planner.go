package touch

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/loupehq/loupe/shared/compliance"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
)

// DefaultCap is the default fatigue cap: at most one marketing mail per client
// in any 7 days.
const DefaultCap = 7

// DefaultEventSlack is how many days after its send_date a deferred campaign
// mail may still go (never on or after the event date).
const DefaultEventSlack = 7

// DefaultRecoverAfter is how old a claimed-unsent ledger entry must be before
// Recover sends it again (and Requeue enqueues it again).
const DefaultRecoverAfter = 10 * time.Minute

// DefaultLeaseFor is how long Deliver holds the send lease of one touchpoint.
const DefaultLeaseFor = 5 * time.Minute

// flushEvery bounds how many claims PlanDay holds before writing them.
const flushEvery = 5000

// BatchClaimer is an optional Ledger extension: ClaimBatch claims many entries
// in one write (one bbolt transaction), returning for each whether this call
// claimed it, as Claim would one by one. PlanDay uses it when present.
type BatchClaimer interface {
	ClaimBatch(ctx context.Context, entries []Entry) ([]bool, error)
}

// Reader is the part of loupe.DB the planner reads.
type Reader interface {
	GetStore(ctx context.Context, storeID string) (loupe.Store, error)
	ListStores(ctx context.Context) ([]loupe.Store, error)
	GetAssociate(ctx context.Context, associateID string) (loupe.Associate, error)
	GetCustomer(ctx context.Context, customerID string) (loupe.Customer, error)
	CustomersByMonthDay(ctx context.Context, field, monthDay string) ([]loupe.Customer, error)
	ScanCustomers(ctx context.Context, storeID string, fn func(loupe.Customer) error) error
}

// Planner plans and delivers touchpoints. Set DB, Ledger, UnsubscribeURL and
// Now; the other fields have working zero values.
type Planner struct {
	DB        Reader
	Ledger    Ledger
	Campaigns Campaigns // nil: no campaigns
	Calendar  Calendar  // zero value: DefaultLeads
	// Cap is the fatigue cap in days: two marketing mails to one client are at
	// least Cap days apart, except where a personal occasion overrides (see
	// docs/touchpoints.md). 0 means DefaultCap.
	Cap int
	// EventSlack: days after send_date a deferred campaign mail may go; 0 means
	// DefaultEventSlack.
	EventSlack int
	// Consent returns the consent rule of a country; nil means
	// compliance.ConsentRule.
	Consent func(country string) string
	// UnsubscribeURL returns the signed unsubscribe link of a client, e.g.
	// unsub.New(secret).URL(base, id) bound in a closure. Required.
	UnsubscribeURL func(customerID string) string
	// RecoverAfter: Recover resends claimed-unsent entries at least this old;
	// 0 means DefaultRecoverAfter, negative means every pending entry.
	RecoverAfter time.Duration
	// LeaseFor is the length of the send lease Deliver takes on ledgers that
	// are Leasers; 0 means DefaultLeaseFor. It must be longer than one send.
	LeaseFor time.Duration
	Now      loupe.Clock  // required
	Log      *slog.Logger // nil: slog.Default()
}

func (p *Planner) cap() int {
	if p.Cap > 0 {
		return p.Cap
	}
	return DefaultCap
}

func (p *Planner) log() *slog.Logger {
	if p.Log != nil {
		return p.Log
	}
	return slog.Default()
}

func (p *Planner) consent(country string) string {
	if p.Consent != nil {
		return p.Consent(country)
	}
	return compliance.ConsentRule(country)
}

// Reason returns why a client of store may not get marketing mail (one of the
// Skip* reasons), or "" when the client may: an email, email_status ok, no
// opt-out, and consent as the store's country requires (an address captured
// at a repair counter needs opt-in consent outside opt-out countries).
func (p *Planner) Reason(store loupe.Store, c loupe.Customer) string {
	switch {
	case c.Email == "":
		return SkipNoEmail
	case c.EmailStatus == loupe.EmailUnsubscribed:
		return SkipUnsubscribed
	case c.EmailStatus == loupe.EmailBounced:
		return SkipBounced
	case c.EmailStatus == loupe.EmailComplained:
		return SkipComplained
	case c.EmailStatus != loupe.EmailOK && c.EmailStatus != "":
		return SkipUnsubscribed // an unknown status: the safe side
	case c.EmailOptOut:
		return SkipOptedOut
	case c.EmailSource == loupe.EmailSourceRepair && p.consent(store.Country) != compliance.ConsentOptOut:
		return SkipNoConsent
	}
	return ""
}

// CampaignWindow returns the window of a campaign: from send_date to
// EventSlack days later, never on or after the event date.
func (p *Planner) CampaignWindow(c Campaign) Window {
	slack := p.EventSlack
	if slack <= 0 {
		slack = DefaultEventSlack
	}
	end := c.SendDate.AddDays(slack)
	if !end.Before(c.EventDate) {
		end = c.EventDate.AddDays(-1)
	}
	if end.Before(c.SendDate) {
		end = c.SendDate
	}
	return Window{Occasion: c.Occasion(), Year: c.SendDate.Year, Date: c.EventDate, Start: c.SendDate, End: end}
}

// dayPlan holds what one PlanDay run has looked up.
type dayPlan struct {
	store    loupe.Store
	day      Day
	mailed   map[string]bool // clients queued for a mail today in this run
	queue    []Entry         // claims (and skips) not yet written
	won      func([]Entry) error
	planned  int // claims this run won
	deferred int // deferrable mails that wait for a later day of their window
}

// PlanDay plans store's touchpoints for its local day and returns the entries
// it claimed (state claimed, ClaimedAt set), without rendering any mail:
// Deliver renders and sends them. It reads birthdays and anniversaries due
// that day (from the month-day indexes, filtered to the store's home
// clients), then, only on days a holiday or campaign window is open, the
// store's clients for those windows. Every planned mail is claimed in the
// ledger before it is returned; ineligible and finally fatigue-capped
// touchpoints are recorded as skipped. Order: birthday clients, anniversary
// clients (each by customer id), then deferrable mails by customer id.
// Returns the entries claimed so far and the first read or ledger error
// (what was claimed stays claimed: Recover or Requeue delivers it).
func (p *Planner) PlanDay(ctx context.Context, store loupe.Store, day Day) ([]Entry, error) {
	var out []Entry
	_, err := p.planDay(ctx, store, day, func(es []Entry) error {
		out = append(out, es...)
		return nil
	})
	return out, err
}

// planDay plans as PlanDay does, handing each written batch of won claims to
// won (at most flushEvery at a time, each batch claimed before it is handed
// on). It returns the counts of the day (Planned and Deferred).
func (p *Planner) planDay(ctx context.Context, store loupe.Store, day Day, won func([]Entry) error) (Result, error) {
	dp := &dayPlan{store: store, day: day, mailed: map[string]bool{}, won: won}
	err := p.planStore(ctx, dp)
	return Result{Planned: dp.planned, Deferred: dp.deferred}, err
}

func (p *Planner) planStore(ctx context.Context, dp *dayPlan) error {
	store, day := dp.store, dp.day
	for _, occ := range []string{Birthday, Anniversary} {
		if err := p.planPersonal(ctx, dp, occ); err != nil {
			return err
		}
	}
	if err := p.flush(ctx, dp); err != nil {
		return err
	}
	windows := p.Calendar.Holidays(day, store.Country)
	if p.Campaigns != nil {
		cs, err := p.Campaigns.ListCampaigns(ctx)
		if err != nil {
			return fmt.Errorf("plan %s %s: %w", store.StoreID, day, err)
		}
		for i := range cs {
			w := p.CampaignWindow(cs[i])
			if cs[i].HasStore(store.StoreID) && w.Contains(day) {
				windows = append(windows, w)
			}
		}
	}
	if len(windows) == 0 {
		return nil
	}
	// The window that closes first goes first.
	slices.SortStableFunc(windows, func(a, b Window) int {
		if c := a.End.Sub(b.End); c != 0 {
			return c
		}
		if c := a.Date.Sub(b.Date); c != 0 {
			return c
		}
		return cmp.Compare(a.Occasion, b.Occasion)
	})
	// Read first, write after: no ledger write while a store read is open.
	var audience []loupe.Customer
	err := p.DB.ScanCustomers(ctx, store.StoreID, func(c loupe.Customer) error {
		audience = append(audience, c)
		return nil
	})
	if err != nil {
		return fmt.Errorf("plan %s %s: scan customers: %w", store.StoreID, day, err)
	}
	for _, c := range audience {
		if err := p.planDeferrable(ctx, dp, c, windows); err != nil {
			return err
		}
		if len(dp.queue) >= flushEvery {
			if err := p.flush(ctx, dp); err != nil {
				return err
			}
		}
	}
	return p.flush(ctx, dp)
}

func (p *Planner) planPersonal(ctx context.Context, dp *dayPlan, occ string) error {
	w, keys := p.Calendar.PersonalDue(occ, dp.day)
	var due []loupe.Customer
	for _, md := range keys {
		cs, err := p.DB.CustomersByMonthDay(ctx, occ, md)
		if err != nil {
			return fmt.Errorf("plan %s %s: %s %s: %w", dp.store.StoreID, dp.day, occ, md, err)
		}
		for _, c := range cs {
			if c.HomeStoreID == dp.store.StoreID {
				due = append(due, c)
			}
		}
	}
	slices.SortFunc(due, func(a, b loupe.Customer) int { return cmp.Compare(a.CustomerID, b.CustomerID) })
	for _, c := range due {
		e := Entry{Key: Key{c.CustomerID, occ, w.Year}, StoreID: dp.store.StoreID, Planned: dp.day}
		if r := p.Reason(dp.store, c); r != "" {
			if err := p.skip(ctx, dp, e, r); err != nil {
				return err
			}
			continue
		}
		if err := p.claim(ctx, dp, e, c, w.Date); err != nil {
			return err
		}
	}
	return nil
}

func (p *Planner) planDeferrable(ctx context.Context, dp *dayPlan, c loupe.Customer, windows []Window) error {
	reason := p.Reason(dp.store, c)
	for _, w := range windows {
		e := Entry{Key: Key{c.CustomerID, w.Occasion, w.Year}, StoreID: dp.store.StoreID, Planned: dp.day}
		_, err := p.Ledger.Get(ctx, e.Key)
		if err == nil {
			continue // claimed, sent or skipped on an earlier day (or run)
		}
		if !errors.Is(err, loupe.ErrNotFound) {
			return fmt.Errorf("plan %s: %w", e.Key, err)
		}
		lastChance := !dp.day.Before(w.End)
		if reason != "" {
			// Wait: an email or consent may still arrive inside the window.
			if lastChance {
				if err := p.skip(ctx, dp, e, reason); err != nil {
					return err
				}
			}
			continue
		}
		blocked := dp.mailed[c.CustomerID]
		if !blocked {
			last, ok, err := p.Ledger.LastMarketing(ctx, c.CustomerID)
			if err != nil {
				return fmt.Errorf("plan %s: %w", e.Key, err)
			}
			blocked = ok && dp.day.Sub(last) < p.cap()
		}
		// Make room for a birthday or anniversary planned within the cap,
		// unless this is the window's last day (then the personal mail
		// overrides the cap, as documented).
		if !blocked && !lastChance && p.personalSoon(c, dp.day) {
			blocked = true
		}
		if blocked {
			if lastChance {
				if err := p.skip(ctx, dp, e, SkipFatigue); err != nil {
					return err
				}
			} else {
				dp.deferred++
			}
			continue
		}
		if err := p.claim(ctx, dp, e, c, w.Date); err != nil {
			return err
		}
	}
	return nil
}

// personalSoon reports whether a personal mail of c is planned on one of the
// Cap-1 days after day.
func (p *Planner) personalSoon(c loupe.Customer, day Day) bool {
	for _, occ := range []struct {
		name string
		date loupe.Date
	}{{Birthday, c.Birthday}, {Anniversary, c.Anniversary}} {
		if occ.date.IsZero() {
			continue
		}
		lead := p.Calendar.lead(occ.name).Days
		for _, y := range []int{day.Year, day.Year + 1} {
			planned := Celebrated(y, occ.date.Month, occ.date.Day).AddDays(-lead)
			if n := planned.Sub(day); n > 0 && n < p.cap() {
				return true
			}
		}
	}
	return false
}

// skip queues e to be recorded as skipped for reason (unless its key is
// already in the ledger).
func (p *Planner) skip(ctx context.Context, dp *dayPlan, e Entry, reason string) error {
	e.State, e.Reason = StateSkipped, reason
	dp.queue = append(dp.queue, e)
	return nil
}

// claim queues the claim of e, a mail to client c.
func (p *Planner) claim(ctx context.Context, dp *dayPlan, e Entry, c loupe.Customer, date Day) error {
	e.State = StateClaimed
	dp.queue = append(dp.queue, e)
	dp.mailed[c.CustomerID] = true
	return nil
}

// flush claims the queued entries (in one batch when the ledger is a
// BatchClaimer) and hands the claims this run won to dp.won.
func (p *Planner) flush(ctx context.Context, dp *dayPlan) error {
	if len(dp.queue) == 0 {
		return nil
	}
	now := p.Now().UTC()
	for i := range dp.queue {
		dp.queue[i].ClaimedAt = now
	}
	var won []bool
	if bc, ok := p.Ledger.(BatchClaimer); ok {
		var err error
		if won, err = bc.ClaimBatch(ctx, dp.queue); err != nil {
			return fmt.Errorf("plan %s %s: %w", dp.store.StoreID, dp.day, err)
		}
	} else {
		won = make([]bool, len(dp.queue))
		for i, e := range dp.queue {
			ok, err := p.Ledger.Claim(ctx, e)
			if err != nil {
				return fmt.Errorf("plan %s %s: %w", dp.store.StoreID, dp.day, err)
			}
			won[i] = ok
		}
	}
	skipped := 0
	var claimed []Entry
	for i, e := range dp.queue {
		switch {
		case !won[i]:
		case e.State == StateSkipped:
			skipped++
		default:
			claimed = append(claimed, e)
		}
	}
	dp.queue = dp.queue[:0]
	if skipped > 0 {
		p.log().Info("touchpoints skipped", "store_id", dp.store.StoreID, "day", dp.day.String(), "skipped", skipped)
	}
	dp.planned += len(claimed)
	if len(claimed) > 0 && dp.won != nil {
		return dp.won(claimed)
	}
	return nil
}

// renderCache holds the associates and campaigns one Deliver (or Preview)
// call has read.
type renderCache struct {
	stores     map[string]loupe.Store
	associates map[string]*loupe.Associate
	campaigns  map[string]*Campaign
}

func newRenderCache() *renderCache {
	return &renderCache{stores: map[string]loupe.Store{}, associates: map[string]*loupe.Associate{}, campaigns: map[string]*Campaign{}}
}

func (p *Planner) compose(ctx context.Context, rc *renderCache, store loupe.Store, e Entry, c loupe.Customer, date Day) (mail.Message, error) {
	a, ok := rc.associates[c.AssociateID]
	if !ok && c.AssociateID != "" {
		got, err := p.DB.GetAssociate(ctx, c.AssociateID)
		switch {
		case err == nil && got.Active():
			a = &got
		case err == nil || errors.Is(err, loupe.ErrNotFound):
			// terminated or unknown: signed by the store
		default:
			return mail.Message{}, fmt.Errorf("compose %s: %w", e.Key, err)
		}
		rc.associates[c.AssociateID] = a
	}
	var campaign *Campaign
	if strings.HasPrefix(e.Occasion, EventPrefix) {
		campaign = rc.campaigns[e.Occasion]
		if campaign == nil && p.Campaigns != nil {
			got, err := p.Campaigns.GetCampaign(ctx, strings.TrimPrefix(e.Occasion, EventPrefix))
			if err != nil {
				return mail.Message{}, fmt.Errorf("compose %s: %w", e.Key, err)
			}
			campaign = &got
			rc.campaigns[e.Occasion] = campaign
		}
	}
	url := ""
	if p.UnsubscribeURL != nil {
		url = p.UnsubscribeURL(c.CustomerID)
	}
	msg, err := Compose(e.Key, e.Planned, date, store, c, a, campaign, url)
	if err != nil {
		return mail.Message{}, fmt.Errorf("compose %s: %w", e.Key, err)
	}
	return msg, nil
}
