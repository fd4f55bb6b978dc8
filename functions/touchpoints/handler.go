package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/metrics"
	"github.com/loupehq/loupe/shared/touch"
)

// planner is the part of *touch.Planner the handler calls.
type planner interface {
	Requeue(ctx context.Context, q touch.Queue) (int, error)
	PlanToday(ctx context.Context, q touch.Queue) (touch.Result, error)
	PlanDay(ctx context.Context, store loupe.Store, day touch.Day) ([]touch.Entry, error)
}

var _ planner = (*touch.Planner)(nil)

// storeLister lists the chain's stores (for a manual day).
type storeLister interface {
	ListStores(ctx context.Context) ([]loupe.Store, error)
}

// request is the manual invocation {"loupe_date": "YYYY-MM-DD"}; anything
// else (the Scheduler's payload) is the scheduled run.
type request struct {
	Date string `json:"loupe_date"`
}

// response is what an invocation answers (visible to a manual `aws lambda
// invoke`; the schedule ignores it).
type response struct {
	Date     string `json:"loupe_date,omitempty"` // the manual day, "" for the scheduled run
	Requeued int    `json:"requeued"`
	Planned  int    `json:"planned"`
	Deferred int    `json:"deferred"`
}

// newHandler returns the Lambda handler. Every invocation first requeues the
// claims older than RecoverAfter that were never sent (crash recovery), then
// plans: the scheduled run plans each store's own local today (PlanToday); a
// manual {"loupe_date": "YYYY-MM-DD"} plans that store-local day for every
// store (PlanDay, store by store). Claimed entries go to q. Claims are
// conditional writes, so running the same day twice plans nothing new. It
// writes one EMF line (TouchpointsPlanned, TouchpointsDeferred,
// TouchpointsRequeued) and returns the joined errors of requeueing and
// planning (a failed store does not stop the others); Lambda then retries the
// asynchronous invocation, which is safe. A malformed loupe_date returns an
// EINVALID *loupe.Error before anything runs. Planning stops planMargin
// before the invocation's deadline; a batch already claimed is still enqueued.
func newHandler(p planner, stores storeLister, q touch.Queue, mw *metrics.Writer, logger *slog.Logger) func(context.Context, json.RawMessage) (response, error) {
	q = detachedQueue{q}
	return func(ctx context.Context, raw json.RawMessage) (response, error) {
		var resp response
		day, manual, err := manualDay(raw)
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
		if manual {
			resp.Date = day.String()
			planned, err := planDay(ctx, p, stores, q, day)
			resp.Planned = planned
			if err != nil {
				errs = append(errs, err)
			}
		} else {
			res, err := p.PlanToday(ctx, q)
			resp.Planned, resp.Deferred = res.Planned, res.Deferred
			if err != nil {
				errs = append(errs, err)
			}
		}
		err = errors.Join(errs...)
		props := map[string]string{}
		if manual {
			props["loupe_date"] = resp.Date
		}
		if merr := mw.Put(props,
			metrics.Count("TouchpointsPlanned", resp.Planned),
			metrics.Count("TouchpointsDeferred", resp.Deferred),
			metrics.Count("TouchpointsRequeued", resp.Requeued),
		); merr != nil {
			logger.WarnContext(ctx, "write metrics", "err", merr)
		}
		if err != nil {
			logger.ErrorContext(ctx, "touchpoints run failed", "loupe_date", resp.Date, "planned", resp.Planned,
				"requeued", resp.Requeued, "err", err)
			return resp, err
		}
		logger.InfoContext(ctx, "touchpoints run done", "loupe_date", resp.Date, "planned", resp.Planned,
			"deferred", resp.Deferred, "requeued", resp.Requeued)
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

// manualDay returns the day of a {"loupe_date": "YYYY-MM-DD"} invocation and
// true, or false for any other payload. Returns an EINVALID *loupe.Error when
// loupe_date is present but not a date.
func manualDay(raw json.RawMessage) (touch.Day, bool, error) {
	if !bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) {
		return touch.Day{}, false, nil
	}
	var req request
	if err := json.Unmarshal(raw, &req); err != nil || req.Date == "" {
		return touch.Day{}, false, nil // not ours: the Scheduler's payload
	}
	d, err := touch.ParseDay(req.Date)
	if err != nil {
		return touch.Day{}, false, loupe.Invalidf("loupe_date", "loupe_date must be YYYY-MM-DD")
	}
	return d, true, nil
}

// planDay plans store-local day for every store and enqueues what each store
// claimed. A store that fails does not stop the others; the errors are
// joined. Returns how many entries were claimed.
func planDay(ctx context.Context, p planner, stores storeLister, q touch.Queue, day touch.Day) (int, error) {
	list, err := stores.ListStores(ctx)
	if err != nil {
		return 0, fmt.Errorf("plan %s: %w", day, err)
	}
	planned := 0
	var errs []error
	for _, s := range list {
		entries, err := p.PlanDay(ctx, s, day)
		planned += len(entries)
		if err != nil {
			errs = append(errs, fmt.Errorf("plan store %s %s: %w", s.StoreID, day, err))
		}
		if len(entries) == 0 {
			continue
		}
		if err := q.Enqueue(ctx, entries); err != nil {
			errs = append(errs, fmt.Errorf("plan store %s %s: %w", s.StoreID, day, err))
		}
	}
	return planned, errors.Join(errs...)
}
