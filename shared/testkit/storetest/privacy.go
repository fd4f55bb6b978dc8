package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
)

// PrivacyDB is an adapter implementing both ports.
type PrivacyDB interface {
	loupe.DB
	loupe.Privacy
}

// RunPrivacy runs the loupe.Privacy contract against the adapter that open
// returns. open is called once per subtest and must return an empty DB.
func RunPrivacy(t *testing.T, open func(t *testing.T) PrivacyDB) {
	t.Helper()
	for _, tc := range privacyCases {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, open(t)) })
	}
}

var privacyCases = []struct {
	name string
	run  func(t *testing.T, db PrivacyDB)
}{
	{"SetEmailStatusTransitions", testSetEmailStatusTransitions},
	{"SetEmailStatusErrors", testSetEmailStatusErrors},
	{"SetEmailStatusByAddress", testSetEmailStatusByAddress},
	{"EraseCustomer", testEraseCustomer},
	{"EraseUnknownCustomer", testEraseUnknown},
	{"ContactRacingErasure", testContactRacingErasure},
	{"PutCustomerKeepsStatus", testPutCustomerKeepsStatus},
	{"UpsertFollowsMergeCustomer", testUpsertFollowsMergeWithStatus},
}

func wantStatus(t *testing.T, db PrivacyDB, id, want string) {
	t.Helper()
	c, err := db.GetCustomer(ctx, id)
	must(t, "get customer "+id, err)
	if c.EmailStatus != want {
		t.Fatalf("customer %s: got email status %q, want %q", id, c.EmailStatus, want)
	}
}

func wantSuppressed(t *testing.T, db PrivacyDB, email string, want bool) {
	t.Helper()
	got, err := db.Suppressed(ctx, email)
	must(t, "suppressed", err)
	if got != want {
		t.Fatalf("Suppressed(%q): got %v, want %v", email, got, want)
	}
}

func testSetEmailStatusTransitions(t *testing.T, db PrivacyDB) {
	const (
		ok, unsub, bounced, complained = loupe.EmailOK, loupe.EmailUnsubscribed, loupe.EmailBounced, loupe.EmailComplained
	)
	cases := []struct {
		name  string
		steps []string
		want  string
	}{
		{"unsubscribe", []string{unsub}, unsub},
		{"unsubscribe twice", []string{unsub, unsub}, unsub},
		{"resubscribe", []string{unsub, ok}, ok},
		{"bounce", []string{bounced}, bounced},
		{"bounce is not lifted by ok", []string{bounced, ok}, bounced},
		{"bounce is not weakened by unsubscribe", []string{bounced, unsub}, bounced},
		{"complaint outranks bounce", []string{bounced, complained}, complained},
		{"complaint is not weakened by bounce", []string{complained, bounced}, complained},
		{"complaint is not lifted", []string{complained, ok}, complained},
		{"unsubscribed then bounced", []string{unsub, bounced}, bounced},
		{"ok on ok", []string{ok}, ok},
	}
	must(t, "put store", loupe.PutStore(ctx, db, Store("s1")))
	for i, tc := range cases {
		id := "c" + string(rune('a'+i))
		must(t, "put customer", loupe.PutCustomer(ctx, db, Customer(id, "s1", "a1")))
		for j, st := range tc.steps {
			must(t, tc.name+": set "+st, db.SetEmailStatus(ctx, id, st, At(time.Duration(j)*time.Minute)))
		}
		c, err := db.GetCustomer(ctx, id)
		must(t, "get customer", err)
		if c.EmailStatus != tc.want {
			t.Errorf("%s: got email status %q, want %q", tc.name, c.EmailStatus, tc.want)
		}
		// EmailStatusAt is the time of the last step that changed the status.
		var wantAt time.Time
		cur := ok
		for j, st := range tc.steps {
			if next, _ := loupe.NextEmailStatus(cur, st); next != cur {
				cur, wantAt = next, At(time.Duration(j)*time.Minute)
			}
		}
		if !c.EmailStatusAt.Equal(wantAt) {
			t.Errorf("%s: got email_status_at %v, want %v", tc.name, c.EmailStatusAt, wantAt)
		}
		// A POS upsert keeps it.
		must(t, "upsert again", loupe.PutCustomer(ctx, db, Customer(id, "s1", "a1")))
		if again, _ := db.GetCustomer(ctx, id); !again.EmailStatusAt.Equal(wantAt) || again.EmailStatus != tc.want {
			t.Errorf("%s: after an upsert email status %q at %v, want %q at %v", tc.name, again.EmailStatus, again.EmailStatusAt, tc.want, wantAt)
		}
		// A bounce or complaint suppresses the address; an unsubscribe does not.
		gotSup, err := db.Suppressed(ctx, c.Email)
		must(t, "suppressed", err)
		if wantSup := loupe.SuppressesAddress(tc.want); gotSup != wantSup {
			t.Errorf("%s: got suppressed %v, want %v", tc.name, gotSup, wantSup)
		}
	}
}

func testSetEmailStatusErrors(t *testing.T, db PrivacyDB) {
	err := db.SetEmailStatus(ctx, "nobody", loupe.EmailUnsubscribed, T0)
	wantErr(t, "unknown customer", err, loupe.ErrNotFound)

	must(t, "put customer", loupe.PutCustomer(ctx, db, Customer("c1", "s1", "a1")))
	err = db.SetEmailStatus(ctx, "c1", "gone", T0)
	if got := loupe.ErrorCode(err); got != loupe.EINVALID {
		t.Fatalf("unknown status: got code %q (%v), want %q", got, err, loupe.EINVALID)
	}
	wantStatus(t, db, "c1", loupe.EmailOK)

	for _, st := range []string{loupe.EmailOK, "gone", ""} {
		_, err := db.SetEmailStatusByAddress(ctx, "c1@client.example.com", st, T0)
		if got := loupe.ErrorCode(err); got != loupe.EINVALID {
			t.Errorf("by address %q: got code %q (%v), want %q", st, got, err, loupe.EINVALID)
		}
	}
	wantStatus(t, db, "c1", loupe.EmailOK)
}

func testSetEmailStatusByAddress(t *testing.T, db PrivacyDB) {
	shared := "Shared.Person@Client.Example.com"
	a, b, other := Customer("c1", "s1", "a1"), Customer("c2", "s2", "a2"), Customer("c3", "s1", "a1")
	a.Email, b.Email = shared, strings.ToLower(shared)
	for _, c := range []loupe.Customer{a, b, other} {
		must(t, "put customer", loupe.PutCustomer(ctx, db, c))
	}

	n, err := db.SetEmailStatusByAddress(ctx, " shared.person@client.EXAMPLE.com ", loupe.EmailBounced, T0)
	must(t, "bounce", err)
	if n != 2 {
		t.Fatalf("bounce: got %d customers changed, want 2", n)
	}
	wantStatus(t, db, "c1", loupe.EmailBounced)
	wantStatus(t, db, "c2", loupe.EmailBounced)
	wantStatus(t, db, "c3", loupe.EmailOK)
	wantSuppressed(t, db, shared, true)
	wantSuppressed(t, db, other.Email, false)

	n, err = db.SetEmailStatusByAddress(ctx, shared, loupe.EmailBounced, At(time.Minute))
	must(t, "bounce again", err)
	if n != 0 {
		t.Fatalf("bounce again: got %d customers changed, want 0", n)
	}
	n, err = db.SetEmailStatusByAddress(ctx, shared, loupe.EmailUnsubscribed, At(2*time.Minute))
	must(t, "unsubscribe after bounce", err)
	if n != 0 {
		t.Fatalf("unsubscribe after bounce: got %d customers changed, want 0", n)
	}
	n, err = db.SetEmailStatusByAddress(ctx, shared, loupe.EmailComplained, At(3*time.Minute))
	must(t, "complaint", err)
	if n != 2 {
		t.Fatalf("complaint: got %d customers changed, want 2", n)
	}
	wantStatus(t, db, "c1", loupe.EmailComplained)

	// An address no customer holds is still suppressed.
	n, err = db.SetEmailStatusByAddress(ctx, "stranger@example.org", loupe.EmailComplained, T0)
	must(t, "complaint of a stranger", err)
	if n != 0 {
		t.Fatalf("stranger: got %d customers changed, want 0", n)
	}
	wantSuppressed(t, db, "Stranger@Example.org", true)
}

func testEraseCustomer(t *testing.T, db PrivacyDB) {
	must(t, "put store", loupe.PutStore(ctx, db, Store("s1")))
	c := Customer("c1", "s1", "a1")
	keep := Customer("c2", "s1", "a1")
	must(t, "put customer", loupe.PutCustomer(ctx, db, c))
	must(t, "put other customer", loupe.PutCustomer(ctx, db, keep))
	must(t, "put purchase", db.PutPurchase(ctx, Purchase("p1", "c1", At(time.Hour))))
	must(t, "put purchase", db.PutPurchase(ctx, Purchase("p2", "c1", At(2*time.Hour))))
	must(t, "put other purchase", db.PutPurchase(ctx, Purchase("p3", "c2", At(time.Hour))))
	typed := Repair("r1", "s1", "c1", At(time.Hour))
	typed.CustomerEmail = "c1.typo@client.example.com" // typed at the counter, not the profile's
	typed.CustomerPhone = "+12125550111"
	must(t, "put repair", db.PutRepair(ctx, typed))
	must(t, "put repair", db.PutRepair(ctx, Repair("r2", "s1", "c1", At(2*time.Hour))))
	other := Repair("r3", "s1", "c2", At(time.Hour))
	other.CustomerPhone = "+12125550122"
	must(t, "put other repair", db.PutRepair(ctx, other))

	must(t, "record contact", loupe.RecordContact(ctx, db, loupe.Contact{CustomerID: "c1", At: At(time.Hour), Channel: "email", Touchpoint: "christmas", By: loupe.ContactByLoupe, Status: "sent", Ref: "t1"}))
	must(t, "record other contact", loupe.RecordContact(ctx, db, loupe.Contact{CustomerID: "c2", At: At(time.Hour), Channel: "email", Touchpoint: "christmas", By: loupe.ContactByLoupe, Status: "sent", Ref: "t1"}))

	for i := range 2 { // erasing twice is fine
		must(t, "erase", db.EraseCustomer(ctx, "c1", At(3*time.Hour+time.Duration(i))))

		_, err := db.GetCustomer(ctx, "c1")
		wantErr(t, "get erased customer", err, loupe.ErrNotFound)
		book, err := db.CustomersByAssociate(ctx, "a1")
		must(t, "book", err)
		if got := ids(book); got != "c2" {
			t.Errorf("book of a1: got %q, want %q", got, "c2")
		}
		bd, err := db.CustomersByMonthDay(ctx, "birthday", c.Birthday.MonthDay())
		must(t, "birthdays", err)
		an, err := db.CustomersByMonthDay(ctx, "anniversary", c.Anniversary.MonthDay())
		must(t, "anniversaries", err)
		if got, want := ids(bd)+"|"+ids(an), "c2|c2"; got != want {
			t.Errorf("month-day indexes: got %q, want %q", got, want)
		}
		byPhone, err := db.CustomersByPhone(ctx, c.Phone) // c2 has the same number
		must(t, "customers by phone", err)
		if got := ids(byPhone); got != "c2" {
			t.Errorf("CustomersByPhone after erasure: got %q, want %q", got, "c2")
		}
		for _, store := range []string{"", "s1"} {
			var seen []loupe.Customer
			must(t, "scan", db.ScanCustomers(ctx, store, func(c loupe.Customer) error {
				seen = append(seen, c)
				return nil
			}))
			if got := ids(seen); got != "c2" {
				t.Errorf("ScanCustomers(%q): got %q, want %q", store, got, "c2")
			}
		}
		ps, err := db.PurchasesByCustomer(ctx, "c1")
		must(t, "purchases", err)
		if len(ps) != 0 {
			t.Errorf("purchases of erased customer: got %d, want 0", len(ps))
		}
		ps, err = db.PurchasesByCustomer(ctx, "c2")
		must(t, "other purchases", err)
		if len(ps) != 1 {
			t.Errorf("purchases of other customer: got %d, want 1", len(ps))
		}
		for _, id := range []string{"r1", "r2"} {
			r, err := db.GetRepair(ctx, id)
			must(t, "get repair", err)
			if r.CustomerEmail != "" || r.CustomerPhone != "" || r.CustomerID != "c1" {
				t.Errorf("repair %s: got email %q phone %q customer %q, want no email or phone, customer c1", id, r.CustomerEmail, r.CustomerPhone, r.CustomerID)
			}
		}
		r3, err := db.GetRepair(ctx, "r3")
		must(t, "get other repair", err)
		if r3.CustomerEmail != keep.Email || r3.CustomerPhone != other.CustomerPhone {
			t.Errorf("other repair: got email %q phone %q, want %q %q", r3.CustomerEmail, r3.CustomerPhone, keep.Email, other.CustomerPhone)
		}
		rs, err := db.RepairsNamingCustomer(ctx, "c1")
		must(t, "repairs naming customer", err)
		if len(rs) != 2 || rs[0].RepairID != "r1" || rs[1].RepairID != "r2" {
			t.Errorf("repairs naming customer: got %+v, want r1, r2", rs)
		}
		// The per-customer index keeps the scrubbed take-ins (ids and a time).
		rs, err = db.RepairsByCustomer(ctx, "c1")
		must(t, "repairs by customer", err)
		if got := repairIDs(rs); len(got) != 2 {
			t.Errorf("repairs by customer after erasure: got %v, want r1 and r2 (kept, scrubbed)", got)
		}
		for _, r := range rs {
			if r.CustomerEmail != "" || r.CustomerPhone != "" || r.Item != "" {
				t.Errorf("repair %s by customer after erasure = %+v, want address, phone and item blank", r.RepairID, r)
			}
		}
		if cs, err := db.ContactsByCustomer(ctx, "c1", 0); err != nil || len(cs) != 0 {
			t.Errorf("contact history of the erased client: %+v, %v; want none", cs, err)
		}
		if cs, _ := db.ContactsByCustomer(ctx, "c2", 0); len(cs) != 1 {
			t.Errorf("contact history of the other client: %+v, want one", cs)
		}
		wantSuppressed(t, db, c.Email, true)
		wantSuppressed(t, db, strings.ToUpper(c.Email), true)
		wantSuppressed(t, db, typed.CustomerEmail, true)
		wantSuppressed(t, db, keep.Email, false)
	}
	wantStatus(t, db, "c2", loupe.EmailOK)
	err := db.SetEmailStatus(ctx, "c1", loupe.EmailUnsubscribed, At(4*time.Hour))
	if !errors.Is(err, loupe.ErrNotFound) {
		t.Fatalf("unsubscribe erased customer: got %v, want ErrNotFound", err)
	}
}

func testEraseUnknown(t *testing.T, db PrivacyDB) {
	must(t, "erase unknown", db.EraseCustomer(ctx, "nobody", T0))
	// A repair may name a customer the POS never sent: its address goes too.
	must(t, "put repair", db.PutRepair(ctx, Repair("r1", "s1", "ghost", At(time.Hour))))
	must(t, "erase ghost", db.EraseCustomer(ctx, "ghost", At(2*time.Hour)))
	r, err := db.GetRepair(ctx, "r1")
	must(t, "get repair", err)
	if r.CustomerEmail != "" {
		t.Errorf("repair of ghost: got email %q, want none", r.CustomerEmail)
	}
	wantSuppressed(t, db, "ghost@client.example.com", true)
	must(t, "erase ghost again", db.EraseCustomer(ctx, "ghost", At(3*time.Hour)))
}

func testPutCustomerKeepsStatus(t *testing.T, db PrivacyDB) {
	c := Customer("c1", "s1", "a1")
	must(t, "put customer", loupe.PutCustomer(ctx, db, c))
	must(t, "unsubscribe", db.SetEmailStatus(ctx, "c1", loupe.EmailUnsubscribed, At(time.Minute)))
	c.UpdatedAt = At(time.Hour)
	c.FirstName = "Renamed"
	must(t, "upsert again", loupe.PutCustomer(ctx, db, c))
	wantStatus(t, db, "c1", loupe.EmailUnsubscribed)
}

// ids joins customer ids with commas.
func ids(cs []loupe.Customer) string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.CustomerID
	}
	return strings.Join(out, ",")
}

// erasingWriter erases the customer at one step of loupe.RecordContact.
type erasingWriter struct {
	PrivacyDB
	t      *testing.T
	before string // "put": before PutContact; "check": before the read after it
}

func (w erasingWriter) PutContact(ctx context.Context, c loupe.Contact) error {
	if w.before == "put" {
		must(w.t, "erase", w.EraseCustomer(ctx, c.CustomerID, At(time.Hour)))
	}
	return w.PrivacyDB.PutContact(ctx, c)
}

func (w erasingWriter) GetCustomer(ctx context.Context, id string) (loupe.Customer, error) {
	if w.before == "check" {
		must(w.t, "erase", w.EraseCustomer(ctx, id, At(time.Hour)))
	}
	return w.PrivacyDB.GetCustomer(ctx, id)
}

// An erasure that runs while a contact is recorded leaves no entry behind,
// whichever step it falls between.
func testContactRacingErasure(t *testing.T, db PrivacyDB) {
	for i, step := range []string{"put", "check"} {
		id := fmt.Sprintf("race%d", i)
		must(t, "put customer", loupe.PutCustomer(ctx, db, Customer(id, "s1", "a1")))
		c := loupe.Contact{CustomerID: id, At: At(time.Minute), Channel: "email", Touchpoint: "birthday", By: loupe.ContactByLoupe, Status: "sent", Ref: "t1"}
		must(t, "record", loupe.RecordContact(ctx, erasingWriter{PrivacyDB: db, t: t, before: step}, c))
		if cs, err := db.ContactsByCustomer(ctx, id, 0); err != nil || len(cs) != 0 {
			t.Errorf("erased before %s: history %+v (%v), want none", step, cs, err)
		}
	}
}
