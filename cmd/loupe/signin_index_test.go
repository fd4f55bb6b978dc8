package main

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/loupehq/loupe/shared/dynamo"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/testkit/storetest"
)

// TestSigninIndex: the command runs dynamo.IndexSignIn and
// dynamo.IndexToday on the named table (through the standard AWS
// configuration) and says how many records each rewrote; without --table
// it is a usage error.
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
	// A customer written before the Today list: the old sort keys.
	it := dynamo.NewCustomerItem(storetest.Customer("c1", "s1", "a1"))
	it.GSI1SK, it.GSI2SK, it.GSI3SK, it.Version = "CUST#c1", "CUST#c1", "CUST#c1", 1
	av, err := attributevalue.MarshalMap(it)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: av}); err != nil {
		t.Fatal(err)
	}
	for i := range 2 { // a second run writes nothing
		out.Reset()
		errb.Reset()
		if code := run(ctx, []string{"signin-index", "--table", table}, &out, &errb); code != exitOK {
			t.Fatalf("signin-index: %d %s", code, errb.String())
		}
		if !strings.Contains(out.String(), "indexed for sign-in") {
			t.Errorf("output %q", out.String())
		}
		if want := []string{"1 customer and repair records re-keyed", "0 customer and repair records re-keyed"}[i]; !strings.Contains(out.String(), want) {
			t.Errorf("run %d: output %q, want %q", i+1, out.String(), want)
		}
	}
	cs, err := db.BookByMonthDay(ctx, "a1", "birthday", "05-17")
	if err != nil || len(cs) != 1 {
		t.Errorf("birthdays after the index: %v %v", cs, err)
	}
	as, ss, err := db.SignInRecords(ctx, "a1@staff.example.com")
	if err != nil || len(as) != 1 {
		t.Errorf("after the index: %v %v %v", as, ss, err)
	}
}
