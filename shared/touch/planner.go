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
	"github.com/loupehq/loupe/shared/contact"
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

// flushEvery bounds how many claims planning holds before writing them (one
// ledger write each: fewer, larger writes are cheaper on bbolt).
const flushEvery = 50_000

// handEvery bounds how many claimed entries are handed on at once (to Enqueue
// or Deliver).
const handEvery = 5000

// BatchLookup is an optional Ledger extension the planner uses, when present,
// to read the ledger for many clients at once instead of calling Get and
// LastMarketing for each.
type BatchLookup interface {
	// Lookup reports for each key whether it is in the ledger (any state),
	// and whether its client has a claimed or sent entry planned on or after
	// since (a LastMarketing on or after since), in one read. Fails only on
	// storage errors.
	Lookup(ctx context.Context, keys []Key, since Day) (found, recent []bool, err error)
}

// lookupEvery is how many clients the planner reads the ledger for at once.
const lookupEvery = 2048

// Reader is the part of loupe.DB the planner reads.
type Reader interface {
	GetStore(ctx context.Context, storeID string) (loupe.Store, error)
	ListStores(ctx context.Context) ([]loupe.Store, error)
	GetAssociate(ctx context.Context, associateID string) (loupe.Associate, error)
	// ListAssociates lists the chain's associates (storeID ""): a
	// touchpoint goes as a Today task only to a client with an active one.
	ListAssociates(ctx context.Context, storeID string) ([]loupe.Associate, error)
	GetCustomer(ctx context.Context, customerID string) (loupe.Customer, error)
	CustomersByMonthDay(ctx context.Context, field, monthDay string) ([]loupe.Customer, error)
	ScanCustomers(ctx context.Context, storeID string, fn func(loupe.Customer) error) error
}

// Planner plans and delivers touchpoints. Set DB, Ledger, UnsubscribeURL and
// Now; the other fields have working zero values.
type Planner struct {
	DB     Reader
	Ledger Ledger
	// History, when set, receives every mail sent as an entry of the
	// client's contact history (loupe.RecordContact).
	History   loupe.ContactWriter
	Campaigns Campaigns // nil: no campaigns
	Calendar  Calendar  // zero value: DefaultLeads
	// Lists is the chain's channel list per occasion (zero value: the
	// defaults of contact.Lists); a campaign carries its own.
	Lists contact.Lists
	// Channels sends touchpoints on the channels other than email
	// (contact.SMS, Mail, Personal). A channel without a sender here is not
	// used: the lists pass over it. Email goes to the mail.Sender Deliver
	// is given.
	Channels map[string]Channel
	// Places says where phones and postal addresses are, for the quiet
	// hours of texts (phone.Places); nil: the store's zone only.
	Places Places
	// Numbers, when set, is asked before every text whether the client's
	// number said no to texts (loupe.NumberOptOuts: a STOP or a blocked
	// status, read consistently by number), which stops the text with
	// SkipNumberOptedOut even when the client's own consent does not show
	// it yet. Nil: only the client's consent is checked.
	Numbers NumberOptOuts
	// NumberStopped, when set, is told of a client whose text was skipped
	// SkipNumberOptedOut, so their own sms consent shows the number's STOP
	// (textin.Service.NumberStopped) and later touchpoints go on another
	// channel. Nil: nothing.
	NumberStopped func(ctx context.Context, c loupe.Customer, at time.Time) error
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
	// Suppression, when set, is asked at send time whether the client's
	// address is on the suppression list (loupe.Privacy's Suppressed): a
	// bounce or complaint recorded under another client who shares the
	// address, or an address that changed hands, then stops the mail with
	// SkipSuppressed. Nil: only the client's own email_status is checked.
	Suppression Suppression
	// RecoverAfter: Recover resends claimed-unsent entries at least this old;
	// 0 means DefaultRecoverAfter, negative means every pending entry.
	RecoverAfter time.Duration
	// LeaseFor is the length of the send lease Deliver takes before each
	// send; 0 means DefaultLeaseFor. It must be longer than one send.
	LeaseFor time.Duration
	Now      loupe.Clock  // required
	Log      *slog.Logger // nil: slog.Default()
}

// Suppression is the suppression-list lookup Deliver asks before each send.
type Suppression interface {
	// Suppressed reports whether email is on the suppression list; it fails
	// only on storage errors.
	Suppressed(ctx context.Context, email string) (bool, error)
}

// NumberOptOuts is the part of loupe.NumberOptOuts the planner reads.
type NumberOptOuts interface {
	// NumberOptedOut reports whether phone's newest answer is an opt-out.
	NumberOptedOut(ctx context.Context, phone string) (bool, error)
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
// Skip* reasons, which are contact's reasons), or "" when the client may: the
// one contact policy, contact.Reach for email and marketing (an email,
// email_status ok, no opt-out, no email consent denied, and consent as the
// store's country requires: an address captured at a repair counter needs an
// email consent granted outside opt-out countries).
func (p *Planner) Reason(store loupe.Store, c loupe.Customer) string {
	return contact.Reach(contact.Client{Customer: c, Country: store.Country, EmailRule: p.consent(store.Country)},
		contact.Email, contact.Marketing)
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
	return Window{Occasion: c.Occasion(), Year: c.SendDate.Year, Date: c.EventDate, Start: c.SendDate, End: end,
		Channels: campaignChannels(c.Channels)}
}

// campaignChannels returns a campaign's channel list: email when it names
// none.
func campaignChannels(list []string) []string {
	if len(list) == 0 {
		return emailOnly
	}
	return list
}

var emailOnly = []string{contact.Email}

// storePlan is one store's day in a planning run.
type storePlan struct {
	store   loupe.Store
	day     Day
	windows []Window   // open deferrable windows, the one that closes first first
	soon    *soonTable // personal mails planned within the cap after day
}

// audienceItem is a client waiting for a batched ledger read.
type audienceItem struct {
	c  loupe.Customer
	sp *storePlan
}

// dayPlan holds the state of one planning run (one store, or every store).
type dayPlan struct {
	label    string          // "<store> <day>" for errors and logs
	mailed   map[string]bool // clients with a personal mail claimed in this run
	waiting  []audienceItem  // clients of open windows not decided yet
	queue    []Entry         // claims (and skips) not yet written
	keys     []Key           // decide's keys, reused
	won      func([]Entry) error
	planned  int // claims this run won
	deferred int // deferrable mails that wait for a later day of their window
	// active holds the chain's active associates when the personal channel
	// is open (a Today task needs someone whose list it goes on).
	active map[string]bool
}

func newDayPlan(won func([]Entry) error) *dayPlan {
	return &dayPlan{mailed: map[string]bool{}, won: won}
}

// grow makes room for a full batch of claims in dp.queue at once.
func (dp *dayPlan) grow() {
	if cap(dp.queue) < flushEvery {
		dp.queue = slices.Grow(dp.queue, flushEvery)
	}
}

// planStores plans every store's day (dayOf) in one run, without rendering
// any mail (Deliver renders and sends): each store's birthdays and
// anniversaries due that day (from the month-day indexes, filtered to the
// store's home clients), then, only on days a holiday or campaign window is
// open, the clients of every open window (ScanCustomers must call fn outside
// any read transaction: planning writes claims from it). Every planned mail
// is claimed in the ledger (state claimed, ClaimedAt set) before won gets it;
// ineligible and finally fatigue-capped touchpoints are recorded as skipped.
// Order within a store: birthday clients, anniversary clients (each by
// customer id), then deferrable mails by customer id. When most stores
// have a window open (a chain-wide holiday or blast) it reads the whole
// customer table once in customer order, which also writes the claims in key
// order, instead of one scan per store. A store that fails does not stop the
// others; the errors are joined.
func (p *Planner) planStores(ctx context.Context, stores []loupe.Store, dayOf func(loupe.Store) (Day, error), won func([]Entry) error) (Result, error) {
	dp := newDayPlan(won)
	var errs []error
	if p.open(contact.Personal) {
		as, err := p.DB.ListAssociates(ctx, "")
		if err != nil {
			return Result{}, fmt.Errorf("plan: associates: %w", err)
		}
		dp.active = map[string]bool{}
		for _, a := range as {
			dp.active[a.AssociateID] = a.Active()
		}
	}
	campaigns, err := p.listCampaigns(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("plan: %w", err)
	}
	open := map[string]*storePlan{}
	var order []*storePlan
	for _, s := range stores {
		day, err := dayOf(s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		sp, err := p.openStore(ctx, dp, s, day, campaigns)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if len(sp.windows) > 0 {
			open[s.StoreID] = sp
			order = append(order, sp)
		}
	}
	if len(open) > 1 && 2*len(open) >= len(stores) {
		dp.label = "chain"
		err := p.scan(ctx, dp, "", func(c loupe.Customer) *storePlan { return open[c.HomeStoreID] })
		if err != nil {
			errs = append(errs, fmt.Errorf("plan %d stores: %w", len(open), err))
		}
	} else {
		for _, sp := range order {
			if err := p.scanStore(ctx, dp, sp); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return Result{Planned: dp.planned, Deferred: dp.deferred}, errors.Join(errs...)
}

func (p *Planner) listCampaigns(ctx context.Context) ([]Campaign, error) {
	if p.Campaigns == nil {
		return nil, nil
	}
	return p.Campaigns.ListCampaigns(ctx)
}

// openStore plans store's personal occasions of day (claims written) and
// returns its open deferrable windows.
func (p *Planner) openStore(ctx context.Context, dp *dayPlan, store loupe.Store, day Day, campaigns []Campaign) (*storePlan, error) {
	sp := &storePlan{store: store, day: day, soon: p.soonDays(day)}
	dp.label = store.StoreID + " " + day.String()
	for _, occ := range []string{Birthday, Anniversary} {
		if err := p.planPersonal(ctx, dp, sp, occ); err != nil {
			return sp, err
		}
	}
	if err := p.flush(ctx, dp); err != nil {
		return sp, err
	}
	sp.windows = p.Calendar.Holidays(day, store.Country)
	for i := range campaigns {
		w := p.CampaignWindow(campaigns[i])
		if campaigns[i].HasStore(store.StoreID) && w.Contains(day) {
			sp.windows = append(sp.windows, w)
		}
	}
	// The window that closes first goes first.
	slices.SortStableFunc(sp.windows, func(a, b Window) int {
		if c := a.End.Sub(b.End); c != 0 {
			return c
		}
		if c := a.Date.Sub(b.Date); c != 0 {
			return c
		}
		return cmp.Compare(a.Occasion, b.Occasion)
	})
	return sp, nil
}

// scanStore plans the store's clients for its open windows.
func (p *Planner) scanStore(ctx context.Context, dp *dayPlan, sp *storePlan) error {
	dp.label = sp.store.StoreID + " " + sp.day.String()
	err := p.scan(ctx, dp, sp.store.StoreID, func(loupe.Customer) *storePlan { return sp })
	if err != nil {
		return fmt.Errorf("plan %s: %w", dp.label, err)
	}
	return nil
}

func (p *Planner) planPersonal(ctx context.Context, dp *dayPlan, sp *storePlan, occ string) error {
	w, keys := p.Calendar.PersonalDue(occ, sp.day)
	var due []loupe.Customer
	for _, md := range keys {
		cs, err := p.DB.CustomersByMonthDay(ctx, occ, md)
		if err != nil {
			return fmt.Errorf("plan %s %s: %s %s: %w", sp.store.StoreID, sp.day, occ, md, err)
		}
		for _, c := range cs {
			if c.HomeStoreID == sp.store.StoreID {
				due = append(due, c)
			}
		}
	}
	slices.SortFunc(due, func(a, b loupe.Customer) int { return cmp.Compare(a.CustomerID, b.CustomerID) })
	for _, c := range due {
		e := Entry{Key: Key{c.CustomerID, occ, w.Year}, StoreID: sp.store.StoreID, Planned: sp.day}
		ch, r := p.choose(dp, sp.store, c, w)
		if r != "" {
			p.skip(dp, e, r)
			continue
		}
		e.Channel = entryChannel(ch)
		p.claim(dp, e)
		dp.mailed[c.CustomerID] = true
	}
	return nil
}

// scan streams the clients of storeID (every client when "") whose store
// pick returns through batched decisions and writes their claims. Reading and
// decoding clients (ScanCustomers, in this goroutine) overlaps with deciding
// and claiming the batch before (in a second goroutine, the only one that
// touches dp meanwhile), so the two share a machine's two cores. Returns the
// first error of either.
func (p *Planner) scan(ctx context.Context, dp *dayPlan, storeID string, pick func(loupe.Customer) *storePlan) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Room for the scan to run on while a commit waits for the disk.
	chunks := make(chan []audienceItem, 16)
	free := make(chan []audienceItem, 18) // decided chunks, for reuse
	done := make(chan error, 1)
	go func() {
		var err error
		dp.grow()
		for chunk := range chunks {
			if err != nil {
				continue // drain
			}
			dp.waiting = chunk
			if err = p.decide(ctx, dp); err == nil && len(dp.queue) >= flushEvery {
				err = p.flush(ctx, dp)
			}
			select {
			case free <- chunk[:0]:
			default:
			}
			if err != nil {
				cancel() // stop the scan
			}
		}
		if err == nil {
			err = p.flush(ctx, dp)
		}
		done <- err
	}()
	batch := make([]audienceItem, 0, lookupEvery)
	serr := p.DB.ScanCustomers(ctx, storeID, func(c loupe.Customer) error {
		sp := pick(c)
		if sp == nil {
			return nil
		}
		batch = append(batch, audienceItem{c: c, sp: sp})
		if len(batch) < lookupEvery {
			return nil
		}
		select {
		case chunks <- batch:
		case <-ctx.Done():
			return ctx.Err()
		}
		select {
		case batch = <-free:
		default:
			batch = make([]audienceItem, 0, lookupEvery)
		}
		return nil
	})
	if serr == nil && len(batch) > 0 {
		chunks <- batch // the worker drains until chunks is closed
	}
	close(chunks)
	if err := <-done; err != nil {
		return err
	}
	return serr
}

// decide reads the ledger for the waiting clients (in one read when the
// ledger is a BatchLookup) and queues their claims, skips and deferrals.
func (p *Planner) decide(ctx context.Context, dp *dayPlan) error {
	if len(dp.waiting) == 0 {
		return nil
	}
	keys := dp.keys[:0]
	oneDay := true
	for _, it := range dp.waiting {
		oneDay = oneDay && it.sp.day == dp.waiting[0].sp.day
		for _, w := range it.sp.windows {
			keys = append(keys, Key{it.c.CustomerID, w.Occasion, w.Year})
		}
	}
	dp.keys = keys
	var found, recent []bool
	bl, batch := p.Ledger.(BatchLookup)
	switch {
	case batch && oneDay:
		var err error
		if found, recent, err = bl.Lookup(ctx, keys, dp.waiting[0].sp.day.AddDays(1-p.cap())); err != nil {
			return err
		}
	case batch:
		// One read per planned day (stores in other time zones may plan
		// another day): the cap looks back from each.
		found, recent = make([]bool, len(keys)), make([]bool, len(keys))
		byDay := map[Day][]int{}
		i := 0
		for _, it := range dp.waiting {
			for range it.sp.windows {
				byDay[it.sp.day] = append(byDay[it.sp.day], i)
				i++
			}
		}
		for d, idx := range byDay {
			sub := make([]Key, len(idx))
			for j, k := range idx {
				sub[j] = keys[k]
			}
			f, r, err := bl.Lookup(ctx, sub, d.AddDays(1-p.cap()))
			if err != nil {
				return err
			}
			for j, k := range idx {
				found[k], recent[k] = f[j], r[j]
			}
		}
	}
	seen := func(i int) (bool, error) {
		if batch {
			return found[i], nil
		}
		_, err := p.Ledger.Get(ctx, keys[i])
		if errors.Is(err, loupe.ErrNotFound) {
			return false, nil
		}
		return err == nil, err
	}
	// capped reports whether the client of keys[i] had a marketing mail
	// planned within the cap of day.
	capped := func(i int, day Day) (bool, error) {
		if batch {
			return recent[i], nil
		}
		last, ok, err := p.Ledger.LastMarketing(ctx, keys[i].CustomerID)
		return ok && day.Sub(last) < p.cap(), err
	}
	i := 0
	for _, it := range dp.waiting {
		base := i
		err := p.planDeferrable(dp, it, keys[i:i+len(it.sp.windows)],
			func(j int) (bool, error) { return seen(base + j) },
			func(j int) (bool, error) { return capped(base+j, it.sp.day) })
		if err != nil {
			return err
		}
		i += len(it.sp.windows)
	}
	dp.waiting = dp.waiting[:0]
	return nil
}

func (p *Planner) planDeferrable(dp *dayPlan, it audienceItem, keys []Key, seen, capped func(int) (bool, error)) error {
	c, sp := it.c, it.sp
	mailed := false
	for j, w := range sp.windows {
		e := Entry{Key: keys[j], StoreID: sp.store.StoreID, Planned: sp.day}
		ok, err := seen(j)
		if err != nil {
			return fmt.Errorf("plan %s: %w", e.Key, err)
		}
		if ok {
			continue // claimed, sent or skipped on an earlier day (or run)
		}
		ch, reason := p.choose(dp, sp.store, c, w)
		e.Channel = entryChannel(ch)
		lastChance := !sp.day.Before(w.End)
		if reason != "" {
			// Wait: an email or consent may still arrive inside the window.
			if lastChance {
				p.skip(dp, e, reason)
			}
			continue
		}
		// Each client is decided once a run: a mail claimed for an earlier
		// window of this loop or a personal mail today blocks the rest.
		blocked := mailed || dp.mailed[c.CustomerID] || p.personalCapped(sp, c)
		if !blocked {
			if blocked, err = capped(j); err != nil {
				return fmt.Errorf("plan %s: %w", e.Key, err)
			}
		}
		// Make room for a birthday or anniversary planned within the cap,
		// unless this is the window's last day (then the personal mail
		// overrides the cap, as documented).
		if !blocked && !lastChance && sp.personalSoon(c) {
			blocked = true
		}
		if blocked {
			if lastChance {
				p.skip(dp, e, SkipFatigue)
			} else {
				dp.deferred++
			}
			continue
		}
		p.claim(dp, e)
		mailed = true
	}
	return nil
}

// personalCapped reports whether c's newest personal contact (an associate's
// logged call, counted by the one contact policy like any marketing contact)
// falls within the cap before the store's day: the marketing mail then waits
// (contact.CapOpen), as after a mail.
func (p *Planner) personalCapped(sp *storePlan, c loupe.Customer) bool {
	if c.LastPersonalContactAt.IsZero() {
		return false
	}
	loc, err := sp.store.Location()
	if err != nil || loc == nil {
		loc = time.UTC
	}
	open := DayOf(contact.CapOpen(c.LastPersonalContactAt, p.cap()).In(loc))
	return sp.day.Before(open)
}

// soonTable marks, for Birthday (0) and Anniversary (1), the month-days
// whose mail is planned on one of the Cap-1 days after a store's day.
type soonTable [2][13][32]bool

// soonDays returns the soonTable of day: an occasion date D is soon when its
// mail (D minus the lead) falls 1..Cap-1 days after day; a February 29 date
// is celebrated on February 28 in years that are not leap years.
func (p *Planner) soonDays(day Day) *soonTable {
	var t soonTable
	for i, occ := range []string{Birthday, Anniversary} {
		lead := p.Calendar.lead(occ).Days
		for n := 1; n < p.cap(); n++ {
			d := day.AddDays(lead + n)
			t[i][d.Month][d.Day] = true
			if d.Month == time.February && d.Day == 28 && !IsLeap(d.Year) {
				t[i][time.February][29] = true
			}
		}
	}
	return &t
}

// personalSoon reports whether a personal mail of c is planned on one of the
// Cap-1 days after the store's day.
func (sp *storePlan) personalSoon(c loupe.Customer) bool {
	for i, d := range []loupe.Date{c.Birthday, c.Anniversary} {
		if !d.IsZero() && int(d.Month) < 13 && d.Day < 32 && d.Day >= 0 && sp.soon[i][d.Month][d.Day] {
			return true
		}
	}
	return false
}

// skip queues e to be recorded as skipped for reason (unless its key is
// already in the ledger).
func (p *Planner) skip(dp *dayPlan, e Entry, reason string) {
	e.State, e.Reason = StateSkipped, reason
	dp.queue = append(dp.queue, e)
}

// claim queues the claim of e.
func (p *Planner) claim(dp *dayPlan, e Entry) {
	e.State = StateClaimed
	dp.queue = append(dp.queue, e)
}

// flush claims the queued entries in one ClaimBatch and hands the claims this
// run won to dp.won.
func (p *Planner) flush(ctx context.Context, dp *dayPlan) error {
	if len(dp.queue) == 0 {
		return nil
	}
	now := p.Now().UTC()
	for i := range dp.queue {
		dp.queue[i].ClaimedAt = now
	}
	won, err := p.Ledger.ClaimBatch(ctx, dp.queue)
	if err != nil {
		return fmt.Errorf("plan %s: %w", dp.label, err)
	}
	skipped := 0
	claimed := make([]Entry, 0, len(dp.queue))
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
		p.log().Info("touchpoints skipped", "plan", dp.label, "skipped", skipped)
	}
	dp.planned += len(claimed)
	for len(claimed) > 0 && dp.won != nil {
		n := min(len(claimed), handEvery)
		if err := dp.won(claimed[:n:n]); err != nil {
			return err
		}
		claimed = claimed[n:]
	}
	return nil
}

// renderCache holds the associates and campaigns one Deliver (or Preview)
// call has read.
type renderCache struct {
	stores     map[string]loupe.Store
	associates map[string]*loupe.Associate
	campaigns  map[string]*Campaign
	waitUntil  time.Time // set with outcomeWaiting: when the entry may go
}

func newRenderCache() *renderCache {
	return &renderCache{stores: map[string]loupe.Store{}, associates: map[string]*loupe.Associate{}, campaigns: map[string]*Campaign{}}
}

// associate returns c's associate when active (nil: none, terminated or
// unknown; the message is signed by the store), read once per call.
func (p *Planner) associate(ctx context.Context, rc *renderCache, c loupe.Customer) (*loupe.Associate, error) {
	a, ok := rc.associates[c.AssociateID]
	if !ok && c.AssociateID != "" {
		got, err := p.DB.GetAssociate(ctx, c.AssociateID)
		switch {
		case err == nil && got.Active():
			a = &got
		case err == nil || errors.Is(err, loupe.ErrNotFound):
		default:
			return nil, err
		}
		rc.associates[c.AssociateID] = a
	}
	return a, nil
}

func (p *Planner) compose(ctx context.Context, rc *renderCache, store loupe.Store, e Entry, c loupe.Customer, date Day) (mail.Message, error) {
	a, err := p.associate(ctx, rc, c)
	if err != nil {
		return mail.Message{}, fmt.Errorf("compose %s: %w", e.Key, err)
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
