package touch

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/loupehq/loupe/shared/contact"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
)

// Result counts what a run did.
type Result struct {
	Planned   int // mails claimed by planning
	Deferred  int // deferrable mails that waited for a later day of their window (fatigue cap), counted at planning
	Sent      int // mails sent (planned and recovered)
	Recovered int // claimed-unsent entries of earlier runs sent now
	Skipped   int // claimed entries skipped at send time (unsubscribed or erased meanwhile, rejected, unrenderable)
	Duplicate int // entries Deliver left alone: already sent or skipped, unknown, or leased by another sender
	Waiting   int // texts outside the recipient's allowed hours: leased until the hours open, then sent by Recover
	// Unconfirmed counts messages the provider may have taken although the
	// call failed (ErrMaybeSent): marked sent without a provider id, never
	// sent again (a delivery event, if one comes, confirms it).
	Unconfirmed int
}

func (r *Result) add(o Result) {
	r.Planned += o.Planned
	r.Deferred += o.Deferred
	r.Sent += o.Sent
	r.Recovered += o.Recovered
	r.Skipped += o.Skipped
	r.Duplicate += o.Duplicate
	r.Waiting += o.Waiting
	r.Unconfirmed += o.Unconfirmed
}

func (p *Planner) leaseFor() time.Duration {
	if p.LeaseFor > 0 {
		return p.LeaseFor
	}
	return DefaultLeaseFor
}

// Deliver renders and sends claimed entries, each at most once however many
// senders deliver the same entries. For each entry, in order: an entry that
// is not claimed in the ledger (sent, skipped or unknown) is left alone and
// counted Duplicate; it takes the send lease (LeaseFor long) and leaves the
// entry alone (Duplicate) when another sender holds it. Then it reads the current client, store and associate (stores,
// associates and campaigns once per call), checks eligibility again with
// Reason (an unsubscribe takes effect before the next send; an erased client
// is skipped with SkipNoEmail), renders the mail, sends it with the entry's
// MailKey as the mail's Key and marks it sent. A mail the provider refuses
// for good (mail.ErrRejected) or that does not render (EINVALID) is marked
// skipped with SkipRejected and the rest go on. On any other error
// (mail.ErrTemporary, a cancelled context, a read or ledger error) it releases
// the lease when it can, stops and returns the error with the counts so far:
// that entry and the ones after it stay claimed for Recover or Requeue.
func (p *Planner) Deliver(ctx context.Context, entries []Entry, sender mail.Sender) (Result, error) {
	var res Result
	rc := newRenderCache()
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return res, fmt.Errorf("deliver %s: %w", e.Key, err)
		}
		ok, until, err := p.take(ctx, e.Key)
		if err != nil {
			return res, fmt.Errorf("deliver %s: %w", e.Key, err)
		}
		if !ok {
			res.Duplicate++
			continue
		}
		outcome, err := p.deliverOne(ctx, rc, e, sender)
		if errors.Is(err, ErrMaybeSent) {
			// Never the same touchpoint twice (CONTRACT section 4): the
			// provider may have sent it, so it is marked sent, unconfirmed,
			// rather than tried again.
			wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			at := p.Now()
			merr := p.Ledger.MarkSent(wctx, e.Key, "", at)
			if merr == nil {
				p.recordContact(wctx, e, at)
			}
			cancel()
			if merr != nil {
				return res, fmt.Errorf("deliver %s: mark sent (unconfirmed): %w", e.Key, merr)
			}
			p.log().Warn("touchpoint may have been sent: marked sent, unconfirmed, never sent again", "key", e.Key.String())
			res.Unconfirmed++
			continue
		}
		if outcome == outcomeWaiting {
			if err := p.wait(ctx, e.Key, until, rc.waitUntil); err != nil {
				return res, fmt.Errorf("deliver %s: %w", e.Key, err)
			}
			res.Waiting++
			continue
		}
		switch {
		case err != nil:
			if outcome != outcomeSent {
				rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
				if rerr := p.Ledger.Release(rctx, e.Key, until); rerr != nil {
					p.log().Warn("release touchpoint lease", "key", e.Key.String(), "err", rerr)
				}
				cancel()
			}
			return res, fmt.Errorf("deliver %s: %w", e.Key, err)
		case outcome == outcomeSent:
			res.Sent++
		default:
			res.Skipped++
		}
	}
	return res, nil
}

// take reports whether this call may send k: it is claimed and this call won
// its lease, which ends at the time returned. An unknown key is (false, nil).
func (p *Planner) take(ctx context.Context, k Key) (bool, time.Time, error) {
	now := p.Now()
	until := now.Add(p.leaseFor())
	ok, err := p.Ledger.Lease(ctx, k, now, until)
	if errors.Is(err, loupe.ErrNotFound) {
		return false, time.Time{}, nil
	}
	return ok, until, err
}

// wait moves the send lease of k that ends at until to next: the time a
// text may go. Until then no sender takes it (Lease, Recover), and the first
// Recover after it sends it. A sender that takes the entry in the moment
// between the two writes finds the same hours and waits too.
func (p *Planner) wait(ctx context.Context, k Key, until, next time.Time) error {
	if err := p.Ledger.Release(ctx, k, until); err != nil {
		return err
	}
	_, err := p.Ledger.Lease(ctx, k, p.Now(), next)
	return err
}

type outcome int

const (
	outcomeNone outcome = iota
	outcomeSent
	outcomeSkipped
	outcomeWaiting // outside the allowed hours: renderCache.waitUntil says until when
)

// deliverOne sends one claimed (and leased) entry, or marks it skipped.
func (p *Planner) deliverOne(ctx context.Context, rc *renderCache, e Entry, sender mail.Sender) (outcome, error) {
	skip := func(reason string) (outcome, error) {
		if err := p.Ledger.MarkSkipped(ctx, e.Key, reason, p.Now()); err != nil {
			return outcomeNone, err
		}
		return outcomeSkipped, nil
	}
	c, err := p.DB.GetCustomer(ctx, e.CustomerID)
	if errors.Is(err, loupe.ErrNotFound) {
		return skip(SkipNoEmail) // erased
	}
	if err != nil {
		return outcomeNone, err
	}
	store, ok := rc.stores[e.StoreID]
	if !ok {
		store, err = p.DB.GetStore(ctx, e.StoreID)
		if errors.Is(err, loupe.ErrNotFound) {
			// A store that is gone never comes back for this entry: skip it
			// rather than fail the batch (and its retries) forever.
			p.log().Warn("touchpoint skipped: store unknown", "key", e.Key.String(), "store_id", e.StoreID)
			return skip(SkipRejected)
		}
		if err != nil {
			return outcomeNone, err
		}
		rc.stores[e.StoreID] = store
	}
	channel := e.On()
	if strings.TrimSpace(store.PostalAddress) == "" {
		return skip(contact.ReasonStoreNoAddress)
	}
	// The channel chosen at the claim: a client who withdrew consent on it
	// meanwhile is skipped, not moved to another channel (someone who just
	// replied STOP is not emailed instead).
	if r := contact.Reach(p.client(store, c), channel, contact.Marketing); r != "" {
		return skip(r)
	}
	if channel != contact.Email {
		return p.deliverOn(ctx, rc, e, channel, store, c, skip)
	}
	if p.Suppression != nil {
		suppressed, err := p.Suppression.Suppressed(ctx, c.Email)
		if err != nil {
			return outcomeNone, fmt.Errorf("suppression list: %w", err)
		}
		if suppressed {
			return skip(SkipSuppressed)
		}
	}
	date, err := p.occasionDate(ctx, rc, e.Occasion, e.Year, store, c)
	if err == nil {
		var msg mail.Message
		if msg, err = p.compose(ctx, rc, store, e, c, date); err == nil {
			err = p.alsoCall(ctx, rc, e, store, c, date)
		}
		if err == nil {
			var id string
			if id, err = sender.Send(ctx, msg); err == nil {
				at := p.Now()
				if err := p.Ledger.MarkSent(ctx, e.Key, id, at); err != nil {
					return outcomeSent, fmt.Errorf("mark sent: %w", err)
				}
				p.recordContact(ctx, e, at)
				return outcomeSent, nil
			}
		}
	}
	if errors.Is(err, mail.ErrRejected) || loupe.ErrorCode(err) == loupe.EINVALID {
		// The error text may quote the client's address (SES and the
		// renderer do): log its kind only.
		p.log().Warn("touchpoint rejected", "key", e.Key.String(),
			"by_provider", errors.Is(err, mail.ErrRejected), "code", loupe.ErrorCode(err))
		return skip(SkipRejected)
	}
	return outcomeNone, err
}

// deliverOn sends e on a channel other than email, or waits for the
// allowed hours of a text, or skips it (no sender, rejected).
func (p *Planner) deliverOn(ctx context.Context, rc *renderCache, e Entry, channel string, store loupe.Store, c loupe.Customer,
	skip func(string) (outcome, error)) (outcome, error) {
	snd := p.Channels[channel]
	if snd == nil {
		p.log().Warn("touchpoint skipped: no sender for its channel", "key", e.Key.String(), "channel", channel)
		return skip(SkipNoSender)
	}
	now := p.Now()
	var until time.Time
	if contact.Timed(channel) {
		h, zones := p.hoursOf(store, c)
		next, ok := contact.NextQuiet(now, h, zones...)
		if !ok {
			p.log().Warn("touchpoint skipped: no allowed hour in the recipient's zones", "key", e.Key.String(), "channel", channel)
			return skip(contact.ReasonNoHours)
		}
		if next.After(now) {
			rc.waitUntil = next
			return outcomeWaiting, nil
		}
		until = contact.QuietEnd(now, h, zones...)
	}
	if channel == contact.SMS && p.Numbers != nil {
		// Read here, once the text would go now: a text that only waits
		// for its hours pays no read.
		out, err := p.Numbers.NumberOptedOut(ctx, c.Phone)
		if err != nil {
			return outcomeNone, fmt.Errorf("number opt-out: %w", err)
		}
		if out {
			if p.NumberStopped != nil {
				// Bring the client's own consent in line, so the next
				// touchpoints are planned on another channel.
				if err := p.NumberStopped(ctx, c, now); err != nil {
					return outcomeNone, fmt.Errorf("number opt-out of %s: %w", c.CustomerID, err)
				}
			}
			return skip(SkipNumberOptedOut)
		}
	}
	date, err := p.occasionDate(ctx, rc, e.Occasion, e.Year, store, c)
	if err == nil {
		t := Touch{Entry: e, Customer: c, Store: store, Date: date, Until: until}
		if t.Associate, err = p.associate(ctx, rc, c); err == nil {
			t.Campaign = rc.campaigns[e.Occasion]
			if channel != contact.Personal {
				err = p.alsoCall(ctx, rc, e, store, c, date)
			}
		}
		if err == nil {
			var id string
			if id, err = snd.Send(ctx, t); err == nil {
				at := p.Now()
				if err := p.Ledger.MarkSent(ctx, e.Key, id, at); err != nil {
					return outcomeSent, fmt.Errorf("mark sent: %w", err)
				}
				if channel != contact.Personal {
					// A Today task becomes a contact when its outcome is logged.
					p.recordContact(ctx, e, at)
				}
				return outcomeSent, nil
			}
		}
	}
	if errors.Is(err, ErrNotNow) {
		// The hours ended while the sender paced or backed off: nothing
		// went; hold it until they come again.
		h, zones := p.hoursOf(store, c)
		if next, ok := contact.NextQuiet(latest(p.Now(), until), h, zones...); ok {
			rc.waitUntil = next
			return outcomeWaiting, nil
		}
		return skip(contact.ReasonNoHours)
	}
	if errors.Is(err, mail.ErrRejected) || loupe.ErrorCode(err) == loupe.EINVALID {
		p.log().Warn("touchpoint rejected", "key", e.Key.String(), "channel", channel,
			"by_provider", errors.Is(err, mail.ErrRejected), "code", loupe.ErrorCode(err))
		return skip(SkipRejected)
	}
	return outcomeNone, err
}

// alsoCall puts the invitation e of a campaign with CallList on the
// associate's Today list too (the personal channel's sender, keyed by the
// entry), before its message goes: the message and the call are one
// touchpoint, one contact (CONTRACT section 4). Nothing for another
// occasion, without a personal sender, or for a client who may not be
// called (contact.Reach); an error leaves the message unsent for a retry.
func (p *Planner) alsoCall(ctx context.Context, rc *renderCache, e Entry, store loupe.Store, c loupe.Customer, date Day) error {
	camp := rc.campaigns[e.Occasion]
	snd := p.Channels[contact.Personal]
	if camp == nil || !camp.CallList || snd == nil || contact.Reach(p.client(store, c), contact.Personal, contact.Marketing) != "" {
		return nil
	}
	t := Touch{Entry: e, Customer: c, Store: store, Date: date, Campaign: camp}
	var err error
	if t.Associate, err = p.associate(ctx, rc, c); err != nil {
		return err
	}
	if t.Associate == nil {
		return nil // nobody's list to put it on
	}
	t.Entry.Channel = contact.Personal
	_, err = snd.Send(ctx, t)
	return err
}

// recordContact writes the mail of e, sent at at, to the client's contact
// history. The mail is sent and marked: a failure here is a gap in the
// history, logged with the ids, never a reason to send again.
func (p *Planner) recordContact(ctx context.Context, e Entry, at time.Time) {
	if p.History == nil {
		return
	}
	err := loupe.RecordContact(ctx, p.History, loupe.Contact{
		CustomerID: e.CustomerID, At: at, Channel: e.On(), Touchpoint: e.Occasion,
		By: loupe.ContactByLoupe, Status: StateSent, Ref: "touchpoint:" + e.Key.String(),
	})
	if err != nil {
		p.log().Warn("contact history: mail sent but not recorded", "key", e.Key.String(), "customer_id", e.CustomerID, "err", err)
	}
}

// Recover delivers ledger entries claimed but neither sent nor skipped whose
// claim is at least RecoverAfter old and whose lease (if any) has run out: a
// crash between claim and send, or a send that failed. Each goes through
// Deliver with the same Key (rebuilt from the current records, so a client
// who became ineligible meanwhile is skipped), so it is never sent twice.
// Returns what Deliver did, with Recovered = Sent, and the first error.
func (p *Planner) Recover(ctx context.Context, sender mail.Sender) (Result, error) {
	due, err := p.due(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("recover: %w", err)
	}
	res, err := p.Deliver(ctx, due, sender)
	res.Recovered = res.Sent
	if res.Sent > 0 {
		p.log().Info("touchpoints recovered", "sent", res.Sent)
	}
	if err != nil {
		return res, fmt.Errorf("recover: %w", err)
	}
	return res, nil
}

// due returns the pending entries without a live lease that are at least
// RecoverAfter old, or whose lease ran out: a sender took them from the
// queue already, so none is in flight (a text that waited for its hours, a
// sender that died mid-send). A send that failed released its lease and
// waits the RecoverAfter (SQS redelivers it meanwhile).
func (p *Planner) due(ctx context.Context) ([]Entry, error) {
	pending, err := p.Ledger.Pending(ctx)
	if err != nil {
		return nil, err
	}
	after := p.RecoverAfter
	if after == 0 {
		after = DefaultRecoverAfter
	}
	now := p.Now()
	cutoff := now.Add(-after)
	out := pending[:0]
	for _, e := range pending {
		if after > 0 && e.ClaimedAt.After(cutoff) && e.LeaseUntil.IsZero() {
			continue // may still be queued for, or in flight in, another sender
		}
		if e.LeaseUntil.After(now) {
			continue // a sender holds it
		}
		out = append(out, e)
	}
	return out, nil
}

// Queue carries claimed entries from planning to the senders (in AWS an SQS
// queue, one message an entry with the Entry JSON as its body).
type Queue interface {
	// Enqueue sends entries to the senders. An error means some may not have
	// been enqueued; they stay claimed and Requeue enqueues them later.
	Enqueue(ctx context.Context, entries []Entry) error
}

// PlanStores is the planning half of the scheduled job in AWS: it plans the
// stores due says are due, each on the store-local day due returns (the
// hourly schedule plans only the stores whose local hour has come,
// functions/touchpoints; a manual run every store on one day), and hands the
// claimed entries to q as each batch of claims is written (Enqueue gets at
// most 5,000 entries a call, of any stores). Stores share one month-day
// cache, so a birthday index key is read once per run. A store whose
// planning fails, or whose due fails (a time zone that does not load; that
// store is skipped), does not stop the others, and planning goes on when
// Enqueue fails: the errors are joined, and what was claimed but not
// enqueued stays claimed for a later Requeue. Returns Planned and Deferred,
// and the joined errors.
func (p *Planner) PlanStores(ctx context.Context, q Queue, due func(loupe.Store) (Day, bool, error)) (Result, error) {
	all, err := p.DB.ListStores(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("plan stores: %w", err)
	}
	var (
		stores  []loupe.Store
		dueErrs []error
	)
	days := map[string]Day{}
	for _, s := range all {
		d, ok, err := due(s)
		if err != nil {
			dueErrs = append(dueErrs, err)
		}
		if ok {
			stores = append(stores, s)
			days[s.StoreID] = d
		}
	}
	if len(stores) == 0 {
		if err := errors.Join(dueErrs...); err != nil {
			return Result{}, fmt.Errorf("plan stores: %w", err)
		}
		return Result{}, nil
	}
	run := *p
	run.DB = &monthDayCache{Reader: p.DB, m: map[string][]loupe.Customer{}}
	var qerr error
	res, err := run.planStores(ctx, stores, func(s loupe.Store) (Day, error) { return days[s.StoreID], nil }, func(es []Entry) error {
		if err := q.Enqueue(ctx, es); err != nil && qerr == nil {
			qerr = fmt.Errorf("enqueue %d touchpoints: %w", len(es), err)
		}
		return nil
	})
	if err := errors.Join(append(dueErrs, err, qerr)...); err != nil {
		return res, fmt.Errorf("plan stores: %w", err)
	}
	return res, nil
}

// Requeue is the crash recovery of the planning half in AWS: it enqueues
// again the pending entries whose claim is at least RecoverAfter old and
// whose lease (if any) has run out (claimed but never enqueued, or a message
// lost or dropped). An entry enqueued twice is still sent once (Deliver).
// Returns how many it enqueued and the first error.
func (p *Planner) Requeue(ctx context.Context, q Queue) (int, error) {
	due, err := p.due(ctx)
	if err != nil {
		return 0, fmt.Errorf("requeue: %w", err)
	}
	n := 0
	for len(due) > 0 {
		batch := due[:min(len(due), handEvery)]
		if err := q.Enqueue(ctx, batch); err != nil {
			return n, fmt.Errorf("requeue %d touchpoints: %w", len(batch), err)
		}
		n += len(batch)
		due = due[len(batch):]
	}
	if n > 0 {
		p.log().Info("touchpoints requeued", "entries", n)
	}
	return n, nil
}

// occasionDate returns the date of occasion in year for client c of store.
func (p *Planner) occasionDate(ctx context.Context, rc *renderCache, occasion string, year int, store loupe.Store, c loupe.Customer) (Day, error) {
	switch occasion {
	case Birthday, Anniversary:
		d := c.Birthday
		if occasion == Anniversary {
			d = c.Anniversary
		}
		if d.IsZero() {
			return Day{}, loupe.Invalidf("occasion", "client has no %s", occasion)
		}
		return Celebrated(year, d.Month, d.Day), nil
	}
	if d, ok := HolidayDate(occasion, store.Country, year); ok {
		return d, nil
	}
	if strings.HasPrefix(occasion, EventPrefix) && p.Campaigns != nil {
		if cp := rc.campaigns[occasion]; cp != nil {
			return cp.EventDate, nil
		}
		cp, err := p.Campaigns.GetCampaign(ctx, strings.TrimPrefix(occasion, EventPrefix))
		if err != nil {
			return Day{}, err
		}
		rc.campaigns[occasion] = &cp
		return cp.EventDate, nil
	}
	return Day{}, loupe.Invalidf("occasion", "unknown occasion %q", occasion)
}

// RunDay runs the daily job for store-local day on every store in process,
// as `loupe tick --date` does: Recover, then plan every store as PlanStores
// does and Deliver. A store whose planning or delivery fails does not stop the others;
// the errors are joined. Running a day twice sends nothing twice.
func (p *Planner) RunDay(ctx context.Context, day Day, sender mail.Sender) (Result, error) {
	return p.run(ctx, sender, func(loupe.Store) (Day, error) { return day, nil })
}

// RunToday is the scheduled job in process (loupe serve): Recover, then each
// store's own local day of Now (stores in zones where the day differs get
// their own day), planning as PlanStores does and Deliver. Errors as RunDay; a store with an
// unknown time zone is reported and skipped.
func (p *Planner) RunToday(ctx context.Context, sender mail.Sender) (Result, error) {
	return p.run(ctx, sender, func(s loupe.Store) (Day, error) { return StoreDay(s, p.Now()) })
}

func (p *Planner) run(ctx context.Context, sender mail.Sender, dayOf func(loupe.Store) (Day, error)) (Result, error) {
	res, rerr := p.Recover(ctx, sender)
	stores, err := p.DB.ListStores(ctx)
	if err != nil {
		return res, errors.Join(rerr, fmt.Errorf("run: %w", err))
	}
	// Every store plans the same day: read each month-day index key once.
	run := *p
	run.DB = &monthDayCache{Reader: p.DB, m: map[string][]loupe.Customer{}}
	// Deliver each batch of claims as soon as it is written. After a failed
	// delivery keep planning (and claiming) without sending: what stays
	// claimed is sent by the next Recover.
	var sent Result
	var derr error
	planned, perr := run.planStores(ctx, stores, dayOf, func(es []Entry) error {
		if derr != nil {
			return nil
		}
		r, err := p.Deliver(ctx, es, sender)
		sent.add(r)
		derr = err
		return nil
	})
	res.add(planned)
	res.add(sent)
	return res, errors.Join(rerr, perr, derr)
}

// monthDayCache remembers CustomersByMonthDay answers for one run, so stores
// planning the same day read each index key once, not once per store.
type monthDayCache struct {
	Reader
	m map[string][]loupe.Customer
}

func (c *monthDayCache) CustomersByMonthDay(ctx context.Context, field, md string) ([]loupe.Customer, error) {
	k := field + "/" + md
	if cs, ok := c.m[k]; ok {
		return cs, nil
	}
	cs, err := c.Reader.CustomersByMonthDay(ctx, field, md)
	if err != nil {
		return nil, err
	}
	c.m[k] = cs
	return cs, nil
}

// StoreDay returns the store-local day of t. Returns an EINVALID *loupe.Error
// for an unknown time zone.
func StoreDay(s loupe.Store, t time.Time) (Day, error) {
	loc, err := s.Location()
	if err != nil {
		return Day{}, fmt.Errorf("store %s: %w", s.StoreID, err)
	}
	return DayOf(t.In(loc)), nil
}

// Preview returns the mail client customerID would get for occasion
// (Birthday, ..., or "event:<campaign_id>") at its next date on or after the
// store-local today, without claiming or sending anything. Returns an error
// wrapping loupe.ErrNotFound for an unknown client, store or campaign, and an
// EINVALID *loupe.Error for an unknown occasion or a client without that date.
func (p *Planner) Preview(ctx context.Context, customerID, occasion string) (mail.Message, error) {
	c, err := p.DB.GetCustomer(ctx, customerID)
	if err != nil {
		return mail.Message{}, fmt.Errorf("preview %s: %w", customerID, err)
	}
	store, err := p.DB.GetStore(ctx, c.HomeStoreID)
	if err != nil {
		return mail.Message{}, fmt.Errorf("preview %s: %w", customerID, err)
	}
	today, err := StoreDay(store, p.Now())
	if err != nil {
		return mail.Message{}, fmt.Errorf("preview %s: %w", customerID, err)
	}
	date, err := p.occasionDate(ctx, newRenderCache(), occasion, today.Year, store, c)
	if err != nil {
		return mail.Message{}, fmt.Errorf("preview %s: %w", customerID, err)
	}
	year := today.Year
	var planned Day
	switch {
	case strings.HasPrefix(occasion, EventPrefix):
		cp, err := p.Campaigns.GetCampaign(ctx, strings.TrimPrefix(occasion, EventPrefix))
		if err != nil {
			return mail.Message{}, fmt.Errorf("preview %s: %w", customerID, err)
		}
		if !cp.HasStore(store.StoreID) {
			// Another store's campaign is not the client's to preview.
			return mail.Message{}, fmt.Errorf("preview %s: campaign %s is not for store %s: %w", customerID, cp.CampaignID, store.StoreID, loupe.ErrNotFound)
		}
		year, planned = cp.SendDate.Year, cp.SendDate
	default:
		if date.Before(today) {
			year++
			if date, err = p.occasionDate(ctx, newRenderCache(), occasion, year, store, c); err != nil {
				return mail.Message{}, fmt.Errorf("preview %s: %w", customerID, err)
			}
		}
		planned = date.AddDays(-p.Calendar.lead(occasion).Days)
	}
	e := Entry{Key: Key{customerID, occasion, year}, StoreID: store.StoreID, Planned: planned}
	return p.compose(ctx, newRenderCache(), store, e, c, date)
}

// StoreCoverage is one store's entry in GET /coverage.
type StoreCoverage struct {
	StoreID string `json:"store_id"`
	Name    string `json:"name"`
	// Emailable clients now, and how many of them were sent at least 5 mails
	// planned in the last 365 days (today included).
	Emailable         int `json:"emailable"`
	TouchedFiveOrMore int `json:"touched_5_plus"`
	// Sent and Skipped (by reason) over the last 30 days, by planned day.
	Sent    int            `json:"sent_30d"`
	Skipped map[string]int `json:"skipped_30d"`
	// ByChannel: for every channel (email, sms, mail, personal), the
	// clients the contact policy lets Loupe reach on it for marketing now,
	// and the touchpoints sent on it over the last 30 days (a personal one
	// is a Today task handed to the associate).
	ByChannel map[string]ChannelCoverage `json:"by_channel"`
	// Unreachable counts the clients no message channel (email, sms, mail)
	// may carry marketing to: only the associate's own contact is left.
	Unreachable int `json:"unreachable"`
}

// ChannelCoverage is one channel's entry in StoreCoverage.ByChannel.
type ChannelCoverage struct {
	Reachable int `json:"reachable"`
	Sent      int `json:"sent_30d"`
}

// coverageChannels are the channels GET /coverage counts; the first three
// carry messages.
var coverageChannels = []string{contact.Email, contact.SMS, contact.Mail, contact.Personal}

// Coverage returns touchpoint coverage of one store (storeID) or of every
// store (""), each measured to its own local today. It scans each store's
// clients once (to count the emailable ones) and reads the ledger's per-day
// counters and per-store sent index. Returns an error wrapping
// loupe.ErrNotFound for an unknown store, or the first read error.
func (p *Planner) Coverage(ctx context.Context, storeID string) ([]StoreCoverage, error) {
	var stores []loupe.Store
	if storeID != "" {
		s, err := p.DB.GetStore(ctx, storeID)
		if err != nil {
			return nil, fmt.Errorf("coverage: %w", err)
		}
		stores = []loupe.Store{s}
	} else {
		var err error
		if stores, err = p.DB.ListStores(ctx); err != nil {
			return nil, fmt.Errorf("coverage: %w", err)
		}
	}
	out := make([]StoreCoverage, 0, len(stores))
	for _, s := range stores {
		today, err := StoreDay(s, p.Now())
		if err != nil {
			return nil, fmt.Errorf("coverage: %w", err)
		}
		touches, err := p.Ledger.Touches(ctx, s.StoreID, today.AddDays(-364), today)
		if err != nil {
			return nil, fmt.Errorf("coverage %s: %w", s.StoreID, err)
		}
		sc := StoreCoverage{StoreID: s.StoreID, Name: s.Name, Skipped: map[string]int{}, ByChannel: map[string]ChannelCoverage{}}
		var reach [4]int
		err = p.DB.ScanCustomers(ctx, s.StoreID, func(c loupe.Customer) error {
			cl := p.client(s, c)
			message := false
			for i, ch := range coverageChannels {
				if contact.Reach(cl, ch, contact.Marketing) == "" {
					reach[i]++
					message = message || ch != contact.Personal
				}
			}
			if !message {
				sc.Unreachable++
			}
			if p.Reason(s, c) == "" {
				sc.Emailable++
				if touches[c.CustomerID] >= 5 {
					sc.TouchedFiveOrMore++
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("coverage %s: %w", s.StoreID, err)
		}
		counts, err := p.Ledger.Counts(ctx, s.StoreID, today.AddDays(-29), today)
		if err != nil {
			return nil, fmt.Errorf("coverage %s: %w", s.StoreID, err)
		}
		var sent [4]int
		for _, dc := range counts {
			sc.Sent += dc.Sent
			for r, n := range dc.Skipped {
				sc.Skipped[r] += n
			}
			for i, ch := range coverageChannels {
				sent[i] += dc.SentOn(ch)
			}
		}
		for i, ch := range coverageChannels {
			sc.ByChannel[ch] = ChannelCoverage{Reachable: reach[i], Sent: sent[i]}
		}
		out = append(out, sc)
	}
	return out, nil
}

// latest returns the later of a and b.
func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
