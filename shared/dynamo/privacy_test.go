package dynamo_test

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/loupehq/loupe/shared/dynamo"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/reassign"
	"github.com/loupehq/loupe/shared/testkit/erasuretest"
	"github.com/loupehq/loupe/shared/testkit/storetest"
	"github.com/loupehq/loupe/shared/wire"
)

func TestPrivacyContract(t *testing.T) {
	storetest.RunPrivacy(t, func(t *testing.T) storetest.PrivacyDB { return open(t) })
}

// TestEraseLeavesNoPersonalData runs the erasure scenario (erasuretest) on
// dynalite through the services every function builds, and searches a Scan of
// the whole table: no item may hold the client's name, address, phone or
// birthday, nor a key of hers.
func TestEraseLeavesNoPersonalData(t *testing.T) {
	erasuretest.Run(t, func(t *testing.T) erasuretest.Target {
		client, table := newTable(t)
		db := dynamo.New(client, table)
		ports := wire.Ports{Records: db, Compliance: db.Compliance(), Ledger: db.Ledger()}
		svc := wire.Build(wire.Config{}, ports)
		return erasuretest.Target{
			Records: db, Erase: svc.Erase, Apply: svc.POS.Apply, Compliance: svc.Compliance.HandleChange,
			Dump: func(t *testing.T) []byte { return scanAll(t, client, table) },
		}
	})
}

// scanAll returns every item of table as JSON lines, keys included.
func scanAll(t *testing.T, client *dynamodb.Client, table string) []byte {
	t.Helper()
	var out []byte
	p := dynamodb.NewScanPaginator(client, &dynamodb.ScanInput{TableName: aws.String(table)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("scan: %v", err)
		}
		for _, item := range page.Items {
			var plain map[string]any
			if err := attributevalue.UnmarshalMap(item, &plain); err != nil {
				t.Fatalf("decode item: %v", err)
			}
			line, err := json.Marshal(plain)
			if err != nil {
				t.Fatal(err)
			}
			out = append(append(out, line...), '\n')
		}
	}
	return out
}

// TestEraseRequests counts the requests of an erasure through
// Services.Erase, for docs/privacy.md: a customer with 2 purchases, 1 repair,
// 1 contact and a place in 1 reassignment list.
func TestEraseRequests(t *testing.T) {
	ctx := context.Background()
	client, table := newTable(t)
	counter := dynamo.NewCounter(client)
	db := dynamo.New(counter, table)
	svc := wire.Build(wire.Config{}, wire.Ports{Records: db, Compliance: db.Compliance(), Ledger: db.Ledger()})
	c := storetest.Customer("c1", "s1", "a1")
	batch := reassign.Batch{ID: "b1", AssociateID: "a9", StoreID: "s1", CreatedAt: storetest.T0, Status: reassign.StatusDone}
	steps := []error{
		loupe.PutCustomer(ctx, db, c),
		db.PutPurchase(ctx, storetest.Purchase("p1", "c1", storetest.At(time.Hour))),
		db.PutPurchase(ctx, storetest.Purchase("p2", "c1", storetest.At(2*time.Hour))),
		db.PutRepair(ctx, storetest.Repair("r1", "s1", "c1", storetest.At(time.Hour))),
		loupe.RecordContact(ctx, db, loupe.Contact{CustomerID: "c1", At: storetest.At(time.Hour), Channel: "email", By: "loupe", Status: "sent", Ref: "x"}),
		db.CreateReassignment(ctx, batch),
		db.PutReassignmentAssignments(ctx, "b1", []reassign.Assignment{{CustomerID: "c1", CustomerName: "n", State: reassign.StateMoved}}),
	}
	for i, err := range steps {
		if err != nil {
			t.Fatalf("setup step %d: %v", i, err)
		}
	}
	counter.Reset()
	if err := svc.Erase(ctx, "c1", storetest.At(3*time.Hour)); err != nil {
		t.Fatalf("erase: %v", err)
	}
	t.Logf("erasure requests: %v", counter.Counts())
	dump := scanAll(t, client, table)
	for _, v := range []string{c.Email, c.FirstName, c.LastName, c.Phone, "CUST#c1"} {
		if strings.Contains(string(dump), v) {
			t.Errorf("the table still holds %q", v)
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

func TestNumberOptOutsContract(t *testing.T) {
	storetest.RunNumberOptOuts(t, func(t *testing.T) loupe.NumberOptOuts { return open(t) })
}
