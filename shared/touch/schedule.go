package touch

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
)

// DefaultPlanHour is the store-local hour in which a store's day is planned
// when Schedule.PlanHour is not set otherwise: early enough that mail leaves
// in the store's morning.
const DefaultPlanHour = 6

// Schedule is the rule of the hourly run, the same in AWS (the touchpoints
// function on EventBridge Scheduler) and in `loupe serve`: each hour it plans
// the stores whose local hour is PlanHour, each on its local day, so every
// store is planned once a day in its own morning whatever its time zone, and
// a retry of the same hour plans the same stores.
type Schedule struct {
	// PlanHour is the store-local hour, 0-23.
	PlanHour int
}

// Due returns the rule for the run of the hour at: a store is due when its
// local hour at `at` is PlanHour, on its local day of `at`. The returned
// function returns an error naming the store when its time zone does not load.
func (s Schedule) Due(at time.Time) func(loupe.Store) (Day, bool, error) {
	return func(st loupe.Store) (Day, bool, error) {
		local, err := s.local(st, at)
		if err != nil {
			return Day{}, false, err
		}
		return DayOf(local), local.Hour() == s.PlanHour, nil
	}
}

// CatchUp returns the rule for a runner that was not running at some stores'
// plan hour today (`loupe serve` starting at 10:00): a store is due when its
// local hour at `at` is PlanHour or later, on its local day of `at`. Claims
// make planning a day again send nothing twice, so catching up after the
// hourly run already planned a store costs a scan and no mail.
func (s Schedule) CatchUp(at time.Time) func(loupe.Store) (Day, bool, error) {
	return func(st loupe.Store) (Day, bool, error) {
		local, err := s.local(st, at)
		if err != nil {
			return Day{}, false, err
		}
		return DayOf(local), local.Hour() >= s.PlanHour, nil
	}
}

// Every returns the rule of a manual run: every store, on day.
func Every(day Day) func(loupe.Store) (Day, bool, error) {
	return func(loupe.Store) (Day, bool, error) { return day, true, nil }
}

func (s Schedule) local(st loupe.Store, at time.Time) (time.Time, error) {
	loc, err := st.Location()
	if err != nil {
		return time.Time{}, fmt.Errorf("store %s: %w", st.StoreID, err)
	}
	return at.In(loc), nil
}

// HourPlanner is the part of *Planner the hourly run calls.
type HourPlanner interface {
	Requeue(ctx context.Context, q Queue) (int, error)
	PlanStores(ctx context.Context, q Queue, due func(loupe.Store) (Day, bool, error)) (Result, error)
}

var _ HourPlanner = (*Planner)(nil)

// MorningMailer sends the inspection morning mails (compliance.Service).
type MorningMailer interface {
	RunMorning(ctx context.Context, now time.Time, sender mail.Sender) (int, error)
	RunMorningOn(ctx context.Context, today string, sender mail.Sender) (int, error)
}

// StaffSettler applies terminations whose notice ran out
// (pos.Service.SettleTerminations).
type StaffSettler interface {
	SettleTerminations(ctx context.Context) (int, error)
}

// Hourly is the hourly run, one function for the touchpoints Lambda and for
// `loupe serve`'s hourly job: apply terminations that are due (Staff, when
// set: the staff stream then reassigns their books), requeue lost claims,
// plan the stores Schedule says are due onto a Queue (SQS in AWS; in
// process, a queue that delivers at once), then send the inspection morning
// mails through Mail.
type Hourly struct {
	Staff    StaffSettler
	Planner  HourPlanner
	Morning  MorningMailer
	Schedule Schedule
	Mail     mail.Sender
}

// Run is one invocation of the hourly run.
type Run struct {
	// At is the hour of a scheduled run (the schedule's scheduled time).
	At time.Time
	// Manual plans Day for every store instead, and sends the morning mails
	// about the day before Day (a backfill, `aws lambda invoke` with
	// {"loupe_date"}).
	Manual bool
	Day    Day
	// CatchUp plans every store whose local hour at At is PlanHour or later
	// (Schedule.CatchUp): for a runner that was not running at some stores'
	// plan hour today.
	CatchUp bool
}

// HourResult is what one run did.
type HourResult struct {
	Terminated int // associates whose notice ran out, now terminated
	Requeued   int // lost claims handed on again
	Planned    int // touchpoints claimed and queued
	Deferred   int // touchpoints the fatigue cap moved to a later day
	Stores     int // stores whose day was planned
	Morning    int // inspection morning mails sent
}

// Run runs r: SettleTerminations, Requeue, then PlanStores with the rule of r, then the morning
// mails (the stores whose local time at At is 07:00 or later, each store-day
// once; for a manual run, the day before Day). Claims are conditional writes,
// so running the same hour or day twice plans nothing new. A failed step does
// not stop the later ones: the errors are joined, and the run may be retried
// as a whole.
func (h Hourly) Run(ctx context.Context, r Run, q Queue) (HourResult, error) {
	var res HourResult
	var errs []error
	if h.Staff != nil {
		n, err := h.Staff.SettleTerminations(ctx)
		res.Terminated = n
		if err != nil {
			errs = append(errs, err)
		}
	}
	n, err := h.Planner.Requeue(ctx, q)
	res.Requeued = n
	if err != nil {
		errs = append(errs, err)
	}
	due := h.Schedule.Due(r.At)
	switch {
	case r.Manual:
		due = Every(r.Day)
	case r.CatchUp:
		due = h.Schedule.CatchUp(r.At)
	}
	planned, err := h.Planner.PlanStores(ctx, q, func(s loupe.Store) (Day, bool, error) {
		d, ok, err := due(s)
		if ok {
			res.Stores++
		}
		return d, ok, err
	})
	res.Planned, res.Deferred = planned.Planned, planned.Deferred
	if err != nil {
		errs = append(errs, err)
	}
	if r.Manual {
		res.Morning, err = h.Morning.RunMorningOn(ctx, r.Day.String(), h.Mail)
	} else {
		res.Morning, err = h.Morning.RunMorning(ctx, r.At, h.Mail)
	}
	if err != nil {
		errs = append(errs, fmt.Errorf("inspection morning mail: %w", err))
	}
	return res, errors.Join(errs...)
}

// DeliverQueue is the Queue of a runner that delivers in process (`loupe
// serve`): Enqueue hands the entries straight to Planner.Deliver through
// Sender and adds what it did to Sent. Not safe for concurrent use.
type DeliverQueue struct {
	Planner *Planner
	Sender  mail.Sender
	Sent    Result
}

// Enqueue delivers entries. Returns Deliver's error; what it did not send
// stays claimed for the next Requeue.
func (d *DeliverQueue) Enqueue(ctx context.Context, entries []Entry) error {
	r, err := d.Planner.Deliver(ctx, entries, d.Sender)
	d.Sent.add(r)
	return err
}
