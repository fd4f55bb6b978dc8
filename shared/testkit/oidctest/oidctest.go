// Package oidctest runs a real OpenID Connect issuer for tests: the npm
// package oauth2-mock-server (installed from the repository's
// package-lock.json) behind server.mjs, on a free port of 127.0.0.1 through
// nodeproc. It serves discovery, the JWKS and signed ID tokens, and lets a
// test mint tokens with chosen claims, rotate the signing key and take the
// issuer down.
//
//	iss := oidctest.Start(t)
//	v, _ := oidcauth.New(oidcauth.Config{Issuer: iss.URL, ClientID: "loupe-app"})
//	tok := iss.Token(t, map[string]any{"aud": "loupe-app", "sub": "u1", "email": "ana@eclat.example"})
//
// When node or node_modules/.bin/oauth2-mock-server is missing the test is
// skipped, except when the environment variable CI is "true": there it fails.
package oidctest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/testkit/nodeproc"
	"github.com/loupehq/loupe/shared/testkit/repo"
)

// bin is the package's binary under node_modules/.bin; its presence says the
// package is installed (server.mjs imports the package, not the binary).
const bin = "oauth2-mock-server"

// script is server.mjs, relative to the repository root.
var script = filepath.Join("shared", "testkit", "oidctest", "server.mjs")

// Issuer is one running mock issuer.
type Issuer struct {
	// URL is the issuer identifier, "http://127.0.0.1:PORT": the iss of its
	// tokens and the issuer of its discovery document.
	URL string
}

// Start runs a fresh issuer with one RS256 signing key, waits until its
// discovery document answers and stops it when tb's test ends. It skips tb
// when node or oauth2-mock-server is missing (fails it instead when CI is
// "true") and fails tb when the issuer does not come up within 20 s.
func Start(tb testing.TB) *Issuer {
	tb.Helper()
	if _, reason := nodeproc.Find(bin); reason != "" {
		nodeproc.Unavailable(tb, bin, reason)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		nodeproc.Unavailable(tb, bin, "node is not on PATH")
	}
	root, err := repo.Root()
	if err != nil {
		tb.Fatalf("oidctest: %v", err)
	}
	srv, err := nodeproc.Run(node, nodeproc.Spec{
		Bin:       bin,
		Args:      func(port int) []string { return []string{filepath.Join(root, script), strconv.Itoa(port)} },
		ReadyPath: "/.well-known/openid-configuration",
		ReadyOK:   true,
	})
	if err != nil {
		tb.Fatalf("oidctest: start %s: %v", bin, err)
	}
	tb.Cleanup(srv.Stop)
	return &Issuer{URL: srv.Endpoint}
}

// Token returns an ID token signed with the issuer's current key. Its claims
// are iss (URL), iat and nbf (now, nbf 10 s earlier) and exp (in 1 hour),
// with claims merged over them; a nil value removes a claim. Nothing else is
// added: the caller sets aud, sub, email and the rest. It fails tb when the
// issuer does not answer.
func (i *Issuer) Token(tb testing.TB, claims map[string]any) string {
	tb.Helper()
	if claims == nil {
		claims = map[string]any{}
	}
	var out struct {
		IDToken string `json:"id_token"`
	}
	i.control(tb, "token", claims, &out)
	if out.IDToken == "" {
		tb.Fatal("oidctest: token: empty id_token")
	}
	return out.IDToken
}

// Rotate adds a new RS256 key to the JWKS and signs every later token with
// it; the old keys stay published, as in a provider's overlap period. It
// returns the new key's id and fails tb when the issuer does not answer.
func (i *Issuer) Rotate(tb testing.TB) string {
	tb.Helper()
	var out struct {
		KID string `json:"kid"`
	}
	i.control(tb, "rotate", nil, &out)
	return out.KID
}

// DropOldKeys removes every key but the current signing key from the JWKS,
// as a provider does once a rotation is over. It fails tb when the issuer
// does not answer.
func (i *Issuer) DropOldKeys(tb testing.TB) {
	tb.Helper()
	i.control(tb, "drop-old-keys", nil, nil)
}

// Down makes every route of the issuer (discovery, JWKS, ...) answer 503
// until Up. It fails tb when the issuer does not answer.
func (i *Issuer) Down(tb testing.TB) {
	tb.Helper()
	i.control(tb, "down", nil, nil)
}

// Up ends Down. It fails tb when the issuer does not answer.
func (i *Issuer) Up(tb testing.TB) {
	tb.Helper()
	i.control(tb, "up", nil, nil)
}

// client calls the control routes.
var client = &http.Client{Timeout: 10 * time.Second}

// control posts body as JSON to /_test/<op> and decodes the answer into out
// (when not nil), failing tb on any error.
func (i *Issuer) control(tb testing.TB, op string, body, out any) {
	tb.Helper()
	data, err := json.Marshal(body)
	if err != nil {
		tb.Fatalf("oidctest: %s: %v", op, err)
	}
	resp, err := client.Post(i.URL+"/_test/"+op, "application/json", bytes.NewReader(data))
	if err != nil {
		tb.Fatalf("oidctest: %s: %v", op, err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("oidctest: %s: read answer: %v", op, err)
	}
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("oidctest: %s: %s: %s", op, resp.Status, got)
	}
	if out != nil {
		if err := json.Unmarshal(got, out); err != nil {
			tb.Fatalf("oidctest: %s: decode %s: %v", op, got, err)
		}
	}
}
