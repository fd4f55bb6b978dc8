package httpapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/compliance"
	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/phone"
	"github.com/loupehq/loupe/shared/testkit/nodeproc"
	"github.com/loupehq/loupe/shared/testkit/oidctest"
	"github.com/loupehq/loupe/shared/wire"
)

// oidcRun is what shared/testkit/browsertest/oidc.mjs prints: a click on
// Sign in, the trip to the issuer and back, and the page reached.
type oidcRun struct {
	DiscoveryStatuses []int              `json:"discovery_statuses"`
	AuthorizeURLs     []string           `json:"authorize_urls"`
	ReturnURL         string             `json:"return_url"`
	TokenRequests     []oidcTokenRequest `json:"token_requests"`
	MeStatuses        []int              `json:"me_statuses"`
	FinalURL          string             `json:"final_url"`
	URLHasCode        bool               `json:"url_has_code"`
	BackURL           string             `json:"back_url"`
	SessionToken      string             `json:"session_token"`
	Pending           string             `json:"pending"`   // sessionStorage["loupe.oidc"]
	AppState          string             `json:"app_state"` // the staff app's body data-state
	Screen            string             `json:"screen"`    // its body data-screen
	Message           string             `json:"message"`
	PageErrors        []string           `json:"page_errors"`
	ConsoleErrors     []string           `json:"console_errors"`
	FailedRequests    []string           `json:"failed_requests"`
	ErrorResponses    []string           `json:"error_responses"` // "STATUS URL", 400 and up
}

// oidcTokenRequest is one POST the browser sent to the token endpoint.
type oidcTokenRequest struct {
	URL    string            `json:"url"`
	Status int               `json:"status"`
	Form   map[string]string `json:"form"`
}

const (
	oidcClientID = "loupe-staff"
	oidcAPIToken = "oidc-test-api-token"
	oidcManager  = "mgr@chain.com" // s1's manager_email in chainEvents
)

// newOIDCChain serves the wired services in OIDC mode (wire.Build with the
// issuer, staff tokens from wire.SignIn, the embedded store) on 127.0.0.1,
// with chainEvents recorded through the change feed.
func newOIDCChain(t *testing.T, iss *oidctest.Issuer) *signinChain {
	t.Helper()
	cfg := wire.Config{OIDCIssuer: iss.URL, OIDCClientID: oidcClientID}
	tokens, issuer, err := wire.SignIn(cfg, time.Now)
	if err != nil || issuer != nil {
		t.Fatalf("wire.SignIn in OIDC mode = issuer %v, %v; want no issuer, no error", issuer, err)
	}
	db := openDB(t)
	c := &signinChain{}
	c.svc = wire.Build(cfg, wire.Ports{Records: db, Compliance: db.Compliance(), Ledger: db.Ledger(), Mail: &mail.Fake{},
		Phones: phone.Normalize, StaffTokens: tokens, Now: clock, Logger: quietLogger()})
	c.svc.Subscribe(db)
	applyEvents(t, c.svc, db, "evt_o", chainEvents)
	c.srv = httptest.NewServer(c.svc.HTTP(oidcAPIToken)) // on 127.0.0.1
	t.Cleanup(c.srv.Close)
	return c
}

// oidcSignIn runs oidc.mjs in mode against the chain and the issuer in
// Chromium bin and returns what it saw.
func oidcSignIn(t *testing.T, c *signinChain, iss *oidctest.Issuer, root, bin, mode string) oidcRun {
	t.Helper()
	out := browserScript(t, root, bin, "oidc.mjs", c.srv.URL, iss.URL, mode)
	var run oidcRun
	if err := json.Unmarshal(out, &run); err != nil {
		t.Fatalf("oidc.mjs output %q: %v", out, err)
	}
	return run
}

// browserScript runs shared/testkit/browsertest/<name> with args under node
// (from root, with Chromium bin, for at most 90 s) and returns its stdout; it
// fails t, with the script's stderr, when the script fails.
func browserScript(t *testing.T, root, bin, name string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	script := filepath.Join(root, "shared", "testkit", "browsertest", name)
	cmd := exec.CommandContext(ctx, "node", append([]string{script}, args...)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "LOUPE_CHROMIUM="+bin)
	cmd.WaitDelay = 5 * time.Second
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	nodeproc.DieWithTest(cmd)
	start := time.Now()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node %s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.Bytes())
	}
	t.Logf("browser run (%s): %s", name, time.Since(start).Round(time.Millisecond))
	return out
}

// authorization returns the issuer's record of the authorization request
// the browser sent (the one with its state).
func authorization(t *testing.T, iss *oidctest.Issuer, run oidcRun) oidctest.Authorization {
	t.Helper()
	if len(run.AuthorizeURLs) != 1 {
		t.Fatalf("the browser went to the authorization endpoint %d times (%v), want once", len(run.AuthorizeURLs), run.AuthorizeURLs)
	}
	u, err := url.Parse(run.AuthorizeURLs[0])
	if err != nil {
		t.Fatal(err)
	}
	state := u.Query().Get("state")
	for _, a := range iss.Flow(t).Authorizations {
		if state != "" && a.State == state {
			return a
		}
	}
	t.Fatalf("the issuer issued no code for the browser's authorization request %s", run.AuthorizeURLs[0])
	return oidctest.Authorization{}
}

var pkceValue = regexp.MustCompile(`^[A-Za-z0-9_-]{43,128}$`)

// TestOIDCSigninInChromium clicks through the sign-in page (GET
// /app/signin) in OIDC mode in headless Chromium, driven by playwright-core,
// against a real mock issuer (oauth2-mock-server via oidctest, which checks
// PKCE S256 and uses a code once): the click reads discovery and goes to the
// authorization endpoint with the client, redirect_uri, scopes, an S256
// code_challenge, a state and a nonce; back on the page with the code, it
// exchanges the code once with the matching verifier, keeps the ID token of
// the person who signed in (with the request's nonce) in sessionStorage, and
// opens the staff app (/app) with no code in the URL or the history; the app
// reads GET /me with it and settles on its Today screen, and GET /compliance
// answers the store's manager with it (Loupe checking the ID token itself). A return with another state, or an ID token with
// another nonce, shows "Sign-in did not complete" and keeps no token.
func TestOIDCSigninInChromium(t *testing.T) {
	bin := chromium(t)
	root, _ := signinScript(t)
	iss := oidctest.Start(t)
	c := newOIDCChain(t, iss)
	iss.SignInAs(t, oidcManager, nil)

	// noToken checks the page refused to sign in and kept nothing.
	noToken := func(t *testing.T, run oidcRun) {
		t.Helper()
		if !strings.Contains(run.Message, "Sign-in did not complete") {
			t.Errorf("message %q, want Sign-in did not complete", run.Message)
		}
		if u, err := url.Parse(run.FinalURL); err != nil || u.Path != "/app/signin" || run.URLHasCode {
			t.Errorf("page %q, want /app/signin without the code", run.FinalURL)
		}
		if run.SessionToken != "" || len(run.MeStatuses) != 0 {
			t.Errorf("signed in anyway: token %q, /me %v", run.SessionToken, run.MeStatuses)
		}
		if run.Pending != "" {
			t.Errorf("sessionStorage[loupe.oidc] = %q after the return, want it removed", run.Pending)
		}
	}

	t.Run("manager", func(t *testing.T) {
		run := oidcSignIn(t, c, iss, root, bin, "signin")
		if len(run.DiscoveryStatuses) != 1 || run.DiscoveryStatuses[0] != http.StatusOK {
			t.Errorf("discovery statuses %v, want [200]", run.DiscoveryStatuses)
		}
		a := authorization(t, iss, run)
		q, _ := url.Parse(run.AuthorizeURLs[0])
		if got := q.Scheme + "://" + q.Host + q.Path; got != iss.URL+"/authorize" {
			t.Errorf("authorization endpoint %q, want %s/authorize", got, iss.URL)
		}
		for name, want := range map[string]string{"response_type": "code", "client_id": oidcClientID,
			"redirect_uri": c.srv.URL + "/app/signin", "code_challenge_method": "S256"} {
			if got := q.Query().Get(name); got != want {
				t.Errorf("authorization request %s = %q, want %q", name, got, want)
			}
		}
		if scopes := strings.Fields(a.Scope); !slices.Contains(scopes, "openid") || !slices.Contains(scopes, "email") {
			t.Errorf("scope %q, want openid and email", a.Scope)
		}
		if !pkceValue.MatchString(a.CodeChallenge) || a.State == "" || a.Nonce == "" || a.State == a.Nonce {
			t.Errorf("code_challenge %q, state %q, nonce %q: want a base64url S256 challenge, a state and another nonce",
				a.CodeChallenge, a.State, a.Nonce)
		}
		back := url.Values{"code": {a.Code}, "state": {a.State}}
		if want := c.srv.URL + "/app/signin?" + back.Encode(); run.ReturnURL != want {
			t.Errorf("back at %q, want %q", run.ReturnURL, want)
		}

		// One exchange of the code, with the verifier of the challenge.
		if len(run.TokenRequests) != 1 {
			t.Fatalf("the browser sent %d token requests (%+v), want one", len(run.TokenRequests), run.TokenRequests)
		}
		tr := run.TokenRequests[0]
		if tr.URL != iss.URL+"/token" || tr.Status != http.StatusOK {
			t.Errorf("token request to %s answered %d, want %s/token, 200", tr.URL, tr.Status, iss.URL)
		}
		for name, want := range map[string]string{"grant_type": "authorization_code", "code": a.Code, "client_id": oidcClientID,
			"redirect_uri": c.srv.URL + "/app/signin"} {
			if got := tr.Form[name]; got != want {
				t.Errorf("token request %s = %q, want %q", name, got, want)
			}
		}
		h := sha256.Sum256([]byte(tr.Form["code_verifier"]))
		if v := tr.Form["code_verifier"]; !pkceValue.MatchString(v) || base64.RawURLEncoding.EncodeToString(h[:]) != a.CodeChallenge {
			t.Errorf("code_verifier %q is not the one of code_challenge %q", v, a.CodeChallenge)
		}
		if ex := iss.Flow(t).ExchangesOf(a.Code); len(ex) != 1 || ex[0].Status != http.StatusOK {
			t.Errorf("the issuer saw the code exchanged %+v, want once, 200", ex)
		}

		// The staff app, with the person's ID token.
		if u, err := url.Parse(run.FinalURL); err != nil || u.Path != "/app" || u.RawQuery != "" || u.Fragment != "" {
			t.Errorf("landed on %q, want %s/app", run.FinalURL, c.srv.URL)
		}
		if run.URLHasCode || strings.Contains(run.BackURL, "code=") || strings.Contains(run.BackURL, "state=") {
			t.Errorf("the code is still in the URL (%q) or the history (back: %q)", run.FinalURL, run.BackURL)
		}
		if run.Pending != "" {
			t.Errorf("sessionStorage[loupe.oidc] = %q after sign-in, want it removed", run.Pending)
		}
		if run.SessionToken == "" {
			t.Fatalf("no token in sessionStorage[loupe.token] (message %q, page errors %v, console %v, failed %v)",
				run.Message, run.PageErrors, run.ConsoleErrors, run.FailedRequests)
		}
		claims := oidctest.Claims(t, run.SessionToken)
		for name, want := range map[string]any{"iss": iss.URL, "aud": oidcClientID, "email": oidcManager, "email_verified": true, "nonce": a.Nonce} {
			if claims[name] != want {
				t.Errorf("sessionStorage token claim %s = %v, want %v", name, claims[name], want)
			}
		}
		if len(run.MeStatuses) != 1 || run.MeStatuses[0] != http.StatusOK || run.AppState != "ready" || run.Screen != "today" {
			t.Errorf("the app's GET /me answered %v, state %q on %q; want [200], ready on today", run.MeStatuses, run.AppState, run.Screen)
		}
		code, body := c.get(t, "/compliance", run.SessionToken)
		if code != http.StatusOK {
			t.Fatalf("GET /compliance with the browser's ID token: %d %s", code, body)
		}
		var rep compliance.Report
		if err := json.Unmarshal(body, &rep); err != nil {
			t.Fatal(err)
		}
		if len(rep.Stores) != 1 || rep.Stores[0].StoreID != "s1" || rep.Totals.TakeIns != 7 {
			t.Errorf("GET /compliance for s1's manager: %d stores, totals %+v; want s1 alone, 7 take-ins", len(rep.Stores), rep.Totals)
		}
		code, body = c.get(t, "/me", run.SessionToken)
		var me struct {
			Email    string   `json:"email"`
			Roles    []string `json:"roles"`
			StoreIDs []string `json:"store_ids"`
		}
		if err := json.Unmarshal(body, &me); code != http.StatusOK || err != nil || me.Email != oidcManager ||
			!slices.Equal(me.Roles, []string{"manager"}) || !slices.Equal(me.StoreIDs, []string{"s1"}) {
			t.Errorf("GET /me with the browser's ID token: %d %s, want %s, manager of s1", code, body, oidcManager)
		}
		for _, e := range run.ErrorResponses { // the link routes (404 in OIDC mode) among them
			if !strings.HasSuffix(e, "/favicon.ico") {
				t.Errorf("answered with an error: %s (console: %v)", e, run.ConsoleErrors)
			}
		}
		if len(run.PageErrors) != 0 || len(run.FailedRequests) != 0 {
			t.Errorf("page errors %v, failed requests %v", run.PageErrors, run.FailedRequests)
		}
	})

	t.Run("wrong state", func(t *testing.T) {
		run := oidcSignIn(t, c, iss, root, bin, "wrong-state")
		a := authorization(t, iss, run)
		if back, err := url.Parse(run.ReturnURL); err != nil || back.Query().Get("code") != a.Code || back.Query().Get("state") == a.State {
			t.Fatalf("back at %q, want the issuer's code %s with another state than %s", run.ReturnURL, a.Code, a.State)
		}
		noToken(t, run)
		if len(run.TokenRequests) != 0 || len(iss.Flow(t).ExchangesOf(a.Code)) != 0 {
			t.Errorf("the code was exchanged on a return with another state: %+v", run.TokenRequests)
		}
	})

	t.Run("wrong nonce", func(t *testing.T) {
		iss.SignInAs(t, oidcManager, map[string]any{"nonce": "not-the-page-s-nonce"})
		defer iss.SignInAs(t, oidcManager, nil)
		run := oidcSignIn(t, c, iss, root, bin, "signin")
		a := authorization(t, iss, run)
		if len(run.TokenRequests) != 1 || run.TokenRequests[0].Status != http.StatusOK {
			t.Fatalf("token requests %+v, want one, 200 (the issuer answers; the page must refuse the nonce)", run.TokenRequests)
		}
		if ex := iss.Flow(t).ExchangesOf(a.Code); len(ex) != 1 {
			t.Errorf("the issuer saw the code exchanged %+v, want once", ex)
		}
		noToken(t, run)
	})
}
