package main

import (
	"context"
	"fmt"
	"io"
)

// runSigninIndex is `loupe signin-index --table NAME`: once after upgrading
// a deployed stack to staff sign-in, it gives the associate and store items
// written before it their sign-in index keys (dynamo.DB.IndexSignIn), so
// every existing associate and manager can sign in at once rather than after
// their record's next POS write. A second run writes nothing. The embedded
// store fills its index itself when it opens an older file.
func runSigninIndex(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("signin-index", stderr, "--table NAME")
	table := fs.String("table", "", "the stack's DynamoDB table (standard AWS configuration; AWS_ENDPOINT_URL_DYNAMODB honoured)")
	if _, err := parseInterspersed(fs, args); err != nil {
		return exitUsage
	}
	if *table == "" {
		fmt.Fprintln(stderr, "loupe signin-index: --table is required")
		fs.Usage()
		return exitUsage
	}
	db, err := openTable(ctx, *table)
	if err != nil {
		return fail(stderr, "signin-index: %v", err)
	}
	n, err := db.IndexSignIn(ctx)
	if err != nil {
		return fail(stderr, "signin-index: %d records indexed before: %v", n, err)
	}
	fmt.Fprintf(stdout, "signin-index: %d associate and store records indexed for sign-in\n", n)
	return exitOK
}
