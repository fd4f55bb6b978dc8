package phone_test

import (
	"testing"

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
