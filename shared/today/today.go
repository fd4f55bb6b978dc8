// Package today is the associate's daily outreach list (issue 17, CONTRACT
// section 3, GET /me/today and POST /tasks/{task_id}/outcome): which
// clients an associate should call today, in what order and why, fixed for
// the store-local day once made; the outcomes they log, written to the
// client's contact history; the tasks other parts of Loupe put on a list
// ahead of time (an event invitation, a thank-you after a purchase); and a
// manager's view of the team's week. It is a domain package: the lists are
// kept through Store, the book is read through Book (indexes kept with the
// customer records), the rules of contact through package contact.
// docs/today.md has the scoring.
package today

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/loupehq/loupe/shared/contact"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/touch"
)

// DefaultPerDay is the longest list (LOUPE_TASKS_PER_DAY).
const DefaultPerDay = 10

// NewClientDays is how long a client moved into a book stays new_client
// without a personal contact; after it the client is reconnect.
const NewClientDays = 30

// OccasionDays is the coming week a birthday or anniversary is listed in:
// the day of the list and the 6 after it.
const OccasionDays = 7

// Limits of reading the book for one list: pages of scanPage clients in
// turn order, at most scanMax clients looked at (clients inside the cap
// or without consent are passed over), so a list costs a bounded number of
// reads whatever the book's size.
const (
	scanPageFactor = 3
	scanMax        = 300
	doneLookback   = 14 // days of earlier lists a due item's outcome is looked for in
	thankYouAfter  = 2  // days after a purchase its thank_you is listed (CONTRACT section 1)
	thankYouDays   = 5  // days a thank_you stays listable
	dueDays        = 7  // days a planner's personal touchpoint stays listable
	maxNote        = 2000
)

// Records is what the service reads and writes of the chain's records.
// *embedded.DB and *dynamo.DB implement it.
type Records interface {
	loupe.ContactWriter
	GetAssociate(ctx context.Context, associateID string) (loupe.Associate, error)
	GetStore(ctx context.Context, storeID string) (loupe.Store, error)
	ListAssociates(ctx context.Context, storeID string) ([]loupe.Associate, error)
}

// Campaigns reads the campaign an invitation is for (its name and date).
type Campaigns interface {
	GetCampaign(ctx context.Context, campaignID string) (touch.Campaign, error)
}

// Service makes, shows and records the lists. Build it in the wiring.
type Service struct {
	Records   Records
	Book      Book
	Store     Store
	Campaigns Campaigns // nil: invitations show no event name
	// PerDay is the longest list (0: DefaultPerDay).
	PerDay int
	// Cap is the fatigue cap in days (0: contact.DefaultCapDays).
	Cap int
	// Consent returns a country's email consent rule for an address
	// captured at a repair (the planner's Consent; nil: opt-out), for the
	// suggested channel.
	Consent func(country string) string
	Now     loupe.Clock
	Log     *slog.Logger
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.Default()
	}
	return s.Log
}

func (s *Service) perDay() int {
	if s.PerDay <= 0 {
		return DefaultPerDay
	}
	return s.PerDay
}

func (s *Service) client(store loupe.Store, c loupe.Customer) contact.Client {
	rule := ""
	if s.Consent != nil {
		rule = s.Consent(store.Country)
	}
	return contact.Client{Customer: c, Country: store.Country, EmailRule: rule}
}

// View is the answer of GET /me/today.
type View struct {
	Date        string     `json:"date"`
	AssociateID string     `json:"associate_id"`
	StoreID     string     `json:"store_id"`
	Tasks       []TaskView `json:"tasks"`
}

// TaskView is one task as shown: the stored task with what the profile
// says today.
type TaskView struct {
	TaskID           string     `json:"task_id"`
	CustomerID       string     `json:"customer_id"`
	CustomerName     string     `json:"customer_name"`
	Phone            *string    `json:"phone"`
	Email            *string    `json:"email"`
	Reason           string     `json:"reason"`
	Detail           string     `json:"detail"`
	Date             *string    `json:"date"` // the occasion, event or purchase day the reason refers to
	SuggestedChannel string     `json:"suggested_channel"`
	LastContactAt    *time.Time `json:"last_contact_at"`
	Outcome          *string    `json:"outcome"`
	OutcomeAt        *time.Time `json:"outcome_at,omitempty"`
}

// place is where an associate works: the record, its store and zone.
type place struct {
	assoc loupe.Associate
	store loupe.Store
	loc   *time.Location
}

func (s *Service) place(ctx context.Context, associateID string) (place, error) {
	a, err := s.Records.GetAssociate(ctx, associateID)
	if errors.Is(err, loupe.ErrNotFound) {
		return place{}, loupe.Errorf(loupe.ENOTFOUND, "associate %s not found", associateID)
	}
	if err != nil {
		return place{}, fmt.Errorf("associate %s: %w", associateID, err)
	}
	st, err := s.Records.GetStore(ctx, a.StoreID)
	if err != nil && !errors.Is(err, loupe.ErrNotFound) {
		return place{}, fmt.Errorf("store %s: %w", a.StoreID, err)
	}
	loc, lerr := st.Location()
	if lerr != nil {
		loc = time.UTC // a store not yet known: UTC days, as compliance does
	}
	return place{assoc: a, store: st, loc: loc}, nil
}

// Associate returns the associate record a list belongs to (for the
// caller's rights check). Returns an ENOTFOUND *loupe.Error for an unknown
// associate.
func (s *Service) Associate(ctx context.Context, associateID string) (loupe.Associate, error) {
	p, err := s.place(ctx, associateID)
	return p.assoc, err
}

// Today returns associateID's list of date ("YYYY-MM-DD" store-local; ""
// for today). Today's list is made at its first read and stored; later
// reads show the same tasks. A past day shows its stored list (none: no
// tasks). Returns an EINVALID *loupe.Error naming date for a malformed
// date or one after today, ENOTFOUND for an unknown associate, or the
// storage error.
func (s *Service) Today(ctx context.Context, associateID, date string) (View, error) {
	p, err := s.place(ctx, associateID)
	if err != nil {
		return View{}, err
	}
	now := s.now()
	today := touch.DayOf(now.In(p.loc)).String()
	if date == "" {
		date = today
	}
	if _, err := time.Parse(time.DateOnly, date); err != nil {
		return View{}, loupe.Invalidf("date", "date must be YYYY-MM-DD")
	}
	if date > today {
		return View{}, loupe.Invalidf("date", "date %s is after today (%s) in the store's time zone", date, today)
	}
	l, err := s.Store.GetList(ctx, associateID, date)
	switch {
	case errors.Is(err, loupe.ErrNotFound) && date == today && p.assoc.Active():
		if l, err = s.make(ctx, p, date, now); err != nil {
			return View{}, err
		}
	case errors.Is(err, loupe.ErrNotFound):
		l = List{AssociateID: associateID, StoreID: p.assoc.StoreID, Day: date}
	case err != nil:
		return View{}, fmt.Errorf("list of %s on %s: %w", associateID, date, err)
	}
	if !l.Marked && len(l.Tasks) > 0 && date == today {
		if err := s.mark(ctx, l); err != nil {
			return View{}, err
		}
	}
	for _, t := range l.Tasks {
		if t.Outcome != "" && !t.Applied { // a crash between the outcome and its effects
			if err := s.apply(ctx, associateID, date, t, ""); err != nil {
				return View{}, err
			}
		}
	}
	tasks, err := s.render(ctx, p, date, l.Tasks)
	if err != nil {
		return View{}, err
	}
	return View{Date: date, AssociateID: associateID, StoreID: p.assoc.StoreID, Tasks: tasks}, nil
}

// cand is a client considered for a list, with its reason.
type cand struct {
	c       loupe.Customer
	reason  string
	ref     string
	planned bool // decided by the planner: not held back for the cap again
	book    bool // a reason of the book: the client must still be in it
	// until is the last day a time-bound task is of use (the occasion,
	// the due item's Until), YYYY-MM-DD; "" for the others.
	until string
}

// make builds associateID's list of day (today) and stores it; of two
// racing makers the first stored wins and both return it.
func (s *Service) make(ctx context.Context, p place, day string, now time.Time) (List, error) {
	cands, err := s.candidates(ctx, p, day, now)
	if err != nil {
		return List{}, err
	}
	l := List{AssociateID: p.assoc.AssociateID, StoreID: p.assoc.StoreID, Day: day, CreatedAt: now.UTC(), Tasks: []Task{}}
	for _, k := range s.pick(p, cands, now) {
		l.Tasks = append(l.Tasks, Task{TaskID: TaskID(day, p.assoc.AssociateID, k.c.CustomerID),
			CustomerID: k.c.CustomerID, Reason: k.reason, Ref: k.ref})
	}
	won, err := s.Store.CreateList(ctx, l)
	if err != nil {
		return List{}, fmt.Errorf("store list of %s on %s: %w", p.assoc.AssociateID, day, err)
	}
	if !won {
		if l, err = s.Store.GetList(ctx, p.assoc.AssociateID, day); err != nil {
			return List{}, fmt.Errorf("list of %s on %s: %w", p.assoc.AssociateID, day, err)
		}
		return l, nil
	}
	s.log().InfoContext(ctx, "today list made", "associate_id", p.assoc.AssociateID, "day", day, "tasks", len(l.Tasks))
	return l, nil
}

// pick chooses the list from the candidates (in priority order: new
// clients, then the time-bound tasks, then the rotation): each client once,
// at its first reason, eligible only. The new clients get at least half of
// the list when there are that many, the time-bound tasks (occasions,
// invitations, thank-yous, repairs, which have a window) the rest, those
// whose window ends first, and whichever group has fewer leaves its room
// to the other; reconnect fills what is left. The order is the priority
// order.
func (s *Service) pick(p place, cands candidates, now time.Time) []cand {
	eligible := func(ks []cand, skip map[string]bool) []cand {
		seen := map[string]bool{}
		var out []cand
		for _, k := range ks {
			if !seen[k.c.CustomerID] && !skip[k.c.CustomerID] && s.eligible(p, k, now) {
				seen[k.c.CustomerID] = true
				out = append(out, k)
			}
		}
		return out
	}
	ids := func(ks ...[]cand) map[string]bool {
		m := map[string]bool{}
		for _, g := range ks {
			for _, k := range g {
				m[k.c.CustomerID] = true
			}
		}
		return m
	}
	n := s.perDay()
	fresh := eligible(cands.fresh, nil)
	f := min(len(fresh), n)
	timed := eligible(cands.timed, ids(fresh[:f]))
	if t := min(len(timed), n); f+t > n {
		// A new client left out of its share may still be listed for its
		// birthday: recount the time-bound tasks without it.
		f = max(n-t, min(f, (n+1)/2))
		timed = eligible(cands.timed, ids(fresh[:f]))
	}
	// Of the time-bound tasks, the ones whose window ends first (a
	// thank-you due by Monday before a birthday on Thursday, which will be
	// listed again), shown in priority order.
	order := slices.Clone(timed)
	slices.SortStableFunc(order, func(a, b cand) int { return strings.Compare(a.until, b.until) })
	chosen := ids(order[:min(len(order), n-f)])
	out := fresh[:f:f]
	for _, k := range timed {
		if chosen[k.c.CustomerID] {
			out = append(out, k)
		}
	}
	for _, k := range eligible(cands.reconnect, ids(out)) {
		if len(out) == n {
			break
		}
		out = append(out, k)
	}
	return out
}

// eligible reports whether candidate k may go on p's list now: still in the
// book for a book reason, reachable personally (contact.Reach: no
// do_not_contact, calls not denied) and, for a marketing task the planner
// did not decide already (Marketing), outside the fatigue cap (its last
// contact on any channel Cap store-local days ago or more); a task the
// planner decided waits only for a personal contact's cap.
func (s *Service) eligible(p place, k cand, now time.Time) bool {
	if k.book && k.c.AssociateID != p.assoc.AssociateID {
		return false
	}
	if contact.Reach(s.client(p.store, k.c), contact.Personal, contact.Marketing) != "" {
		return false
	}
	if k.planned {
		// The planner held it to the cap of messages; a call since (on
		// another task) is the personal contact it was for.
		return !s.capped(p, k.c.LastPersonalContactAt, now)
	}
	return !Marketing(k.reason) || !s.capped(p, k.c.LastContactAt, now)
}

// capped reports whether a contact at last holds the cap closed on the
// store-local day of now: the cap opens on the store-local day of last
// plus Cap days, as the planner counts it.
func (s *Service) capped(p place, last, now time.Time) bool {
	if last.IsZero() {
		return false
	}
	return touch.DayOf(now.In(p.loc)).Before(touch.DayOf(contact.CapOpen(last, s.Cap).In(p.loc)))
}

// Marketing reports whether a task of reason is a marketing contact, held
// to the fatigue cap when listed: every reason but new_client (the new
// associate introducing themselves after Loupe moved the client: part of
// the reassignment, like a service message) and repair_ready (a service
// message, CONTRACT section 4). Whatever the reason, a logged contact
// outcome counts for the cap afterwards.
func Marketing(reason string) bool {
	return reason != ReasonNewClient && reason != ReasonRepairReady
}

// candidates returns every client that could go on p's list of day, in
// priority order: new_client, birthday and anniversary in the coming week,
// event_invite, thank_you, repair_ready, then reconnect (the book in turn
// order), grouped for pick.
func (s *Service) candidates(ctx context.Context, p place, day string, now time.Time) (candidates, error) {
	id := p.assoc.AssociateID
	var fresh, reconnect []cand
	cursor, scanned := "", 0
	for want := s.perDay(); ; {
		page, next, err := s.Book.BookByTurn(ctx, id, cursor, scanPageFactor*s.perDay())
		if err != nil {
			return candidates{}, fmt.Errorf("book of %s: %w", id, err)
		}
		for _, c := range page {
			if c.Unreachable() {
				next = "" // the rest of the book sorts after: never listed
				break
			}
			k := cand{c: c, reason: ReasonReconnect, book: true}
			if c.IsNewTo(id) && now.Sub(c.NewSince) < NewClientDays*24*time.Hour {
				k.reason = ReasonNewClient
				fresh = append(fresh, k)
			} else {
				reconnect = append(reconnect, k)
			}
			if s.eligible(p, k, now) {
				want--
			}
		}
		scanned += len(page)
		if cursor = next; cursor == "" || want <= 0 || scanned >= scanMax {
			break
		}
	}
	occasions, err := s.occasions(ctx, p, day)
	if err != nil {
		return candidates{}, err
	}
	due, err := s.due(ctx, p, day)
	if err != nil {
		return candidates{}, err
	}
	// A birthday the planner also put on the list as a task (LOUPE_CHANNELS
	// birthday=personal) is that task: its outcome closes it.
	for i, o := range occasions {
		for _, d := range due {
			if d.c.CustomerID == o.c.CustomerID && d.reason == o.reason {
				occasions[i].ref, occasions[i].planned = d.ref, d.planned
			}
		}
	}
	return candidates{fresh: fresh, timed: append(occasions, due...), reconnect: reconnect}, nil
}

// candidates are the clients that could go on a list, by group, each in
// priority order; a client may be in more than one.
type candidates struct {
	fresh     []cand // new_client
	timed     []cand // birthday, anniversary, then the due items
	reconnect []cand // the book in turn order
}

// occasions returns the book's birthdays and anniversaries of day and the
// OccasionDays-1 days after it, by date then customer id (a 29 February
// is listed on 28 February in a year without one).
func (s *Service) occasions(ctx context.Context, p place, day string) ([]cand, error) {
	d, _ := touch.ParseDay(day)
	var out []cand
	for i := range OccasionDays {
		on := d.AddDays(i)
		mds := []string{on.MonthDay()}
		if mds[0] == "02-28" && on.AddDays(1).MonthDay() == "03-01" {
			mds = append(mds, "02-29")
		}
		for _, field := range []string{ReasonBirthday, ReasonAnniversary} {
			for _, md := range mds {
				cs, err := s.Book.BookByMonthDay(ctx, p.assoc.AssociateID, field, md)
				if err != nil {
					return nil, fmt.Errorf("%ss of %s on %s: %w", field, p.assoc.AssociateID, md, err)
				}
				for _, c := range cs {
					out = append(out, cand{c: c, reason: field, book: true, until: on.String()})
				}
			}
		}
	}
	return out, nil
}

// dueOrder is the priority of a due item's reason among the due ones.
func dueOrder(reason string) int {
	switch {
	case strings.HasPrefix(reason, ReasonEventInvite):
		return 0
	case reason == ReasonThankYou:
		return 1
	case reason == ReasonRepairReady:
		return 2
	}
	return 3
}

// due returns the due items of p's list of day whose customer exists and
// whose task has no outcome on one of the associate's lists of the last
// doneLookback days, event invitations first, then thank-yous, then
// repairs ready.
func (s *Service) due(ctx context.Context, p place, day string) ([]cand, error) {
	id := p.assoc.AssociateID
	items, err := s.Store.DueOn(ctx, id, day)
	if err != nil || len(items) == 0 {
		return nil, err
	}
	d, _ := touch.ParseDay(day)
	var days []string
	for i := doneLookback; i >= 1; i-- {
		days = append(days, d.AddDays(-i).String())
	}
	lists, err := s.Store.GetLists(ctx, id, days)
	if err != nil {
		return nil, fmt.Errorf("lists of %s: %w", id, err)
	}
	done := map[string]bool{}
	for _, l := range lists {
		for _, t := range l.Tasks {
			if t.Outcome != "" && t.Ref != "" {
				done[t.Ref] = true
			}
		}
	}
	slices.SortStableFunc(items, func(a, b Due) int { return dueOrder(a.Reason) - dueOrder(b.Reason) })
	var ids []string
	for _, it := range items {
		if !done[it.Ref] {
			ids = append(ids, it.CustomerID)
		}
	}
	cs, err := s.customers(ctx, ids)
	if err != nil {
		return nil, err
	}
	var out []cand
	for _, it := range items {
		if c, ok := cs[it.CustomerID]; ok && !done[it.Ref] {
			// An invitation follows the client's book; a thank-you is the
			// seller's whoever holds the client now.
			out = append(out, cand{c: c, reason: it.Reason, ref: it.Ref, planned: it.Planned,
				book: strings.HasPrefix(it.Reason, ReasonEventInvite), until: it.Until})
		}
	}
	return out, nil
}

// customers reads ids (duplicates allowed) into a map by id.
func (s *Service) customers(ctx context.Context, ids []string) (map[string]loupe.Customer, error) {
	out := map[string]loupe.Customer{}
	if len(ids) == 0 {
		return out, nil
	}
	slices.Sort(ids)
	cs, err := s.Book.GetCustomers(ctx, slices.Compact(ids))
	if err != nil {
		return nil, fmt.Errorf("read customers: %w", err)
	}
	for _, c := range cs {
		out[c.CustomerID] = c
	}
	return out, nil
}

// mark moves the turn of every client of l still in the associate's book
// to the list's creation (ListedAt), then marks the list: a later read
// finds it marked, a read after a crash in between marks again (each
// write only moves ListedAt forward). A client still new to the book
// NewClientDays after the move is reconnect by now: its new status
// (NewSince, NewTo) ends with the write, so its turn goes by ListedAt like
// everyone's (TurnKey would keep a client new to the book ahead of the
// whole book, on every list, until someone reached it).
func (s *Service) mark(ctx context.Context, l List) error {
	for _, t := range l.Tasks {
		err := s.Records.UpdateCustomer(ctx, t.CustomerID, func(c *loupe.Customer, _ time.Time) (loupe.Customer, bool, error) {
			if c == nil || c.AssociateID != l.AssociateID || !l.CreatedAt.After(c.ListedAt) {
				return loupe.Customer{}, false, nil
			}
			out := *c
			out.ListedAt = l.CreatedAt
			if c.IsNewTo(l.AssociateID) && l.CreatedAt.Sub(c.NewSince) >= NewClientDays*24*time.Hour {
				out.NewSince, out.NewTo = time.Time{}, ""
			}
			return out, true, nil
		})
		if err != nil {
			return fmt.Errorf("mark customer %s listed: %w", t.CustomerID, err)
		}
	}
	if err := s.Store.MarkList(ctx, l.AssociateID, l.Day); err != nil {
		return fmt.Errorf("mark list of %s on %s: %w", l.AssociateID, l.Day, err)
	}
	return nil
}

// render shows tasks with what the profiles say now; a client erased since
// the list was made is left out.
func (s *Service) render(ctx context.Context, p place, day string, tasks []Task) ([]TaskView, error) {
	ids := make([]string, 0, len(tasks))
	for _, t := range tasks {
		ids = append(ids, t.CustomerID)
	}
	cs, err := s.customers(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]TaskView, 0, len(tasks))
	for _, t := range tasks {
		c, ok := cs[t.CustomerID]
		if !ok {
			continue
		}
		out = append(out, s.view(ctx, p, day, t, c))
	}
	return out, nil
}

func ptr[T any](v T) *T { return &v }

// view is one task as shown.
func (s *Service) view(ctx context.Context, p place, listDay string, t Task, c loupe.Customer) TaskView {
	v := TaskView{TaskID: t.TaskID, CustomerID: t.CustomerID, CustomerName: strings.TrimSpace(c.FirstName + " " + c.LastName),
		Reason: t.Reason}
	cl := s.client(p.store, c)
	if ph := c.UsablePhone(); ph != "" {
		v.Phone = ptr(ph)
	}
	if c.Email != "" && contact.Reach(cl, contact.Email, contact.Service) == "" {
		v.Email = ptr(c.Email)
	}
	switch {
	case v.Phone != nil && c.PreferredChannel == contact.SMS && contact.Reach(cl, contact.SMS, contact.Marketing) == "":
		v.SuggestedChannel = "text"
	case v.Phone != nil && c.ConsentOf(contact.Voice).Status != loupe.ConsentDenied:
		v.SuggestedChannel = "call"
	case v.Email != nil && contact.Reach(cl, contact.Email, contact.Marketing) == "":
		v.SuggestedChannel = "email"
	default:
		v.SuggestedChannel = "visit"
	}
	if !c.LastContactAt.IsZero() {
		v.LastContactAt = ptr(c.LastContactAt.UTC())
	}
	if t.Outcome != "" {
		v.Outcome, v.OutcomeAt = ptr(t.Outcome), ptr(t.OutcomeAt.UTC())
	}
	day, _ := touch.ParseDay(listDay)
	v.Detail, v.Date = s.detail(ctx, p, t, c, day)
	return v
}

// detail says in words why the task is there, and the day it refers to.
func (s *Service) detail(ctx context.Context, p place, t Task, c loupe.Customer, day touch.Day) (string, *string) {
	switch {
	case t.Reason == ReasonNewClient:
		since := touch.DayOf(c.NewSince.In(p.loc)).String()
		return "New to your book since " + since + ": introduce yourself", ptr(since)
	case t.Reason == ReasonBirthday || t.Reason == ReasonAnniversary:
		date := c.Birthday
		if t.Reason == ReasonAnniversary {
			date = c.Anniversary
		}
		on := nextOn(day, date.MonthDay())
		return fmt.Sprintf("%s on %s", strings.ToUpper(t.Reason[:1])+t.Reason[1:], on), ptr(on.String())
	case strings.HasPrefix(t.Reason, ReasonEventInvite+":"):
		id := strings.TrimPrefix(t.Reason, ReasonEventInvite+":")
		if s.Campaigns != nil {
			if cp, err := s.Campaigns.GetCampaign(ctx, id); err == nil {
				return fmt.Sprintf("Invite to %s on %s", cp.Name, cp.EventDate), ptr(cp.EventDate.String())
			}
		}
		return "Invite to event " + id, nil
	case t.Reason == ReasonThankYou:
		return "Thank them for their purchase", nil
	case t.Reason == ReasonRepairReady:
		return "Their repair is ready for pickup", nil
	case t.Reason == ReasonReconnect:
		if c.LastPersonalContactAt.IsZero() {
			return "No personal contact yet", nil
		}
		last := touch.DayOf(c.LastPersonalContactAt.In(p.loc)).String()
		return "Last personal contact " + last, ptr(last)
	}
	return strings.ReplaceAll(t.Reason, "_", " "), nil
}

// nextOn returns the first day on or after from whose month-day is md (a
// 29 February falls on 28 February in a year without one).
func nextOn(from touch.Day, md string) touch.Day {
	for i := range 366 {
		d := from.AddDays(i)
		if d.MonthDay() == md || md == "02-29" && d.MonthDay() == "02-28" && d.AddDays(1).MonthDay() == "03-01" {
			return d
		}
	}
	return from
}

// OnList reports whether customerID is on associateID's list of today
// (store-local), without making the list. Returns the storage error.
func (s *Service) OnList(ctx context.Context, associateID, customerID string) (bool, error) {
	p, err := s.place(ctx, associateID)
	if err != nil {
		if loupe.ErrorCode(err) == loupe.ENOTFOUND {
			return false, nil
		}
		return false, err
	}
	l, err := s.Store.GetList(ctx, associateID, touch.DayOf(s.now().In(p.loc)).String())
	if errors.Is(err, loupe.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(l.Tasks, func(t Task) bool { return t.CustomerID == customerID }), nil
}
