// Package erasuretest is the erasure scenario every store runs (embedded, and
// dynamo on dynalite): a client with a profile, consents, a postal address,
// repairs (one naming her in its item text, one without an address, so it is
// on compliance's missing list, one whose stream record arrives only after the
// erasure with a typo of her name), purchases, a contact history and a place in a
// reassignment list is erased through the process's erasure (the adapter's
// test passes wire.Services.Erase, the path of DELETE /customers/{id} and
// `loupe forget`); then every byte the store keeps (the raw file, or a Scan
// of the table) is searched for her name, address, phone and birthday.
package erasuretest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/pos"
	"github.com/loupehq/loupe/shared/reassign"
	"github.com/loupehq/loupe/shared/testkit/storetest"
)

// Records is what the scenario reads and seeds directly.
type Records interface {
	loupe.DB
	loupe.Privacy
	reassign.Store
}

// Target is one store under test, with the services a process builds over
// it (the adapter's test builds them with wire.Build, which a test kit may
// not import).
type Target struct {
	Records Records
	// Erase is wire.Services.Erase, with the runtime's forgetters.
	Erase func(ctx context.Context, customerID string, at time.Time) error
	// Apply is the POS service's Apply (late events).
	Apply func(ctx context.Context, body []byte) (pos.Result, error)
	// Compliance is the compliance service's HandleChange (the repair
	// stream).
	Compliance loupe.ChangeHandler
	// Dump returns every byte the store keeps: the data file, or every item
	// of a table Scan.
	Dump func(t *testing.T) []byte
}

// The erased client's personal values, each searched for in the dump.
const (
	First    = "Ophelia"
	Last     = "Quartermaine"
	Email    = "ophelia.q@pearl.example.com"
	Phone    = "+12125550199"
	Birthday = "1937-02-11"
	Street   = "77 Wisteria Lane"
)

// Values are the strings that must not survive the erasure.
var Values = []string{First, Last, Email, Phone, Birthday, Street}

// Run runs the scenario on a fresh store from open.
func Run(t *testing.T, open func(t *testing.T) Target) {
	ctx := context.Background()
	tg := open(t)
	db := tg.Records
	must := func(step string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	t0 := storetest.T0
	must("store", loupe.PutStore(ctx, db, storetest.Store("s1")))
	for _, a := range []string{"a1", "a2"} {
		must("associate", loupe.PutAssociate(ctx, db, storetest.Associate(a, "s1")))
	}
	c := storetest.Customer("c1", "s1", "a1")
	c.FirstName, c.LastName, c.Email, c.Phone = First, Last, Email, Phone
	c.Birthday = loupe.Date{Year: 1937, Month: time.February, Day: 11}
	c.PostalAddress.Line1 = Street
	c.Consents = map[string]loupe.Consent{"sms": {Status: loupe.ConsentGranted, At: t0, Source: "pos", Phone: Phone}}
	must("customer", loupe.PutCustomer(ctx, db, c))
	must("other customer", loupe.PutCustomer(ctx, db, storetest.Customer("c2", "s1", "a1")))
	must("purchase", db.PutPurchase(ctx, storetest.Purchase("p1", "c1", t0.Add(time.Hour))))
	r1 := storetest.Repair("r1", "s1", "c1", t0.Add(2*time.Hour))
	r1.CustomerEmail, r1.CustomerPhone, r1.Item = Email, Phone, "Pearl necklace restring for "+First
	r2 := storetest.Repair("r2", "s1", "c1", t0.Add(3*time.Hour))
	r2.CustomerEmail = "ophelia.q@pearl" // malformed: on the missing list, with a suggestion
	for _, r := range []loupe.Repair{r1, r2} {
		must("repair", db.PutRepair(ctx, r))
		must("compliance", tg.Compliance(ctx, loupe.Change{Seq: r.RepairID, Entity: loupe.EntityRepair, Op: loupe.OpInsert, NewRepair: &r}))
	}
	// r4 is stored before the erasure, but its stream record reaches
	// compliance only after it (a late delivery), with the image it had.
	r4 := storetest.Repair("r4", "s1", "c1", t0.Add(5*time.Hour))
	r4.CustomerEmail, r4.Item = First+"."+Last+"@gmial.com", "watch battery"
	must("late repair", db.PutRepair(ctx, r4))
	must("contact", loupe.RecordContact(ctx, db, loupe.Contact{CustomerID: "c1", At: t0.Add(4 * time.Hour),
		Channel: "email", Touchpoint: "christmas", By: loupe.ContactByLoupe, Status: "sent", Ref: "tp/c1/christmas/2026"}))
	batch := reassign.Batch{ID: "a9-20261121T000000Z", AssociateID: "a9", StoreID: "s1", CreatedAt: t0,
		Status: reassign.StatusDone, Source: reassign.SourceTermination}
	must("batch", db.CreateReassignment(ctx, batch))
	must("assignments", db.PutReassignmentAssignments(ctx, batch.ID, []reassign.Assignment{
		{CustomerID: "c1", CustomerName: First + " " + Last, HomeStoreID: "s1", FromAssociateID: "a9", ToAssociateID: "a2",
			Reasons: []string{"preference:pearls"}, State: reassign.StateMoved},
		{CustomerID: "c2", CustomerName: "Firstc2 Lastc2", HomeStoreID: "s1", FromAssociateID: "a9", ToAssociateID: "a2",
			Reasons: []string{"same_store"}, State: reassign.StateMoved},
	}))

	before := tg.Dump(t)
	for _, v := range Values {
		if !bytes.Contains(before, []byte(v)) {
			t.Fatalf("before the erasure the dump does not hold %q: the search below would prove nothing", v)
		}
	}

	erasedAt := t0.Add(24 * time.Hour)
	must("erase", tg.Erase(ctx, "c1", erasedAt))
	must("late stream record", tg.Compliance(ctx, loupe.Change{Seq: "r4", Entity: loupe.EntityRepair, Op: loupe.OpInsert, NewRepair: &r4}))
	after := tg.Dump(t)
	for _, v := range Values {
		if i := bytes.Index(after, []byte(v)); i >= 0 {
			t.Errorf("after the erasure the store still holds %q: ...%q...", v, around(after, i))
		}
	}

	if _, err := db.GetCustomer(ctx, "c1"); !errors.Is(err, loupe.ErrNotFound) {
		t.Errorf("GetCustomer(c1) = %v, want ErrNotFound", err)
	}
	as, err := db.ReassignmentAssignments(ctx, batch.ID)
	must("assignments after", err)
	if len(as) != 2 || as[0].CustomerName != reassign.ErasedName || len(as[0].Reasons) != 0 || as[0].State != reassign.StateMoved {
		t.Errorf("erased assignment = %+v, want name %q, no reasons, state kept", as, reassign.ErasedName)
	}
	if len(as) == 2 && as[1].CustomerName != "Firstc2 Lastc2" {
		t.Errorf("other client's assignment = %+v, want untouched", as[1])
	}
	repairs, err := db.RepairsNamingCustomer(ctx, "c1")
	must("repairs after", err)
	for _, r := range repairs {
		if r.CustomerEmail != "" || r.CustomerPhone != "" || r.Item != "" {
			t.Errorf("repair %s after erasure = %+v, want address, phone and item blank", r.RepairID, r)
		}
	}
	if len(repairs) != 3 {
		t.Errorf("repairs after erasure: %d, want 3 (kept, scrubbed: compliance counts them)", len(repairs))
	}
	if ok, err := db.Suppressed(ctx, Email); err != nil || !ok {
		t.Errorf("Suppressed(erased address) = %v, %v; want true", ok, err)
	}

	// Again: a retry is nil; an id never known is not found.
	must("erase again", tg.Erase(ctx, "c1", erasedAt.Add(time.Minute)))
	if err := tg.Erase(ctx, "nobody", erasedAt); !errors.Is(err, loupe.ErrUnknownCustomer) {
		t.Errorf("Erase(nobody) = %v, want ErrNotFound", err)
	}

	// A late POS event, dated before the erasure, stores nothing.
	late := fmt.Sprintf(`{"id":"evt_late","type":"customer.upserted","occurred_at":%q,"data":{"customer_id":"c1","home_store_id":"s1","first_name":%q,"last_name":%q,"email":%q}}`,
		erasedAt.Add(-time.Hour).Format(time.RFC3339), First, Last, Email)
	res, err := tg.Apply(ctx, []byte(late))
	must("late event", err)
	if res.Status != "ignored" {
		t.Errorf("late event status = %q, want ignored", res.Status)
	}
	lateRepair := fmt.Sprintf(`{"id":"evt_late_r","type":"repair.created","occurred_at":%q,"data":{"repair_id":"r3","store_id":"s1","associate_id":"a1","customer_id":"c1","customer_email":%q,"item":"clasp for %s","taken_in_at":%q}}`,
		erasedAt.Add(-time.Hour).Format(time.RFC3339), Email, First, erasedAt.Add(-time.Hour).Format(time.RFC3339))
	if _, err := tg.Apply(ctx, []byte(lateRepair)); err != nil {
		t.Fatalf("late repair: %v", err)
	}
	if _, err := db.GetCustomer(ctx, "c1"); !errors.Is(err, loupe.ErrNotFound) {
		t.Errorf("GetCustomer(c1) after a late event = %v, want ErrNotFound", err)
	}
	repairs, err = db.RepairsNamingCustomer(ctx, "c1")
	must("repairs after late events", err)
	for _, r := range repairs {
		if r.RepairID == "r3" {
			t.Errorf("late repair for an erased client was stored: %+v", r)
		}
	}
}

// around returns up to 40 bytes either side of b[i].
func around(b []byte, i int) []byte {
	lo, hi := max(0, i-40), min(len(b), i+40)
	return b[lo:hi]
}
