package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/loupehq/loupe/shared/emf"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/touch"
)

// planner is the part of *touch.Planner the handler calls.
type planner interface {
	Requeue(ctx context.Context, q touch.Queue) (int, error)
	PlanStores(ctx context.Context, q touch.Queue, due func(loupe.Store) (touch.Day, bool, error)) (touch.Result, error)
}

var _ planner = (*touch.Planner)(nil)

// morning sends the inspection morning mails (compliance.Service).
type morning interface {
	RunMorning(ctx context.Context, now time.Time, sender mail.Sender) (int, error)
	RunMorningOn(ctx context.Context, today string, sender mail.Sender) (int, error)
}

// request is the manual invocation {"loupe_date": "YYYY-MM-DD"} or the
// schedule's {"scheduled_time": "<aws.scheduler.scheduled-time>"} (the
// template's Input); any other payload is a scheduled run at the current time.
type request struct {
	Date          string `json:"loupe_date"`
	ScheduledTime string `json:"scheduled_time"`
}

// config is what the handler needs besides its collaborators.
type config struct {
	// PlanHour is the store-local hour (0-23) in which the hourly run plans a
	// store's day, so mail leaves in the store's morning.
	PlanHour int
	// Now is the clock of a scheduled run without scheduled_time.
	Now func() time.Time
}

// response is what an invocation answers (visible to a manual `aws lambda
// invoke`; the schedule ignores it).
type response struct {
	Date     string `json:"loupe_date,omitempty"` // the manual day, "" for the scheduled run
	Requeued int    `json:"requeued"`
	Planned  int    `json:"planned"`
	Deferred int    `json:"deferred"`
	Stores   int    `json:"stores"`        // stores whose day this run planned
	Morning  int    `json:"morning_mails"` // inspection morning mails queued
}

// newHandler returns the Lambda handler. Every invocation first requeues the
// claims older than RecoverAfter that were never sent (crash recovery), then
// plans, then queues the inspection morning mails:
//
//   - The hourly schedule sends {"scheduled_time": T}. The run plans the
//     stores whose local hour at T is cfg.PlanHour, each on its local day of T
//     (so every store is planned once a day, in its own morning, whatever its
//     time zone), and sends the morning mails of inspected stores whose local
//     time at T is 07:00 or later (each store-day once). A retry carries the
//     same T, so it plans the same stores.
//   - A manual {"loupe_date": "YYYY-MM-DD"} plans that store-local day for
//     every store and sends the morning mails about the day before it.
//
// Claimed entries go to q; morning mails to mailQ. Claims are conditional
// writes, so running the same hour or day twice plans nothing new. It writes
// one EMF line (TouchpointsPlanned, TouchpointsDeferred, TouchpointsRequeued,
// InspectionMails) and returns the joined errors (a failed store does not stop
// the others); Lambda then retries the asynchronous invocation, which is safe.
// A malformed loupe_date or scheduled_time returns an EINVALID *loupe.Error
// before anything runs. Planning stops planMargin before the invocation's
// deadline; a batch already claimed is still enqueued.
func newHandler(p planner, m morning, q touch.Queue, mailQ mail.Sender, cfg config, mw *emf.Writer, logger *slog.Logger) func(context.Context, json.RawMessage) (response, error) {
	q = detachedQueue{q}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return func(ctx context.Context, raw json.RawMessage) (response, error) {
		var resp response
		req, err := parseRequest(raw)
		if err != nil {
			return resp, err
		}
		// Stop planning planMargin before the deadline, so the run ends with
		// an error (and Lambda's retry continues) instead of being killed
		// between a claim and its enqueue.
		if dl, ok := ctx.Deadline(); ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadline(ctx, dl.Add(-planMargin))
			defer cancel()
		}
		var errs []error
		n, err := p.Requeue(ctx, q)
		resp.Requeued = n
		if err != nil {
			errs = append(errs, err)
		}
		var due func(loupe.Store) (touch.Day, bool, error)
		at := cfg.Now()
		if req.manual {
			resp.Date = req.day.String()
			due = func(loupe.Store) (touch.Day, bool, error) { return req.day, true, nil }
		} else {
			if !req.at.IsZero() {
				at = req.at
			}
			due = func(s loupe.Store) (touch.Day, bool, error) {
				loc, err := s.Location()
				if err != nil {
					return touch.Day{}, false, fmt.Errorf("store %s: %w", s.StoreID, err)
				}
				local := at.In(loc)
				return touch.DayOf(local), local.Hour() == cfg.PlanHour, nil
			}
		}
		res, err := p.PlanStores(ctx, q, func(s loupe.Store) (touch.Day, bool, error) {
			d, ok, err := due(s)
			if ok {
				resp.Stores++
			}
			return d, ok, err
		})
		resp.Planned, resp.Deferred = res.Planned, res.Deferred
		if err != nil {
			errs = append(errs, err)
		}
		if req.manual {
			resp.Morning, err = m.RunMorningOn(ctx, resp.Date, mailQ)
		} else {
			resp.Morning, err = m.RunMorning(ctx, at, mailQ)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("inspection morning mail: %w", err))
		}
		err = errors.Join(errs...)
		props := map[string]string{}
		if req.manual {
			props["loupe_date"] = resp.Date
		} else {
			props["scheduled_time"] = at.UTC().Format(time.RFC3339)
		}
		if merr := mw.Put(props,
			emf.Count("TouchpointsPlanned", resp.Planned),
			emf.Count("TouchpointsDeferred", resp.Deferred),
			emf.Count("TouchpointsRequeued", resp.Requeued),
			emf.Count("InspectionMails", resp.Morning),
		); merr != nil {
			logger.WarnContext(ctx, "write metrics", "err", merr)
		}
		if err != nil {
			logger.ErrorContext(ctx, "touchpoints run failed", "loupe_date", resp.Date, "stores", resp.Stores,
				"planned", resp.Planned, "requeued", resp.Requeued, "morning_mails", resp.Morning, "err", err)
			return resp, err
		}
		logger.InfoContext(ctx, "touchpoints run done", "loupe_date", resp.Date, "stores", resp.Stores,
			"planned", resp.Planned, "deferred", resp.Deferred, "requeued", resp.Requeued, "morning_mails", resp.Morning)
		return resp, nil
	}
}

// planMargin is the time left before the invocation's deadline when planning
// stops; enqueueTimeout bounds the enqueue of a batch already claimed.
const (
	planMargin     = 45 * time.Second
	enqueueTimeout = 30 * time.Second
)

// detachedQueue enqueues with a context that is not cancelled with the
// planning context: a batch whose claims are written is always handed to the
// queue (within enqueueTimeout), so a run stopping at its deadline leaves no
// claim unqueued for Requeue to find a day later.
type detachedQueue struct{ q touch.Queue }

func (d detachedQueue) Enqueue(ctx context.Context, entries []touch.Entry) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), enqueueTimeout)
	defer cancel()
	return d.q.Enqueue(ctx, entries)
}

// parsed is a decoded invocation: a manual day, or a scheduled run at `at`
// (zero: now).
type parsed struct {
	manual bool
	day    touch.Day
	at     time.Time
}

// parseRequest decodes the invocation payload. null, {}, and an EventBridge
// scheduled event (it has "source") are a scheduled run at the current time.
// Returns an EINVALID *loupe.Error naming loupe_date or scheduled_time when
// one is present but malformed, and naming the payload when it is anything
// else (a mistyped manual run such as {"date": ...} must not pass silently
// for a scheduled one).
func parseRequest(raw json.RawMessage) (parsed, error) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) {
		return parsed{}, nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &fields); err != nil {
		return parsed{}, loupe.Invalidf("payload", `payload must be a JSON object: {"loupe_date": "YYYY-MM-DD"} or {"scheduled_time": "<RFC 3339>"}`)
	}
	if _, scheduled := fields["source"]; scheduled {
		return parsed{}, nil
	}
	for name := range fields {
		if name != "loupe_date" && name != "scheduled_time" {
			return parsed{}, loupe.Invalidf("payload", `unknown field %q: use {"loupe_date": "YYYY-MM-DD"} or {"scheduled_time": "<RFC 3339>"}`, name)
		}
	}
	var req request
	if err := json.Unmarshal(trimmed, &req); err != nil {
		return parsed{}, loupe.Invalidf("payload", "loupe_date and scheduled_time must be strings")
	}
	if req.Date != "" {
		d, err := touch.ParseDay(req.Date)
		if err != nil {
			return parsed{}, loupe.Invalidf("loupe_date", "loupe_date must be YYYY-MM-DD")
		}
		return parsed{manual: true, day: d}, nil
	}
	if req.ScheduledTime != "" {
		at, err := time.Parse(time.RFC3339, req.ScheduledTime)
		if err != nil {
			return parsed{}, loupe.Invalidf("scheduled_time", "scheduled_time must be an RFC 3339 time such as 2026-11-23T11:05:00Z")
		}
		return parsed{at: at}, nil
	}
	return parsed{}, nil
}
