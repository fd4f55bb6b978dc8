package contact_test

import (
	"slices"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/contact"
	"github.com/loupehq/loupe/shared/loupe"
)

func client(country string, mod func(*contact.Client)) contact.Client {
	c := contact.Client{Country: country, EmailRule: "opt_in", Customer: loupe.Customer{CustomerID: "c1",
		Email: "ann@gmail.com", EmailSource: loupe.EmailSourcePOS, EmailStatus: loupe.EmailOK, Phone: "+12125550147",
		PostalAddress: loupe.PostalAddress{Line1: "12 Elm St", Country: country}}}
	if country == "US" {
		c.EmailRule = "opt_out"
	}
	if mod != nil {
		mod(&c)
	}
	return c
}

func consent(ch, status string) func(*contact.Client) {
	return func(c *contact.Client) {
		if c.Consents == nil {
			c.Consents = map[string]loupe.Consent{}
		}
		c.Consents[ch] = loupe.Consent{Status: status, At: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Source: "pos", Evidence: "form-1", Phone: c.Phone}
	}
}

func TestReach(t *testing.T) {
	repairEmail := func(c *contact.Client) { c.EmailSource = loupe.EmailSourceRepair }
	bought := func(c *contact.Client) { c.Bought = true }
	both := func(fs ...func(*contact.Client)) func(*contact.Client) {
		return func(c *contact.Client) {
			for _, f := range fs {
				f(c)
			}
		}
	}
	tests := []struct {
		name    string
		c       contact.Client
		channel string
		purpose contact.Purpose
		want    string
	}{
		{"US email marketing", client("US", nil), contact.Email, contact.Marketing, ""},
		{"US repair email is opt-out", client("US", repairEmail), contact.Email, contact.Marketing, ""},
		{"FR repair email needs a grant", client("FR", repairEmail), contact.Email, contact.Marketing, contact.ReasonNoConsent},
		{"FR repair email, soft opt-in after a sale", client("FR", both(repairEmail, bought)), contact.Email, contact.Marketing, ""},
		{"CA repair email, no soft opt-in", client("CA", both(repairEmail, bought)), contact.Email, contact.Marketing, contact.ReasonNoConsent},
		{"email denied", client("US", consent("email", loupe.ConsentDenied)), contact.Email, contact.Marketing, contact.ReasonNoConsent},
		{"unsubscribed", client("US", func(c *contact.Client) { c.EmailStatus = loupe.EmailUnsubscribed }), contact.Email, contact.Marketing, contact.ReasonUnsubscribed},
		{"unsubscribed still gets service", client("US", func(c *contact.Client) { c.EmailStatus = loupe.EmailUnsubscribed }), contact.Email, contact.Service, ""},
		{"bounced gets nothing", client("US", func(c *contact.Client) { c.EmailStatus = loupe.EmailBounced }), contact.Email, contact.Service, contact.ReasonBounced},
		{"no email", client("US", func(c *contact.Client) { c.Email = "" }), contact.Email, contact.Marketing, contact.ReasonNoAddress},
		{"a grant after the unsubscribe lifts it", client("US", both(consent("email", loupe.ConsentGranted), func(c *contact.Client) {
			c.EmailStatus, c.EmailStatusAt = loupe.EmailUnsubscribed, time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
		})), contact.Email, contact.Marketing, ""},
		{"a grant before the unsubscribe does not", client("US", both(consent("email", loupe.ConsentGranted), func(c *contact.Client) {
			c.EmailStatus, c.EmailStatusAt = loupe.EmailUnsubscribed, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
		})), contact.Email, contact.Marketing, contact.ReasonUnsubscribed},
		{"a newer grant lifts a complaint on the profile", client("US", both(consent("email", loupe.ConsentGranted), func(c *contact.Client) {
			c.EmailStatus, c.EmailStatusAt = loupe.EmailComplained, time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
		})), contact.Email, contact.Marketing, ""},

		{"US sms marketing needs a grant", client("US", nil), contact.SMS, contact.Marketing, contact.ReasonNoConsent},
		{"US sms marketing granted", client("US", consent("sms", loupe.ConsentGranted)), contact.SMS, contact.Marketing, ""},
		{"US sms no soft opt-in", client("US", bought), contact.SMS, contact.Marketing, contact.ReasonNoConsent},
		{"GB sms soft opt-in", client("GB", bought), contact.SMS, contact.Marketing, ""},
		{"GB sms after STOP", client("GB", both(bought, consent("sms", loupe.ConsentDenied))), contact.SMS, contact.Marketing, contact.ReasonNoConsent},
		{"service text to the repair's phone", client("US", func(c *contact.Client) { c.RepairPhone = c.Phone }), contact.SMS, contact.Service, ""},
		{"service text without a repair phone", client("US", nil), contact.SMS, contact.Service, contact.ReasonNoConsent},
		{"service text after STOP", client("US", both(func(c *contact.Client) { c.RepairPhone = c.Phone }, consent("sms", loupe.ConsentDenied))), contact.SMS, contact.Service, contact.ReasonNoConsent},
		{"no phone", client("US", func(c *contact.Client) { c.Phone = "" }), contact.SMS, contact.Marketing, contact.ReasonNoPhone},

		{"never a marketing call", client("US", consent("voice", loupe.ConsentGranted)), contact.Voice, contact.Marketing, contact.ReasonNoMarketing},
		{"service call", client("US", func(c *contact.Client) { c.RepairPhone = c.Phone }), contact.Voice, contact.Service, ""},

		{"mail unless denied", client("DE", nil), contact.Mail, contact.Marketing, ""},
		{"mail denied", client("DE", consent("mail", loupe.ConsentDenied)), contact.Mail, contact.Marketing, contact.ReasonNoConsent},
		{"mail without address", client("DE", func(c *contact.Client) { c.PostalAddress = loupe.PostalAddress{} }), contact.Mail, contact.Marketing, contact.ReasonNoPostal},
		{"ads need a grant", client("US", nil), contact.Ads, contact.Marketing, contact.ReasonNoConsent},
		{"ads granted", client("US", consent("ads", loupe.ConsentGranted)), contact.Ads, contact.Marketing, ""},
		{"personal call", client("US", nil), contact.Personal, contact.Marketing, ""},
		{"personal after do-not-call", client("US", consent("voice", loupe.ConsentDenied)), contact.Personal, contact.Marketing, contact.ReasonNoConsent},
		{"unknown channel", client("US", nil), "fax", contact.Marketing, contact.ReasonUnknownChannel},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := contact.Reach(tt.c, tt.channel, tt.purpose); got != tt.want {
				t.Fatalf("Reach(%s, %s) = %q, want %q", tt.channel, tt.purpose, got, tt.want)
			}
		})
	}
}

func TestNextQuiet(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	la, _ := time.LoadLocation("America/Los_Angeles")
	at := func(h, m int) time.Time { return time.Date(2026, 12, 3, h, m, 0, 0, ny) }
	tests := []struct {
		name  string
		from  time.Time
		h     contact.Hours
		zones []*time.Location
		want  time.Time
	}{
		{"inside", at(10, 7), contact.DefaultHours, []*time.Location{ny}, at(10, 7)},
		{"too early waits for 8", at(6, 50), contact.DefaultHours, []*time.Location{ny}, at(8, 0)},
		{"too late waits for tomorrow", at(21, 0), contact.DefaultHours, []*time.Location{ny}, at(8, 0).AddDate(0, 0, 1)},
		{"the strictest zone: 8 in Los Angeles", at(9, 0), contact.DefaultHours, []*time.Location{ny, la}, at(11, 0)},
		{"Florida stops at 20", at(20, 30), contact.HoursFor("US", "fl"), []*time.Location{ny}, at(8, 0).AddDate(0, 0, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, ok := contact.NextQuiet(tt.from, tt.h, tt.zones...); !ok || !got.Equal(tt.want) {
				t.Fatalf("NextQuiet = %v, %v; want %v", got.In(ny), ok, tt.want)
			}
		})
	}
	// London, Honolulu and Tokyo share no hour of 08:00-21:00: never.
	var zones []*time.Location
	for _, z := range []string{"Europe/London", "Pacific/Honolulu", "Asia/Tokyo"} {
		loc, _ := time.LoadLocation(z)
		zones = append(zones, loc)
	}
	if got, ok := contact.NextQuiet(at(10, 0), contact.DefaultHours, zones...); ok {
		t.Errorf("London, Honolulu and Tokyo: %v, want no allowed hour", got)
	}
	for region, want := range map[string]contact.Hours{"MD": {8, 20}, "WA": {8, 20}, "CT": {9, 20}, "TX": {9, 21}, "OK": {8, 20}} {
		if h := contact.HoursFor("US", region); h != want {
			t.Errorf("HoursFor(US, %s) = %v, want %v", region, h, want)
		}
	}
	if h := contact.HoursFor("US", "NY"); h != contact.DefaultHours {
		t.Fatalf("HoursFor(US, NY) = %v", h)
	}
}

func TestCapOpen(t *testing.T) {
	last := time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)
	if got := contact.CapOpen(last, 0); !got.Equal(last.AddDate(0, 0, 7)) {
		t.Fatalf("CapOpen default = %v", got)
	}
	if got := contact.CapOpen(last, 3); !got.Equal(last.AddDate(0, 0, 3)) {
		t.Fatalf("CapOpen 3 = %v", got)
	}
	if got := contact.CapOpen(time.Time{}, 7); !got.IsZero() {
		t.Fatalf("CapOpen of no contact = %v, want zero", got)
	}
}

func TestLists(t *testing.T) {
	by, err := contact.ParseLists(" birthday = email, sms ; holiday=sms,email;christmas=mail,email ")
	if err != nil {
		t.Fatal(err)
	}
	l := contact.Lists{By: by, MailOverCents: 50_000}
	for occ, want := range map[string][]string{
		"birthday": {"email", "sms"}, "anniversary": {"email", "sms"}, "valentines": {"sms", "email"},
		"mothers_day": {"sms", "email"}, "christmas": {"mail", "email"},
	} {
		if got := l.For(occ); !slices.Equal(got, want) {
			t.Errorf("For(%s) = %v, want %v", occ, got, want)
		}
	}
	if got := (contact.Lists{}).For("valentines"); !slices.Equal(got, []string{"email"}) {
		t.Errorf("default holiday list = %v", got)
	}
	// The holiday list is the holidays': a follow-up or an event stays email.
	holiday := contact.Lists{By: map[string][]string{"holiday": {"sms"}}}
	for occ, want := range map[string]string{"valentines": "sms", "mothers_day": "sms", "christmas": "mail", "thank_you": "email", "event:x": "email"} {
		if got := holiday.For(occ); got[0] != want {
			t.Errorf("holiday=sms: For(%s) = %v, want %s first", occ, got, want)
		}
	}
	for _, bad := range []string{"birthdya=sms", "thank_you=sms", "birthday=voice", "birthday=ads", "birthday=", "birthday=email,email", "birthday=email;birthday=sms", "=email", "birthday"} {
		if _, err := contact.ParseLists(bad); err == nil {
			t.Errorf("ParseLists(%q) accepted", bad)
		}
	}
	open := func(string) bool { return true }
	mailable := contact.Client{Customer: loupe.Customer{Email: "a@b.example", EmailStatus: loupe.EmailOK, EmailSource: loupe.EmailSourcePOS,
		PostalAddress: loupe.PostalAddress{Line1: "1 Main St", City: "Town", Country: "US"}, PurchaseCents: 60_000, Purchases: 2}, Country: "US", EmailRule: "opt_out"}
	if ch, r := l.Choose(mailable, "christmas", nil, open); ch != "mail" || r != "" {
		t.Errorf("christmas above the threshold = %q %q, want mail", ch, r)
	}
	small := mailable
	small.PurchaseCents = 50_000
	if ch, _ := l.Choose(small, "christmas", nil, open); ch != "email" {
		t.Errorf("christmas at the threshold = %q, want email", ch)
	}
	if ch, _ := l.Choose(mailable, "christmas", nil, func(ch string) bool { return ch == "email" }); ch != "email" {
		t.Errorf("christmas without a mail sender = %q, want email", ch)
	}
	none := contact.Client{Country: "US"}
	if ch, r := l.Choose(none, "birthday", nil, open); ch != "" || r != contact.ReasonNoAddress {
		t.Errorf("nobody = %q %q, want the first channel's reason", ch, r)
	}
	if _, r := l.Choose(none, "birthday", nil, func(string) bool { return false }); r != contact.ReasonNoChannel {
		t.Errorf("no open channel = %q", r)
	}
	if ch, _ := l.Choose(mailable, "event:gala", []string{"personal", "email"}, open); ch != "personal" {
		t.Errorf("campaign list = %q, want personal", ch)
	}
	if err := contact.CheckList([]string{"email", "voice"}); err == nil {
		t.Error("CheckList accepted voice")
	}
}
