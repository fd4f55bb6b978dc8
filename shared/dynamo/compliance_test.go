package dynamo_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/compliance"
	"github.com/loupehq/loupe/shared/compliance/compliancetest"
	"github.com/loupehq/loupe/shared/dynamo"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/storetest"
)

func TestComplianceContract(t *testing.T) {
	compliancetest.Run(t, func(t *testing.T) compliance.Store { return open(t).Compliance() })
}

// writes sums the write requests a Counter saw.
func writes(c *dynamo.Counter) int64 {
	n := c.Counts()
	return n["PutItem"] + n["UpdateItem"] + n["DeleteItem"] + n["BatchWriteItem"]
}

// TestComplianceWritesPerTakeIn counts the DynamoDB writes of the stream
// handler's code path (compliance.Service.HandleChange on the dynamo adapter)
// for each kind of take-in, first delivery and replay: at most 3 each.
func TestComplianceWritesPerTakeIn(t *testing.T) {
	ctx := context.Background()
	client, table := newTable(t)
	seed := dynamo.New(client, table)
	if err := seed.PutStore(ctx, storetest.Store("s1")); err != nil {
		t.Fatal(err)
	}
	if err := seed.PutAssociate(ctx, storetest.Associate("a1", "s1")); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"c1", "c2", "c3"} {
		c := storetest.Customer(id, "s1", "a1")
		c.Email = ""
		if err := seed.PutCustomer(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	counter := dynamo.NewCounter(client)
	db := dynamo.New(counter, table)
	svc := &compliance.Service{Store: db.Compliance(), Stores: db, Associates: db, Customers: db,
		Now: func() time.Time { return storetest.T0 }}
	tests := []struct {
		name, email, customer string
		want                  int64 // writes on first delivery
	}{
		{"captured fills the profile", "ann@gmail.com", "c1", 2},
		{"empty", "", "c2", 2},
		{"typo", "ann@gmial.com", "c3", 2},
		{"captured, unknown customer", "bob@gmail.com", "c9", 2},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := storetest.Repair(fmt.Sprintf("r%d", i), "s1", tt.customer, storetest.At(time.Hour))
			r.CustomerEmail = tt.email
			c := loupe.Change{Entity: loupe.EntityRepair, Op: loupe.OpInsert, NewRepair: &r}
			for _, delivery := range []string{"first", "replay"} {
				counter.Reset()
				if err := svc.HandleChange(ctx, c); err != nil {
					t.Fatalf("%s delivery: %v", delivery, err)
				}
				got := writes(counter)
				if got > 3 {
					t.Errorf("%s delivery: writes = %d (%v), want at most 3", delivery, got, counter.Counts())
				}
				if delivery == "first" && got != tt.want {
					t.Errorf("first delivery: writes = %d (%v), want %d", got, counter.Counts(), tt.want)
				}
			}
		})
	}
	days, err := db.Compliance().Days(ctx, "2026-11-20", "2026-11-20", "s1")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := days[0].Associates["a1"], (compliance.Count{TakeIns: 4, WithEmail: 2}); len(days) != 1 || got != want {
		t.Fatalf("a1 on 2026-11-20 = %+v, want %+v", got, want)
	}
	c1, err := db.GetCustomer(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if c1.Email != "ann@gmail.com" || c1.EmailSource != loupe.EmailSourceRepair {
		t.Fatalf("c1 email source = %q, want repair with the captured address", c1.EmailSource)
	}
}
