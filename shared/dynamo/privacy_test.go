package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/loupehq/loupe/shared/dynamo"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/testkit/storetest"
)

func TestPrivacyContract(t *testing.T) {
	storetest.RunPrivacy(t, func(t *testing.T) storetest.PrivacyDB { return open(t) })
}

// TestEraseLeavesNoPersonalData reads every item of the table after an
// erasure: none may hold the customer's id in a key, email, names or phone.
func TestEraseLeavesNoPersonalData(t *testing.T) {
	ctx := context.Background()
	client, table := newTable(t)
	counter := dynamo.NewCounter(client)
	db := dynamo.New(counter, table)
	c := storetest.Customer("c1", "s1", "a1")
	steps := []error{
		loupe.PutCustomer(ctx, db, c),
		db.PutPurchase(ctx, storetest.Purchase("p1", "c1", storetest.At(time.Hour))),
		db.PutPurchase(ctx, storetest.Purchase("p2", "c1", storetest.At(2*time.Hour))),
		db.PutRepair(ctx, storetest.Repair("r1", "s1", "c1", storetest.At(time.Hour))),
	}
	for i, err := range steps {
		if err != nil {
			t.Fatalf("setup step %d: %v", i, err)
		}
	}
	counter.Reset()
	if err := db.EraseCustomer(ctx, "c1", storetest.At(3*time.Hour)); err != nil {
		t.Fatalf("erase: %v", err)
	}
	t.Logf("erasure requests: %v", counter.Counts())

	out, err := client.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	if len(out.Items) == 0 {
		t.Fatal("scan: no items, want the suppression and erasure records")
	}
	for _, item := range out.Items {
		var plain map[string]any
		if err := attributevalue.UnmarshalMap(item, &plain); err != nil {
			t.Fatalf("decode item: %v", err)
		}
		dump := fmt.Sprint(plain)
		for _, v := range []string{c.Email, c.FirstName, c.LastName, c.Phone, "CUST#c1"} {
			if strings.Contains(dump, v) {
				t.Errorf("item %v still holds %q", item["PK"], v)
			}
		}
	}
}

// TestSetEmailStatusOf counts the requests of each case: the address goes on
// the suppression list in every case, the status changes only for the named
// customer still holding the address, and nothing Scans the table.
func TestSetEmailStatusOf(t *testing.T) {
	tests := []struct {
		name        string
		id, email   string
		status      string
		wantChanged bool
		wantStatus  map[string]string // EmailStatus by customer id afterwards
		wantCounts  map[string]int64
	}{
		{"bounce of the customer's address, other case", "c1", " C1@Client.Example.com ", loupe.EmailBounced, true,
			map[string]string{"c1": loupe.EmailBounced, "c2": loupe.EmailOK},
			map[string]int64{"PutItem": 1, "GetItem": 1, "UpdateItem": 1}},
		{"complaint over a bounce", "c3", "c3@client.example.com", loupe.EmailComplained, true,
			map[string]string{"c3": loupe.EmailComplained},
			map[string]int64{"PutItem": 1, "GetItem": 1, "UpdateItem": 1}},
		{"bounce over a complaint changes nothing", "c3", "c3@client.example.com", loupe.EmailBounced, false,
			map[string]string{"c3": loupe.EmailComplained},
			map[string]int64{"PutItem": 1, "GetItem": 1}},
		{"address no longer the customer's", "c2", "old.address@client.example.com", loupe.EmailBounced, false,
			map[string]string{"c2": loupe.EmailOK},
			map[string]int64{"PutItem": 1, "GetItem": 1}},
		{"erased customer", "c4", "c4@client.example.com", loupe.EmailBounced, false,
			nil,
			map[string]int64{"PutItem": 1, "GetItem": 1}},
		{"unknown customer", "nobody", "nobody@client.example.com", loupe.EmailComplained, false,
			nil,
			map[string]int64{"PutItem": 1, "GetItem": 1}},
	}
	ctx := context.Background()
	client, table := newTable(t)
	counter := dynamo.NewCounter(client)
	db := dynamo.New(counter, table)
	for _, id := range []string{"c1", "c2", "c3", "c4"} {
		if err := loupe.PutCustomer(ctx, db, storetest.Customer(id, "s1", "a1")); err != nil {
			t.Fatalf("put %s: %v", id, err)
		}
	}
	if err := db.SetEmailStatus(ctx, "c3", loupe.EmailBounced, storetest.T0); err != nil {
		t.Fatalf("bounce c3: %v", err)
	}
	if err := db.EraseCustomer(ctx, "c4", storetest.T0); err != nil {
		t.Fatalf("erase c4: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			counter.Reset()
			changed, err := db.SetEmailStatusOf(ctx, tt.id, tt.email, tt.status, storetest.At(time.Hour))
			if err != nil {
				t.Fatalf("SetEmailStatusOf: %v", err)
			}
			counts := counter.Counts()
			t.Logf("requests: %v", counts)
			if changed != tt.wantChanged {
				t.Errorf("changed = %v, want %v", changed, tt.wantChanged)
			}
			if !maps.Equal(counts, tt.wantCounts) {
				t.Errorf("requests = %v, want %v", counts, tt.wantCounts)
			}
			suppressed, err := db.Suppressed(ctx, tt.email)
			if err != nil || !suppressed {
				t.Errorf("Suppressed(%q) = %v, %v; want true, nil", tt.email, suppressed, err)
			}
			for id, want := range tt.wantStatus {
				c, err := db.GetCustomer(ctx, id)
				if err != nil {
					t.Fatalf("get %s: %v", id, err)
				}
				if c.EmailStatus != want {
					t.Errorf("%s EmailStatus = %q, want %q", id, c.EmailStatus, want)
				}
			}
		})
	}
}

func TestSetEmailStatusOfRefuses(t *testing.T) {
	tests := []struct {
		name, id, email, status string
	}{
		{"ok", "c1", "c1@client.example.com", loupe.EmailOK},
		{"unknown status", "c1", "c1@client.example.com", "gone"},
		{"erased is no email status", "c1", "c1@client.example.com", loupe.SuppressErased},
		{"empty address", "c1", "  ", loupe.EmailBounced},
		{"empty id", "", "c1@client.example.com", loupe.EmailBounced},
	}
	client, table := newTable(t)
	counter := dynamo.NewCounter(client)
	db := dynamo.New(counter, table)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := db.SetEmailStatusOf(context.Background(), tt.id, tt.email, tt.status, storetest.T0)
			var le *loupe.Error
			if !errors.As(err, &le) || le.Code != loupe.EINVALID {
				t.Errorf("err = %v, want an EINVALID *loupe.Error", err)
			}
		})
	}
	if n := counter.Total(); n != 0 {
		t.Errorf("requests = %d, want 0", n)
	}
}

func TestSuppress(t *testing.T) {
	ctx := context.Background()
	client, table := newTable(t)
	counter := dynamo.NewCounter(client)
	db := dynamo.New(counter, table)
	for _, reason := range []string{loupe.EmailBounced, loupe.EmailComplained} { // the second is a no-op
		counter.Reset()
		if err := db.Suppress(ctx, "Staff.Manager@Stores.Example.com", reason, storetest.T0); err != nil {
			t.Fatalf("suppress %s: %v", reason, err)
		}
		if got, want := counter.Counts(), map[string]int64{"PutItem": 1}; !maps.Equal(got, want) {
			t.Errorf("suppress %s: requests = %v, want %v", reason, got, want)
		}
	}
	if ok, err := db.Suppressed(ctx, "staff.manager@stores.example.com"); err != nil || !ok {
		t.Errorf("Suppressed = %v, %v; want true, nil", ok, err)
	}
	for _, bad := range [][2]string{{"", loupe.EmailBounced}, {"x@example.com", loupe.EmailOK}, {"x@example.com", "gone"}} {
		var le *loupe.Error
		if err := db.Suppress(ctx, bad[0], bad[1], storetest.T0); !errors.As(err, &le) || le.Code != loupe.EINVALID {
			t.Errorf("Suppress(%q, %q) = %v, want an EINVALID *loupe.Error", bad[0], bad[1], err)
		}
	}
}
