package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/loupehq/loupe/shared/emf"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/touch"
)

// request is the manual invocation {"loupe_date": "YYYY-MM-DD"} or the
// schedule's {"scheduled_time": "<aws.scheduler.scheduled-time>"} (the
// template's Input); any other payload is a scheduled run at the current time.
type request struct {
	Date          string `json:"loupe_date"`
	ScheduledTime string `json:"scheduled_time"`
}

// config is what the handler needs besides its collaborators.
type config struct {
	// Schedule says which stores the hourly run plans (touch.Schedule).
	Schedule touch.Schedule
	// Now is the clock of a scheduled run without scheduled_time.
	Now func() time.Time
	// Staff applies terminations whose notice ran out (pos.Service); nil
	// skips that step.
	Staff touch.StaffSettler
}

// response is what an invocation answers (visible to a manual `aws lambda
// invoke`; the schedule ignores it).
type response struct {
	Date       string `json:"loupe_date,omitempty"` // the manual day, "" for the scheduled run
	Terminated int    `json:"terminated"`           // associates whose notice ran out this hour
	Requeued   int    `json:"requeued"`
	Planned    int    `json:"planned"`
	Deferred   int    `json:"deferred"`
	Stores     int    `json:"stores"`        // stores whose day this run planned
	Morning    int    `json:"morning_mails"` // inspection morning mails queued
}

// newHandler returns the Lambda handler: it decodes the invocation into a
// touch.Run and runs touch.Hourly over p and m (requeue, plan, morning mails):
//
//   - The hourly schedule sends {"scheduled_time": T}: the stores whose local
//     hour at T is the schedule's PlanHour are planned, each on its local day
//     of T, and the morning mails of inspected stores past 07:00 local go out
//     (each store-day once). A retry carries the same T, so it plans the same
//     stores.
//   - A manual {"loupe_date": "YYYY-MM-DD"} plans that store-local day for
//     every store and sends the morning mails about the day before it.
//
// Claimed entries go to q; morning mails to mailQ. It writes one EMF line
// (TouchpointsPlanned, TouchpointsDeferred, TouchpointsRequeued,
// InspectionMails) and returns the joined errors (a failed store does not stop
// the others); Lambda then retries the asynchronous invocation, which is safe.
// A malformed loupe_date or scheduled_time returns an EINVALID *loupe.Error
// before anything runs. Planning stops planMargin before the invocation's
// deadline; a batch already claimed is still enqueued.
func newHandler(p touch.HourPlanner, m touch.MorningMailer, q touch.Queue, mailQ mail.Sender, cfg config, mw *emf.Writer, logger *slog.Logger) func(context.Context, json.RawMessage) (response, error) {
	q = detachedQueue{q}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	hourly := touch.Hourly{Staff: cfg.Staff, Planner: p, Morning: m, Schedule: cfg.Schedule, Mail: mailQ}
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
		run := touch.Run{At: req.at, Manual: req.manual, Day: req.day}
		if run.At.IsZero() {
			run.At = cfg.Now()
		}
		res, err := hourly.Run(ctx, run, q)
		resp = response{Terminated: res.Terminated, Requeued: res.Requeued, Planned: res.Planned, Deferred: res.Deferred, Stores: res.Stores, Morning: res.Morning}
		props := map[string]string{}
		if req.manual {
			resp.Date = req.day.String()
			props["loupe_date"] = resp.Date
		} else {
			props["scheduled_time"] = run.At.UTC().Format(time.RFC3339)
		}
		if merr := mw.Put(props,
			emf.Count("TouchpointsPlanned", resp.Planned),
			emf.Count("TouchpointsDeferred", resp.Deferred),
			emf.Count("TouchpointsRequeued", resp.Requeued),
			emf.Count("InspectionMails", resp.Morning),
			emf.Count("AssociatesTerminated", resp.Terminated),
		); merr != nil {
			logger.WarnContext(ctx, "write metrics", "err", merr)
		}
		if err != nil {
			logger.ErrorContext(ctx, "touchpoints run failed", "loupe_date", resp.Date, "stores", resp.Stores,
				"planned", resp.Planned, "requeued", resp.Requeued, "morning_mails", resp.Morning, "err", err)
			return resp, err
		}
		logger.InfoContext(ctx, "touchpoints run done", "loupe_date", resp.Date, "terminated", resp.Terminated, "stores", resp.Stores,
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
