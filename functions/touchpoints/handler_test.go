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

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/metrics"
	"github.com/loupehq/loupe/shared/touch"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func noSleep(context.Context, time.Duration) error { return nil }

// fakePlanner records calls and answers with fixed results.
type fakePlanner struct {
	calls      []string
	requeued   int
	requeueErr error
	today      touch.Result
	todayErr   error
	days       map[string][]touch.Entry // per store
	dayErr     map[string]error
}

func (f *fakePlanner) Requeue(ctx context.Context, q touch.Queue) (int, error) {
	f.calls = append(f.calls, "requeue")
	return f.requeued, f.requeueErr
}

func (f *fakePlanner) PlanToday(ctx context.Context, q touch.Queue) (touch.Result, error) {
	f.calls = append(f.calls, "today")
	return f.today, f.todayErr
}

func (f *fakePlanner) PlanDay(ctx context.Context, s loupe.Store, day touch.Day) ([]touch.Entry, error) {
	f.calls = append(f.calls, "day "+s.StoreID+" "+day.String())
	return f.days[s.StoreID], f.dayErr[s.StoreID]
}

type fakeStores []loupe.Store

func (f fakeStores) ListStores(ctx context.Context) ([]loupe.Store, error) { return f, nil }

type fakeQueue struct{ got []touch.Entry }

func (f *fakeQueue) Enqueue(ctx context.Context, es []touch.Entry) error {
	f.got = append(f.got, es...)
	return nil
}

func payload(t *testing.T, name string) json.RawMessage {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Whatever the Scheduler sends is the scheduled run: requeue, then today.
func TestScheduledRun(t *testing.T) {
	for _, name := range []string{"scheduler-empty.json", "scheduler-default.json", "null.json"} {
		t.Run(name, func(t *testing.T) {
			p := &fakePlanner{requeued: 2, today: touch.Result{Planned: 40, Deferred: 3}}
			var emf bytes.Buffer
			h := newHandler(p, fakeStores{}, &fakeQueue{}, metrics.New(&emf, "touchpoints", nil), quiet())
			got, err := h(context.Background(), payload(t, name))
			if err != nil {
				t.Fatal(err)
			}
			if want := (response{Requeued: 2, Planned: 40, Deferred: 3}); got != want {
				t.Errorf("response = %+v, want %+v", got, want)
			}
			if len(p.calls) != 2 || p.calls[0] != "requeue" || p.calls[1] != "today" {
				t.Errorf("calls = %q, want requeue then today", p.calls)
			}
			var line map[string]any
			if err := json.Unmarshal(emf.Bytes(), &line); err != nil {
				t.Fatalf("EMF line %q: %v", emf.String(), err)
			}
			for name, want := range map[string]float64{"TouchpointsPlanned": 40, "TouchpointsDeferred": 3, "TouchpointsRequeued": 2} {
				if line[name] != want {
					t.Errorf("EMF %s = %v, want %v", name, line[name], want)
				}
			}
		})
	}
}

func TestManualDay(t *testing.T) {
	e := func(id string) touch.Entry {
		return touch.Entry{Key: touch.Key{CustomerID: id, Occasion: touch.Birthday, Year: 2026}, StoreID: "nyc"}
	}
	p := &fakePlanner{days: map[string][]touch.Entry{"nyc": {e("c1"), e("c2")}, "par": {e("c3")}},
		dayErr: map[string]error{"lon": errors.New("throttled")}}
	q := &fakeQueue{}
	h := newHandler(p, fakeStores{{StoreID: "nyc"}, {StoreID: "lon"}, {StoreID: "par"}}, q, nil, quiet())
	got, err := h(context.Background(), payload(t, "manual.json"))
	if err == nil {
		t.Fatal("want the failed store's error")
	}
	if want := (response{Date: "2026-12-01", Planned: 3}); got != want {
		t.Errorf("response = %+v, want %+v", got, want)
	}
	want := []string{"requeue", "day nyc 2026-12-01", "day lon 2026-12-01", "day par 2026-12-01"}
	if len(p.calls) != len(want) {
		t.Fatalf("calls = %q, want %q", p.calls, want)
	}
	for i := range want {
		if p.calls[i] != want[i] {
			t.Errorf("call %d = %q, want %q", i, p.calls[i], want[i])
		}
	}
	if len(q.got) != 3 {
		t.Errorf("enqueued %d, want 3 (a failed store does not stop the others)", len(q.got))
	}
}

func TestManualDayInvalid(t *testing.T) {
	p := &fakePlanner{}
	h := newHandler(p, fakeStores{}, &fakeQueue{}, nil, quiet())
	_, err := h(context.Background(), json.RawMessage(`{"loupe_date":"12/01/2026"}`))
	var le *loupe.Error
	if !errors.As(err, &le) || le.Code != loupe.EINVALID {
		t.Fatalf("err = %v, want EINVALID", err)
	}
	if len(p.calls) != 0 {
		t.Errorf("calls = %q, want none", p.calls)
	}
}

// A requeue failure does not stop planning; both errors come back.
func TestErrorsJoined(t *testing.T) {
	p := &fakePlanner{requeueErr: errors.New("pending: throttled"), todayErr: errors.New("plan store lon: bad zone"),
		today: touch.Result{Planned: 5}}
	got, err := newHandler(p, fakeStores{}, &fakeQueue{}, nil, quiet())(context.Background(), json.RawMessage(`{}`))
	if err == nil || got.Planned != 5 || len(p.calls) != 2 {
		t.Fatalf("got %+v, %v, calls %q; want planned 5, an error and both calls", got, err, p.calls)
	}
}

func TestParseCap(t *testing.T) {
	tests := []struct {
		in      string
		want    int
		wantErr bool
	}{{"", 0, false}, {"7", 7, false}, {"14", 14, false}, {"0", 0, true}, {"-3", 0, true}, {"400", 0, true}, {"week", 0, true}, {"7.5", 0, true}}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseCap(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("parseCap(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// ctxPlanner enqueues from PlanToday once its context is done, as the planner
// does with the batch it claimed last.
type ctxPlanner struct {
	fakePlanner
	planErr error
}

func (c *ctxPlanner) PlanToday(ctx context.Context, q touch.Queue) (touch.Result, error) {
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
	_, err := newHandler(p, fakeStores{}, q, nil, quiet())(ctx, json.RawMessage(`{}`))
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
