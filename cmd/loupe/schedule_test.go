package main

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/embedded"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/testkit/storetest"
	"github.com/loupehq/loupe/shared/touch"
	"github.com/loupehq/loupe/shared/wire"
)

// serve's hourly run plans each store in the same local hour as the
// touchpoints function in AWS (LOUPE_PLAN_HOUR, default 06), because both run
// touch.Hourly with the Schedule wire builds from the same Config; the
// catch-up at start plans the stores already past that hour today.
func TestServeScheduleUsesThePlanHour(t *testing.T) {
	for _, tt := range []struct {
		name     string
		planHour string
		runs     []touch.Run
		mails    []int // outbox size after each run
	}{
		// 2026-11-20 11:05 UTC is 06:05 in New York (s1) and 11:05 in London (s2).
		{"default hour, new york first", "", []touch.Run{
			{At: time.Date(2026, 11, 20, 5, 5, 0, 0, time.UTC)},  // 00:05 New York, 05:05 London: nobody
			{At: time.Date(2026, 11, 20, 6, 5, 0, 0, time.UTC)},  // 06:05 London: s2's c9
			{At: time.Date(2026, 11, 20, 11, 5, 0, 0, time.UTC)}, // 06:05 New York: s1's c1 and c2
			{At: time.Date(2026, 11, 20, 11, 5, 0, 0, time.UTC)}, // the same hour again: nothing twice
		}, []int{0, 1, 3, 3}},
		{"LOUPE_PLAN_HOUR=9", "9", []touch.Run{
			{At: time.Date(2026, 11, 20, 11, 5, 0, 0, time.UTC)}, // 06:05 New York, 11:05 London: nobody at 09
			{At: time.Date(2026, 11, 20, 14, 5, 0, 0, time.UTC)}, // 09:05 New York: s1
		}, []int{0, 2}},
		{"catch-up at start", "", []touch.Run{
			{At: time.Date(2026, 11, 20, 11, 5, 0, 0, time.UTC), CatchUp: true}, // both past 06:00
		}, []int{3}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(wire.EnvPlanHour, tt.planHour)
			dir := t.TempDir()
			seedTick(t, dir)
			db, err := embedded.Open(filepath.Join(dir, dbFile))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			ctx := context.Background()
			lon := storetest.Store("s2")
			lon.Timezone, lon.Country = "Europe/London", "GB"
			c9 := storetest.Customer("c9", "s2", "a2")
			c9.Birthday, c9.Anniversary = loupe.Date{Year: 1975, Month: time.November, Day: 27}, loupe.Date{}
			for _, err := range []error{loupe.PutStore(ctx, db, lon), loupe.PutAssociate(ctx, db, storetest.Associate("a2", "s2")), loupe.PutCustomer(ctx, db, c9)} {
				if err != nil {
					t.Fatal(err)
				}
			}
			cfg, err := wire.FromEnv()
			if err != nil {
				t.Fatal(err)
			}
			a, err := newApp(ctx, db, dir, cfg, appOptions{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range tt.runs {
				a.runHour(ctx, r)
				if got := len(outboxFiles(t, dir)); got != tt.mails[i] {
					t.Fatalf("after run %d at %s: %d mails, want %d", i, r.At.Format(time.RFC3339), got, tt.mails[i])
				}
			}
		})
	}
}
