package linktoken_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/linktoken"
	"github.com/loupehq/loupe/shared/staff"
)

func TestIssueVerifyRotate(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	old := []byte(strings.Repeat("o", 32))
	cur := []byte(strings.Repeat("c", 32))
	s1, err := linktoken.New(clock, old)
	if err != nil {
		t.Fatal(err)
	}
	tok, exp, err := s1.Issue("Ada@Loupe.Example")
	if err != nil || !exp.Equal(now.Add(linktoken.TTL)) {
		t.Fatalf("issue = %v, %v", exp, err)
	}
	if !linktoken.Looks(tok) || linktoken.Looks("not a token") {
		t.Error("Looks does not tell a Loupe token")
	}
	id, err := s1.Verify(ctx, tok)
	if err != nil || id.Email != "ada@loupe.example" || id.Kind != staff.KindLink {
		t.Fatalf("verify = %+v, %v", id, err)
	}
	// A rotation: the new key signs, the old still verifies; nobody is signed out.
	s2, err := linktoken.New(clock, cur, old)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s2.Verify(ctx, tok); err != nil {
		t.Errorf("old token after rotation: %v", err)
	}
	tok2, _, _ := s2.Issue("ada@loupe.example")
	if _, err := s1.Verify(ctx, tok2); !errors.Is(err, linktoken.ErrInvalid) {
		t.Errorf("new token on a signer without the new key: %v", err)
	}
	// After the next rotation the old key is gone.
	s3, _ := linktoken.New(clock, []byte(strings.Repeat("n", 32)), cur)
	if _, err := s3.Verify(ctx, tok); !errors.Is(err, linktoken.ErrInvalid) {
		t.Errorf("token of a retired key: %v", err)
	}
	// Forged, tampered, expired.
	forger, _ := linktoken.New(clock, []byte(strings.Repeat("f", 32)))
	forged, _, _ := forger.Issue("ada@loupe.example")
	parts := strings.Split(tok, ".")
	tampered := parts[0] + "." + parts[1] + "x." + parts[2]
	for name, bad := range map[string]string{"forged": forged, "tampered": tampered, "garbage": "a.b.c", "empty": ""} {
		if _, err := s1.Verify(ctx, bad); !errors.Is(err, linktoken.ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	now = now.Add(linktoken.TTL + 2*time.Minute)
	if _, err := s1.Verify(ctx, tok); !errors.Is(err, linktoken.ErrInvalid) {
		t.Errorf("expired: %v", err)
	}
	if _, err := linktoken.New(clock, []byte("short")); err == nil {
		t.Error("a short key was accepted")
	}
}
