package touch

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
)

// Deliver sends each planned mail through sender and marks it sent in ledger
// (at now()). A mail the provider refuses for good (mail.ErrRejected) or that
// does not render (EINVALID) is marked skipped with SkipRejected and the rest
// go on. On any other send error (mail.ErrTemporary, a cancelled context) it
// stops and returns the error: that send and the ones after it stay claimed
// and Recover sends them later with the same Key. Returns how many were sent.
func Deliver(ctx context.Context, sends []Send, sender mail.Sender, ledger Ledger, now loupe.Clock) (int, error) {
	n := 0
	for _, s := range sends {
		k := s.Entry.Key
		id, err := sender.Send(ctx, s.Message)
		if err != nil {
			if errors.Is(err, mail.ErrRejected) || loupe.ErrorCode(err) == loupe.EINVALID {
				if err := ledger.MarkSkipped(ctx, k, SkipRejected, now()); err != nil {
					return n, fmt.Errorf("deliver %s: %w", k, err)
				}
				continue
			}
			return n, fmt.Errorf("deliver %s: %w", k, err)
		}
		if err := ledger.MarkSent(ctx, k, id, now()); err != nil {
			return n, fmt.Errorf("deliver %s: mark sent: %w", k, err)
		}
		n++
	}
	return n, nil
}

// Result counts what a run did.
type Result struct {
	Planned   int // mails claimed by planning
	Sent      int // mails sent (planned and recovered)
	Recovered int // claimed-unsent entries sent again
}

// Recover resends ledger entries claimed but neither sent nor skipped whose
// claim is at least RecoverAfter old (a crash between claim and send). Each is
// rebuilt from the current records with the same Key, so the outbox (which
// dedupes by Key) never delivers it twice; a client who became ineligible
// meanwhile (unsubscribed, bounced, erased) is skipped instead. Returns the
// count sent and the first error.
func (p *Planner) Recover(ctx context.Context, sender mail.Sender) (int, error) {
	pending, err := p.Ledger.Pending(ctx)
	if err != nil {
		return 0, fmt.Errorf("recover: %w", err)
	}
	after := p.RecoverAfter
	if after == 0 {
		after = DefaultRecoverAfter
	}
	cutoff := p.Now().Add(-after)
	var sends []Send
	stores := map[string]loupe.Store{}
	for _, e := range pending {
		if after > 0 && e.ClaimedAt.After(cutoff) {
			continue // may still be in flight in another sender
		}
		s, reason, err := p.rebuild(ctx, e, stores)
		if err != nil {
			return 0, fmt.Errorf("recover %s: %w", e.Key, err)
		}
		if reason != "" {
			if err := p.Ledger.MarkSkipped(ctx, e.Key, reason, p.Now()); err != nil {
				return 0, fmt.Errorf("recover %s: %w", e.Key, err)
			}
			continue
		}
		sends = append(sends, s)
	}
	n, err := Deliver(ctx, sends, sender, p.Ledger, p.Now)
	if n > 0 {
		p.log().Info("touchpoints recovered", "sent", n)
	}
	return n, err
}

// rebuild composes the mail of a ledger entry from current records; reason is
// the skip reason when the client may no longer be mailed.
func (p *Planner) rebuild(ctx context.Context, e Entry, stores map[string]loupe.Store) (Send, string, error) {
	c, err := p.DB.GetCustomer(ctx, e.CustomerID)
	if errors.Is(err, loupe.ErrNotFound) {
		return Send{}, SkipNoEmail, nil // erased
	}
	if err != nil {
		return Send{}, "", err
	}
	store, ok := stores[e.StoreID]
	if !ok {
		if store, err = p.DB.GetStore(ctx, e.StoreID); err != nil {
			return Send{}, "", err
		}
		stores[e.StoreID] = store
	}
	if r := p.Reason(store, c); r != "" {
		return Send{}, r, nil
	}
	dp := &dayPlan{store: store, day: e.Planned, associates: map[string]*loupe.Associate{}, campaigns: map[string]*Campaign{}}
	date, err := p.occasionDate(ctx, e.Occasion, e.Year, store, c)
	if err != nil {
		return Send{}, "", err
	}
	msg, err := p.compose(ctx, dp, e, c, date)
	if err != nil {
		return Send{}, "", err
	}
	return Send{Entry: e, Message: msg}, "", nil
}

// occasionDate returns the date of occasion in year for client c of store.
func (p *Planner) occasionDate(ctx context.Context, occasion string, year int, store loupe.Store, c loupe.Customer) (Day, error) {
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
		cp, err := p.Campaigns.GetCampaign(ctx, strings.TrimPrefix(occasion, EventPrefix))
		if err != nil {
			return Day{}, err
		}
		return cp.EventDate, nil
	}
	return Day{}, loupe.Invalidf("occasion", "unknown occasion %q", occasion)
}

// RunDay runs the daily job for store-local day on every store, as
// `loupe tick --date` does: Recover, then for each store PlanDay and Deliver.
// A store whose planning or delivery fails does not stop the others; the
// errors are joined. Running a day twice sends nothing twice.
func (p *Planner) RunDay(ctx context.Context, day Day, sender mail.Sender) (Result, error) {
	var res Result
	var errs []error
	n, err := p.Recover(ctx, sender)
	res.Sent, res.Recovered = n, n
	if err != nil {
		errs = append(errs, err)
	}
	stores, err := p.DB.ListStores(ctx)
	if err != nil {
		return res, fmt.Errorf("run %s: %w", day, err)
	}
	// Every store plans the same day: read each month-day index key once.
	run := *p
	run.DB = &monthDayCache{Reader: p.DB, m: map[string][]loupe.Customer{}}
	for _, s := range stores {
		r, err := run.runStore(ctx, s, day, sender)
		res.Planned += r.Planned
		res.Sent += r.Sent
		if err != nil {
			errs = append(errs, err)
		}
	}
	return res, errors.Join(errs...)
}

// RunToday is the scheduled job: Recover, then each store's own local day of
// Now (stores in zones where the day differs get their own day). Errors as
// RunDay; a store with an unknown time zone is reported and skipped.
func (p *Planner) RunToday(ctx context.Context, sender mail.Sender) (Result, error) {
	var res Result
	var errs []error
	n, err := p.Recover(ctx, sender)
	res.Sent, res.Recovered = n, n
	if err != nil {
		errs = append(errs, err)
	}
	stores, err := p.DB.ListStores(ctx)
	if err != nil {
		return res, fmt.Errorf("run today: %w", err)
	}
	run := *p
	run.DB = &monthDayCache{Reader: p.DB, m: map[string][]loupe.Customer{}}
	for _, s := range stores {
		day, err := StoreDay(s, p.Now())
		if err != nil {
			errs = append(errs, err)
			continue
		}
		r, err := run.runStore(ctx, s, day, sender)
		res.Planned += r.Planned
		res.Sent += r.Sent
		if err != nil {
			errs = append(errs, err)
		}
	}
	return res, errors.Join(errs...)
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

func (p *Planner) runStore(ctx context.Context, s loupe.Store, day Day, sender mail.Sender) (Result, error) {
	sends, err := p.PlanDay(ctx, s, day)
	res := Result{Planned: len(sends)}
	n, derr := Deliver(ctx, sends, sender, p.Ledger, p.Now)
	res.Sent = n
	if err := errors.Join(err, derr); err != nil {
		return res, fmt.Errorf("run store %s %s: %w", s.StoreID, day, err)
	}
	return res, nil
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
	date, err := p.occasionDate(ctx, occasion, today.Year, store, c)
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
		year, planned = cp.SendDate.Year, cp.SendDate
	default:
		if date.Before(today) {
			year++
			if date, err = p.occasionDate(ctx, occasion, year, store, c); err != nil {
				return mail.Message{}, fmt.Errorf("preview %s: %w", customerID, err)
			}
		}
		planned = date.AddDays(-p.Calendar.lead(occasion).Days)
	}
	dp := &dayPlan{store: store, day: planned, associates: map[string]*loupe.Associate{}, campaigns: map[string]*Campaign{}}
	e := Entry{Key: Key{customerID, occasion, year}, StoreID: store.StoreID, Planned: planned}
	return p.compose(ctx, dp, e, c, date)
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
}

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
		sc := StoreCoverage{StoreID: s.StoreID, Name: s.Name, Skipped: map[string]int{}}
		err = p.DB.ScanCustomers(ctx, s.StoreID, func(c loupe.Customer) error {
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
		for _, dc := range counts {
			sc.Sent += dc.Sent
			for r, n := range dc.Skipped {
				sc.Skipped[r] += n
			}
		}
		out = append(out, sc)
	}
	return out, nil
}
