package oidcauth_test

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/oidcauth"
	"github.com/loupehq/loupe/shared/testkit/oidctest"
)

const clientID = "loupe-staff-app"

// claims returns the claims of a good token (mixed-case email, verified),
// with over merged in; a nil value removes a claim.
func claims(over map[string]any) map[string]any {
	c := map[string]any{
		"aud":            clientID,
		"sub":            "user-1",
		"email":          "  Ana.Lima@Eclat.Example ",
		"email_verified": true,
	}
	for k, v := range over {
		c[k] = v
	}
	return c
}

func newVerifier(t *testing.T, cfg oidcauth.Config) *oidcauth.Verifier {
	t.Helper()
	if cfg.ClientID == "" {
		cfg.ClientID = clientID
	}
	v, err := oidcauth.New(cfg)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	return v
}

func TestVerify(t *testing.T) {
	iss := oidctest.Start(t)
	other := oidctest.Start(t) // another issuer, with keys of its own
	v := newVerifier(t, oidcauth.Config{Issuer: iss.URL})
	now := time.Now().Unix()

	tests := []struct {
		name  string
		token string
		want  oidcauth.Identity // when wantErr is nil
		err   error
	}{
		{name: "good token", token: iss.Token(t, claims(nil)),
			want: oidcauth.Identity{Email: "ana.lima@eclat.example", Subject: "user-1"}},
		{name: "email_verified absent (Entra ID)", token: iss.Token(t, claims(map[string]any{"email_verified": nil})),
			want: oidcauth.Identity{Email: "ana.lima@eclat.example", Subject: "user-1"}},
		{name: "email_verified string true (Cognito)", token: iss.Token(t, claims(map[string]any{"email_verified": "true"})),
			want: oidcauth.Identity{Email: "ana.lima@eclat.example", Subject: "user-1"}},
		{name: "several audiences with azp the client id",
			token: iss.Token(t, claims(map[string]any{"aud": []string{"api", clientID}, "azp": clientID})),
			want:  oidcauth.Identity{Email: "ana.lima@eclat.example", Subject: "user-1"}},
		{name: "expired", err: oidcauth.ErrInvalidToken,
			token: iss.Token(t, claims(map[string]any{"iat": now - 7200, "nbf": now - 7200, "exp": now - 60}))},
		{name: "not yet valid", err: oidcauth.ErrInvalidToken,
			token: iss.Token(t, claims(map[string]any{"iat": now, "nbf": now + 3600, "exp": now + 7200}))},
		{name: "wrong audience", err: oidcauth.ErrInvalidToken,
			token: iss.Token(t, claims(map[string]any{"aud": "another-app"}))},
		{name: "several audiences without azp", err: oidcauth.ErrInvalidToken,
			token: iss.Token(t, claims(map[string]any{"aud": []string{"api", clientID}}))},
		{name: "several audiences with azp another client", err: oidcauth.ErrInvalidToken,
			token: iss.Token(t, claims(map[string]any{"aud": []string{"api", clientID}, "azp": "api"}))},
		{name: "wrong issuer", err: oidcauth.ErrInvalidToken,
			token: iss.Token(t, claims(map[string]any{"iss": other.URL}))},
		{name: "signed by another issuer's key", err: oidcauth.ErrInvalidToken,
			token: other.Token(t, claims(map[string]any{"iss": iss.URL}))},
		{name: "email_verified false", err: oidcauth.ErrInvalidToken,
			token: iss.Token(t, claims(map[string]any{"email_verified": false}))},
		{name: "email_verified string false", err: oidcauth.ErrInvalidToken,
			token: iss.Token(t, claims(map[string]any{"email_verified": "false"}))},
		{name: "email_verified a number", err: oidcauth.ErrInvalidToken,
			token: iss.Token(t, claims(map[string]any{"email_verified": 1}))},
		{name: "no email", err: oidcauth.ErrInvalidToken,
			token: iss.Token(t, claims(map[string]any{"email": nil}))},
		{name: "email not a string", err: oidcauth.ErrInvalidToken,
			token: iss.Token(t, claims(map[string]any{"email": []string{"ana@eclat.example"}}))},
		{name: "email not an address (a username)", err: oidcauth.ErrInvalidToken,
			token: iss.Token(t, claims(map[string]any{"email": "ana.lima"}))},
		{name: "no sub", err: oidcauth.ErrInvalidToken,
			token: iss.Token(t, claims(map[string]any{"sub": nil}))},
		{name: "tampered signature", err: oidcauth.ErrInvalidToken,
			token: tamperSignature(t, iss.Token(t, claims(nil)))},
		{name: "tampered payload", err: oidcauth.ErrInvalidToken,
			token: tamperPayload(t, iss.Token(t, claims(nil)))},
		{name: "not a JWT", err: oidcauth.ErrInvalidToken, token: "not-a-token"},
		{name: "empty", err: oidcauth.ErrInvalidToken, token: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := v.Verify(context.Background(), tc.token)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("Verify = %+v, %v; want error %v", got, err, tc.err)
				}
				if got != (oidcauth.Identity{}) {
					t.Errorf("Verify returned %+v with its error; want the zero Identity", got)
				}
				msg := err.Error()
				t.Logf("refused: %s", msg)
				if tc.token != "" && strings.Contains(msg, tc.token) {
					t.Errorf("error %q holds the token", msg)
				}
				if strings.Contains(strings.ToLower(msg), "ana.lima@eclat.example") {
					t.Errorf("error %q holds the email", msg)
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if got != tc.want {
				t.Errorf("Verify = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestVerifyAdminClaim(t *testing.T) {
	iss := oidctest.Start(t)
	tests := []struct {
		name       string
		adminClaim string
		claims     map[string]any
		want       bool
	}{
		{"string equal", "groups=loupe-admin", map[string]any{"groups": "loupe-admin"}, true},
		{"array containing", "groups=loupe-admin", map[string]any{"groups": []string{"staff", "loupe-admin"}}, true},
		{"Cognito claim name", "cognito:groups=loupe-admin", map[string]any{"cognito:groups": []string{"loupe-admin"}}, true},
		{"Entra app roles", "roles=Loupe.Admin", map[string]any{"roles": []string{"Loupe.Admin"}}, true},
		{"array without it", "groups=loupe-admin", map[string]any{"groups": []string{"staff"}}, false},
		{"other string", "groups=loupe-admin", map[string]any{"groups": "loupe-admins"}, false},
		{"values differ in case", "groups=loupe-admin", map[string]any{"groups": []string{"Loupe-Admin"}}, false},
		{"claim absent", "groups=loupe-admin", nil, false},
		{"claim an object", "groups=loupe-admin", map[string]any{"groups": map[string]any{"loupe-admin": true}}, false},
		{"no admin claim configured", "", map[string]any{"groups": "loupe-admin"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := newVerifier(t, oidcauth.Config{Issuer: iss.URL, AdminClaim: tc.adminClaim})
			id, err := v.Verify(context.Background(), iss.Token(t, claims(tc.claims)))
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if id.Admin != tc.want {
				t.Errorf("Admin = %v, want %v", id.Admin, tc.want)
			}
		})
	}
}

// TestVerifyRotatedKey rotates the issuer's signing key: the verifier, which
// has cached the first key, fetches the JWKS again for a token naming the new
// key; the old key keeps working while published, and once dropped from the
// JWKS a token signed with it is refused after the verifier's next fetch.
func TestVerifyRotatedKey(t *testing.T) {
	iss := oidctest.Start(t)
	v := newVerifier(t, oidcauth.Config{Issuer: iss.URL})
	ctx := context.Background()
	mustVerify := func(step, token string) {
		t.Helper()
		if _, err := v.Verify(ctx, token); err != nil {
			t.Fatalf("%s: Verify: %v", step, err)
		}
	}

	first := iss.Token(t, claims(nil))
	mustVerify("first key", first) // caches the JWKS of one key

	iss.Rotate(t)
	mustVerify("rotated key", iss.Token(t, claims(nil))) // unknown kid: fetches the JWKS again
	mustVerify("first key while still published", first)

	// A second rotation with the older keys dropped: the verifier learns the
	// new JWKS from the new token, and then refuses the older keys' tokens.
	second := iss.Token(t, claims(nil))
	iss.Rotate(t)
	iss.DropOldKeys(t)
	mustVerify("third key", iss.Token(t, claims(nil)))
	// go-oidc hands the fetched keys to the waiting verification before it
	// stores them in its cache (RemoteKeySet.keysFromRemote), so for a
	// moment after the third key's fetch the cache still holds the older
	// keys: a dropped key is refused once the cache catches up, within
	// milliseconds.
	for name, token := range map[string]string{"first": first, "second": second} {
		var err error
		for range 40 {
			if _, err = v.Verify(ctx, token); errors.Is(err, oidcauth.ErrInvalidToken) {
				break
			}
			time.Sleep(25 * time.Millisecond)
		}
		if !errors.Is(err, oidcauth.ErrInvalidToken) {
			t.Errorf("token of the dropped %s key: Verify error = %v, want ErrInvalidToken", name, err)
		} else {
			t.Logf("dropped %s key refused: %v", name, err)
		}
	}
}

// TestVerifyLazyDiscovery starts the process while the issuer is down: New
// succeeds, Verify reports ErrUnavailable, and once the issuer is up the same
// Verifier discovers it and accepts tokens.
func TestVerifyLazyDiscovery(t *testing.T) {
	iss := oidctest.Start(t)
	token := iss.Token(t, claims(nil))
	iss.Down(t)

	v := newVerifier(t, oidcauth.Config{Issuer: iss.URL})
	for range 2 { // a failed discovery is not cached
		if _, err := v.Verify(context.Background(), token); !errors.Is(err, oidcauth.ErrUnavailable) {
			t.Fatalf("Verify while the issuer is down: error = %v, want ErrUnavailable", err)
		}
	}

	iss.Up(t)
	id, err := v.Verify(context.Background(), token)
	if err != nil {
		t.Fatalf("Verify once the issuer is up: %v", err)
	}
	if id.Email != "ana.lima@eclat.example" {
		t.Errorf("Email = %q, want ana.lima@eclat.example", id.Email)
	}
}

// TestVerifyConcurrentFirstUse verifies from several goroutines before any
// discovery: they share one discovery and all succeed (run with -race).
func TestVerifyConcurrentFirstUse(t *testing.T) {
	iss := oidctest.Start(t)
	v := newVerifier(t, oidcauth.Config{Issuer: iss.URL})
	token := iss.Token(t, claims(nil))
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			_, err := v.Verify(context.Background(), token)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Verify: %v", err)
		}
	}
}

func TestVerifyCanceledContext(t *testing.T) {
	iss := oidctest.Start(t)
	iss.Down(t)
	v := newVerifier(t, oidcauth.Config{Issuer: iss.URL})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := v.Verify(ctx, iss.Token(t, claims(nil))); !errors.Is(err, oidcauth.ErrUnavailable) {
		t.Errorf("Verify with a canceled context before discovery: error = %v, want ErrUnavailable", err)
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		cfg     oidcauth.Config
		wantErr bool
	}{
		{"https issuer", oidcauth.Config{Issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC", ClientID: "c"}, false},
		{"unreachable https issuer (no network at New)", oidcauth.Config{Issuer: "https://idp.invalid", ClientID: "c"}, false},
		{"http on 127.0.0.1", oidcauth.Config{Issuer: "http://127.0.0.1:8080", ClientID: "c"}, false},
		{"http on localhost", oidcauth.Config{Issuer: "http://localhost:8080/realms/x", ClientID: "c"}, false},
		{"http on [::1]", oidcauth.Config{Issuer: "http://[::1]:8080", ClientID: "c"}, false},
		{"admin claim with a colon", oidcauth.Config{Issuer: "https://idp.example", ClientID: "c", AdminClaim: "cognito:groups=loupe-admin"}, false},
		{"empty issuer", oidcauth.Config{ClientID: "c"}, true},
		{"http elsewhere", oidcauth.Config{Issuer: "http://idp.example", ClientID: "c"}, true},
		{"http on a lookalike host", oidcauth.Config{Issuer: "http://127.0.0.1.evil.example", ClientID: "c"}, true},
		{"other scheme", oidcauth.Config{Issuer: "ftp://idp.example", ClientID: "c"}, true},
		{"no host", oidcauth.Config{Issuer: "https:///x", ClientID: "c"}, true},
		{"relative", oidcauth.Config{Issuer: "idp.example", ClientID: "c"}, true},
		{"query", oidcauth.Config{Issuer: "https://idp.example?x=1", ClientID: "c"}, true},
		{"empty client id", oidcauth.Config{Issuer: "https://idp.example", ClientID: " "}, true},
		{"admin claim without value", oidcauth.Config{Issuer: "https://idp.example", ClientID: "c", AdminClaim: "groups"}, true},
		{"admin claim with empty value", oidcauth.Config{Issuer: "https://idp.example", ClientID: "c", AdminClaim: "groups="}, true},
		{"admin claim with empty name", oidcauth.Config{Issuer: "https://idp.example", ClientID: "c", AdminClaim: "=loupe-admin"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := oidcauth.New(tc.cfg)
			if gotErr := err != nil; gotErr != tc.wantErr {
				t.Fatalf("New(%+v) error = %v, want error: %v", tc.cfg, err, tc.wantErr)
			}
			if err == nil && v == nil {
				t.Fatal("New returned neither a Verifier nor an error")
			}
		})
	}
}

// tamperSignature flips one character in the middle of the token's
// signature (the last character may only hold padding bits).
func tamperSignature(t *testing.T, token string) string {
	t.Helper()
	i := strings.LastIndexByte(token, '.') + 20
	b := []byte(token)
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// tamperPayload replaces the token's payload with the same claims naming
// another person, keeping the header and signature.
func tamperPayload(t *testing.T, token string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	forged := strings.Replace(string(payload), "Ana.Lima", "Boss", 1)
	if forged == string(payload) {
		t.Fatal("tamperPayload: email not found in the payload")
	}
	parts[1] = base64.RawURLEncoding.EncodeToString([]byte(forged))
	return strings.Join(parts, ".")
}
