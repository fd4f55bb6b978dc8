package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/emf"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/touch"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func noSleep(context.Context, time.Duration) error { return nil }

// fakePlanner records calls and plans fixed entries for the due stores.
type fakePlanner struct {
	stores     []loupe.Store
	calls      []string
	requeued   int
	requeueErr error
	days       map[string][]touch.Entry // per store
	deferred   int
	planErr    error
}

func (f *fakePlanner) Requeue(ctx context.Context, q touch.Queue) (int, error) {
	f.calls = append(f.calls, "requeue")
	return f.requeued, f.requeueErr
}

func (f *fakePlanner) PlanStores(ctx context.Context, q touch.Queue, due func(loupe.Store) (touch.Day, bool, error)) (touch.Result, error) {
	res := touch.Result{Deferred: f.deferred}
	errs := []error{f.planErr}
	for _, s := range f.stores {
		d, ok, err := due(s)
		errs = append(errs, err)
		if !ok {
			continue
		}
		f.calls = append(f.calls, "plan "+s.StoreID+" "+d.String())
		res.Planned += len(f.days[s.StoreID])
		if len(f.days[s.StoreID]) > 0 {
			errs = append(errs, q.Enqueue(ctx, f.days[s.StoreID]))
		}
	}
	return res, errors.Join(errs...)
}

// fakeMorning records the morning-mail calls.
type fakeMorning struct {
	calls []string
	sent  int
}

func (f *fakeMorning) RunMorning(ctx context.Context, now time.Time, sender mail.Sender) (int, error) {
	f.calls = append(f.calls, "morning "+now.UTC().Format(time.RFC3339))
	return f.sent, nil
}

func (f *fakeMorning) RunMorningOn(ctx context.Context, today string, sender mail.Sender) (int, error) {
	f.calls = append(f.calls, "morning on "+today)
	return f.sent, nil
}

type fakeQueue struct{ got []touch.Entry }

func (f *fakeQueue) Enqueue(ctx context.Context, es []touch.Entry) error {
	f.got = append(f.got, es...)
	return nil
}

// chain is three stores in three time zones.
var chain = []loupe.Store{
	{StoreID: "nyc", Timezone: "America/New_York"},
	{StoreID: "lon", Timezone: "Europe/London"},
	{StoreID: "syd", Timezone: "Australia/Sydney"},
}

func entry(id, store string) touch.Entry {
	return touch.Entry{Key: touch.Key{CustomerID: id, Occasion: touch.Birthday, Year: 2026}, StoreID: store}
}

func payload(t *testing.T, name string) json.RawMessage {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The hourly run plans the stores whose local hour is PlanHour, on their local
// day, whatever the payload carries when it has no scheduled_time (then: now).
func TestScheduledRun(t *testing.T) {
	now := time.Date(2026, 12, 1, 11, 5, 0, 0, time.UTC) // 06:05 New York, 11:05 London, 22:05 Sydney
	for _, name := range []string{"scheduler-empty.json", "scheduler-default.json", "null.json"} {
		t.Run(name, func(t *testing.T) {
			p := &fakePlanner{stores: chain, requeued: 2, deferred: 3,
				days: map[string][]touch.Entry{"nyc": {entry("c1", "nyc"), entry("c2", "nyc")}, "lon": {entry("c3", "lon")}}}
			m := &fakeMorning{sent: 1}
			q := &fakeQueue{}
			var emfOut bytes.Buffer
			h := newHandler(p, m, q, &mail.Fake{}, config{Schedule: touch.Schedule{PlanHour: 6}, Now: func() time.Time { return now }},
				emf.New(&emfOut, "touchpoints", nil), quiet())
			got, err := h(context.Background(), payload(t, name))
			if err != nil {
				t.Fatal(err)
			}
			if want := (response{Requeued: 2, Planned: 2, Deferred: 3, Stores: 1, Morning: 1}); got != want {
				t.Errorf("response = %+v, want %+v", got, want)
			}
			if want := []string{"requeue", "plan nyc 2026-12-01"}; !equal(p.calls, want) {
				t.Errorf("calls = %q, want %q", p.calls, want)
			}
			if want := []string{"morning 2026-12-01T11:05:00Z"}; !equal(m.calls, want) {
				t.Errorf("morning calls = %q, want %q", m.calls, want)
			}
			if len(q.got) != 2 {
				t.Errorf("enqueued %d, want 2", len(q.got))
			}
			var line map[string]any
			if err := json.Unmarshal(emfOut.Bytes(), &line); err != nil {
				t.Fatalf("EMF line %q: %v", emfOut.String(), err)
			}
			for name, want := range map[string]float64{"TouchpointsPlanned": 2, "TouchpointsDeferred": 3, "TouchpointsRequeued": 2, "InspectionMails": 1} {
				if line[name] != want {
					t.Errorf("EMF %s = %v, want %v", name, line[name], want)
				}
			}
		})
	}
}

// The schedule's Input carries the scheduled time: a retry an hour later
// still plans the stores of the scheduled hour, and each store is due in
// exactly one hour of its local day.
func TestScheduledTime(t *testing.T) {
	late := func() time.Time { return time.Date(2026, 12, 1, 13, 30, 0, 0, time.UTC) }
	planned := map[string][]string{}
	for h := range 24 {
		at := time.Date(2026, 12, 1, h, 5, 0, 0, time.UTC)
		p := &fakePlanner{stores: chain}
		m := &fakeMorning{}
		handler := newHandler(p, m, &fakeQueue{}, &mail.Fake{}, config{Schedule: touch.Schedule{PlanHour: 6}, Now: late}, nil, quiet())
		raw := json.RawMessage(`{"scheduled_time":"` + at.Format(time.RFC3339) + `"}`)
		if _, err := handler(context.Background(), raw); err != nil {
			t.Fatal(err)
		}
		for _, c := range p.calls[1:] {
			planned[c] = append(planned[c], at.Format("15:04"))
		}
		if want := "morning " + at.Format(time.RFC3339); len(m.calls) != 1 || m.calls[0] != want {
			t.Errorf("morning calls = %q, want %q", m.calls, want)
		}
	}
	want := map[string][]string{
		"plan nyc 2026-12-01": {"11:05"}, // 06:05 EST
		"plan lon 2026-12-01": {"06:05"}, // 06:05 GMT
		"plan syd 2026-12-02": {"19:05"}, // 06:05 AEDT, already Dec 2
	}
	if len(planned) != len(want) {
		t.Errorf("planned %v, want %v", planned, want)
	}
	for k, v := range want {
		if !equal(planned[k], v) {
			t.Errorf("%s planned at %v, want %v", k, planned[k], v)
		}
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestManualDay(t *testing.T) {
	p := &fakePlanner{stores: chain, days: map[string][]touch.Entry{"nyc": {entry("c1", "nyc"), entry("c2", "nyc")}, "syd": {entry("c3", "syd")}},
		planErr: errors.New("plan store lon: throttled")}
	m := &fakeMorning{}
	q := &fakeQueue{}
	h := newHandler(p, m, q, &mail.Fake{}, config{Schedule: touch.Schedule{PlanHour: 6}}, nil, quiet())
	got, err := h(context.Background(), payload(t, "manual.json"))
	if err == nil {
		t.Fatal("want the failed store's error")
	}
	if want := (response{Date: "2026-12-01", Planned: 3, Stores: 3}); got != want {
		t.Errorf("response = %+v, want %+v", got, want)
	}
	want := []string{"requeue", "plan nyc 2026-12-01", "plan lon 2026-12-01", "plan syd 2026-12-01"}
	if !equal(p.calls, want) {
		t.Errorf("calls = %q, want %q", p.calls, want)
	}
	if want := []string{"morning on 2026-12-01"}; !equal(m.calls, want) {
		t.Errorf("morning calls = %q, want %q", m.calls, want)
	}
	if len(q.got) != 3 {
		t.Errorf("enqueued %d, want 3 (a failed store does not stop the others)", len(q.got))
	}
}

func TestInvalidPayload(t *testing.T) {
	for _, raw := range []string{`{"loupe_date":"12/01/2026"}`, `{"scheduled_time":"tomorrow"}`,
		`{"date":"2026-12-01"}`, `"2026-12-01"`, `{"loupe_date":20261201}`} {
		t.Run(raw, func(t *testing.T) {
			p := &fakePlanner{stores: chain}
			h := newHandler(p, &fakeMorning{}, &fakeQueue{}, &mail.Fake{}, config{Schedule: touch.Schedule{PlanHour: 6}}, nil, quiet())
			_, err := h(context.Background(), json.RawMessage(raw))
			var le *loupe.Error
			if !errors.As(err, &le) || le.Code != loupe.EINVALID {
				t.Fatalf("err = %v, want EINVALID", err)
			}
			if len(p.calls) != 0 {
				t.Errorf("calls = %q, want none", p.calls)
			}
		})
	}
}

// A requeue failure does not stop planning; both errors come back.
func TestErrorsJoined(t *testing.T) {
	p := &fakePlanner{stores: chain, requeueErr: errors.New("pending: throttled"), planErr: errors.New("plan store lon: bad zone"),
		days: map[string][]touch.Entry{"nyc": {entry("c1", "nyc")}}}
	at := func() time.Time { return time.Date(2026, 12, 1, 11, 5, 0, 0, time.UTC) }
	got, err := newHandler(p, &fakeMorning{}, &fakeQueue{}, &mail.Fake{}, config{Schedule: touch.Schedule{PlanHour: 6}, Now: at}, nil, quiet())(context.Background(), json.RawMessage(`{}`))
	if err == nil || got.Planned != 1 || len(p.calls) != 2 {
		t.Fatalf("got %+v, %v, calls %q; want planned 1, an error and both calls", got, err, p.calls)
	}
}

// ctxPlanner enqueues from PlanStores once its context is done, as the planner
// does with the batch it claimed last.
type ctxPlanner struct {
	fakePlanner
	planErr error
}

func (c *ctxPlanner) PlanStores(ctx context.Context, q touch.Queue, due func(loupe.Store) (touch.Day, bool, error)) (touch.Result, error) {
	<-ctx.Done() // the planning deadline: planMargin before the invocation's
	c.planErr = ctx.Err()
	err := q.Enqueue(ctx, []touch.Entry{{Key: touch.Key{CustomerID: "c1", Occasion: touch.Birthday, Year: 2026}}})
	return touch.Result{Planned: 1}, errors.Join(ctx.Err(), err)
}

type ctxQueue struct{ err error }

func (c *ctxQueue) Enqueue(ctx context.Context, es []touch.Entry) error {
	c.err = ctx.Err()
	return c.err
}

// Planning stops before the deadline; the claimed batch is still enqueued.
func TestDeadline(t *testing.T) {
	p := &ctxPlanner{}
	q := &ctxQueue{}
	ctx, cancel := context.WithTimeout(context.Background(), planMargin+50*time.Millisecond)
	defer cancel()
	_, err := newHandler(p, &fakeMorning{}, q, &mail.Fake{}, config{Schedule: touch.Schedule{PlanHour: 6}}, nil, quiet())(ctx, json.RawMessage(`{}`))
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(p.planErr, context.DeadlineExceeded) {
		t.Fatalf("err = %v, planning ctx = %v; want the planning deadline", err, p.planErr)
	}
	if q.err != nil {
		t.Errorf("enqueue context: %v, want a live one", q.err)
	}
	if ctx.Err() != nil {
		t.Errorf("planning ran to the invocation's deadline, want it stopped %v before", planMargin)
	}
}
