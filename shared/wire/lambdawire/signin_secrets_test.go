package lambdawire

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/embedded"
	"github.com/loupehq/loupe/shared/linktoken"
	"github.com/loupehq/loupe/shared/wire"
)

// TestConfigureStaffSecrets: the dashboard-api function's API token and
// sign-in key come from Secrets Manager. During a key rotation a token
// signed with the previous key still works (nobody is signed out) and new
// tokens are signed with the current one; the API token is the admin.
func TestConfigureStaffSecrets(t *testing.T) {
	sm := secretsEnv(t)
	const apiID, keyID = "loupe/test/api-token", "loupe/test/signin-key"
	t.Setenv(wire.EnvAPITokenID, apiID)
	t.Setenv(wire.EnvSignInKeyID, keyID)
	t.Setenv(wire.EnvAPIToken, "")
	t.Setenv(wire.EnvSignInKey, "")
	sm.Put(webhookID, webhookNew)
	sm.Put(unsubID, unsubNew)
	const apiToken = "api-token-from-secrets-manager"
	oldKey, newKey := strings.Repeat("o", 40), strings.Repeat("n", 40)
	sm.Put(apiID, apiToken)
	sm.Put(keyID, oldKey)
	sm.Put(keyID, newKey)

	conf, err := configure(t)
	if err != nil {
		t.Fatal(err)
	}
	if conf.APIToken != apiToken || conf.SignInKey != newKey || len(conf.SignInPrevious) != 1 || conf.SignInPrevious[0] != oldKey {
		t.Fatalf("staff secrets not read: api token set %v, key current %v, previous %d", conf.APIToken == apiToken, conf.SignInKey == newKey, len(conf.SignInPrevious))
	}
	db, err := embedded.Open(filepath.Join(t.TempDir(), "loupe.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	tokens, issuer, err := wire.SignIn(conf, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	s := wire.Build(conf, wire.Ports{Records: db, Compliance: db.Compliance(), Ledger: db.Ledger(),
		StaffTokens: tokens, SignInTokens: issuer, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	h := s.HTTP("")
	old, _ := linktoken.New(time.Now, []byte(oldKey))
	oldTok, _, _ := old.Issue("nobody@staff.example.com")
	get := func(token string) int {
		r := httptest.NewRequest(http.MethodGet, "/me", nil)
		r.Header.Set("Authorization", "Bearer "+token)
		return status(h, r)
	}
	if got := get(apiToken); got != http.StatusOK {
		t.Errorf("the API token: %d, want 200", got)
	}
	// A verified token of a person with no record is 401 "no right", not
	// "invalid": the previous key still verifies.
	if got := get(oldTok); got != http.StatusUnauthorized {
		t.Errorf("a token of the previous key for a stranger: %d, want 401", got)
	}
	if _, err := s.Staff.Tokens.Verify(t.Context(), oldTok); err != nil {
		t.Errorf("a token signed with the previous key no longer verifies: %v", err)
	}
	if s.Links == nil {
		t.Fatal("link mode without sign-in links")
	}
	tok, _, err := s.Links.Tokens.Issue("ada@staff.example.com")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.Verify(t.Context(), tok); err == nil {
		t.Error("a new token verifies under the previous key alone: it was not signed with the current one")
	}
	// A key too short is refused, naming the secret id only.
	sm.Put(keyID, "short")
	if _, err := configure(t); err == nil || !strings.Contains(err.Error(), keyID) || strings.Contains(err.Error(), "short") {
		t.Errorf("short sign-in key: %v", err)
	}
}
