package main

import (
	"context"
	"errors"
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
		return usageWhy(fs, stderr, "forget: want one CUSTOMER_ID, got %d arguments", len(pos))
	}
	id := pos[0]
	if !loupe.ValidID(id) {
		return fail(stderr, "forget: %q is not a customer id", id)
	}
	return withApp(ctx, "forget", *dataDir, stderr, func(a *app) int {
		erasedAt, err := a.db.ErasedAt(ctx, id)
		if err != nil {
			return fail(stderr, "forget: %v", err)
		}
		err = a.svc.Erase(ctx, id, time.Now())
		switch {
		case errors.Is(err, loupe.ErrUnknownCustomer):
			return fail(stderr, "forget: no customer %s (check the id)", id)
		case err != nil:
			return fail(stderr, "forget: %v", err)
		case !erasedAt.IsZero():
			fmt.Fprintf(stdout, "customer %s was already erased on %s; erased again, nothing of it is left\n", id, erasedAt.UTC().Format(time.DateOnly))
		default:
			fmt.Fprintf(stdout, "customer %s erased; its address stays only as a hashed suppression entry\n", id)
		}
		return exitOK
	})
}
