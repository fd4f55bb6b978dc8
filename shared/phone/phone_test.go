package phone_test

import (
	"slices"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/phone"
)

func TestNormalize(t *testing.T) {
	for _, tt := range []struct {
		raw, country, want string
		invalid            bool
	}{
		{"", "US", "", false},
		{"+1 (212) 555-0147", "", "+12125550147", false},
		{"+1 (212) 555-0147", "FR", "+12125550147", false}, // a country code wins over the store's country
		{"(212) 555-0147", "US", "+12125550147", false},
		{"04 78 00 00 00", "fr", "+33478000000", false},
		{"020 7946 0958", "GB", "+442079460958", false},
		{"(212) 555-0147", "", "", true},  // national, no country
		{"+1 555 123 4567", "", "", true}, // 555 is no US area code
		{"12", "US", "", true},
		{"call me", "US", "", true},
	} {
		got, err := phone.Normalize("phone", tt.raw, tt.country)
		if tt.invalid {
			if loupe.ErrorCode(err) != loupe.EINVALID || got != "" {
				t.Errorf("Normalize(%q, %q) = %q, %v: want an invalid error", tt.raw, tt.country, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Normalize(%q, %q) = %q, %v: want %q", tt.raw, tt.country, got, err, tt.want)
		}
	}
}

func TestZones(t *testing.T) {
	for _, c := range []struct {
		e164 string
		want string // one zone the answer holds; "" none
	}{
		{"+12125550123", "America/New_York"},    // Manhattan
		{"+13055550123", "America/New_York"},    // Miami
		{"+14155550123", "America/Los_Angeles"}, // San Francisco
		{"+33478000000", "Europe/Paris"},
		{"+442071234567", "Europe/London"},
		{"not a number", ""},
	} {
		got := phone.Zones(c.e164)
		if c.want == "" {
			if got != nil {
				t.Errorf("Zones(%q) = %v, want none", c.e164, got)
			}
			continue
		}
		if !slices.Contains(got, c.want) {
			t.Errorf("Zones(%q) = %v, want it to hold %s", c.e164, got, c.want)
		}
	}
}

func TestPlaces(t *testing.T) {
	var p phone.Places
	for _, c := range []struct{ e164, country, region string }{
		{"+13055550142", "US", "FL"}, {"+19185550100", "US", "OK"}, {"+12125550123", "US", ""},
		{"+14105550100", "US", "MD"}, {"+12065550100", "US", "WA"}, {"+18605550100", "US", "CT"}, {"+15125550100", "US", "TX"},
		{"+442079460123", "GB", ""}, {"garbage", "", ""},
	} {
		if country, region := p.PhoneRegion(c.e164); country != c.country || region != c.region {
			t.Errorf("PhoneRegion(%s) = %s %s, want %s %s", c.e164, country, region, c.country, c.region)
		}
	}
	for _, c := range []struct {
		country, region string
		want            []string // zones the answer holds
	}{
		{"US", "CA", []string{"America/Los_Angeles"}},
		{"us", "fl", []string{"America/New_York", "America/Chicago"}},
		{"GB", "", []string{"Europe/London"}},
		{"FR", "", []string{"Europe/Paris"}},
		{"US", "", []string{"America/New_York", "America/Los_Angeles", "Pacific/Honolulu"}}, // no state: every +1 zone
	} {
		got := p.AddressZones(c.country, c.region)
		for _, z := range c.want {
			if !slices.Contains(got, z) {
				t.Errorf("AddressZones(%s, %s) = %v, want it to hold %s", c.country, c.region, got, z)
			}
		}
	}
	if got := p.AddressZones("ZZ", ""); got != nil {
		t.Errorf("AddressZones(ZZ) = %v, want none", got)
	}
	// Every zone of the state table loads.
	for i := range 26 * 26 {
		st := string(rune('A'+i/26)) + string(rune('A'+i%26))
		for _, z := range p.AddressZones("US", st) {
			if _, err := time.LoadLocation(z); err != nil {
				t.Errorf("%s: %s: %v", st, z, err)
			}
		}
	}
}
