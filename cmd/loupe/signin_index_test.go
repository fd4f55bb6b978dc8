package main

import (
	"context"
	"strings"
	"testing"

	"github.com/loupehq/loupe/shared/dynamo"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/testkit/storetest"
)

// TestSigninIndex: the command runs dynamo.IndexSignIn on the named table
// (through the standard AWS configuration) and says how many records it
// indexed; without --table it is a usage error.
func TestSigninIndex(t *testing.T) {
	var out, errb strings.Builder
	if code := run(context.Background(), []string{"signin-index"}, &out, &errb); code != exitUsage || !strings.Contains(errb.String(), "--table") {
		t.Fatalf("no --table: %d %q", code, errb.String())
	}
	client, table := dynaliteTable(t)
	db := dynamo.New(client, table)
	ctx := context.Background()
	if err := loupe.PutStore(ctx, db, storetest.Store("s1")); err != nil {
		t.Fatal(err)
	}
	if err := loupe.PutAssociate(ctx, db, storetest.Associate("a1", "s1")); err != nil {
		t.Fatal(err)
	}
	for range 2 { // a second run writes nothing
		out.Reset()
		errb.Reset()
		if code := run(ctx, []string{"signin-index", "--table", table}, &out, &errb); code != exitOK {
			t.Fatalf("signin-index: %d %s", code, errb.String())
		}
		if !strings.Contains(out.String(), "indexed for sign-in") {
			t.Errorf("output %q", out.String())
		}
	}
	as, ss, err := db.SignInRecords(ctx, "a1@staff.example.com")
	if err != nil || len(as) != 1 {
		t.Errorf("after the index: %v %v %v", as, ss, err)
	}
}
