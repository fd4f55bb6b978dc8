package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
)

// getCustomer returns customer id or fails the test.
func getCustomer(t *testing.T, db loupe.DB, id string) loupe.Customer {
	t.Helper()
	c, err := db.GetCustomer(ctx, id)
	must(t, "get customer "+id, err)
	return c
}

// noEmail returns c without any email fields, as a POS upsert without email.
func noEmail(c loupe.Customer) loupe.Customer {
	c.Email, c.EmailSource, c.EmailCapturedAt = "", "", time.Time{}
	return c
}

var customerCases = []testCase{
	{"UpsertFollowsMergeCustomer", testUpsertFollowsMerge},
	{"RoundTrip", func(t *testing.T, db loupe.DB) {
		full := Customer("c1", "s1", "a1")
		leap := Customer("c2", "s1", "a1")
		leap.Birthday = loupe.Date{Month: time.February, Day: 29}
		leap.Anniversary = loupe.Date{Year: 1988, Month: time.February, Day: 29}
		leap.EmailOptOut = true
		minimal := loupe.Customer{CustomerID: "c3", HomeStoreID: "s2", UpdatedAt: T0}
		wantMinimal := minimal
		wantMinimal.EmailStatus = loupe.EmailOK
		tests := []struct {
			name     string
			put, get loupe.Customer
		}{
			{"every field", full, full},
			{"feb 29 with and without year, opted out", leap, leap},
			{"only required fields", minimal, wantMinimal},
		}
		for _, tt := range tests {
			put := tt.put
			put.EmailSource, put.EmailCapturedAt, put.EmailStatus = "", time.Time{}, ""
			must(t, tt.name, loupe.PutCustomer(ctx, db, put))
			sameEntity(t, tt.name, getCustomer(t, db, put.CustomerID), tt.get, normCustomer)
		}
	}},
	{"ConsentsRoundTrip", func(t *testing.T, db loupe.DB) {
		// Consents (consent.changed) are kept through later upserts, and a
		// new phone number drops the text consent given for the old one.
		c := Customer("c1", "s1", "a1")
		must(t, "put customer", loupe.PutCustomer(ctx, db, c))
		consents := map[string]loupe.Consent{
			"email": {Status: loupe.ConsentDenied, At: At(time.Hour), Source: "web"},
			"sms":   {Status: loupe.ConsentGranted, At: At(time.Hour), Source: "paper", Evidence: "Yes, text me"},
		}
		for _, ch := range []string{"email", "sms"} {
			must(t, "consent "+ch, db.UpdateCustomer(ctx, "c1", func(stored *loupe.Customer, _ time.Time) (loupe.Customer, bool, error) {
				out, changed := loupe.ApplyConsent(*stored, ch, consents[ch])
				return out, changed, nil
			}))
		}
		got := getCustomer(t, db, "c1")
		if k := got.ConsentOf("sms"); k.Status != loupe.ConsentGranted || !k.At.Equal(At(time.Hour)) || k.Evidence != "Yes, text me" || k.Phone != c.Phone {
			t.Errorf("sms consent: got %+v", k)
		}
		if k := got.ConsentOf("email"); k.Status != loupe.ConsentDenied || k.Source != "web" {
			t.Errorf("email consent: got %+v", k)
		}
		later := c
		later.FirstName, later.UpdatedAt = "Later", At(2*time.Hour)
		must(t, "upsert", loupe.PutCustomer(ctx, db, later))
		if got := getCustomer(t, db, "c1"); len(got.Consents) != 2 {
			t.Errorf("after an upsert: consents %+v, want both kept", got.Consents)
		}
		later.Phone, later.UpdatedAt = "+12125550148", At(3*time.Hour)
		must(t, "new phone", loupe.PutCustomer(ctx, db, later))
		got = getCustomer(t, db, "c1")
		if _, ok := got.Consents["sms"]; ok || got.ConsentOf("email").Status != loupe.ConsentDenied {
			t.Errorf("after a new phone: consents %+v, want only email", got.Consents)
		}
	}},
	{"ContactHistory", func(t *testing.T, db loupe.DB) {
		// RecordContact: one entry per Ref, newest first, and the last
		// contact times on the profile (the personal one apart), both
		// idempotent; POS upserts keep them.
		must(t, "put customer", loupe.PutCustomer(ctx, db, Customer("c1", "s1", "a1")))
		contacts := []loupe.Contact{
			{CustomerID: "c1", At: At(time.Hour), Channel: "email", Touchpoint: "birthday", By: loupe.ContactByLoupe, Status: "sent", Ref: "t1"},
			{CustomerID: "c1", At: At(3 * time.Hour), Channel: loupe.ChannelPersonal, Outcome: "reached", By: "a1", Status: "logged", Ref: "k1"},
			{CustomerID: "c1", At: At(2 * time.Hour), Channel: "email", Touchpoint: "christmas", By: loupe.ContactByLoupe, Status: "sent", Ref: "t2"},
		}
		for _, c := range append(contacts, contacts[0]) { // the first twice
			must(t, "record "+c.Ref, loupe.RecordContact(ctx, db, c))
		}
		wantErr(t, "put the same ref", db.PutContact(ctx, contacts[0]), loupe.ErrExists)
		got, err := db.ContactsByCustomer(ctx, "c1", 0)
		must(t, "contacts", err)
		if len(got) != 3 || got[0].Ref != "k1" || got[1].Ref != "t2" || got[2].Ref != "t1" {
			t.Fatalf("contacts: got %+v, want k1, t2, t1", got)
		}
		if g := got[0]; !g.At.Equal(At(3*time.Hour)) || g.Channel != loupe.ChannelPersonal || g.Outcome != "reached" || g.By != "a1" || g.Status != "logged" || g.CustomerID != "c1" {
			t.Errorf("newest contact: got %+v", g)
		}
		if top, _ := db.ContactsByCustomer(ctx, "c1", 2); len(top) != 2 || top[1].Ref != "t2" {
			t.Errorf("limit 2: got %+v", top)
		}
		later := Customer("c1", "s1", "a1")
		later.FirstName, later.UpdatedAt = "Later", At(4*time.Hour)
		must(t, "upsert", loupe.PutCustomer(ctx, db, later))
		c := getCustomer(t, db, "c1")
		if !c.LastContactAt.Equal(At(3*time.Hour)) || !c.LastPersonalContactAt.Equal(At(3*time.Hour)) {
			t.Errorf("last contact %v, last personal %v; want both at +3h", c.LastContactAt, c.LastPersonalContactAt)
		}
		if none, err := db.ContactsByCustomer(ctx, "c2", 0); err != nil || len(none) != 0 {
			t.Errorf("contacts of an unknown client: %+v, %v", none, err)
		}
		// A client that does not exist records nothing.
		must(t, "record for nobody", loupe.RecordContact(ctx, db, loupe.Contact{CustomerID: "nobody", At: T0, Channel: "email", Ref: "t9"}))
		if none, _ := db.ContactsByCustomer(ctx, "nobody", 0); len(none) != 0 {
			t.Errorf("contacts recorded for a client that does not exist: %+v", none)
		}
	}},
	{"GetNotFound", func(t *testing.T, db loupe.DB) {
		_, err := db.GetCustomer(ctx, "nope")
		wantErr(t, "get unknown customer", err, loupe.ErrNotFound)
	}},
	{"StaleUpsertIgnored", func(t *testing.T, db loupe.DB) {
		newer := Customer("c1", "s1", "a1")
		newer.UpdatedAt, newer.EmailCapturedAt = At(time.Hour), At(time.Hour)
		must(t, "put customer", loupe.PutCustomer(ctx, db, newer))
		older := Customer("c1", "s2", "a2")
		older.FirstName = "Old"
		older.Birthday = loupe.Date{Month: time.January, Day: 2}
		must(t, "put older customer", loupe.PutCustomer(ctx, db, older))
		sameEntity(t, "customer after stale upsert", getCustomer(t, db, "c1"), newer, normCustomer)
		for _, q := range []struct {
			name string
			f    func() ([]loupe.Customer, error)
		}{
			{"book a2", func() ([]loupe.Customer, error) { return db.CustomersByAssociate(ctx, "a2") }},
			{"birthday 01-02", func() ([]loupe.Customer, error) { return db.CustomersByMonthDay(ctx, "birthday", "01-02") }},
		} {
			got, err := q.f()
			must(t, q.name, err)
			sameIDs(t, q.name+" after stale upsert", customerIDs(got), nil)
		}
		var home []string
		must(t, "scan s2", db.ScanCustomers(ctx, "s2", func(c loupe.Customer) error {
			home = append(home, c.CustomerID)
			return nil
		}))
		sameIDs(t, "home s2 after stale upsert", home, nil)
	}},
	{"EqualUpdatedAtReapplies", func(t *testing.T, db loupe.DB) {
		c := Customer("c1", "s1", "a1")
		must(t, "put customer", loupe.PutCustomer(ctx, db, c))
		c.LastName = "Married"
		c.Preferences = nil
		must(t, "put customer again", loupe.PutCustomer(ctx, db, c))
		sameEntity(t, "customer", getCustomer(t, db, "c1"), c, normCustomer)
	}},
	{"UpsertKeepsEmailStatus", func(t *testing.T, db loupe.DB) {
		c := Customer("c1", "s1", "a1")
		c.EmailStatus = loupe.EmailBounced
		must(t, "put new customer", loupe.PutCustomer(ctx, db, c))
		if got := getCustomer(t, db, "c1").EmailStatus; got != loupe.EmailOK {
			t.Errorf("new customer email status: got %q, want %q", got, loupe.EmailOK)
		}
		c.UpdatedAt = At(time.Hour)
		c.EmailStatus = loupe.EmailUnsubscribed
		must(t, "put customer again", loupe.PutCustomer(ctx, db, c))
		if got := getCustomer(t, db, "c1").EmailStatus; got != loupe.EmailOK {
			t.Errorf("email status after upsert: got %q, want %q", got, loupe.EmailOK)
		}
	}},
	{"UpsertMergesEmail", func(t *testing.T, db loupe.DB) {
		c := noEmail(Customer("c1", "s1", "a1"))
		must(t, "put customer without email", loupe.PutCustomer(ctx, db, c))
		got := getCustomer(t, db, "c1")
		if got.Email != "" || got.EmailSource != "" || !got.EmailCapturedAt.IsZero() {
			t.Errorf("no email: got email %q source %q at %v, want none", got.Email, got.EmailSource, got.EmailCapturedAt)
		}

		ok, err := loupe.SetCustomerEmail(ctx, db, "c1", "r@client.example.com", loupe.EmailSourceRepair, At(time.Hour))
		must(t, "set repair email", err)
		if !ok {
			t.Fatalf("set repair email: got false, want true")
		}
		c.UpdatedAt = At(2 * time.Hour)
		c.FirstName = "Changed"
		must(t, "upsert without email", loupe.PutCustomer(ctx, db, c))
		want := c
		want.Email, want.EmailSource, want.EmailCapturedAt, want.EmailStatus = "r@client.example.com", loupe.EmailSourceRepair, At(time.Hour), loupe.EmailOK
		sameEntity(t, "repair email kept", getCustomer(t, db, "c1"), want, normCustomer)

		c.UpdatedAt = At(3 * time.Hour)
		c.Email = "pos@client.example.com"
		c.EmailSource, c.EmailCapturedAt = loupe.EmailSourceRepair, At(-time.Hour) // ignored: the store sets them
		must(t, "upsert with email", loupe.PutCustomer(ctx, db, c))
		want = c
		want.EmailSource, want.EmailCapturedAt, want.EmailStatus = loupe.EmailSourcePOS, At(3*time.Hour), loupe.EmailOK
		sameEntity(t, "pos email set", getCustomer(t, db, "c1"), want, normCustomer)

		c = noEmail(c)
		c.UpdatedAt = At(4 * time.Hour)
		must(t, "upsert without email again", loupe.PutCustomer(ctx, db, c))
		want.UpdatedAt = At(4 * time.Hour)
		sameEntity(t, "pos email kept", getCustomer(t, db, "c1"), want, normCustomer)
	}},
	{"SetCustomerEmail", func(t *testing.T, db loupe.DB) {
		must(t, "put customer", loupe.PutCustomer(ctx, db, Customer("c1", "s1", "a1"))) // pos email captured at T0
		must(t, "put customer without email", loupe.PutCustomer(ctx, db, noEmail(Customer("c2", "s1", "a1"))))
		tests := []struct {
			name, id, email string
			at              time.Time
			wantOK          bool
			wantErr         error
			wantEmail       string
			wantSource      string
			wantAt          time.Time
		}{
			{"older than pos email", "c1", "old@client.example.com", At(-time.Hour), false, nil, "c1@client.example.com", loupe.EmailSourcePOS, T0},
			{"newer than pos email", "c1", "new@client.example.com", At(time.Hour), true, nil, "new@client.example.com", loupe.EmailSourceRepair, At(time.Hour)},
			{"older than repair email", "c1", "mid@client.example.com", At(30 * time.Minute), false, nil, "new@client.example.com", loupe.EmailSourceRepair, At(time.Hour)},
			{"no email yet, any time", "c2", "first@client.example.com", At(-48 * time.Hour), true, nil, "first@client.example.com", loupe.EmailSourceRepair, At(-48 * time.Hour)},
			{"unknown customer", "c9", "x@client.example.com", At(time.Hour), false, loupe.ErrNotFound, "", "", time.Time{}},
		}
		for _, tt := range tests {
			ok, err := loupe.SetCustomerEmail(ctx, db, tt.id, tt.email, loupe.EmailSourceRepair, tt.at)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("%s: got error %v, want %v", tt.name, err, tt.wantErr)
			}
			if ok != tt.wantOK {
				t.Errorf("%s: got written %v, want %v", tt.name, ok, tt.wantOK)
			}
			if tt.wantErr != nil {
				continue
			}
			got := getCustomer(t, db, tt.id)
			if got.Email != tt.wantEmail || got.EmailSource != tt.wantSource || !got.EmailCapturedAt.Equal(tt.wantAt) {
				t.Errorf("%s: got %q %q %v, want %q %q %v", tt.name, got.Email, got.EmailSource, got.EmailCapturedAt, tt.wantEmail, tt.wantSource, tt.wantAt)
			}
			if !got.UpdatedAt.Equal(T0) {
				t.Errorf("%s: updated at got %v, want %v (SetCustomerEmail is not a POS upsert)", tt.name, got.UpdatedAt, T0)
			}
		}
	}},
	{"MonthDayIndexes", func(t *testing.T, db loupe.DB) {
		c1 := Customer("c1", "s1", "a1") // birthday 05-17, anniversary 06-21
		c2 := Customer("c2", "s1", "a1")
		c2.Birthday = loupe.Date{Month: time.February, Day: 29}
		c2.Anniversary = loupe.Date{Year: 2004, Month: time.May, Day: 17}
		c0 := Customer("c0", "s2", "a2")
		c0.Birthday = loupe.Date{Year: 1990, Month: time.May, Day: 17}
		c0.Anniversary = loupe.Date{}
		for _, c := range []loupe.Customer{c1, c2, c0} {
			must(t, "put customer", loupe.PutCustomer(ctx, db, c))
		}
		check := func(stage string, want map[[2]string][]string) {
			t.Helper()
			for k, ids := range want {
				got, err := db.CustomersByMonthDay(ctx, k[0], k[1])
				must(t, stage+" "+k[0]+" "+k[1], err)
				sameIDs(t, stage+": "+k[0]+" "+k[1], customerIDs(got), ids)
			}
		}
		check("initial", map[[2]string][]string{
			{"birthday", "05-17"}:    {"c0", "c1"},
			{"birthday", "02-29"}:    {"c2"},
			{"birthday", "06-21"}:    nil,
			{"anniversary", "06-21"}: {"c1"},
			{"anniversary", "05-17"}: {"c2"},
			{"anniversary", "02-29"}: nil,
			{"birthday", "03-01"}:    nil,
		})
		got, err := db.CustomersByMonthDay(ctx, "birthday", "02-29")
		must(t, "feb 29", err)
		if len(got) == 1 {
			sameEntity(t, "indexed customer", got[0], c2, normCustomer)
		}

		c1.UpdatedAt = At(time.Hour)
		c1.Birthday = loupe.Date{Month: time.July, Day: 4}
		c1.Anniversary = loupe.Date{}
		must(t, "change dates", loupe.PutCustomer(ctx, db, c1))
		c2.UpdatedAt = At(time.Hour)
		c2.Birthday = loupe.Date{}
		c2.Anniversary = loupe.Date{Year: 2004, Month: time.February, Day: 29}
		must(t, "change dates", loupe.PutCustomer(ctx, db, c2))
		check("after change", map[[2]string][]string{
			{"birthday", "05-17"}:    {"c0"},
			{"birthday", "07-04"}:    {"c1"},
			{"birthday", "02-29"}:    nil,
			{"anniversary", "06-21"}: nil,
			{"anniversary", "05-17"}: nil,
			{"anniversary", "02-29"}: {"c2"},
		})
	}},
	{"MonthDayUnknownField", func(t *testing.T, db loupe.DB) {
		if _, err := db.CustomersByMonthDay(ctx, "wedding", "05-17"); err == nil {
			t.Errorf("unknown field: got nil error, want one")
		}
	}},
	{"BookFollowsUpsertsAndMoves", func(t *testing.T, db loupe.DB) {
		for _, c := range []loupe.Customer{Customer("c2", "s1", "a1"), Customer("c1", "s1", "a1"), Customer("c3", "s1", "a2"), Customer("c4", "s1", "")} {
			must(t, "put customer", loupe.PutCustomer(ctx, db, c))
		}
		check := func(stage string, want map[string][]string) {
			t.Helper()
			for a, ids := range want {
				got, err := db.CustomersByAssociate(ctx, a)
				must(t, stage+" book "+a, err)
				sameIDs(t, stage+": book of "+a, customerIDs(got), ids)
			}
		}
		check("initial", map[string][]string{"a1": {"c1", "c2"}, "a2": {"c3"}, "a9": nil})
		got, err := db.CustomersByAssociate(ctx, "a2")
		must(t, "book a2", err)
		if len(got) == 1 {
			sameEntity(t, "book entry", got[0], Customer("c3", "s1", "a2"), normCustomer)
		}

		c2 := Customer("c2", "s1", "a2")
		c2.UpdatedAt = At(time.Hour)
		must(t, "upsert new owner", loupe.PutCustomer(ctx, db, c2))
		check("after upsert", map[string][]string{"a1": {"c1"}, "a2": {"c2", "c3"}})

		must(t, "move c1", loupe.MoveCustomerTo(ctx, db, "c1", "a1", "a2", time.Now()))
		check("after move", map[string][]string{"a1": nil, "a2": {"c1", "c2", "c3"}})
		if got := getCustomer(t, db, "c1"); got.AssociateID != "a2" || !got.UpdatedAt.Equal(T0) {
			t.Errorf("moved customer: got owner %q updated %v, want a2 and %v", got.AssociateID, got.UpdatedAt, T0)
		}

		must(t, "move unassigned c4", loupe.MoveCustomerTo(ctx, db, "c4", "", "a3", time.Now()))
		check("after moving unassigned", map[string][]string{"a3": {"c4"}})

		c3 := Customer("c3", "s1", "")
		c3.UpdatedAt = At(time.Hour)
		must(t, "upsert without owner", loupe.PutCustomer(ctx, db, c3))
		check("after owner removed", map[string][]string{"a2": {"c1", "c2"}})
	}},
	{"MoveCustomerConditions", func(t *testing.T, db loupe.DB) {
		must(t, "put customer", loupe.PutCustomer(ctx, db, Customer("c1", "s1", "a1")))
		wantErr(t, "move from wrong owner", loupe.MoveCustomerTo(ctx, db, "c1", "a2", "a3", time.Now()), loupe.ErrConflict)
		sameEntity(t, "customer after conflict", getCustomer(t, db, "c1"), Customer("c1", "s1", "a1"), normCustomer)
		wantErr(t, "move unknown", loupe.MoveCustomerTo(ctx, db, "c9", "a1", "a2", time.Now()), loupe.ErrNotFound)
		must(t, "move to current owner", loupe.MoveCustomerTo(ctx, db, "c1", "a1", "a1", time.Now()))
		sameEntity(t, "customer after no-op move", getCustomer(t, db, "c1"), Customer("c1", "s1", "a1"), normCustomer)
		if _, err := db.GetCustomer(ctx, "c9"); !errors.Is(err, loupe.ErrNotFound) {
			t.Errorf("move of unknown customer created it: got %v, want ErrNotFound", err)
		}
	}},
	{"ScanCustomers", func(t *testing.T, db loupe.DB) {
		for _, c := range []loupe.Customer{Customer("c3", "s1", "a1"), Customer("c1", "s2", "a1"), Customer("c2", "s1", ""), Customer("c10", "s1", "a2")} {
			must(t, "put customer", loupe.PutCustomer(ctx, db, c))
		}
		tests := []struct {
			name, storeID string
			want          []string
		}{
			{"all", "", []string{"c1", "c10", "c2", "c3"}},
			{"store s1", "s1", []string{"c10", "c2", "c3"}},
			{"store s2", "s2", []string{"c1"}},
			{"unknown store", "s9", nil},
		}
		for _, tt := range tests {
			var got []string
			must(t, tt.name, db.ScanCustomers(ctx, tt.storeID, func(c loupe.Customer) error {
				got = append(got, c.CustomerID)
				if c.CustomerID == "c1" {
					sameEntity(t, "scanned customer", c, Customer("c1", "s2", "a1"), normCustomer)
				}
				return nil
			}))
			sameIDs(t, tt.name, got, tt.want)
		}
		stop := errors.New("stop here")
		var n int
		err := db.ScanCustomers(ctx, "", func(loupe.Customer) error {
			n++
			if n == 2 {
				return stop
			}
			return nil
		})
		wantErr(t, "scan stopped by fn", err, stop)
		if n != 2 {
			t.Errorf("fn calls after error: got %d, want 2", n)
		}
	}},
	{"HomeStoreFollowsUpsert", func(t *testing.T, db loupe.DB) {
		must(t, "put customer", loupe.PutCustomer(ctx, db, Customer("c1", "s1", "a1")))
		moved := Customer("c1", "s2", "a1")
		moved.UpdatedAt = At(time.Hour)
		must(t, "change home store", loupe.PutCustomer(ctx, db, moved))
		for _, tt := range []struct {
			storeID string
			want    []string
		}{{"s1", nil}, {"s2", []string{"c1"}}} {
			var got []string
			must(t, "scan", db.ScanCustomers(ctx, tt.storeID, func(c loupe.Customer) error {
				got = append(got, c.CustomerID)
				return nil
			}))
			sameIDs(t, "customers of "+tt.storeID, got, tt.want)
		}
	}},
}
