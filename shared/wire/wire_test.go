package wire_test

import (
	"path/filepath"
	"testing"

	"github.com/loupehq/loupe/shared/compliance"
	"github.com/loupehq/loupe/shared/embedded"
	"github.com/loupehq/loupe/shared/unsub"
	"github.com/loupehq/loupe/shared/wire"
)

// Every service is built from the one Config: a setting reaches every
// service that judges by it, whichever process builds them.
func TestBuildCarriesEverySetting(t *testing.T) {
	db, err := embedded.Open(filepath.Join(t.TempDir(), "loupe.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cfg := wire.Config{
		UnsubscribeSecret:   "0123456789abcdef",
		BaseURL:             "https://loupe.example.com",
		FatigueCapDays:      10,
		PlanHour:            8,
		AllowedEmailDomains: map[string]bool{"chain.example": true},
		WebhookSecrets:      []string{"s"},
	}
	s := wire.Build(cfg, wire.Ports{Records: db, Compliance: db.Compliance(), Ledger: db.Ledger()})
	if s.POS == nil || s.Reassign == nil || s.Compliance == nil || s.Planner == nil || s.Unsubscribe == nil {
		t.Fatalf("Build left a service out: %+v", s)
	}
	if !s.Compliance.AllowedDomains["chain.example"] {
		t.Error("compliance does not accept LOUPE_ALLOWED_EMAIL_DOMAINS")
	}
	if s.Planner.Cap != 10 || s.Schedule.PlanHour != 8 || s.Hourly().Schedule.PlanHour != 8 {
		t.Errorf("planner cap %d, schedule hour %d: want 10 and 8", s.Planner.Cap, s.Schedule.PlanHour)
	}
	if s.Planner.Consent == nil || s.Planner.Consent("CA") != compliance.ConsentRule("CA") {
		t.Error("the planner's consent rule is not compliance's")
	}
	if s.Planner.Suppression == nil {
		t.Error("the planner does not check the suppression list")
	}
	if got, want := s.Planner.UnsubscribeURL("c1"), s.Unsubscribe.URL("https://loupe.example.com", "c1"); got != want {
		t.Errorf("unsubscribe link %q, want %q", got, want)
	}
	if s.Reassign.BaseURL != cfg.BaseURL {
		t.Errorf("review list links under %q, want %q", s.Reassign.BaseURL, cfg.BaseURL)
	}
	// During a rotation the previous key verifies links already mailed; new
	// links are signed with the current key.
	rotated := cfg
	rotated.UnsubscribeSecret, rotated.UnsubscribePrevious = "fedcba9876543210", []string{cfg.UnsubscribeSecret}
	s = wire.Build(rotated, wire.Ports{Records: db, Compliance: db.Compliance(), Ledger: db.Ledger()})
	if id, err := s.Unsubscribe.Verify(unsub.New([]byte(cfg.UnsubscribeSecret)).Token("c1")); err != nil || id != "c1" {
		t.Errorf("link signed with the previous key: Verify = %q, %v; want c1", id, err)
	}
	if got, want := s.Unsubscribe.Token("c1"), unsub.New([]byte(rotated.UnsubscribeSecret)).Token("c1"); got != want {
		t.Errorf("new link %q, want one signed with the current key %q", got, want)
	}
	// Without the secret there is no signer, and links are empty rather than forged.
	s = wire.Build(wire.Config{}, wire.Ports{Records: db, Compliance: db.Compliance(), Ledger: db.Ledger()})
	if s.Unsubscribe != nil || s.Planner.UnsubscribeURL("c1") != "" || s.Schedule.PlanHour != 0 {
		t.Errorf("no secret: signer %v, link %q", s.Unsubscribe, s.Planner.UnsubscribeURL("c1"))
	}
}
