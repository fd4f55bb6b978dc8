package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
)

// runOrphans is loupe orphans [--data DIR] [--format csv|json] [--reassign]:
// list every orphaned client (owner terminated, unknown or missing) and, with
// --reassign, reassign them as a termination would.
func runOrphans(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("orphans", stderr, "[--data DIR] [--format csv|json] [--reassign]")
	dataDir := fs.String("data", defaultDataDir, "data directory")
	format := fs.String("format", "csv", "output format: csv or json")
	doReassign := fs.Bool("reassign", false, "reassign the orphaned clients (one review batch per home store, mailed to its manager)")
	if err := fs.Parse(args); err != nil {
		return flagStatus(err)
	}
	if *format != "csv" && *format != "json" {
		return usageWhy(fs, stderr, "orphans: --format %q: want csv or json", *format)
	}
	if fs.NArg() > 0 {
		return usageWhy(fs, stderr, "orphans: unexpected argument %q", fs.Arg(0))
	}
	return withApp(ctx, "orphans", *dataDir, stderr, func(a *app) int {
		orphans, err := a.svc.Reassign.Orphans(ctx)
		if err != nil {
			return fail(stderr, "orphans: %v", err)
		}
		if *format == "json" {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			if err := enc.Encode(map[string]any{"orphans": orphans, "count": len(orphans)}); err != nil {
				return fail(stderr, "orphans: %v", err)
			}
		} else {
			w := csv.NewWriter(stdout)
			w.Write([]string{"customer_id", "name", "home_store_id", "associate_id", "reason"})
			for _, o := range orphans {
				w.Write([]string{o.CustomerID, o.Name, o.HomeStoreID, o.AssociateID, o.Reason})
			}
			if w.Flush(); w.Error() != nil {
				return fail(stderr, "orphans: %v", w.Error())
			}
		}
		if !*doReassign {
			return exitOK
		}
		ids, err := a.svc.Reassign.ReassignOrphans(ctx)
		if err != nil {
			return fail(stderr, "orphans: reassign: %v", err)
		}
		for _, id := range ids {
			fmt.Fprintf(stderr, "loupe: reassignment %s recorded (GET /reassignments/%s)\n", id, id)
		}
		fmt.Fprintf(stderr, "loupe: %d orphaned clients reassigned in %d batches\n", len(orphans), len(ids))
		return exitOK
	})
}
