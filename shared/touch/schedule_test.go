package touch_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/touch"
)

// zones is three stores in three time zones and one whose zone does not load.
var zones = []loupe.Store{
	{StoreID: "nyc", Timezone: "America/New_York"},
	{StoreID: "lon", Timezone: "Europe/London"},
	{StoreID: "syd", Timezone: "Australia/Sydney"},
}

func TestScheduleDue(t *testing.T) {
	s := touch.Schedule{PlanHour: 6}
	tests := []struct {
		name    string
		at      time.Time
		due     []string // store:day
		catchUp []string
	}{
		// 06:05 New York, 11:05 London, 22:05 Sydney.
		{"new york morning", time.Date(2026, 12, 1, 11, 5, 0, 0, time.UTC), []string{"nyc:2026-12-01"},
			[]string{"nyc:2026-12-01", "lon:2026-12-01", "syd:2026-12-01"}},
		// 01:00 New York, 06:00 London, 17:00 Sydney.
		{"london morning", time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC), []string{"lon:2026-12-01"},
			[]string{"lon:2026-12-01", "syd:2026-12-01"}},
		// 14:59 New York (Nov 30), 19:59 London, 06:59 Sydney on Dec 1.
		{"sydney morning, next day", time.Date(2026, 11, 30, 19, 59, 0, 0, time.UTC), []string{"syd:2026-12-01"},
			[]string{"nyc:2026-11-30", "lon:2026-11-30", "syd:2026-12-01"}},
		// 00:30 New York: before everyone's plan hour but London's and Sydney's.
		{"no store at its hour", time.Date(2026, 12, 1, 5, 30, 0, 0, time.UTC), nil,
			[]string{"syd:2026-12-01"}},
	}
	run := func(due func(loupe.Store) (touch.Day, bool, error)) []string {
		var got []string
		for _, st := range zones {
			d, ok, err := due(st)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				got = append(got, st.StoreID+":"+d.String())
			}
		}
		return got
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := run(s.Due(tt.at)); !equalStrings(got, tt.due) {
				t.Errorf("Due = %q, want %q", got, tt.due)
			}
			if got := run(s.CatchUp(tt.at)); !equalStrings(got, tt.catchUp) {
				t.Errorf("CatchUp = %q, want %q", got, tt.catchUp)
			}
		})
	}
	if _, _, err := s.Due(time.Now())(loupe.Store{StoreID: "bad", Timezone: "Mars/Olympus"}); err == nil {
		t.Error("Due: a store whose zone does not load: no error")
	}
}

func equalStrings(a, b []string) bool {
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

// hourPlanner is a fake HourPlanner recording the stores it was asked to plan.
type hourPlanner struct {
	planned  []string
	requeued int
	err      error
}

func (h *hourPlanner) Requeue(context.Context, touch.Queue) (int, error) { return h.requeued, nil }

func (h *hourPlanner) PlanStores(ctx context.Context, q touch.Queue, due func(loupe.Store) (touch.Day, bool, error)) (touch.Result, error) {
	for _, st := range zones {
		d, ok, err := due(st)
		if err != nil {
			return touch.Result{}, err
		}
		if ok {
			h.planned = append(h.planned, st.StoreID+":"+d.String())
		}
	}
	return touch.Result{Planned: len(h.planned)}, h.err
}

type morning struct{ calls []string }

func (m *morning) RunMorning(_ context.Context, now time.Time, _ mail.Sender) (int, error) {
	m.calls = append(m.calls, "at "+now.UTC().Format(time.RFC3339))
	return 1, nil
}

func (m *morning) RunMorningOn(_ context.Context, today string, _ mail.Sender) (int, error) {
	m.calls = append(m.calls, "on "+today)
	return 2, nil
}

func TestHourlyRun(t *testing.T) {
	at := time.Date(2026, 12, 1, 11, 5, 0, 0, time.UTC)
	day := touch.DayOf(time.Date(2026, 12, 24, 0, 0, 0, 0, time.UTC))
	tests := []struct {
		name    string
		run     touch.Run
		planned []string
		morning string
		want    touch.HourResult
	}{
		{"scheduled", touch.Run{At: at}, []string{"nyc:2026-12-01"}, "at 2026-12-01T11:05:00Z",
			touch.HourResult{Requeued: 3, Planned: 1, Stores: 1, Morning: 1}},
		{"catch-up", touch.Run{At: at, CatchUp: true}, []string{"nyc:2026-12-01", "lon:2026-12-01", "syd:2026-12-01"}, "at 2026-12-01T11:05:00Z",
			touch.HourResult{Requeued: 3, Planned: 3, Stores: 3, Morning: 1}},
		{"manual", touch.Run{Manual: true, Day: day}, []string{"nyc:2026-12-24", "lon:2026-12-24", "syd:2026-12-24"}, "on 2026-12-24",
			touch.HourResult{Requeued: 3, Planned: 3, Stores: 3, Morning: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, m := &hourPlanner{requeued: 3}, &morning{}
			h := touch.Hourly{Planner: p, Morning: m, Schedule: touch.Schedule{PlanHour: 6}}
			got, err := h.Run(context.Background(), tt.run, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want || !equalStrings(p.planned, tt.planned) || len(m.calls) != 1 || m.calls[0] != tt.morning {
				t.Errorf("Run = %+v planned %q morning %q; want %+v, %q, %q", got, p.planned, m.calls, tt.want, tt.planned, tt.morning)
			}
		})
	}
	// A failed planning step does not stop the morning mails.
	p, m := &hourPlanner{err: errors.New("disk full")}, &morning{}
	_, err := touch.Hourly{Planner: p, Morning: m, Schedule: touch.Schedule{PlanHour: 6}}.Run(context.Background(), touch.Run{At: at}, nil)
	if err == nil || len(m.calls) != 1 {
		t.Errorf("Run with a failing plan: err %v, morning calls %q; want the error and the morning mail", err, m.calls)
	}
}

type settler struct {
	n   int
	err error
}

func (s *settler) SettleTerminations(context.Context) (int, error) { return s.n, s.err }

// TestHourlySettlesTerminations: the hourly run applies due terminations
// first, and a failure there does not stop planning.
func TestHourlySettlesTerminations(t *testing.T) {
	at := time.Date(2026, 12, 1, 11, 5, 0, 0, time.UTC)
	p, m := &hourPlanner{}, &morning{}
	got, err := touch.Hourly{Staff: &settler{n: 2}, Planner: p, Morning: m, Schedule: touch.Schedule{PlanHour: 6}}.Run(context.Background(), touch.Run{At: at}, nil)
	if err != nil || got.Terminated != 2 || got.Stores != 1 {
		t.Fatalf("Run = %+v, %v; want 2 terminated and the store planned", got, err)
	}
	p = &hourPlanner{}
	got, err = touch.Hourly{Staff: &settler{err: errors.New("throttled")}, Planner: p, Morning: m, Schedule: touch.Schedule{PlanHour: 6}}.Run(context.Background(), touch.Run{At: at}, nil)
	if err == nil || got.Stores != 1 {
		t.Fatalf("Run with a failing settle = %+v, %v; want the error and the store planned", got, err)
	}
}
