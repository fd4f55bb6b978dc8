package main

import (
	"context"
	"fmt"
	"io"

	"github.com/loupehq/loupe/shared/loupe"
)

func init() { commands["inspect"] = runInspect }

// runInspect is loupe inspect --store S [--from D] [--to D] [--stop] [--data
// DIR]: start (or change) a store's inspection window, the same as PUT
// /stores/{store_id}/inspection (from defaults to the store's local today, to
// to from + 13 days, at most 31 days), or end it with --stop. It prints the
// window, one line. Exit 2 for a bad flag or day, 1 for an unknown store.
func runInspect(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("inspect", stderr, "--store STORE_ID [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--stop] [--data DIR]")
	store := fs.String("store", "", "store id (required)")
	from := fs.String("from", "", "first store-local day of the inspection (default: the store's today)")
	to := fs.String("to", "", "last day, inclusive (default: from + 13 days; at most 31 days in all)")
	stop := fs.Bool("stop", false, "end the store's inspection")
	dataDir := fs.String("data", defaultDataDir, "data directory")
	if err := fs.Parse(args); err != nil {
		return flagStatus(err)
	}
	if fs.NArg() != 0 || *store == "" {
		fs.Usage()
		return exitUsage
	}
	if *stop && (*from != "" || *to != "") {
		return usageError(stderr, "inspect: --stop takes no --from or --to")
	}
	return withApp(ctx, "inspect", *dataDir, stderr, func(a *app) int {
		if *stop {
			if err := a.svc.Compliance.StopInspection(ctx, *store); err != nil {
				return inspectError(stderr, err)
			}
			fmt.Fprintf(stdout, "inspection of store %s stopped\n", *store)
			return exitOK
		}
		in, err := a.svc.Compliance.StartInspection(ctx, *store, *from, *to)
		if err != nil {
			return inspectError(stderr, err)
		}
		fmt.Fprintf(stdout, "inspection of store %s: %s to %s; the manager is mailed each morning from %s\n",
			in.StoreID, in.From, in.To, nextDay(in.From))
		return exitOK
	})
}

// inspectError reports err on one line: exit 2 for invalid input, 1 otherwise.
func inspectError(stderr io.Writer, err error) int {
	if loupe.ErrorCode(err) == loupe.EINVALID {
		flag := "--" + loupe.ErrorField(err)
		if loupe.ErrorField(err) == "store_id" {
			flag = "--store"
		}
		return usageError(stderr, "inspect: %s: %s", flag, loupe.ErrorMessage(err))
	}
	return fail(stderr, "inspect: %s", loupe.ErrorMessage(err))
}

// nextDay returns the day after day ("YYYY-MM-DD"), or day when it is not one.
func nextDay(day string) string {
	t, err := loupe.ParseDay(day)
	if err != nil {
		return day
	}
	return t.AddDate(0, 0, 1).Format("2006-01-02")
}
