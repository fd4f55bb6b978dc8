package loupe_test

import (
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
)

func TestAssociateRoleValidate(t *testing.T) {
	base := loupe.Associate{AssociateID: "a1", StoreID: "s1", Name: "Ann", Status: loupe.StatusActive}
	for _, tt := range []struct {
		role  string
		valid bool
	}{
		{"", true}, {loupe.RoleAssociate, true}, {loupe.RoleManager, true},
		{"admin", false}, {"Manager", false}, {"manager ", false}, {"man\nager", false},
	} {
		a := base
		a.Role = tt.role
		err := a.Validate()
		if tt.valid && err != nil {
			t.Errorf("role %q: got %v, want valid", tt.role, err)
		}
		if !tt.valid && (loupe.ErrorCode(err) != loupe.EINVALID || loupe.ErrorField(err) != "role") {
			t.Errorf("role %q: got %v, want invalid role", tt.role, err)
		}
	}
}

// TestMergeAssociateRole: role is stamped per field like capacity.
func TestMergeAssociateRole(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	boss, _ := loupe.MergeAssociate(nil, loupe.Associate{AssociateID: "a1", StoreID: "s1", Name: "Ann", Role: loupe.RoleManager},
		loupe.Update{Fields: []string{"store_id", "name", "role"}, Stamp: loupe.StampOf(t0, "e2")})
	if !boss.ManagesStore() || boss.Stamps["role"] != loupe.StampOf(t0, "e2") {
		t.Fatalf("manager: got role %q stamps %v", boss.Role, boss.Stamps)
	}
	older, changed := loupe.MergeAssociate(&boss, loupe.Associate{AssociateID: "a1", Role: loupe.RoleAssociate},
		loupe.Update{Fields: []string{"role"}, Stamp: loupe.StampOf(t0.Add(-time.Minute), "e1")})
	if changed || older.Role != loupe.RoleManager {
		t.Errorf("older demotion: got role %q changed %v, want manager unchanged", older.Role, changed)
	}
	kept, _ := loupe.MergeAssociate(&boss, loupe.Associate{AssociateID: "a1", Name: "Ann Lee"},
		loupe.Update{Fields: []string{"name"}, Stamp: loupe.StampOf(t0.Add(time.Minute), "e3")})
	if kept.Role != loupe.RoleManager {
		t.Errorf("upsert without role: got %q, want manager kept", kept.Role)
	}
	cleared, _ := loupe.MergeAssociate(&boss, loupe.Associate{AssociateID: "a1"},
		loupe.Update{Fields: []string{"role"}, Stamp: loupe.StampOf(t0.Add(time.Minute), "e4")})
	if cleared.Role != "" || cleared.ManagesStore() {
		t.Errorf("null role: got %q, want cleared", cleared.Role)
	}
}

func TestSignInKeys(t *testing.T) {
	if got, want := loupe.SignInKey("  Ann.Lee@Shop.Example.COM \t"), "ann.lee@shop.example.com"; got != want {
		t.Errorf("SignInKey: got %q, want %q", got, want)
	}
	if loupe.SignInRateKey("Ann@Shop.example.com ") != loupe.SignInRateKey("ann@shop.example.com") {
		t.Error("SignInRateKey: differs by case")
	}
	if loupe.SignInRateKey("ann@shop.example.com") == loupe.SignInRateKey("bob@shop.example.com") {
		t.Error("SignInRateKey: two addresses share a key")
	}
	if k := loupe.SignInRateKey("ann@shop.example.com"); len(k) != 64 {
		t.Errorf("SignInRateKey: got %q, want 64 hex digits", k)
	}
	// SHA-256 of "abc" (FIPS 180-2, appendix B.1).
	if got, want := loupe.SignInCodeHash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; got != want {
		t.Errorf("SignInCodeHash: got %s, want %s", got, want)
	}
	at := time.Date(2026, 11, 20, 23, 59, 59, 999, time.FixedZone("EST", -5*3600))
	if got, want := loupe.SignInHour(at), "2026-11-21T04"; got != want {
		t.Errorf("SignInHour: got %q, want %q (UTC)", got, want)
	}
}
