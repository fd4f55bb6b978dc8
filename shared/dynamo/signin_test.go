package dynamo_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/loupehq/loupe/shared/dynamo"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/testkit/signintest"
	"github.com/loupehq/loupe/shared/testkit/storetest"
)

func TestSignInContract(t *testing.T) {
	signintest.Run(t, func(t *testing.T) loupe.SignInStore { return open(t) })
}

// wantRequests fails t unless the counter saw exactly want since its last
// reset, then resets it.
func wantRequests(t *testing.T, what string, counter *dynamo.Counter, want map[string]int64) {
	t.Helper()
	got := counter.Counts()
	var total int64
	for op, n := range want {
		total += n
		if got[op] != n {
			t.Errorf("%s: %s requests: got %d, want %d (all: %v)", what, op, got[op], n, got)
		}
	}
	if counter.Total() != total {
		t.Errorf("%s: requests: got %v, want %v", what, got, want)
	}
	counter.Reset()
}

// TestSignInIndexKeys: the GSI2 keys of an associate and a store follow the
// address in the record's own versioned write (one GetItem, one UpdateItem),
// lower-cased, and are REMOVEd with it; the lookup is one Query.
func TestSignInIndexKeys(t *testing.T) {
	client, table := newTable(t)
	counter := dynamo.NewCounter(client)
	db := dynamo.New(counter, table)
	ctx := context.Background()
	a := storetest.Associate("a1", "s1")
	a.Email = "Ann.Lee@Shop.example.com"
	s := storetest.Store("s1")
	s.ManagerEmail = "Ann.Lee@shop.example.com"
	if err := loupe.PutAssociate(ctx, db, a); err != nil {
		t.Fatalf("put associate: %v", err)
	}
	if err := loupe.PutStore(ctx, db, s); err != nil {
		t.Fatalf("put store: %v", err)
	}
	counter.Reset()
	as, ss, err := db.SignInRecords(ctx, "ann.lee@shop.example.com")
	if err != nil || len(as) != 1 || len(ss) != 1 {
		t.Fatalf("sign-in records: got %d associates, %d stores, %v; want 1 and 1", len(as), len(ss), err)
	}
	wantRequests(t, "SignInRecords", counter, map[string]int64{"Query": 1})
	if _, _, err := db.SignInRecords(ctx, " "); err != nil {
		t.Fatalf("sign-in records of a blank address: %v", err)
	}
	wantRequests(t, "SignInRecords of a blank address", counter, map[string]int64{})

	for _, k := range []struct{ pk, sk, gsiSK string }{{"ASSOC#a1", "ASSOC", "ASSOC#a1"}, {"STORE#s1", "STORE", "STORE#s1"}} {
		item := rawItem(t, client, table, k.pk, k.sk)
		if got, want := attrS(item, "GSI2PK"), "SIGNIN#ann.lee@shop.example.com"; got != want {
			t.Errorf("%s GSI2PK: got %q, want %q", k.pk, got, want)
		}
		if got := attrS(item, "GSI2SK"); got != k.gsiSK {
			t.Errorf("%s GSI2SK: got %q, want %q", k.pk, got, k.gsiSK)
		}
	}

	a.Email, a.UpdatedAt = "kim@shop.example.com", storetest.At(time.Hour)
	if err := loupe.PutAssociate(ctx, db, a); err != nil {
		t.Fatalf("change email: %v", err)
	}
	wantRequests(t, "email change", counter, map[string]int64{"GetItem": 1, "UpdateItem": 1})
	if got := attrS(rawItem(t, client, table, "ASSOC#a1", "ASSOC"), "GSI2PK"); got != "SIGNIN#kim@shop.example.com" {
		t.Errorf("GSI2PK after the change: got %q", got)
	}

	a.Email, a.UpdatedAt = "", storetest.At(2*time.Hour)
	s.ManagerEmail, s.UpdatedAt = "", storetest.At(2*time.Hour)
	if err := loupe.PutAssociate(ctx, db, a); err != nil {
		t.Fatalf("clear email: %v", err)
	}
	if err := loupe.PutStore(ctx, db, s); err != nil {
		t.Fatalf("clear manager: %v", err)
	}
	for _, k := range [][2]string{{"ASSOC#a1", "ASSOC"}, {"STORE#s1", "STORE"}} {
		item := rawItem(t, client, table, k[0], k[1])
		for _, attr := range []string{"GSI2PK", "GSI2SK"} {
			if _, ok := item[attr]; ok {
				t.Errorf("%s %s: still stored after the address was cleared", k[0], attr)
			}
		}
	}
}

// TestSignInItems pins the code and counter items (docs/data-model.md) and
// the one request each operation costs.
func TestSignInItems(t *testing.T) {
	client, table := newTable(t)
	counter := dynamo.NewCounter(client)
	db := dynamo.New(counter, table)
	ctx := context.Background()
	t0 := signintest.T0
	h := loupe.SignInCodeHash("code-1")
	if err := db.PutSignInCode(ctx, h, "ann@shop.example.com", t0.Add(15*time.Minute)); err != nil {
		t.Fatalf("put code: %v", err)
	}
	wantRequests(t, "PutSignInCode", counter, map[string]int64{"PutItem": 1})
	if err := db.PutSignInCode(ctx, h, "ann@shop.example.com", t0.Add(15*time.Minute)); !errors.Is(err, loupe.ErrExists) {
		t.Fatalf("put again: got %v, want ErrExists", err)
	}
	counter.Reset()

	code := rawItem(t, client, table, "SIGNINCODE#"+h, "CODE")
	if got := attrS(code, "email"); got != "ann@shop.example.com" {
		t.Errorf("code email: got %q", got)
	}
	if got, want := attrS(code, "valid_until"), "2026-11-20T10:19:05.123456789Z"; got != want {
		t.Errorf("code valid_until: got %q, want %q", got, want)
	}
	if got, want := attrN(code, "expires_at"), t0.Add(15*time.Minute).Unix()+1; got != want {
		t.Errorf("code expires_at: got %d, want %d (epoch seconds, rounded up)", got, want)
	}

	if _, err := db.TakeSignInCode(ctx, h, t0.Add(15*time.Minute)); !errors.Is(err, loupe.ErrNotFound) {
		t.Fatalf("take at expiry: got %v, want ErrNotFound", err)
	}
	wantRequests(t, "TakeSignInCode (expired)", counter, map[string]int64{"DeleteItem": 1})
	if got, err := db.TakeSignInCode(ctx, h, t0); err != nil || got != "ann@shop.example.com" {
		t.Fatalf("take: got %q, %v", got, err)
	}
	wantRequests(t, "TakeSignInCode", counter, map[string]int64{"DeleteItem": 1})

	if n, err := db.CountSignInMail(ctx, "Ann@Shop.example.com", t0); err != nil || n != 1 {
		t.Fatalf("count: got %d, %v; want 1", n, err)
	}
	wantRequests(t, "CountSignInMail", counter, map[string]int64{"UpdateItem": 1})
	rate := rawItem(t, client, table, "SIGNINRATE#"+loupe.SignInRateKey("ann@shop.example.com"), "2026-11-20T10")
	if got := attrN(rate, "n"); got != 1 {
		t.Errorf("counter n: got %d, want 1", got)
	}
	if got, want := attrN(rate, "expires_at"), t0.Truncate(time.Hour).Add(dynamo.SignInRateTTL).Unix(); got != want {
		t.Errorf("counter expires_at: got %d, want %d", got, want)
	}
	for name, av := range rate {
		if v, ok := av.(*types.AttributeValueMemberS); ok && v.Value == "ann@shop.example.com" {
			t.Errorf("counter attribute %s holds the address", name)
		}
	}
}

// attrN returns the number attribute name of item, -1 when absent or not N.
func attrN(item map[string]types.AttributeValue, name string) int64 {
	v, ok := item[name].(*types.AttributeValueMemberN)
	if !ok {
		return -1
	}
	n, err := strconv.ParseInt(v.Value, 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// TestIndexSignIn: items written before sign-in (no GSI2 keys) get them from
// IndexSignIn, once.
func TestIndexSignIn(t *testing.T) {
	client, table := newTable(t)
	db := dynamo.New(client, table)
	ctx := context.Background()
	if err := loupe.PutAssociate(ctx, db, storetest.Associate("a1", "s1")); err != nil {
		t.Fatalf("put associate: %v", err)
	}
	if err := loupe.PutAssociate(ctx, db, loupe.Associate{AssociateID: "a2", StoreID: "s1", Name: "No Mail", Status: loupe.StatusActive}); err != nil {
		t.Fatalf("put associate: %v", err)
	}
	if err := loupe.PutStore(ctx, db, storetest.Store("s1")); err != nil {
		t.Fatalf("put store: %v", err)
	}
	for _, k := range [][2]string{{"ASSOC#a1", "ASSOC"}, {"STORE#s1", "STORE"}} {
		_, err := client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: aws.String(table),
			Key: map[string]types.AttributeValue{
				"PK": &types.AttributeValueMemberS{Value: k[0]}, "SK": &types.AttributeValueMemberS{Value: k[1]},
			},
			UpdateExpression: aws.String("REMOVE GSI2PK, GSI2SK"),
		})
		if err != nil {
			t.Fatalf("drop keys of %s: %v", k[0], err)
		}
	}
	if as, ss, err := db.SignInRecords(ctx, "a1@staff.example.com"); err != nil || len(as)+len(ss) != 0 {
		t.Fatalf("before: got %d, %d, %v; want none", len(as), len(ss), err)
	}
	if n, err := db.IndexSignIn(ctx); err != nil || n != 2 {
		t.Fatalf("index: got %d, %v; want 2 items rewritten", n, err)
	}
	if as, _, err := db.SignInRecords(ctx, "a1@staff.example.com"); err != nil || len(as) != 1 {
		t.Errorf("associate after: got %d, %v; want 1", len(as), err)
	}
	if _, ss, err := db.SignInRecords(ctx, "manager-s1@example.com"); err != nil || len(ss) != 1 {
		t.Errorf("store after: got %d, %v; want 1", len(ss), err)
	}
	if n, err := db.IndexSignIn(ctx); err != nil || n != 0 {
		t.Errorf("second run: got %d, %v; want 0", n, err)
	}
}
