package unsub_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/unsub"
)

var (
	secret = []byte("0123456789abcdef0123456789abcdef")
	other  = []byte("fedcba9876543210fedcba9876543210")
)

func TestRoundTrip(t *testing.T) {
	s := unsub.New(secret)
	for _, id := range []string{"c1", "cust_000123", "POS-9f8e7d6c", strings.Repeat("x", 64)} {
		tok := s.Token(id)
		if strings.ContainsAny(tok, "+/=") {
			t.Errorf("token %q is not URL-safe", tok)
		}
		got, err := s.Verify(tok)
		if err != nil {
			t.Fatalf("Verify(Token(%q)) err = %v", id, err)
		}
		if got != id {
			t.Errorf("Verify = %q, want %q", got, id)
		}
	}
	if got, want := s.URL("https://l.example/", "c1"), "https://l.example/u/"+s.Token("c1"); got != want {
		t.Errorf("URL = %q, want %q", got, want)
	}
}

func TestVerifyRejects(t *testing.T) {
	s := unsub.New(secret)
	good := s.Token("c1")
	raw, _ := base64.RawURLEncoding.DecodeString(good)
	flip := func(i int) string {
		b := append([]byte(nil), raw...)
		b[i] ^= 1
		return base64.RawURLEncoding.EncodeToString(b)
	}
	swapped := append([]byte{1}, "c2"...)
	swapped = append(swapped, raw[len(raw)-16:]...)
	tests := []struct {
		name, token string
	}{
		{"empty", ""},
		{"garbage", "not a token!"},
		{"other secret", unsub.New(other).Token("c1")},
		{"flipped version", flip(0)},
		{"flipped id", flip(1)},
		{"flipped mac", flip(len(raw) - 1)},
		{"truncated", good[:len(good)-2]},
		{"id swapped, mac kept", base64.RawURLEncoding.EncodeToString(swapped)},
		{"padded", good + "="},
		{"standard alphabet", base64.StdEncoding.EncodeToString(raw)},
		{"invalid id signed", s.Token("a/b")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := s.Verify(tt.token)
			if err == nil {
				t.Fatalf("Verify(%q) = %q, want an error", tt.token, id)
			}
			var le *loupe.Error
			if !errors.As(err, &le) || le.Code != loupe.ENOTFOUND {
				t.Errorf("err = %v, want ENOTFOUND *loupe.Error", err)
			}
		})
	}
}

func TestRotation(t *testing.T) {
	old := unsub.New(other).Token("c1")
	s := unsub.New(secret, other)
	if got, err := s.Verify(old); err != nil || got != "c1" {
		t.Errorf("Verify(old token) = %q, %v; want c1, nil", got, err)
	}
	if got, want := s.Token("c1"), unsub.New(secret).Token("c1"); got != want {
		t.Errorf("Token signs with %q, want the first secret's %q", got, want)
	}
}

func TestNewPanicsOnShortSecret(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Errorf("New(short secret) did not panic")
		}
	}()
	unsub.New([]byte("short"))
}

func FuzzVerify(f *testing.F) {
	s := unsub.New(secret)
	f.Add(s.Token("c1"))
	f.Add(s.Token("customer-42"))
	f.Add("AQ")
	f.Add("")
	f.Fuzz(func(t *testing.T, token string) {
		id, err := s.Verify(token)
		if err != nil {
			if loupe.ErrorCode(err) != loupe.ENOTFOUND {
				t.Fatalf("err = %v, want ENOTFOUND", err)
			}
			return
		}
		// Only the canonical token of an id verifies: no malleability.
		if got := s.Token(id); got != token {
			t.Fatalf("Verify(%q) = %q, but Token(%q) = %q", token, id, id, got)
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	s := unsub.New(secret)
	tok := s.Token("cust_000123")
	for b.Loop() {
		if _, err := s.Verify(tok); err != nil {
			b.Fatal(err)
		}
	}
}
