package pos_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/embedded"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/phone"
	"github.com/loupehq/loupe/shared/pos"
	"github.com/loupehq/loupe/shared/testkit/postest"
)

func newService() (*pos.Service, *postest.MemDB) {
	db := postest.NewMemDB()
	return &pos.Service{DB: db, Now: func() time.Time { return atTime }, Phones: phone.Normalize}, db
}

// adapters returns a fresh DB of each kind the domain rules are checked on: the
// in-memory fake and the real embedded store.
func adapters(t *testing.T) map[string]func() loupe.DB {
	return map[string]func() loupe.DB{
		"memdb": func() loupe.DB { return postest.NewMemDB() },
		"embedded": func() loupe.DB {
			db, err := embedded.Open(filepath.Join(t.TempDir(), "loupe.db"))
			if err != nil {
				t.Fatalf("open embedded: %v", err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		},
	}
}

func serviceOn(db loupe.DB) *pos.Service {
	return &pos.Service{DB: db, Now: func() time.Time { return atTime }, Phones: phone.Normalize}
}

// wantInvalid applies body and checks it is refused as invalid, naming field.
func wantInvalid(t *testing.T, s *pos.Service, body []byte, field string) {
	t.Helper()
	_, err := s.Apply(context.Background(), body)
	var le *loupe.Error
	if !errors.As(err, &le) || le.Code != loupe.EINVALID || le.Field != field {
		t.Errorf("%s: got %v, want invalid %s", body, err, field)
	}
}

func mustApply(t *testing.T, s *pos.Service, body []byte) pos.Result {
	t.Helper()
	res, err := s.Apply(context.Background(), body)
	if err != nil {
		t.Fatalf("Apply(%s): %v", body, err)
	}
	return res
}

func TestApplyAcceptedThenDuplicate(t *testing.T) {
	s, db := newService()
	body := event("e1", pos.TypeCustomerUpserted, at, `{"customer_id":"c1","home_store_id":"s1","email":"bea@example.com"}`)
	if got := mustApply(t, s, body); got.Status != pos.StatusAccepted || got.ID != "e1" {
		t.Fatalf("first Apply = %+v, want accepted e1", got)
	}
	writes := db.Writes()
	if got := mustApply(t, s, body); got.Status != pos.StatusDuplicate {
		t.Fatalf("second Apply status = %q, want duplicate", got.Status)
	}
	if got := db.Writes(); got != writes {
		t.Fatalf("duplicate wrote: writes %d, want %d", got, writes)
	}
	c, err := db.GetCustomer(context.Background(), "c1")
	if err != nil {
		t.Fatal(err)
	}
	if c.Email != "bea@example.com" || c.EmailSource != loupe.EmailSourcePOS || c.EmailStatus != loupe.EmailOK {
		t.Fatalf("customer = %+v", c)
	}
}

func TestApplyOutOfOrder(t *testing.T) {
	s, db := newService()
	newer := event("e2", pos.TypeCustomerUpserted, "2026-11-20T15:00:00Z", `{"customer_id":"c1","home_store_id":"s1","first_name":"New"}`)
	older := event("e1", pos.TypeCustomerUpserted, "2026-11-20T14:00:00Z", `{"customer_id":"c1","home_store_id":"s1","first_name":"Old"}`)
	mustApply(t, s, newer)
	got := mustApply(t, s, older)
	if got.Status != pos.StatusAccepted || !got.Outdated {
		t.Fatalf("older Apply = %+v, want accepted and outdated", got)
	}
	c, _ := db.GetCustomer(context.Background(), "c1")
	if c.FirstName != "New" {
		t.Fatalf("first_name = %q, want New", c.FirstName)
	}
	if fresh, _ := db.ClaimEvent(context.Background(), "e1", "probe", time.Now()); fresh {
		t.Fatalf("outdated event not claimed")
	}
}

func TestApplyRejectedWritesNothing(t *testing.T) {
	tests := []struct {
		name      string
		body      []byte
		wantField string
	}{
		{"missing field", event("e1", pos.TypeCustomerUpserted, at, `{"home_store_id":"s1"}`), "data.customer_id"},
		{"bad category", event("e1", pos.TypeCustomerUpserted, at, `{"customer_id":"c1","home_store_id":"s1","preferences":["x","Y"]}`), "data.preferences[1]"},
		{"far future", event("e1", pos.TypeCustomerUpserted, "2026-11-20T17:00:00Z", `{"customer_id":"c1","home_store_id":"s1"}`), "occurred_at"},
		{"bad repair", event("e1", pos.TypeRepairCreated, at, `{"repair_id":"r1","store_id":"s1"}`), "data.associate_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, db := newService()
			_, err := s.Apply(context.Background(), tt.body)
			var le *loupe.Error
			if !errors.As(err, &le) || le.Code != loupe.EINVALID || le.Field != tt.wantField {
				t.Fatalf("Apply err = %v, want invalid %s", err, tt.wantField)
			}
			if got := db.Writes(); got != 0 {
				t.Fatalf("writes = %d, want 0", got)
			}
			if fresh, _ := db.ClaimEvent(context.Background(), "e1", "probe", time.Now()); !fresh {
				t.Fatalf("rejected event claimed")
			}
		})
	}
}

func TestApplyRepairLocalDay(t *testing.T) {
	for name, open := range adapters(t) {
		t.Run(name, func(t *testing.T) { testApplyRepairLocalDay(t, open()) })
	}
}

func testApplyRepairLocalDay(t *testing.T, db loupe.DB) {
	s := serviceOn(db)
	ctx := context.Background()
	mustApply(t, s, event("e0", pos.TypeStoreUpserted, at, `{"store_id":"ny","name":"NY","timezone":"America/New_York","country":"US"}`))
	// 02:30 UTC on the 20th is still the 19th in New York.
	mustApply(t, s, event("e1", pos.TypeRepairCreated, at, `{"repair_id":"r1","store_id":"ny","associate_id":"a1","customer_id":"c1","taken_in_at":"2026-11-20T02:30:00Z"}`))
	mustApply(t, s, event("e2", pos.TypeRepairCreated, at, `{"repair_id":"r2","store_id":"unknown","associate_id":"a1","customer_id":"c1","taken_in_at":"2026-11-20T02:30:00Z"}`))
	mustApply(t, s, event("e3", pos.TypeRepairCreated, "2026-11-20T03:00:00Z", `{"repair_id":"r3","store_id":"ny","associate_id":"a1","customer_id":"c1"}`))
	for id, want := range map[string]string{"r1": "2026-11-19", "r2": "2026-11-20", "r3": "2026-11-19"} {
		r, err := db.GetRepair(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if r.LocalDay != want {
			t.Errorf("%s LocalDay = %q, want %q", id, r.LocalDay, want)
		}
	}
	// A re-sent take-in under a new event id is accepted, nothing overwritten.
	got := mustApply(t, s, event("e4", pos.TypeRepairCreated, at, `{"repair_id":"r1","store_id":"ny","associate_id":"a2","customer_id":"c1"}`))
	if got.Status != pos.StatusAccepted || !got.Outdated {
		t.Fatalf("re-sent repair = %+v, want accepted outdated", got)
	}
}

func TestUpsertAssociateStatus(t *testing.T) {
	up := func(id, occurred, status string) []byte {
		st := ""
		if status != "" {
			st = `,"status":"` + status + `"`
		}
		return event(id, pos.TypeAssociateUpserted, occurred, `{"associate_id":"a1","store_id":"s1","name":"Ann"`+st+`}`)
	}
	tests := []struct {
		name   string
		events [][]byte
		want   string
	}{
		{"new starts active", [][]byte{up("e1", at, "")}, loupe.StatusActive},
		{"absent keeps terminated", [][]byte{
			event("e1", pos.TypeAssociateTerminated, "2026-11-20T10:00:00Z", `{"associate_id":"a1"}`),
			up("e2", "2026-11-20T11:00:00Z", ""),
		}, loupe.StatusTerminated},
		{"explicit active rehires", [][]byte{
			event("e1", pos.TypeAssociateTerminated, "2026-11-20T10:00:00Z", `{"associate_id":"a1"}`),
			up("e2", "2026-11-20T11:00:00Z", "active"),
		}, loupe.StatusActive},
		{"older upsert cannot resurrect", [][]byte{
			event("e1", pos.TypeAssociateTerminated, "2026-11-20T10:00:00Z", `{"associate_id":"a1"}`),
			up("e2", "2026-11-20T09:00:00Z", "active"),
		}, loupe.StatusTerminated},
		{"explicit terminated", [][]byte{up("e1", "2026-11-20T10:00:00Z", ""), up("e2", "2026-11-20T11:00:00Z", "terminated")}, loupe.StatusTerminated},
	}
	for name, open := range adapters(t) {
		for _, tt := range tests {
			t.Run(name+"/"+tt.name, func(t *testing.T) {
				a := associateAfter(t, open(), tt.events)
				if a.Status != tt.want {
					t.Fatalf("status = %q, want %q", a.Status, tt.want)
				}
				// A rehire keeps the last termination's date (history); a
				// terminated associate always has one.
				if a.Status == loupe.StatusTerminated && a.TerminatedAt.IsZero() {
					t.Fatalf("TerminatedAt zero with status %q", a.Status)
				}
			})
		}
	}
}

func TestUpsertCustomerKeepsOwner(t *testing.T) {
	for name, open := range adapters(t) {
		t.Run(name, func(t *testing.T) { testUpsertCustomerKeepsOwner(t, open()) })
	}
}

func testUpsertCustomerKeepsOwner(t *testing.T, db loupe.DB) {
	ctx := context.Background()
	s := serviceOn(db)
	mustApply(t, s, event("e1", pos.TypeAssociateUpserted, "2026-11-20T08:00:00Z", `{"associate_id":"old","store_id":"s1","name":"Old"}`))
	mustApply(t, s, event("e2", pos.TypeAssociateUpserted, "2026-11-20T08:00:00Z", `{"associate_id":"new","store_id":"s1","name":"New"}`))
	mustApply(t, s, event("e3", pos.TypeCustomerUpserted, "2026-11-20T09:00:00Z", `{"customer_id":"c1","home_store_id":"s1","associate_id":"old","email":"bea@example.com"}`))
	mustApply(t, s, event("e4", pos.TypeAssociateTerminated, "2026-11-20T10:00:00Z", `{"associate_id":"old"}`))
	if err := loupe.MoveCustomerTo(ctx, db, "c1", "old", "new", time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC)); err != nil { // Loupe reassigns at 10:30
		t.Fatal(err)
	}
	// The POS still names the former associate, and leaves the email out.
	mustApply(t, s, event("e5", pos.TypeCustomerUpserted, "2026-11-20T11:00:00Z", `{"customer_id":"c1","home_store_id":"s1","associate_id":"old","first_name":"Bea"}`))
	c, _ := db.GetCustomer(ctx, "c1")
	if c.AssociateID != "new" || c.FirstName != "Bea" || c.Email != "bea@example.com" {
		t.Fatalf("customer = %+v, want owner new, first name Bea, email kept", c)
	}
	// No associate_id keeps the owner too.
	mustApply(t, s, event("e6", pos.TypeCustomerUpserted, "2026-11-20T12:00:00Z", `{"customer_id":"c1","home_store_id":"s1"}`))
	if c, _ = db.GetCustomer(ctx, "c1"); c.AssociateID != "new" {
		t.Fatalf("owner = %q, want new", c.AssociateID)
	}
	// An active associate named by the POS takes the client.
	mustApply(t, s, event("e7", pos.TypeAssociateUpserted, "2026-11-20T08:00:00Z", `{"associate_id":"third","store_id":"s1","name":"Third"}`))
	mustApply(t, s, event("e8", pos.TypeCustomerUpserted, "2026-11-20T13:00:00Z", `{"customer_id":"c1","home_store_id":"s1","associate_id":"third"}`))
	if c, _ = db.GetCustomer(ctx, "c1"); c.AssociateID != "third" {
		t.Fatalf("owner = %q, want third", c.AssociateID)
	}
}

func TestApplyConcurrentDuplicates(t *testing.T) {
	s, db := newService()
	body := event("e1", pos.TypePurchaseCreated, at, `{"purchase_id":"p1","store_id":"s1","associate_id":"a1","customer_id":"c1","total_cents":100}`)
	var wg sync.WaitGroup
	results := make([]pos.Result, 8)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = mustApply(t, s, body)
		}()
	}
	wg.Wait()
	accepted := 0
	for _, r := range results {
		if r.Status == pos.StatusAccepted {
			accepted++
		}
	}
	if accepted != 1 {
		t.Fatalf("accepted %d times, want 1", accepted)
	}
	ps, _ := db.PurchasesByCustomer(context.Background(), "c1")
	if len(ps) != 1 {
		t.Fatalf("%d purchases stored, want 1", len(ps))
	}
}

func TestApplyDBError(t *testing.T) {
	s, db := newService()
	db.Fail = errors.New("disk on fire")
	_, err := s.Apply(context.Background(), event("e1", pos.TypeCustomerUpserted, at, `{"customer_id":"c1","home_store_id":"s1"}`))
	if err == nil || loupe.ErrorCode(err) != loupe.EINTERNAL {
		t.Fatalf("Apply err = %v, want an internal error", err)
	}
}

// Phones are stored in E.164: a national number is read in the country of
// the client's home store (or the repair's store), one that is not a
// valid number there is a 400 naming the field, and one whose store is not
// known yet is left out with a note while the rest of the event applies.
func TestApplyPhones(t *testing.T) {
	for name, open := range adapters(t) {
		t.Run(name, func(t *testing.T) { testApplyPhones(t, open()) })
	}
}

func testApplyPhones(t *testing.T, db loupe.DB) {
	s := serviceOn(db)
	ctx := context.Background()
	mustApply(t, s, event("e0", pos.TypeStoreUpserted, at, `{"store_id":"lyon","name":"Lyon","timezone":"Europe/Paris","country":"FR","phone":"04 78 00 00 00"}`))
	mustApply(t, s, event("e1", pos.TypeCustomerUpserted, at, `{"customer_id":"c1","home_store_id":"lyon","phone":"06 12 34 56 78"}`))
	mustApply(t, s, event("e2", pos.TypeCustomerUpserted, at, `{"customer_id":"c2","home_store_id":"lyon","phone":"+1 (212) 555-0147"}`))
	res := mustApply(t, s, event("e3", pos.TypeCustomerUpserted, at, `{"customer_id":"c3","home_store_id":"paris","first_name":"Zoé","phone":"06 12 34 56 78"}`))
	if len(res.Notes) != 1 || res.Notes[0].Field != "data.phone" {
		t.Errorf("national phone of an unknown store: notes %+v, want one on data.phone", res.Notes)
	}
	mustApply(t, s, event("e4", pos.TypeRepairCreated, at, `{"repair_id":"r1","store_id":"lyon","associate_id":"a1","customer_id":"c1","customer_phone":"0612345679"}`))
	st, err := db.GetStore(ctx, "lyon")
	if err != nil || st.Phone != "+33478000000" {
		t.Errorf("store phone %q (%v), want +33478000000", st.Phone, err)
	}
	for id, want := range map[string]string{"c1": "+33612345678", "c2": "+12125550147", "c3": ""} {
		c, err := db.GetCustomer(ctx, id)
		if err != nil || c.Phone != want {
			t.Errorf("%s phone %q (%v), want %q", id, c.Phone, err, want)
		}
	}
	if c, _ := db.GetCustomer(ctx, "c3"); c.FirstName != "Zoé" {
		t.Errorf("c3 first name %q: the rest of the event was not applied", c.FirstName)
	}
	if r, err := db.GetRepair(ctx, "r1"); err != nil || r.CustomerPhone != "+33612345679" {
		t.Errorf("repair customer_phone %q (%v), want +33612345679", r.CustomerPhone, err)
	}
	for _, tc := range []struct {
		body  []byte
		field string
	}{
		{event("e5", pos.TypeCustomerUpserted, at, `{"customer_id":"c4","home_store_id":"lyon","phone":"12"}`), "data.phone"},
		{event("e6", pos.TypeCustomerUpserted, at, `{"customer_id":"c4","home_store_id":"lyon","phone":"+1 555 123 4567"}`), "data.phone"},
		{event("e7", pos.TypeRepairCreated, at, `{"repair_id":"r2","store_id":"lyon","associate_id":"a1","customer_id":"c1","customer_phone":"call me"}`), "data.customer_phone"},
		{event("e8", pos.TypeStoreUpserted, at, `{"store_id":"s9","name":"X","timezone":"UTC","country":"US","phone":"555"}`), "data.phone"},
	} {
		wantInvalid(t, s, tc.body, tc.field)
	}
	if _, err := db.GetCustomer(ctx, "c4"); !errors.Is(err, loupe.ErrNotFound) {
		t.Errorf("a rejected phone stored its client (%v)", err)
	}
}

// consent.changed: the newest answer per channel wins, texts and calls
// need evidence and belong to the phone number they were given for, a
// consent for an unknown client is refused naming customer_id, and one
// dated before an erasure is ignored.
func TestApplyConsent(t *testing.T) {
	for name, open := range adapters(t) {
		t.Run(name, func(t *testing.T) { testApplyConsent(t, open()) })
	}
}

func testApplyConsent(t *testing.T, db loupe.DB) {
	s := serviceOn(db)
	ctx := context.Background()
	consent := func(id, channel, status, at, extra string) []byte {
		return event(id, pos.TypeConsentChanged, at, `{"customer_id":"c1","channel":"`+channel+`","status":"`+status+`","at":"`+at+`"`+extra+`}`)
	}
	mustApply(t, s, event("e0", pos.TypeCustomerUpserted, at, `{"customer_id":"c1","home_store_id":"s1","phone":"+12125550147"}`))
	mustApply(t, s, consent("k1", "sms", "granted", "2026-11-20T10:00:00Z", `,"source":"paper","evidence":"Yes, text me offers"`))
	mustApply(t, s, consent("k2", "email", "denied", "2026-11-20T11:00:00Z", ""))
	res := mustApply(t, s, consent("k3", "email", "granted", "2026-11-20T09:00:00Z", "")) // older: changes nothing
	if !res.Outdated {
		t.Errorf("an older consent: %+v, want outdated", res)
	}
	c, err := db.GetCustomer(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if k := c.ConsentOf("sms"); k.Status != loupe.ConsentGranted || k.Source != "paper" || k.Phone != "+12125550147" {
		t.Errorf("sms consent %+v", k)
	}
	if k := c.ConsentOf("email"); k.Status != loupe.ConsentDenied {
		t.Errorf("email consent %+v, want denied (the newer answer)", k)
	}
	if k := c.ConsentOf("mail"); k.Status != loupe.ConsentUnknown {
		t.Errorf("mail consent %+v, want unknown", k)
	}
	// A new phone number leaves the text consent unknown.
	mustApply(t, s, event("e1", pos.TypeCustomerUpserted, "2026-11-20T16:00:00Z", `{"customer_id":"c1","home_store_id":"s1","phone":"+12125550148"}`))
	if c, _ = db.GetCustomer(ctx, "c1"); c.ConsentOf("sms").Status != loupe.ConsentUnknown || c.ConsentOf("email").Status != loupe.ConsentDenied {
		t.Errorf("after a new phone: sms %+v, email %+v", c.ConsentOf("sms"), c.ConsentOf("email"))
	}
	for _, tc := range []struct {
		body  []byte
		field string
	}{
		{consent("k4", "sms", "granted", "2026-11-20T12:00:00Z", ""), "data.evidence"},
		{consent("k5", "pigeon", "granted", "2026-11-20T12:00:00Z", ""), "data.channel"},
		{consent("k6", "email", "maybe", "2026-11-20T12:00:00Z", ""), "data.status"},
		{event("k7", pos.TypeConsentChanged, at, `{"customer_id":"c1","channel":"email","status":"granted"}`), "data.at"},
		{event("k9", pos.TypeConsentChanged, at, `{"customer_id":"c1","channel":"email","status":"granted","at":"2026-11-21T12:00:00Z"}`), "data.at"}, // a day ahead of the clock
		{event("k8", pos.TypeConsentChanged, at, `{"customer_id":"nobody","channel":"email","status":"granted","at":"2026-11-20T12:00:00Z"}`), "data.customer_id"},
	} {
		wantInvalid(t, s, tc.body, tc.field)
	}
	if _, err := db.GetCustomer(ctx, "nobody"); !errors.Is(err, loupe.ErrNotFound) {
		t.Errorf("a consent for an unknown client created it (%v)", err)
	}
	// A consent naming the number it was given for belongs to that number,
	// whatever order the events arrive in; one for a client without a phone
	// is unknown.
	mustApply(t, s, consent("k10", "sms", "granted", "2026-11-20T13:00:00Z", `,"evidence":"Yes","phone":"+1 212 555 0147"`)) // c1's old number
	if c, _ = db.GetCustomer(ctx, "c1"); c.ConsentOf("sms").Status != loupe.ConsentUnknown {
		t.Errorf("a consent for the old number: %+v, want unknown for the new one", c.ConsentOf("sms"))
	}
	mustApply(t, s, consent("k11", "sms", "granted", "2026-11-20T13:30:00Z", `,"evidence":"Yes","phone":"+12125550148"`))
	if c, _ = db.GetCustomer(ctx, "c1"); c.ConsentOf("sms").Status != loupe.ConsentGranted {
		t.Errorf("a consent for the current number: %+v, want granted", c.ConsentOf("sms"))
	}
	if _, err := s.Apply(ctx, consent("k12", "sms", "granted", "2026-11-20T13:30:00Z", `,"evidence":"Yes","phone":"212 555 0148"`)); loupe.ErrorCode(err) != loupe.EINVALID {
		t.Errorf("a national number in a consent: %v, want invalid (it needs its country code)", err)
	}
	// A refused consent claimed nothing: once the client is known, the same
	// event (same id) is applied.
	mustApply(t, s, event("e9", pos.TypeCustomerUpserted, at, `{"customer_id":"nobody","home_store_id":"s1"}`))
	if res := mustApply(t, s, event("k8", pos.TypeConsentChanged, at, `{"customer_id":"nobody","channel":"email","status":"granted","at":"2026-11-20T12:00:00Z"}`)); res.Status != pos.StatusAccepted || res.Outdated {
		t.Errorf("the resent consent: %+v, want accepted", res)
	}
}
