package emailcheck_test

import (
	"strings"
	"testing"

	"github.com/loupehq/loupe/shared/emailcheck"
)

func TestCheck(t *testing.T) {
	store := []string{"fifth@chain.example.net", "Manager@Chain-Stores.com", "ann.assoc@chain-stores.com"}
	tests := []struct {
		name       string
		in         string
		captured   bool
		email      string
		reason     string
		suggestion string
	}{
		{"plain gmail", "ann@gmail.com", true, "ann@gmail.com", "", ""},
		{"trimmed and domain lower-cased", "  Ann.Lee@GMail.COM ", true, "Ann.Lee@gmail.com", "", ""},
		{"plus tag", "ann+rings@yahoo.com", true, "ann+rings@yahoo.com", "", ""},
		{"company domain", "bob@smithjewellers.co.uk", true, "bob@smithjewellers.co.uk", "", ""},
		{"regional provider hotmail.ca", "bob@hotmail.ca", true, "bob@hotmail.ca", "", ""},
		{"regional provider yahoo.co.uk", "bob@yahoo.co.uk", true, "bob@yahoo.co.uk", "", ""},
		{"email.com is a real provider", "bob@email.com", true, "bob@email.com", "", ""},
		{"ymail is a provider not a gmail typo", "bob@ymail.com", true, "bob@ymail.com", "", ""},
		{"gmc.com is not a gmx typo", "bob@gmc.com", true, "bob@gmc.com", "", ""},
		{"love.com is not a live typo", "bob@love.com", true, "bob@love.com", "", ""},
		{"verizon.com corporate is not verizon.net", "bob@verizon.com", true, "bob@verizon.com", "", ""},
		{"comcast.com corporate", "bob@comcast.com", true, "bob@comcast.com", "", ""},
		{"vanity domain same as local", "mark@markjones.com", true, "mark@markjones.com", "", ""},
		{"long local equal to domain", "smith@smith.com", true, "smith@smith.com", "", ""},
		{"subdomain of company", "bob@mail.acme-corp.com", true, "bob@mail.acme-corp.com", "", ""},

		{"empty", "", false, "", "empty", ""},
		{"blank", "   \t", false, "", "empty", ""},
		{"no at", "annatgmail.com", false, "", "malformed", ""},
		{"two addresses", "ann@gmail.com, bob@gmail.com", false, "", "malformed", ""},
		{"display name", "Ann <ann@gmail.com>", false, "", "malformed", ""},
		{"space inside", "ann lee@gmail.com", false, "", "malformed", ""},
		{"double at", "ann@@gmail.com", false, "", "malformed", ""},
		{"missing suffix suggests provider", "ann@gmail", false, "", "malformed", "ann@gmail.com"},
		{"trailing dot suggests fix", "ann@gmail.com.", false, "", "malformed", "ann@gmail.com"},
		{"comma for dot suggests fix", "ann@hotmail,com", false, "", "malformed", "ann@hotmail.com"},
		{"comma and typo", "ann@gmial,com", false, "", "malformed", "ann@gmail.com"},
		{"unknown domain without suffix", "ann@acme", false, "", "malformed", ""},

		{"none at none", "none@none.com", false, "", "placeholder", ""},
		{"NONE upper", "NONE@NONE.COM", false, "", "placeholder", ""},
		{"noemail at gmail", "noemail@gmail.com", false, "", "placeholder", ""},
		{"no.email dotted", "no.email@gmail.com", false, "", "placeholder", ""},
		{"no-email dashed", "no-email@yahoo.com", false, "", "placeholder", ""},
		{"no_email underscored", "no_email@store.com", false, "", "placeholder", ""},
		{"na at na", "na@na.com", false, "", "placeholder", ""},
		{"declined", "declined@gmail.com", false, "", "placeholder", ""},
		{"refused", "refused@hotmail.com", false, "", "placeholder", ""},
		{"customer declined", "customer.declined@gmail.com", false, "", "placeholder", ""},
		{"nomail", "nomail@aol.com", false, "", "placeholder", ""},
		{"test", "test@test.com", false, "", "placeholder", ""},
		{"x", "x@gmail.com", false, "", "placeholder", ""},
		{"xxx", "xxx@xxx.com", false, "", "placeholder", ""},
		{"aaaa", "aaaa@gmail.com", false, "", "placeholder", ""},
		{"zeros", "0000@gmail.com", false, "", "placeholder", ""},
		{"unknown", "unknown@gmail.com", false, "", "placeholder", ""},
		{"noreply", "noreply@gmail.com", false, "", "placeholder", ""},
		{"do-not-reply", "do-not-reply@gmail.com", false, "", "placeholder", ""},
		{"placeholder with tag", "none+1@gmail.com", false, "", "placeholder", ""},
		{"real local at none.com", "ann@none.com", false, "", "placeholder", ""},
		{"noemail.com domain", "ann@noemail.com", false, "", "placeholder", ""},
		{"example.com", "ann@example.com", false, "", "placeholder", ""},
		{"example.org", "ann@example.org", false, "", "placeholder", ""},
		{"test.com domain", "ann@test.com", false, "", "placeholder", ""},
		{"reserved tld", "ann@shop.invalid", false, "", "placeholder", ""},
		{"na.co.uk", "ann@na.co.uk", false, "", "placeholder", ""},
		{"a at a", "a@a.com", false, "", "placeholder", ""},
		{"ab at ab", "ab@ab.net", false, "", "placeholder", ""},
		{"bare n/a", "n/a", false, "", "placeholder", ""},
		{"bare N/A", "N/A", false, "", "placeholder", ""},
		{"bare none", "none", false, "", "placeholder", ""},
		{"bare declined", "Declined", false, "", "placeholder", ""},
		{"bare x", "x", false, "", "placeholder", ""},
		{"bare dash", "-", false, "", "malformed", ""},

		{"store from address", "fifth@chain.example.net", false, "", "store_address", ""},
		{"manager address any case", "manager@chain-stores.com", false, "", "store_address", ""},
		{"associate address", "Ann.Assoc@Chain-Stores.com", false, "", "store_address", ""},

		{"gmial", "ann@gmial.com", false, "", "typo", "ann@gmail.com"},
		{"gmai", "ann@gmai.com", false, "", "typo", "ann@gmail.com"},
		{"gnail", "ann@gnail.com", false, "", "typo", "ann@gmail.com"},
		{"gmaill", "ann@gmaill.com", false, "", "typo", "ann@gmail.com"},
		{"gmail.con", "Ann@gmail.con", false, "", "typo", "Ann@gmail.com"},
		{"gmail.cmo", "ann@gmail.cmo", false, "", "typo", "ann@gmail.com"},
		{"gmail.co", "ann@gmail.co", false, "", "typo", "ann@gmail.com"},
		{"gmail.cm", "ann@gmail.cm", false, "", "typo", "ann@gmail.com"},
		{"gmail.om", "ann@gmail.om", false, "", "typo", "ann@gmail.com"},
		{"gmial.con both", "ann@gmial.con", false, "", "typo", "ann@gmail.com"},
		{"misplaced dot", "ann@gmai.lcom", false, "", "typo", "ann@gmail.com"},
		{"yaho", "ann@yaho.com", false, "", "typo", "ann@yahoo.com"},
		{"yahooo", "ann@yahooo.com", false, "", "typo", "ann@yahoo.com"},
		{"yhaoo", "ann@yhaoo.com", false, "", "typo", "ann@yahoo.com"},
		{"yahoo.co", "ann@yahoo.co", false, "", "typo", "ann@yahoo.com"},
		{"hotmial", "ann@hotmial.com", false, "", "typo", "ann@hotmail.com"},
		{"hotmal", "ann@hotmal.com", false, "", "typo", "ann@hotmail.com"},
		{"homail", "ann@homail.com", false, "", "typo", "ann@hotmail.com"},
		{"hotmail.co.uj", "ann@hotmail.co.uj", false, "", "typo", "ann@hotmail.co.uk"},
		{"yahoo.couk", "ann@yahoo.couk", false, "", "typo", "ann@yahoo.co.uk"},
		{"outlok", "ann@outlok.com", false, "", "typo", "ann@outlook.com"},
		{"icloud.co", "ann@icloud.co", false, "", "typo", "ann@icloud.com"},
		{"iclod", "ann@iclod.com", false, "", "typo", "ann@icloud.com"},
		{"aol.con", "ann@aol.con", false, "", "typo", "ann@aol.com"},
		{"comcast.ner", "ann@comcast.ner", false, "", "typo", "ann@comcast.net"},
		{"comcats", "ann@comcats.net", false, "", "typo", "ann@comcast.net"},
		{"att.nte", "ann@att.nte", false, "", "typo", "ann@att.net"},
		{"verizon typo", "ann@verizion.net", false, "", "typo", "ann@verizon.net"},
		{"sbcglobl", "ann@sbcgloabl.net", false, "", "typo", "ann@sbcglobal.net"},
		{"btinternet two edits", "ann@btinternt.com", false, "", "typo", "ann@btinternet.com"},
		{"btinternet two edits b", "ann@btinterent.com", false, "", "typo", "ann@btinternet.com"},
		{"protonmial", "ann@protonmial.com", false, "", "typo", "ann@protonmail.com"},
		{"me.con", "ann@me.con", false, "", "typo", "ann@me.com"},
		{"upper-case typo keeps local", "Ann.Lee@Hotmial.com", false, "", "typo", "Ann.Lee@hotmail.com"},

		// Issue 14: real domains are never typos, short real addresses are
		// not placeholders, short provider names catch a finger's slip.
		{"one-letter local", "j@gmail.com", true, "j@gmail.com", "", ""},
		{"spectrum subdomain", "ann@nc.rr.com", true, "ann@nc.rr.com", "", ""},
		{"centurylink q.com", "ann@q.com", true, "ann@q.com", "", ""},
		{"yahoo argentina", "ann@yahoo.com.ar", true, "ann@yahoo.com.ar", "", ""},
		{"hotmail belgium", "ann@hotmail.be", true, "ann@hotmail.be", "", ""},
		{"live norway", "ann@live.no", true, "ann@live.no", "", ""},
		{"cloud.com is a company", "ann@cloud.com", true, "ann@cloud.com", "", ""},
		{"liev", "ann@liev.com", false, "", "typo", "ann@live.com"},
		{"gmmx", "ann@gmmx.de", false, "", "typo", "ann@gmx.de"},
		{"aoo", "ann@aoo.com", false, "", "typo", "ann@aol.com"},
		{"coox", "ann@coox.net", false, "", "typo", "ann@cox.net"},
		{"missing dot", "ann@gmailcom", false, "", "malformed", "ann@gmail.com"},
		{"zero-width space", "ann\u200b@gmail.com", false, "", "malformed", "ann@gmail.com"},
		{"accented local part", "jos\u00e9@gmail.com", false, "", "malformed", ""},
		{"unicode domain", "ann@b\u00fccher.de", false, "", "malformed", ""},
		{"punycode domain", "ann@xn--bcher-kva.de", true, "ann@xn--bcher-kva.de", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := emailcheck.Check(tt.in, store...)
			want := emailcheck.Result{Captured: tt.captured, Email: tt.email, Reason: tt.reason, Suggestion: tt.suggestion}
			if got != want {
				t.Fatalf("Check(%q) = %+v, want %+v", tt.in, got, want)
			}
		})
	}
}

func TestCheckNeverFlagsAProvider(t *testing.T) {
	for _, p := range emailcheck.Providers {
		got := emailcheck.Check("jane.doe@" + p)
		if !got.Captured {
			t.Errorf("Check(jane.doe@%s) = %+v, want captured", p, got)
		}
	}
}

func TestCheckStoreAddressIgnoresBlankEntries(t *testing.T) {
	got := emailcheck.Check("ann@gmail.com", "", "  ")
	if !got.Captured {
		t.Fatalf("Check with blank store emails = %+v, want captured", got)
	}
}

func FuzzCheck(f *testing.F) {
	for _, s := range []string{"", "ann@gmail.com", "none@none.com", "ann@gmial.con", "ann@gmail", "n/a",
		"a@b.c", "ann@" + strings.Repeat("a", 300) + ".com", "@", "ann@gmail.com.", "\x00@\xff.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := emailcheck.Check(s, "store@chain.com")
		if r.Captured && (r.Reason != "" || r.Email == "" || r.Suggestion != "") {
			t.Fatalf("Check(%q) = %+v: captured with reason or suggestion", s, r)
		}
		if !r.Captured && (r.Reason == "" || r.Email != "") {
			t.Fatalf("Check(%q) = %+v: not captured needs a reason and no email", s, r)
		}
		if r.Suggestion != "" {
			if again := emailcheck.Check(r.Suggestion); !again.Captured {
				t.Fatalf("Check(%q) suggests %q which is not captured: %+v", s, r.Suggestion, again)
			}
		}
	})
}

func TestCheckWithAllowedDomains(t *testing.T) {
	allowed := map[string]bool{"example.com": true}
	tests := []struct {
		raw        string
		captured   bool
		wantReason string
	}{
		{"ada.byron@example.com", true, ""},
		{"Ada.Byron@EXAMPLE.com", true, ""},
		{"none@example.com", false, emailcheck.ReasonPlaceholder},
		{"declined@example.com", false, emailcheck.ReasonPlaceholder},
		{"ada.byron@example.org", false, emailcheck.ReasonPlaceholder}, // not in the allowed set
		{"ada@gmial.com", false, emailcheck.ReasonTypo},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			got := emailcheck.CheckWith(tt.raw, allowed)
			if got.Captured != tt.captured || got.Reason != tt.wantReason {
				t.Fatalf("CheckWith(%q) = %+v, want captured %v reason %q", tt.raw, got, tt.captured, tt.wantReason)
			}
		})
	}
}

// BenchmarkCheck is the cost of judging one take-in's address: a real one on a
// company domain (every provider compared) and a typo.
func BenchmarkCheck(b *testing.B) {
	for _, in := range []string{"bob@smithjewellers.co.uk", "ann@gmial.com", "ann@nc.rr.com"} {
		b.Run(in, func(b *testing.B) {
			for range b.N {
				emailcheck.Check(in)
			}
		})
	}
}
