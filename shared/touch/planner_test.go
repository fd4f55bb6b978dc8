package touch_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/touch"
)

// planned returns "occasion/customer" of each entry.
func planned(entries []touch.Entry) []string {
	var out []string
	for _, e := range entries {
		out = append(out, e.Occasion+"/"+e.CustomerID)
	}
	return out
}

// deliver delivers entries to a new mail.Fake and returns the mail it got.
func deliver(t *testing.T, p *touch.Planner, entries []touch.Entry) []mail.Message {
	t.Helper()
	fake := &mail.Fake{}
	res, err := p.Deliver(context.Background(), entries, fake)
	if err != nil || res.Sent != len(entries) {
		t.Fatalf("deliver = %+v, %v; want %d sent", res, err, len(entries))
	}
	return fake.Sent()
}

// planStore plans store alone on day through PlanStores and returns the
// entries it claimed, in the order it enqueued them.
func planStore(ctx context.Context, p *touch.Planner, store loupe.Store, day touch.Day) ([]touch.Entry, error) {
	q := &memQueue{}
	_, err := p.PlanStores(ctx, q, func(s loupe.Store) (touch.Day, bool, error) {
		return day, s.StoreID == store.StoreID, nil
	})
	return q.entries, err
}

// today is the due function of a run at now: every store, on its own local
// day of now.
func today(now time.Time) func(loupe.Store) (touch.Day, bool, error) {
	return func(s loupe.Store) (touch.Day, bool, error) {
		d, err := touch.StoreDay(s, now)
		return d, err == nil, err
	}
}

func TestPlanStore(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		customers []loupe.Customer
		store     string
		day       string
		want      []string
	}{
		{"birthday a week ahead", []loupe.Customer{customer("c1", "nyc", date("1980-06-15"), loupe.Date{})}, "nyc", "2026-06-08", []string{"birthday/c1"}},
		{"birthday not the day before", []loupe.Customer{customer("c1", "nyc", date("1980-06-15"), loupe.Date{})}, "nyc", "2026-06-07", nil},
		{"birthday not the day after", []loupe.Customer{customer("c1", "nyc", date("1980-06-15"), loupe.Date{})}, "nyc", "2026-06-09", nil},
		{"birthday of another store's client", []loupe.Customer{customer("c1", "lon", date("1980-06-15"), loupe.Date{})}, "nyc", "2026-06-08", nil},
		{"unknown birth year", []loupe.Customer{customer("c1", "nyc", date("--06-15"), loupe.Date{})}, "nyc", "2026-06-08", []string{"birthday/c1"}},
		{"anniversary ten days ahead", []loupe.Customer{customer("c1", "nyc", loupe.Date{}, date("2001-09-20"))}, "nyc", "2026-09-10", []string{"anniversary/c1"}},
		{"feb 29 in a non-leap year: feb 28", []loupe.Customer{customer("c1", "nyc", date("1984-02-29"), loupe.Date{})}, "nyc", "2026-02-21", []string{"birthday/c1"}},
		{"feb 29 in a non-leap year: not feb 29-7", []loupe.Customer{customer("c1", "nyc", date("1984-02-29"), loupe.Date{})}, "nyc", "2026-02-22", nil},
		{"feb 29 in a leap year", []loupe.Customer{customer("c1", "nyc", date("1984-02-29"), loupe.Date{})}, "nyc", "2028-02-22", []string{"birthday/c1"}},
		{"feb 28 in a leap year is not feb 29", []loupe.Customer{customer("c1", "nyc", date("1984-02-29"), loupe.Date{})}, "nyc", "2028-02-21", nil},
		{"mothering sunday opens in GB", []loupe.Customer{customer("c1", "lon", loupe.Date{}, loupe.Date{})}, "lon", "2026-03-01", []string{"mothers_day/c1"}},
		{"mothering sunday is not US mothers day", []loupe.Customer{customer("c1", "nyc", loupe.Date{}, loupe.Date{})}, "nyc", "2026-03-01", nil},
		{"US mothers day opens two weeks ahead", []loupe.Customer{customer("c1", "nyc", loupe.Date{}, loupe.Date{})}, "nyc", "2026-04-26", []string{"mothers_day/c1"}},
		{"MX mothers day may 10", []loupe.Customer{customer("c1", "mex", loupe.Date{}, loupe.Date{})}, "mex", "2026-04-26", []string{"mothers_day/c1"}},
		{"valentines", []loupe.Customer{customer("c1", "nyc", loupe.Date{}, loupe.Date{}), customer("c2", "nyc", loupe.Date{}, loupe.Date{})}, "nyc", "2026-01-31", []string{"valentines/c1", "valentines/c2"}},
		{"birthday beats christmas the same day", []loupe.Customer{customer("c1", "nyc", date("1970-12-04"), loupe.Date{})}, "nyc", "2026-11-27", []string{"birthday/c1"}},
		{"a quiet day", []loupe.Customer{customer("c1", "nyc", loupe.Date{}, loupe.Date{})}, "nyc", "2026-07-01", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := chainDB()
			for _, c := range tt.customers {
				db.put(c)
			}
			p := newPlanner(db, &touch.MemLedger{}, nil)
			sends, err := planStore(ctx, p, db.stores[tt.store], day(tt.day))
			if err != nil {
				t.Fatal(err)
			}
			if got := planned(sends); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("planned %v, want %v", got, tt.want)
			}
			for _, e := range sends {
				if e.State != touch.StateClaimed || e.Planned != day(tt.day) {
					t.Errorf("entry %+v: want claimed, planned %s", e, tt.day)
				}
			}
			for _, m := range deliver(t, p, sends) {
				if got := m.Header(mail.HeaderSendDate); got != tt.day {
					t.Errorf("X-Loupe-Send-Date = %q, want %q", got, tt.day)
				}
			}
		})
	}
}

func TestPlanStoreReadsOnlyDueClientsOnQuietDays(t *testing.T) {
	db := chainDB()
	for i := range 100 {
		db.put(customer(fmt.Sprintf("c%03d", i), "nyc", loupe.Date{Year: 1980, Month: time.Month(1 + i%12), Day: 1 + i%28}, loupe.Date{}))
	}
	p := newPlanner(db, &touch.MemLedger{}, nil)
	if _, err := planStore(context.Background(), p, db.stores["nyc"], day("2026-07-01")); err != nil {
		t.Fatal(err)
	}
	if db.scans != 0 {
		t.Errorf("scans = %d on a day without holiday window, want 0", db.scans)
	}
	if db.read > 10 {
		t.Errorf("read %d customers, want only the few due", db.read)
	}
}

func TestPlanStoreSkipReasons(t *testing.T) {
	ctx := context.Background()
	bday := date("1980-06-15")
	mk := func(id, store string, edit func(*loupe.Customer)) loupe.Customer {
		c := customer(id, store, bday, loupe.Date{})
		edit(&c)
		return c
	}
	tests := []struct {
		name   string
		c      loupe.Customer
		reason string // "" sent
	}{
		{"ok", mk("c1", "nyc", func(c *loupe.Customer) {}), ""},
		{"no email", mk("c2", "nyc", func(c *loupe.Customer) { c.Email = "" }), touch.SkipNoEmail},
		{"unsubscribed", mk("c3", "nyc", func(c *loupe.Customer) { c.EmailStatus = loupe.EmailUnsubscribed }), touch.SkipUnsubscribed},
		{"bounced", mk("c4", "nyc", func(c *loupe.Customer) { c.EmailStatus = loupe.EmailBounced }), touch.SkipBounced},
		{"complained", mk("c5", "nyc", func(c *loupe.Customer) { c.EmailStatus = loupe.EmailComplained }), touch.SkipComplained},
		{"opted out", mk("c6", "nyc", func(c *loupe.Customer) { c.EmailOptOut = true }), touch.SkipOptedOut},
		{"repair email in an opt-out country", mk("c7", "nyc", func(c *loupe.Customer) { c.EmailSource = loupe.EmailSourceRepair }), ""},
		{"repair email in an opt-in country", mk("c8", "lon", func(c *loupe.Customer) { c.EmailSource = loupe.EmailSourceRepair }), touch.SkipNoConsent},
		{"pos email in an opt-in country", mk("c9", "lon", func(c *loupe.Customer) {}), ""},
		{"email consent denied", mk("c10", "nyc", func(c *loupe.Customer) {
			c.Consents = map[string]loupe.Consent{"email": {Status: loupe.ConsentDenied, At: time.Now()}}
		}), touch.SkipNoConsent},
		{"repair email in an opt-in country, consent granted", mk("c11", "lon", func(c *loupe.Customer) {
			c.EmailSource = loupe.EmailSourceRepair
			c.Consents = map[string]loupe.Consent{"email": {Status: loupe.ConsentGranted, At: time.Now()}}
		}), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := chainDB()
			db.put(tt.c)
			ledger := &touch.MemLedger{}
			p := newPlanner(db, ledger, nil)
			sends, err := planStore(ctx, p, db.stores[tt.c.HomeStoreID], day("2026-06-08"))
			if err != nil {
				t.Fatal(err)
			}
			e, err := ledger.Get(ctx, touch.Key{CustomerID: tt.c.CustomerID, Occasion: touch.Birthday, Year: 2026})
			if err != nil {
				t.Fatalf("ledger: %v", err)
			}
			if tt.reason == "" {
				if len(sends) != 1 || e.State != touch.StateClaimed {
					t.Errorf("got %d sends, entry %s; want 1 send, claimed", len(sends), e.State)
				}
				return
			}
			if len(sends) != 0 || e.State != touch.StateSkipped || e.Reason != tt.reason {
				t.Errorf("got %d sends, entry %s %q; want skipped %q", len(sends), e.State, e.Reason, tt.reason)
			}
		})
	}
}

// TestFatigue walks days through the Christmas window (2026-11-27..12-18).
func TestFatigue(t *testing.T) {
	ctx := context.Background()
	db := chainDB()
	db.put(customer("after", "nyc", date("1970-12-02"), loupe.Date{}))   // birthday planned 11-25: christmas waits to 12-02
	db.put(customer("ahead", "nyc", date("1970-12-06"), loupe.Date{}))   // birthday planned 11-29: christmas waits to 12-06
	db.put(customer("plain", "nyc", loupe.Date{}, loupe.Date{}))         // christmas on 11-27
	db.put(customer("late", "nyc", date("1970-12-24"), date("--12-27"))) // personal 12-17 and 12-17: christmas on the last day 12-18 overridden? see below
	ledger := &touch.MemLedger{}
	p := newPlanner(db, ledger, nil)
	got := map[string][]string{}
	for d := day("2026-11-20"); !day("2026-12-31").Before(d); d = d.AddDays(1) {
		sends, err := planStore(ctx, p, db.stores["nyc"], d)
		if err != nil {
			t.Fatal(err)
		}
		deliver(t, p, sends)
		for _, e := range sends {
			got[e.CustomerID] = append(got[e.CustomerID], e.Occasion+"@"+d.String())
		}
	}
	want := map[string][]string{
		"after": {"birthday@2026-11-25", "christmas@2026-12-02"},
		"ahead": {"birthday@2026-11-29", "christmas@2026-12-06"},
		"plain": {"christmas@2026-11-27"},
		// Christmas goes first (11-27); both personal mails go later even inside the cap.
		"late": {"christmas@2026-11-27", "birthday@2026-12-17", "anniversary@2026-12-17"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sent %v\nwant %v", got, want)
	}
}

func TestFatigueWindowClosed(t *testing.T) {
	ctx := context.Background()
	db := chainDB()
	// Valentine's window 01-31..02-10; personal mails on 02-03 and 02-08 leave
	// no free day: valentines is skipped on 02-10.
	db.put(customer("c1", "nyc", date("1970-02-10"), date("--02-18")))
	ledger := &touch.MemLedger{}
	p := newPlanner(db, ledger, nil)
	for d := day("2026-01-25"); !day("2026-02-15").Before(d); d = d.AddDays(1) {
		sends, err := planStore(ctx, p, db.stores["nyc"], d)
		if err != nil {
			t.Fatal(err)
		}
		deliver(t, p, sends)
	}
	e, err := ledger.Get(ctx, touch.Key{CustomerID: "c1", Occasion: touch.Valentines, Year: 2026})
	if err != nil || e.State != touch.StateSkipped || e.Reason != touch.SkipFatigue || e.Planned != day("2026-02-10") {
		t.Errorf("valentines = %+v, %v; want skipped %s on 2026-02-10", e, err, touch.SkipFatigue)
	}
}

func TestCampaign(t *testing.T) {
	ctx := context.Background()
	db := chainDB()
	db.put(customer("c1", "nyc", loupe.Date{}, loupe.Date{}))
	db.put(customer("c2", "lon", loupe.Date{}, loupe.Date{}))
	campaigns := &touch.MemCampaigns{}
	c := touch.Campaign{CampaignID: "gala", Name: "Autumn Gala", EventDate: day("2026-10-10"), SendDate: day("2026-09-20"),
		StoreIDs: []string{"nyc"}, Subject: "Save the date", BodyHTML: "<p>Champagne &amp; pearls</p>"}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := campaigns.PutCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	p := newPlanner(db, &touch.MemLedger{}, campaigns)
	for _, tt := range []struct {
		store, day string
		want       []string
	}{
		{"nyc", "2026-09-19", nil},
		{"nyc", "2026-09-20", []string{"event:gala/c1"}},
		{"nyc", "2026-09-21", nil},
		{"lon", "2026-09-20", nil},
	} {
		sends, err := planStore(ctx, p, db.stores[tt.store], day(tt.day))
		if err != nil {
			t.Fatal(err)
		}
		if got := planned(sends); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s %s: planned %v, want %v", tt.store, tt.day, got, tt.want)
		}
		for _, m := range deliver(t, p, sends) {
			if m.Subject != "Save the date" || !strings.Contains(m.HTML, "<p>Champagne &amp; pearls</p>") || !strings.Contains(m.Text, "Champagne & pearls") {
				t.Errorf("campaign mail: subject %q html %q text %q", m.Subject, m.HTML, m.Text)
			}
		}
	}
}

func TestCampaignValidate(t *testing.T) {
	ok := touch.Campaign{CampaignID: "gala", Name: "Gala", EventDate: day("2026-10-10"), SendDate: day("2026-09-20"), StoreIDs: []string{"nyc"}, Subject: "S", BodyHTML: "<p>x</p>"}
	tests := []struct {
		name  string
		edit  func(*touch.Campaign)
		field string
	}{
		{"bad id", func(c *touch.Campaign) { c.CampaignID = "a b" }, "campaign_id"},
		{"no name", func(c *touch.Campaign) { c.Name = " " }, "name"},
		{"send after event", func(c *touch.Campaign) { c.SendDate = day("2026-10-11") }, "send_date"},
		{"no stores", func(c *touch.Campaign) { c.StoreIDs = nil }, "store_ids"},
		{"subject injection", func(c *touch.Campaign) { c.Subject = "a\r\nBcc: x" }, "subject"},
		{"no body", func(c *touch.Campaign) { c.BodyHTML = "" }, "body_html"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.edit(&c)
			err := c.Validate()
			var le *loupe.Error
			if !errors.As(err, &le) || le.Code != loupe.EINVALID || le.Field != tt.field {
				t.Errorf("Validate() = %v, want EINVALID on %s", err, tt.field)
			}
		})
	}
}

func TestMailContent(t *testing.T) {
	ctx := context.Background()
	db := chainDB()
	c := customer("c1", "nyc", date("1980-06-15"), loupe.Date{})
	c.FirstName = `<script>alert("x")</script>`
	db.put(c)
	p := newPlanner(db, &touch.MemLedger{}, nil)
	sends, err := planStore(ctx, p, db.stores["nyc"], day("2026-06-08"))
	if err != nil || len(sends) != 1 {
		t.Fatalf("sends %d, %v", len(sends), err)
	}
	m := deliver(t, p, sends)[0]
	checks := []struct {
		name      string
		got, want string
	}{
		{"key", m.Key, "tp/c1/birthday/2026"},
		{"touchpoint", m.Header(mail.HeaderTouchpoint), "birthday"},
		{"customer", m.Header(mail.HeaderCustomerID), "c1"},
		{"send date", m.Header(mail.HeaderSendDate), "2026-06-08"},
		{"list-unsubscribe", m.Header(mail.HeaderListUnsubscribe), "<https://loupe.example.com/u/tok-c1>"},
		{"list-unsubscribe-post", m.Header(mail.HeaderListUnsubscribePost), "List-Unsubscribe=One-Click"},
		{"from", m.From, `"Loupe Fifth Avenue" <nyc@loupe.example.com>`},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s = %q, want %q", ck.name, ck.got, ck.want)
		}
	}
	for _, part := range []struct{ name, body string }{{"html", m.HTML}, {"text", m.Text}} {
		for _, want := range []string{"712 Fifth Avenue, New York", "https://loupe.example.com/u/tok-c1", "Loupe Fifth Avenue", "Warmly", "Monday, June 15"} {
			if !strings.Contains(part.body, want) {
				t.Errorf("%s part lacks %q", part.name, want)
			}
		}
	}
	if strings.Contains(m.HTML, "<script>") || !strings.Contains(m.HTML, "&lt;script&gt;") {
		t.Errorf("html part does not escape the client's name: %s", m.HTML)
	}
	if !strings.Contains(m.HTML, "Ada &lt;Lovelace&gt; at Loupe Fifth Avenue") || !strings.Contains(m.Text, "Ada <Lovelace> at Loupe Fifth Avenue") {
		t.Errorf("signature missing: html %s text %s", m.HTML, m.Text)
	}
	if _, err := mail.Render(m, p.Now(), ""); err != nil {
		t.Errorf("render: %v", err)
	}
}

func TestPreview(t *testing.T) {
	ctx := context.Background()
	db := chainDB()
	db.put(customer("c1", "lon", date("1980-06-15"), loupe.Date{}))
	ledger := &touch.MemLedger{}
	p := newPlanner(db, ledger, nil)
	for _, occ := range []string{touch.Birthday, touch.Valentines, touch.MothersDay, touch.Christmas} {
		m, err := p.Preview(ctx, "c1", occ)
		if err != nil {
			t.Fatalf("%s: %v", occ, err)
		}
		if m.Header(mail.HeaderTouchpoint) != occ {
			t.Errorf("%s: touchpoint %q", occ, m.Header(mail.HeaderTouchpoint))
		}
	}
	m, _ := p.Preview(ctx, "c1", touch.MothersDay)
	if got, want := m.Header(mail.HeaderSendDate), "2026-03-01"; got != want {
		t.Errorf("GB mothers day preview planned %s, want %s", got, want)
	}
	var le *loupe.Error
	if _, err := p.Preview(ctx, "c1", touch.Anniversary); !errors.As(err, &le) || le.Code != loupe.EINVALID {
		t.Errorf("anniversary without date: got %v, want EINVALID", err)
	}
	if _, err := p.Preview(ctx, "nobody", touch.Birthday); !errors.Is(err, loupe.ErrNotFound) {
		t.Errorf("unknown client: got %v, want ErrNotFound", err)
	}
	if pending, _ := ledger.Pending(ctx); len(pending) != 0 {
		t.Errorf("preview claimed %d entries", len(pending))
	}
}

func TestCrashRecovery(t *testing.T) {
	ctx := context.Background()
	db := chainDB()
	for i := range 10 {
		db.put(customer(fmt.Sprintf("c%d", i), "nyc", loupe.Date{}, loupe.Date{}))
	}
	db.put(customer("gone", "nyc", loupe.Date{}, loupe.Date{}))
	ledger := &touch.MemLedger{}
	p := newPlanner(db, ledger, nil)
	fake := &mail.Fake{}
	n := 0
	sender := &countingSender{next: fake, fail: func(mail.Message) error {
		if n++; n > 4 {
			return fmt.Errorf("ses: %w", mail.ErrTemporary)
		}
		return nil
	}}
	res, err := p.RunDay(ctx, day("2026-01-31"), sender)
	if !errors.Is(err, mail.ErrTemporary) || res.Sent != 4 || res.Planned != 11 {
		t.Fatalf("run = %+v, %v; want 4 sent and ErrTemporary", res, err)
	}
	// The client unsubscribes before the retry.
	c, _ := db.GetCustomer(ctx, "gone")
	c.EmailStatus = loupe.EmailUnsubscribed
	db.put(c)
	sender.fail = nil
	res, err = p.RunDay(ctx, day("2026-01-31"), sender)
	if err != nil || res.Recovered != 6 || res.Planned != 0 || res.Skipped != 1 {
		t.Fatalf("rerun = %+v, %v; want 6 recovered, 0 planned", res, err)
	}
	if got := len(fake.Sent()); got != 10 {
		t.Errorf("delivered %d, want 10", got)
	}
	seen := map[string]bool{}
	for _, m := range sender.calls {
		if seen[m.Key] {
			t.Errorf("%s sent twice", m.Key)
		}
		seen[m.Key] = true
	}
	e, _ := ledger.Get(ctx, touch.Key{CustomerID: "gone", Occasion: touch.Valentines, Year: 2026})
	if e.State != touch.StateSkipped || e.Reason != touch.SkipUnsubscribed {
		t.Errorf("unsubscribed pending entry = %+v, want skipped unsubscribed", e)
	}
}

// TestFatigueCountsPersonalContacts: an associate's logged call is a
// marketing contact for the one cap (contact.CapOpen): Christmas, open from
// 11-27, waits until 7 days after a call on 11-25 (12-02).
func TestFatigueCountsPersonalContacts(t *testing.T) {
	ctx := context.Background()
	db := chainDB()
	c := customer("called", "nyc", loupe.Date{}, loupe.Date{})
	ny, _ := time.LoadLocation("America/New_York")
	c.LastPersonalContactAt = time.Date(2026, 11, 25, 16, 0, 0, 0, ny)
	db.put(c)
	ledger := &touch.MemLedger{}
	p := newPlanner(db, ledger, nil)
	var got []string
	for d := day("2026-11-20"); !day("2026-12-20").Before(d); d = d.AddDays(1) {
		sends, err := planStore(ctx, p, db.stores["nyc"], d)
		if err != nil {
			t.Fatal(err)
		}
		deliver(t, p, sends)
		for _, e := range sends {
			got = append(got, e.Occasion+"@"+d.String())
		}
	}
	if want := []string{"christmas@2026-12-02"}; !reflect.DeepEqual(got, want) {
		t.Errorf("sent %v, want %v", got, want)
	}
}
