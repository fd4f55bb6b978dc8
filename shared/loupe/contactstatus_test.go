package loupe_test

import (
	"slices"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
)

func TestAdvancesContactStatus(t *testing.T) {
	cases := []struct {
		stored, next string
		want         bool
	}{
		{"sent", "queued", true},
		{"sent", "delivered", true},
		{"queued", "handed_off", true},
		{"handed_off", "queued", false},
		{"handed_off", "unreachable", false},
		{"unreachable", "delivered", true},
		{"delivered", "delivered", false},
		{"delivered", "failed", false},
		{"blocked", "delivered", false},
		{"logged", "delivered", false},
		{"", "delivered", false},
		{"sent", "TEXT_DELIVERED", false},
		{"sent", "sent", false},
	}
	for _, tc := range cases {
		if got := loupe.AdvancesContactStatus(tc.stored, tc.next); got != tc.want {
			t.Errorf("AdvancesContactStatus(%q, %q) = %v, want %v", tc.stored, tc.next, got, tc.want)
		}
	}
	if got, want := loupe.ContactStatusesBelow("handed_off"), []string{"queued", "sent"}; !slices.Equal(got, want) {
		t.Errorf("below handed_off: got %v, want %v", got, want)
	}
	if got := loupe.ContactStatusesBelow("delivered"); len(got) != 4 || !slices.Contains(got, "unreachable") {
		t.Errorf("below delivered: got %v, want sent, queued and the two intermediates", got)
	}
	if got := loupe.ContactStatusesBelow("sent"); len(got) != 0 {
		t.Errorf("below sent: got %v, want none", got)
	}
}

func TestRecordedConsentSource(t *testing.T) {
	k := loupe.Consent{Status: loupe.ConsentDenied, At: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), Source: loupe.ConsentSourceSMS}
	if err := loupe.ValidateConsent("sms", k); loupe.ErrorCode(err) != loupe.EINVALID {
		t.Errorf("a webhook's consent with source sms: got %v, want EINVALID", err)
	}
	if err := loupe.ValidateRecordedConsent("sms", k); err != nil {
		t.Errorf("a recorded consent with source sms: %v", err)
	}
	k.Status = loupe.ConsentGranted
	if err := loupe.ValidateRecordedConsent("sms", k); loupe.ErrorCode(err) != loupe.EINVALID {
		t.Errorf("a recorded sms grant without evidence: got %v, want EINVALID", err)
	}
	if slices.Contains(loupe.ConsentSources, loupe.ConsentSourceSMS) {
		t.Errorf("ConsentSources holds %q after ValidateRecordedConsent", loupe.ConsentSourceSMS)
	}
}
