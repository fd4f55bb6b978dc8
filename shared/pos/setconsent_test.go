package pos_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/pos"
)

// SetConsent is consent.changed's path for what Loupe learns itself: the
// source sms that a webhook may not send, the same rules otherwise.
func TestSetConsent(t *testing.T) {
	for name, open := range adapters(t) {
		t.Run(name, func(t *testing.T) {
			db := open()
			s := serviceOn(db)
			ctx := context.Background()
			mustApply(t, s, event("e0", pos.TypeCustomerUpserted, at, `{"customer_id":"c1","home_store_id":"s1","phone":"+12125550147"}`))
			mustApply(t, s, event("k1", pos.TypeConsentChanged, at, `{"customer_id":"c1","channel":"sms","status":"granted","at":"2026-11-20T10:00:00Z","source":"paper","evidence":"Yes"}`))
			wantInvalid(t, s, event("k2", pos.TypeConsentChanged, at, `{"customer_id":"c1","channel":"sms","status":"denied","at":"2026-11-20T10:00:00Z","source":"sms"}`), "data.source")

			stop := pos.ConsentChange{CustomerID: "c1", Channel: "sms", Consent: loupe.Consent{Status: loupe.ConsentDenied,
				At: atTime.Add(-time.Minute), Source: loupe.ConsentSourceSMS, Evidence: "replied STOP to +12125550100", Phone: "+12125550147"}}
			for i, want := range []bool{true, false} { // the second time changes nothing
				changed, err := s.SetConsent(ctx, stop)
				if err != nil || changed != want {
					t.Fatalf("SetConsent #%d: got %v, %v; want %v", i, changed, err, want)
				}
			}
			c, err := db.GetCustomer(ctx, "c1")
			if err != nil {
				t.Fatal(err)
			}
			if k := c.ConsentOf("sms"); k.Status != loupe.ConsentDenied || k.Source != loupe.ConsentSourceSMS || k.Evidence != stop.Consent.Evidence {
				t.Errorf("sms consent after SetConsent: %+v", k)
			}
			older := stop
			older.Consent.Status, older.Consent.At = loupe.ConsentGranted, atTime.Add(-time.Hour)
			older.Consent.Evidence = "replied START"
			if changed, err := s.SetConsent(ctx, older); err != nil || changed {
				t.Errorf("an older grant: got %v, %v; want unchanged", changed, err)
			}
			for _, tc := range []struct {
				name  string
				cc    pos.ConsentChange
				field string
			}{
				{"grant without evidence", pos.ConsentChange{CustomerID: "c1", Channel: "sms", Consent: loupe.Consent{Status: loupe.ConsentGranted, At: atTime, Source: loupe.ConsentSourceSMS}}, "evidence"},
				{"unknown source", pos.ConsentChange{CustomerID: "c1", Channel: "sms", Consent: loupe.Consent{Status: loupe.ConsentDenied, At: atTime, Source: "pigeon"}}, "source"},
				{"unknown client", pos.ConsentChange{CustomerID: "nobody", Channel: "sms", Consent: loupe.Consent{Status: loupe.ConsentDenied, At: atTime, Source: loupe.ConsentSourceSMS}}, "data.customer_id"},
				{"bad phone", pos.ConsentChange{CustomerID: "c1", Channel: "sms", Consent: loupe.Consent{Status: loupe.ConsentDenied, At: atTime, Source: loupe.ConsentSourceSMS, Phone: "12"}}, "data.phone"},
			} {
				_, err := s.SetConsent(ctx, tc.cc)
				if le := asLoupe(err); le == nil || le.Code != loupe.EINVALID || le.Field != tc.field {
					t.Errorf("%s: got %v, want invalid %s", tc.name, err, tc.field)
				}
			}
		})
	}
}

func asLoupe(err error) *loupe.Error {
	var le *loupe.Error
	if errors.As(err, &le) {
		return le
	}
	return nil
}
