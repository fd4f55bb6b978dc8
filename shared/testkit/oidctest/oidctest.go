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
// It also runs the authorization code flow a browser goes through, strictly:
// SignInAs chooses who signs in at its authorization endpoint (which shows no
// login page and redirects back with a code at once), the token endpoint
// refuses a code used twice, for another client or redirect_uri, or without
// a matching S256 PKCE code_verifier, and Flow reports every authorization
// request and token exchange (server.mjs says exactly what is checked).
//
//	iss.SignInAs(t, "max@s1.example", nil)
//	// ... the browser goes to iss.URL+"/authorize?..." and back ...
//	f := iss.Flow(t) // f.Authorizations[0].CodeChallengeMethod == "S256"
//
// When node or node_modules/.bin/oauth2-mock-server is missing the test is
// skipped, except when the environment variable CI is "true": there it fails.
package oidctest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
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

// SignInAs makes email the person who signs in at the authorization
// endpoint from now on: the ID token (and access token) of every code issued
// after the call carry sub and email set to email and email_verified true,
// with claims merged over them (a nil value removes a claim; a "nonce" claim
// replaces the authorization request's nonce). aud is the token request's
// client_id and the nonce the authorization request's, as the mock sets them.
// Codes issued before the call keep the person they were issued for. It fails
// tb when the issuer does not answer.
func (i *Issuer) SignInAs(tb testing.TB, email string, claims map[string]any) {
	tb.Helper()
	person := map[string]any{"sub": email, "email": email, "email_verified": true}
	for name, value := range claims {
		person[name] = value
	}
	i.control(tb, "sign-in-as", person, nil)
}

// Authorization is one request to the authorization endpoint that was
// answered with a code: its query parameters as sent ("" for one left out)
// and who signed in for it.
type Authorization struct {
	Code                string `json:"code"`
	ResponseType        string `json:"response_type"`
	ClientID            string `json:"client_id"`
	RedirectURI         string `json:"redirect_uri"`
	Scope               string `json:"scope"`
	State               string `json:"state"`
	Nonce               string `json:"nonce"`
	CodeChallenge       string `json:"code_challenge"`
	CodeChallengeMethod string `json:"code_challenge_method"`
	// Claims are the person's (SignInAs) when the code was issued; nil
	// before any SignInAs.
	Claims map[string]any `json:"claims"`
}

// Exchange is one token request with grant_type authorization_code.
type Exchange struct {
	// Code is the code it presented.
	Code string `json:"code"`
	// Status is the HTTP status answered: 200 with the tokens, 400 refused.
	Status int `json:"status"`
	// Error says why it was refused, "" when it was not.
	Error string `json:"error"`
}

// Flow is the authorization code flow the issuer has seen, in order.
type Flow struct {
	Authorizations []Authorization `json:"authorizations"`
	Exchanges      []Exchange      `json:"exchanges"`
}

// ExchangesOf returns the exchanges that presented code, in order.
func (f Flow) ExchangesOf(code string) []Exchange {
	var out []Exchange
	for _, e := range f.Exchanges {
		if e.Code == code {
			out = append(out, e)
		}
	}
	return out
}

// Flow returns every authorization request answered with a code and every
// code token request so far. It fails tb when the issuer does not answer.
func (i *Issuer) Flow(tb testing.TB) Flow {
	tb.Helper()
	var f Flow
	i.control(tb, "flow", nil, &f)
	return f
}

// Claims returns the claims of a JWT (an ID token the browser kept, say)
// without checking its signature or any claim. It fails tb when jwt is not
// a JWT with a JSON payload.
func Claims(tb testing.TB, jwt string) map[string]any {
	tb.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		tb.Fatalf("oidctest: not a JWT: %q", jwt)
	}
	data, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		tb.Fatalf("oidctest: JWT payload: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(data, &claims); err != nil {
		tb.Fatalf("oidctest: JWT payload: %v", err)
	}
	return claims
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
