package main

import (
	"context"
	"fmt"
	"io"
)

// runSigninIndex is `loupe signin-index --table NAME`: once after upgrading
// a deployed stack, it brings the index keys of items written before the
// upgrade up to date. It gives associate and store items their sign-in
// keys (dynamo.DB.IndexSignIn), so every existing associate and manager
// can sign in at once rather than after their record's next POS write, and
// re-keys customer items for the Today list (dynamo.DB.IndexToday: the book
// in turn order, birthdays and anniversaries by associate) and repair
// items for the client page (by customer). A second run
// writes nothing; a run after an interrupted one finishes it. The embedded
// store fills its indexes itself when it opens an older file.
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
	n, err = db.IndexToday(ctx)
	if err != nil {
		return fail(stderr, "signin-index: %d customer and repair records re-keyed before: %v", n, err)
	}
	fmt.Fprintf(stdout, "signin-index: %d customer and repair records re-keyed for the Today list and the client page\n", n)
	return exitOK
}
