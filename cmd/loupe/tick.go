package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/loupehq/loupe/shared/touch"
)

// maxTickDays bounds the days one loupe tick may run.
const maxTickDays = 400

// runTick is loupe tick --date YYYY-MM-DD [--to YYYY-MM-DD] [--data DIR]: the
// daily touchpoint job for each store-local day of the range, as the schedule
// would run it, mail delivered to the outbox. Every claimed-unsent touchpoint
// is recovered first, whatever its age (no other sender runs). It prints one
// line per day; running a day again sends nothing twice.
func runTick(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("tick", stderr, "--date YYYY-MM-DD [--to YYYY-MM-DD] [--data DIR] [--mail outbox|ses] [--sms outbox|aws]")
	dateFlag := fs.String("date", "", "first store-local day to run (required)")
	toFlag := fs.String("to", "", "last day to run, inclusive (default: --date)")
	dataDir := fs.String("data", defaultDataDir, "data directory")
	mailMode := mailFlag(fs)
	smsMode := smsFlag(fs)
	if err := fs.Parse(args); err != nil {
		return flagStatus(err)
	}
	switch {
	case *dateFlag == "":
		return usageWhy(fs, stderr, "tick: --date is required (the first store-local day to run, YYYY-MM-DD)")
	case fs.NArg() != 0:
		return usageWhy(fs, stderr, "tick: unexpected argument %q", fs.Arg(0))
	}
	from, err := touch.ParseDay(*dateFlag)
	if err != nil {
		return usageError(stderr, "tick: --date %q is not YYYY-MM-DD", *dateFlag)
	}
	to := from
	if *toFlag != "" {
		if to, err = touch.ParseDay(*toFlag); err != nil {
			return usageError(stderr, "tick: --to %q is not YYYY-MM-DD", *toFlag)
		}
	}
	if to.Before(from) {
		return usageError(stderr, "tick: --to %s is before --date %s", to, from)
	}
	if n := to.Sub(from) + 1; n > maxTickDays {
		return usageError(stderr, "tick: --date %s to --to %s is %d days; at most %d", from, to, n, maxTickDays)
	}
	if msg := checkMailMode(*mailMode) + checkSMSMode(*smsMode); msg != "" {
		return usageError(stderr, "tick: %s", msg)
	}
	return withAppSends(ctx, "tick", *dataDir, appOptions{mail: *mailMode, sms: *smsMode}, stderr, func(a *app) int {
		p := *a.svc.Planner
		p.RecoverAfter = -1 // no other sender is running: every claimed-unsent mail is ours to finish
		for day := from; !to.Before(day); day = day.AddDays(1) {
			if err := ctx.Err(); err != nil {
				return fail(stderr, "tick: %s: %v", day, err)
			}
			before, err := skipped(ctx, &p, day)
			if err != nil {
				return fail(stderr, "tick: %s: %v", day, err)
			}
			res, runErr := p.RunDay(ctx, day, a.mail)
			after, err := skipped(ctx, &p, day)
			if err != nil && runErr == nil {
				runErr = err
			}
			line := tickLine(day, res, before, after)
			// The inspection morning mails of this day (about the day before).
			morning, err := a.svc.Compliance.RunMorningOn(ctx, day.String(), a.mail)
			if err != nil && runErr == nil {
				runErr = err
			}
			if morning > 0 {
				line += fmt.Sprintf(" inspection_mails=%d", morning)
			}
			fmt.Fprintln(stdout, line)
			if runErr != nil {
				return fail(stderr, "tick: %s: %s", day, oneLine(runErr))
			}
		}
		pending, err := a.db.Ledger().Pending(ctx)
		if err != nil {
			return fail(stderr, "tick: %v", err)
		}
		if len(pending) > 0 {
			fmt.Fprintf(stdout, "pending=%d (claimed, not sent yet: the next run sends them)\n", len(pending))
		}
		return exitOK
	})
}

// skipped returns the ledger's skip tally of day over every store, by reason.
func skipped(ctx context.Context, p *touch.Planner, day touch.Day) (map[string]int, error) {
	stores, err := p.DB.ListStores(ctx)
	if err != nil {
		return nil, fmt.Errorf("list stores: %w", err)
	}
	out := map[string]int{}
	for _, s := range stores {
		counts, err := p.Ledger.Counts(ctx, s.StoreID, day, day)
		if err != nil {
			return nil, fmt.Errorf("counts %s: %w", s.StoreID, err)
		}
		for _, dc := range counts {
			for r, n := range dc.Skipped {
				out[r] += n
			}
		}
	}
	return out, nil
}

// tickLine is the summary of one day: what this run planned, sent (recovered
// included) and skipped, by reason (the change of the day's ledger tally).
func tickLine(day touch.Day, res touch.Result, before, after map[string]int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s planned=%d sent=%d recovered=%d deferred=%d", day, res.Planned, res.Sent, res.Recovered, res.Deferred)
	total := 0
	var reasons []string
	for _, r := range slices.Sorted(maps.Keys(after)) {
		if n := after[r] - before[r]; n > 0 {
			total += n
			reasons = append(reasons, fmt.Sprintf("%s=%d", r, n))
		}
	}
	fmt.Fprintf(&b, " skipped=%d", total)
	if len(reasons) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(reasons, " "))
	}
	return b.String()
}

// oneLine returns err's text on one line (joined errors are separated by "; ").
func oneLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}

// usageWhy writes "loupe: <reason>", then the command's usage, and returns
// exitUsage: a usage error names what is wrong first (CONTRACT section 5).
func usageWhy(fs *flag.FlagSet, stderr io.Writer, format string, args ...any) int {
	fmt.Fprintf(stderr, "loupe: "+format+"\n", args...)
	fs.Usage()
	return exitUsage
}

// usageError writes "loupe: <reason>" as one line and returns exitUsage.
func usageError(stderr io.Writer, format string, args ...any) int {
	fmt.Fprintf(stderr, "loupe: "+format+"\n", args...)
	return exitUsage
}
