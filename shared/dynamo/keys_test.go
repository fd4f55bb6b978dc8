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
	"github.com/loupehq/loupe/shared/testkit/storetest"
)

// attrS returns the string attribute name of item, "" when absent, and
// "<not S>" when it is another type.
func attrS(item map[string]types.AttributeValue, name string) string {
	av, ok := item[name]
	if !ok {
		return ""
	}
	sv, ok := av.(*types.AttributeValueMemberS)
	if !ok {
		return "<not S>"
	}
	return sv.Value
}

// TestItemKeys pins the stored keys to the fixed single-table design
// (notes/keys.md, docs/data-model.md) that the SAM template relies on.
func TestItemKeys(t *testing.T) {
	client, table := newTable(t)
	db := dynamo.New(client, table)
	ctx := context.Background()
	takenIn := time.Date(2026, 11, 20, 23, 30, 0, 5, time.UTC)
	repair := storetest.Repair("r1", "s1", "c1", takenIn)
	repair.LocalDay = "2026-11-20"
	noAssoc := storetest.Customer("c2", "s2", "")
	noAssoc.Birthday, noAssoc.Anniversary, noAssoc.Phone = loupe.Date{}, loupe.Date{}, ""
	datesOnly := storetest.Customer("c3", "s2", "")
	listed := storetest.Customer("c4", "s1", "a1")
	for what, err := range map[string]error{
		"put store":     loupe.PutStore(ctx, db, storetest.Store("s1")),
		"put associate": loupe.PutAssociate(ctx, db, storetest.Associate("a1", "s1")),
		"put customer":  loupe.PutCustomer(ctx, db, storetest.Customer("c1", "s1", "a1")),
		"put customer2": loupe.PutCustomer(ctx, db, noAssoc),
		"put customer3": loupe.PutCustomer(ctx, db, datesOnly),
		"put customer4": loupe.PutCustomer(ctx, db, listed),
		"put repair":    db.PutRepair(ctx, repair),
		"put purchase":  db.PutPurchase(ctx, storetest.Purchase("p1", "c1", takenIn)),
	} {
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	if _, err := db.ClaimEvent(ctx, "evt_1", "h", storetest.T0); err != nil {
		t.Fatalf("mark event: %v", err)
	}
	err := db.UpdateCustomer(ctx, "c4", func(c *loupe.Customer, _ time.Time) (loupe.Customer, bool, error) {
		c.ListedAt = takenIn
		return *c, true, nil
	})
	if err != nil {
		t.Fatalf("list customer: %v", err)
	}

	attrs := []string{"kind", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "GSI3PK", "GSI3SK", "GSI4PK", "GSI4SK", "GSI5PK", "GSI5SK"}
	tests := []struct {
		name   string
		pk, sk string
		want   map[string]string // attrs above; absent ones must be absent
	}{
		{"store", "STORE#s1", "STORE", map[string]string{"kind": "store", "GSI1PK": "STORES", "GSI1SK": "STORE#s1",
			"GSI2PK": "SIGNIN#manager-s1@example.com", "GSI2SK": "STORE#s1"}},
		{"associate", "ASSOC#a1", "ASSOC", map[string]string{"kind": "associate",
			"GSI1PK": "STAFF#s1", "GSI1SK": "ASSOC#a1", "GSI2PK": "SIGNIN#a1@staff.example.com", "GSI2SK": "ASSOC#a1",
			"GSI4PK": "ASSOCIATES", "GSI4SK": "ASSOC#a1"}},
		{"customer", "CUST#c1", "CUST", map[string]string{"kind": "customer",
			"GSI1PK": "BOOK#a1", "GSI1SK": "1#0001-01-01T00:00:00.000000000Z#c1", "GSI2PK": "BDAY#05-17", "GSI2SK": "a1#CUST#c1",
			"GSI3PK": "ANNIV#06-21", "GSI3SK": "a1#CUST#c1", "GSI4PK": "HOME#s1", "GSI4SK": "CUST#c1",
			"GSI5PK": "PHONE#+12125550147", "GSI5SK": "CUST#c1"}},
		{"customer listed", "CUST#c4", "CUST", map[string]string{"kind": "customer",
			"GSI1PK": "BOOK#a1", "GSI1SK": "1#2026-11-20T23:30:00.000000005Z#c4", "GSI2PK": "BDAY#05-17", "GSI2SK": "a1#CUST#c4",
			"GSI3PK": "ANNIV#06-21", "GSI3SK": "a1#CUST#c4", "GSI4PK": "HOME#s1", "GSI4SK": "CUST#c4",
			"GSI5PK": "PHONE#+12125550147", "GSI5SK": "CUST#c4"}},
		{"customer without associate, dates or phone", "CUST#c2", "CUST", map[string]string{"kind": "customer",
			"GSI4PK": "HOME#s2", "GSI4SK": "CUST#c2"}},
		{"customer without associate", "CUST#c3", "CUST", map[string]string{"kind": "customer",
			"GSI2PK": "BDAY#05-17", "GSI2SK": "#CUST#c3", "GSI3PK": "ANNIV#06-21", "GSI3SK": "#CUST#c3",
			"GSI4PK": "HOME#s2", "GSI4SK": "CUST#c3", "GSI5PK": "PHONE#+12125550147", "GSI5SK": "CUST#c3"}},
		{"repair", "REPAIR#r1", "REPAIR", map[string]string{"kind": "repair",
			"GSI1PK": "TAKEIN#s1#2026-11-20", "GSI1SK": "2026-11-20T23:30:00.000000005Z#r1",
			"GSI3PK": "REPAIRS#c1", "GSI3SK": "2026-11-20T23:30:00.000000005Z#r1"}},
		{"purchase", "CUST#c1", "PURCHASE#2026-11-20T23:30:00.000000005Z#p1", map[string]string{"kind": "purchase"}},
		{"purchase id guard", "PURCHASE#p1", "PURCHASE", map[string]string{"kind": "purchase"}},
		{"processed event", "EVENT#evt_1", "EVENT", map[string]string{"kind": "event"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			item := rawItem(t, client, table, tc.pk, tc.sk)
			for _, a := range attrs {
				if got, want := attrS(item, a), tc.want[a]; got != want {
					t.Errorf("%s: got %q, want %q", a, got, want)
				}
			}
		})
	}
	t.Run("event expires_at 30 days out", func(t *testing.T) {
		item := rawItem(t, client, table, "EVENT#evt_1", "EVENT")
		n, ok := item["expires_at"].(*types.AttributeValueMemberN)
		if want := storetest.T0.Add(30 * 24 * time.Hour).Unix(); !ok || n.Value != itoa(want) {
			t.Errorf("expires_at: got %#v, want N %d", item["expires_at"], want)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestPutCustomerClearsIndexKeys checks that an upsert clearing a field drops
// its index key (sparse indexes), in one read and one conditional write.
func TestPutCustomerClearsIndexKeys(t *testing.T) {
	client, table := newTable(t)
	counter := dynamo.NewCounter(client)
	db := dynamo.New(counter, table)
	ctx := context.Background()
	c := storetest.Customer("c1", "s1", "a1")
	if err := loupe.PutCustomer(ctx, db, c); err != nil {
		t.Fatalf("put customer: %v", err)
	}
	c.Birthday, c.Anniversary, c.AssociateID, c.FirstName, c.Preferences = loupe.Date{}, loupe.Date{}, "", "", nil
	c.Email, c.UpdatedAt = "", storetest.At(time.Minute)
	counter.Reset()
	if err := loupe.PutCustomer(ctx, db, c); err != nil {
		t.Fatalf("put customer again: %v", err)
	}
	if got := counter.Counts(); got["GetItem"] != 1 || got["UpdateItem"] != 1 || counter.Total() != 2 {
		t.Errorf("requests for one upsert: got %v, want one GetItem and one UpdateItem", got)
	}
	item := rawItem(t, client, table, "CUST#c1", "CUST")
	for _, a := range []string{"GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "GSI3PK", "GSI3SK", "birthday", "anniversary", "associate_id", "first_name", "preferences"} {
		if _, ok := item[a]; ok {
			t.Errorf("attribute %s: still stored after the upsert cleared it", a)
		}
	}
	if got, want := attrS(item, "email"), storetest.Customer("c1", "s1", "a1").Email; got != want {
		t.Errorf("email kept when the upsert has none: got %q, want %q", got, want)
	}
	if got := attrS(item, "email_status"); got != loupe.EmailOK {
		t.Errorf("email_status: got %q, want %q", got, loupe.EmailOK)
	}
}

// TestPutPurchaseCompletesInterruptedInsert: a guard written by a call that
// died before the purchase item is completed by the retry, and a different
// purchase reusing the id is refused.
func TestPutPurchaseCompletesInterruptedInsert(t *testing.T) {
	client, table := newTable(t)
	db := dynamo.New(client, table)
	ctx := context.Background()
	p := storetest.Purchase("p1", "c1", storetest.T0)
	if err := db.PutPurchase(ctx, p); err != nil {
		t.Fatalf("put purchase: %v", err)
	}
	sk := "PURCHASE#" + storetest.T0.UTC().Format("2006-01-02T15:04:05.000000000Z07:00") + "#p1"
	if _, err := client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: "CUST#c1"}, "SK": &types.AttributeValueMemberS{Value: sk},
	}}); err != nil {
		t.Fatalf("delete purchase item: %v", err)
	}
	if err := db.PutPurchase(ctx, p); err != nil {
		t.Fatalf("retry after interruption: got %v, want nil", err)
	}
	got, err := db.PurchasesByCustomer(ctx, "c1")
	if err != nil || len(got) != 1 {
		t.Fatalf("purchases after retry: got %d, %v; want 1", len(got), err)
	}
	if err := db.PutPurchase(ctx, p); !errors.Is(err, loupe.ErrExists) {
		t.Errorf("third put: got %v, want ErrExists", err)
	}
	other := storetest.Purchase("p1", "c2", storetest.At(time.Hour))
	if err := db.PutPurchase(ctx, other); !errors.Is(err, loupe.ErrExists) {
		t.Errorf("same id, other customer: got %v, want ErrExists", err)
	}
}

// TestTerminateAssociateRequests: a termination is one read and one
// conditional write; a replay is the read alone; a newer termination's
// terminated_at wins (per field, CONTRACT section 2).
func TestTerminateAssociateRequests(t *testing.T) {
	client, table := newTable(t)
	counter := dynamo.NewCounter(client)
	db := dynamo.New(counter, table)
	ctx := context.Background()
	if err := loupe.PutAssociate(ctx, db, storetest.Associate("a1", "s1")); err != nil {
		t.Fatalf("put associate: %v", err)
	}
	counter.Reset()
	if err := loupe.TerminateAssociate(ctx, db, "a1", storetest.At(time.Hour), storetest.At(time.Hour)); err != nil {
		t.Fatalf("terminate: %v", err)
	}
	if got := counter.Counts(); got["GetItem"] != 1 || got["UpdateItem"] != 1 || counter.Total() != 2 {
		t.Errorf("requests for a termination: got %v, want one GetItem and one UpdateItem", got)
	}
	counter.Reset()
	if err := loupe.TerminateAssociate(ctx, db, "a1", storetest.At(time.Hour), storetest.At(time.Hour)); err != nil {
		t.Fatalf("replay: %v", err)
	}
	if got := counter.Counts(); got["GetItem"] != 1 || counter.Total() != 1 {
		t.Errorf("requests for a replayed termination: got %v, want one GetItem", got)
	}
	if err := loupe.TerminateAssociate(ctx, db, "a1", storetest.At(2*time.Hour), storetest.At(2*time.Hour)); err != nil {
		t.Fatalf("terminate again: got %v, want nil", err)
	}
	a, err := db.GetAssociate(ctx, "a1")
	if err != nil {
		t.Fatalf("get associate: %v", err)
	}
	if !a.TerminatedAt.Equal(storetest.At(2*time.Hour)) || a.Status != loupe.StatusTerminated {
		t.Errorf("after a newer termination: got %s at %v, want terminated at %v", a.Status, a.TerminatedAt, storetest.At(2*time.Hour))
	}
}

// BenchmarkPutCustomer measures one POS customer upsert against dynalite and
// reports the DynamoDB requests it costs, counted.
func BenchmarkPutCustomer(b *testing.B) {
	client, table := newTable(b)
	counter := dynamo.NewCounter(client)
	db := dynamo.New(counter, table)
	ctx := context.Background()
	c := storetest.Customer("c1", "s1", "a1")
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		c.UpdatedAt = storetest.At(time.Duration(i) * time.Second)
		if err := loupe.PutCustomer(ctx, db, c); err != nil {
			b.Fatalf("put customer: %v", err)
		}
	}
	b.ReportMetric(float64(counter.Total())/float64(b.N), "requests/op")
}
