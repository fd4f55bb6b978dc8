package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
)

// runForget is loupe forget CUSTOMER_ID [--data DIR]: the erasure DELETE
// /customers/{id} performs. Only a hashed suppression entry stays.
func runForget(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("forget", stderr, "CUSTOMER_ID [--data DIR]")
	dataDir := fs.String("data", defaultDataDir, "data directory")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return flagStatus(err)
	}
	if len(pos) != 1 {
		fs.Usage()
		return exitUsage
	}
	id := pos[0]
	if !loupe.ValidID(id) {
		return fail(stderr, "forget: %q is not a customer id", id)
	}
	return withApp(ctx, "forget", *dataDir, stderr, func(a *app) int {
		if err := loupe.Erase(ctx, a.db, a.svc.Compliance.ForgetRepairs, id, time.Now()); err != nil {
			return fail(stderr, "forget: %v", err)
		}
		fmt.Fprintf(stdout, "customer %s erased; its address stays only as a hashed suppression entry\n", id)
		return exitOK
	})
}
