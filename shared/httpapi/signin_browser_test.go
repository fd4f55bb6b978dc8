package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/loupehq/loupe/shared/compliance"
	"github.com/loupehq/loupe/shared/embedded"
	"github.com/loupehq/loupe/shared/linktoken"
	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/phone"
	"github.com/loupehq/loupe/shared/pos"
	"github.com/loupehq/loupe/shared/testkit/nodeproc"
	"github.com/loupehq/loupe/shared/testkit/repo"
	"github.com/loupehq/loupe/shared/wire"
)

// signinRun is what shared/testkit/browsertest/signin.mjs prints: one
// scanner visit, one visit by the person and their click on Sign in.
type signinRun struct {
	TokenRequests map[string]int `json:"token_requests"` // scanner, load, click
	TokenStatuses []int          `json:"token_statuses"`
	MeStatuses    []int          `json:"me_statuses"`
	TodayStatuses []int          `json:"today_statuses"`
	FinalURL      string         `json:"final_url"`
	URLHasCode    bool           `json:"url_has_code"`
	BackURL       string         `json:"back_url"`
	SessionToken  string         `json:"session_token"`
	AppState      string         `json:"app_state"` // the staff app's body data-state
	Screen        string         `json:"screen"`    // its body data-screen
	Tasks         string         `json:"tasks"`     // the Today screen's task count
	Nav           []string       `json:"nav"`       // the app's navigation links
	Message       string         `json:"message"`
	PageErrors    []string       `json:"page_errors"`
}

// signinScript returns the repository root and the sign-in script. Without
// node or node_modules/playwright-core the test is skipped, except when CI
// is "true": there it fails.
func signinScript(t *testing.T) (root, script string) {
	t.Helper()
	if _, reason := nodeproc.Find("playwright-core"); reason != "" {
		nodeproc.Unavailable(t, "playwright-core", reason)
	}
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	script = filepath.Join(root, "shared", "testkit", "browsertest", "signin.mjs")
	if _, err := os.Stat(script); err != nil {
		t.Fatalf("sign-in script: %v", err)
	}
	return root, script
}

// signinChain serves the wired services (wire.Build, link mode, the
// embedded store) on 127.0.0.1: store s1 in New York managed by max (an
// associate record with role manager), associate ada, and three take-ins
// recorded through the change feed. tokenPosts counts POST /auth/token as
// the server saw them.
type signinChain struct {
	srv        *httptest.Server
	svc        *wire.Services
	tokenPosts atomic.Int64
}

const signinAPIToken = "signin-test-api-token"

func newSigninChain(t *testing.T) *signinChain {
	t.Helper()
	db := openDB(t)
	signer, err := linktoken.New(clock, []byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	c := &signinChain{srv: httptest.NewUnstartedServer(nil)} // listens on 127.0.0.1 already
	base := "http://" + c.srv.Listener.Addr().String()
	c.svc = wire.Build(wire.Config{UnsubscribeSecret: strings.Repeat("u", 24), BaseURL: base},
		wire.Ports{Records: db, Compliance: db.Compliance(), Ledger: db.Ledger(), Mail: &mail.Fake{}, Phones: phone.Normalize,
			StaffTokens: signer, SignInTokens: signer, Now: clock, Logger: quietLogger()})
	c.svc.Subscribe(db)
	events := []posEvent{
		{pos.TypeStoreUpserted, "2026-11-01T00:00:00Z", `{"store_id":"s1","name":"Fifth Ave","timezone":"America/New_York","country":"US","postal_address":"1 Fifth Ave","from_email":"fifth@loupe.example.com"}`},
		{pos.TypeAssociateUpserted, "2026-11-01T00:00:00Z", `{"associate_id":"max","store_id":"s1","name":"Max","email":"max@s1.example","role":"manager"}`},
		{pos.TypeAssociateUpserted, "2026-11-01T00:00:00Z", `{"associate_id":"ada","store_id":"s1","name":"Ada","email":"ada@s1.example"}`},
		repair("r1", "s1", "ada", "c1", "c1@gmail.com", "2026-11-18T15:00:00Z"),
		repair("r2", "s1", "ada", "c2", "", "2026-11-19T15:00:00Z"),
		repair("r3", "s1", "max", "c3", "c3@yahoo.com", "2026-11-20T14:00:00Z"),
	}
	applyEvents(t, c.svc, db, "evt_s", events)
	h := c.svc.HTTP(signinAPIToken)
	c.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/auth/token" {
			c.tokenPosts.Add(1)
		}
		h.ServeHTTP(w, r)
	})
	c.srv.Start()
	t.Cleanup(c.srv.Close)
	return c
}

// link returns a fresh sign-in link for email (staff.Links.Link).
func (c *signinChain) link(t *testing.T, email string) string {
	t.Helper()
	l, err := c.svc.Links.Link(context.Background(), email)
	if err != nil {
		t.Fatalf("link for %s: %v", email, err)
	}
	if !strings.HasPrefix(l, c.srv.URL+"/app/signin#code=") {
		t.Fatalf("link %q is not under %s/app/signin#code=", l, c.srv.URL)
	}
	return l
}

// get sends GET path to the server with bearer and returns status and body.
func (c *signinChain) get(t *testing.T, path, bearer string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+bearer)
	resp, err := c.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	return resp.StatusCode, buf.Bytes()
}

// signIn runs the script on link in Chromium bin and returns what it saw,
// after checking that the server counted as many POST /auth/token as the
// browser sent.
func (c *signinChain) signIn(t *testing.T, root, script, bin, link string) signinRun {
	t.Helper()
	before := c.tokenPosts.Load()
	out := browserScript(t, root, bin, filepath.Base(script), c.srv.URL, link)
	var run signinRun
	if err := json.Unmarshal(out, &run); err != nil {
		t.Fatalf("signin.mjs output %q: %v", out, err)
	}
	sent := 0
	for _, n := range run.TokenRequests {
		sent += n
	}
	if got := c.tokenPosts.Load() - before; got != int64(sent) {
		t.Errorf("server saw %d POST /auth/token, the browser sent %d", got, sent)
	}
	return run
}

// TestSigninInChromium clicks through the sign-in page (GET /app/signin,
// CONTRACT section 3 "Sign-in") in headless Chromium, driven by
// playwright-core: neither a mail scanner's visit nor the page load spends
// the code, one tap on Sign in exchanges it, stores the token in
// sessionStorage, and opens the staff app's Today screen (/app) with no code
// in the URL or the history; the app then reads GET /me and GET /me/today
// with the token, shows as many tasks as the JSON holds and the screens of
// the person's roles (Compliance for a store manager, not for an
// associate), and a used link shows its error.
func TestSigninInChromium(t *testing.T) {
	bin := chromium(t)
	root, script := signinScript(t)
	c := newSigninChain(t)

	// The page's journey up to the app's Today screen, whoever signs in.
	signedIn := func(t *testing.T, run signinRun) {
		t.Helper()
		if run.TokenRequests["scanner"] != 0 || run.TokenRequests["load"] != 0 {
			t.Errorf("POST /auth/token before the click: %v, want none", run.TokenRequests)
		}
		if run.TokenRequests["click"] != 1 || len(run.TokenStatuses) != 1 || run.TokenStatuses[0] != http.StatusOK {
			t.Errorf("POST /auth/token after the click: %d, statuses %v; want one, 200", run.TokenRequests["click"], run.TokenStatuses)
		}
		if u, err := url.Parse(run.FinalURL); err != nil || u.Path != "/app" || u.Fragment != "" {
			t.Errorf("landed on %q, want %s/app", run.FinalURL, c.srv.URL)
		}
		if run.URLHasCode || strings.Contains(run.BackURL, "code=") {
			t.Errorf("the code is still in the URL (%q) or the history (back: %q)", run.FinalURL, run.BackURL)
		}
		if run.SessionToken == "" {
			t.Errorf("no token in sessionStorage[loupe.token]")
		}
		if len(run.MeStatuses) != 1 || run.MeStatuses[0] != http.StatusOK || len(run.TodayStatuses) != 1 || run.TodayStatuses[0] != http.StatusOK {
			t.Errorf("the app's GET /me answered %v, GET /me/today %v; want [200] each", run.MeStatuses, run.TodayStatuses)
		}
		if run.AppState != "ready" || run.Screen != "today" {
			t.Errorf("app state %q on screen %q, want ready on today (%+v)", run.AppState, run.Screen, run)
		}
		var list struct{ Tasks []json.RawMessage }
		if code, body := c.get(t, "/me/today", run.SessionToken); code != http.StatusOK || json.Unmarshal(body, &list) != nil {
			t.Errorf("GET /me/today with the browser's token: %d %s", code, body)
		} else if run.Tasks != strconv.Itoa(len(list.Tasks)) {
			t.Errorf("Today shows %q tasks, GET /me/today %d", run.Tasks, len(list.Tasks))
		}
		if len(run.PageErrors) != 0 {
			t.Errorf("page errors: %v", run.PageErrors)
		}
	}

	link := c.link(t, "max@s1.example")
	t.Run("manager", func(t *testing.T) {
		run := c.signIn(t, root, script, bin, link)
		signedIn(t, run)
		if !slices.Contains(run.Nav, "Compliance") || !slices.Contains(run.Nav, "Team") {
			t.Errorf("a store manager's navigation %v, want Compliance and Team in it", run.Nav)
		}
		code, body := c.get(t, "/compliance", run.SessionToken)
		if code != http.StatusOK {
			t.Fatalf("GET /compliance with the browser's token: %d %s", code, body)
		}
		var rep compliance.Report
		if err := json.Unmarshal(body, &rep); err != nil {
			t.Fatal(err)
		}
		if rep.Totals.TakeIns != 3 || rep.Totals.WithEmail != 2 {
			t.Errorf("GET /compliance totals %+v, want 3 take-ins, 2 with email", rep.Totals)
		}
		if code, body := c.get(t, "/me", run.SessionToken); code != http.StatusOK || !strings.Contains(string(body), `"associate_id":"max"`) {
			t.Errorf("GET /me with the browser's token: %d %s, want max", code, body)
		}
	})

	t.Run("used link", func(t *testing.T) {
		run := c.signIn(t, root, script, bin, link)
		if run.TokenRequests["scanner"] != 0 || run.TokenRequests["load"] != 0 || run.TokenRequests["click"] != 1 {
			t.Errorf("POST /auth/token by phase %v, want only one, on the click", run.TokenRequests)
		}
		if len(run.TokenStatuses) != 1 || run.TokenStatuses[0] != http.StatusUnauthorized {
			t.Errorf("POST /auth/token statuses %v, want [401]", run.TokenStatuses)
		}
		if u, err := url.Parse(run.FinalURL); err != nil || u.Path != "/app/signin" {
			t.Errorf("page %q, want to stay on /app/signin", run.FinalURL)
		}
		if !strings.Contains(run.Message, "used or has expired") {
			t.Errorf("message %q, want the used-or-expired one", run.Message)
		}
		if run.SessionToken != "" || len(run.MeStatuses) != 0 {
			t.Errorf("a used link signed in: token %q, /me %v", run.SessionToken, run.MeStatuses)
		}
	})

	t.Run("associate", func(t *testing.T) {
		run := c.signIn(t, root, script, bin, c.link(t, "ada@s1.example"))
		signedIn(t, run)
		if slices.Contains(run.Nav, "Compliance") || slices.Contains(run.Nav, "Team") || !slices.Contains(run.Nav, "My clients") {
			t.Errorf("an associate's navigation %v, want My clients and neither Compliance nor Team (they are for managers)", run.Nav)
		}
		if code, body := c.get(t, "/compliance", run.SessionToken); code != http.StatusForbidden {
			t.Errorf("GET /compliance with an associate's token: %d %s, want 403", code, body)
		}
		if code, body := c.get(t, "/me", run.SessionToken); code != http.StatusOK || !strings.Contains(string(body), `"associate_id":"ada"`) {
			t.Errorf("GET /me with the browser's token: %d %s, want ada", code, body)
		}
	})
}

// applyEvents applies events through the POS service (ids prefix000,
// prefix001, ...) and delivers the change feed they leave, as serve would.
func applyEvents(t *testing.T, svc *wire.Services, db *embedded.DB, prefix string, events []posEvent) {
	t.Helper()
	ctx := context.Background()
	for i, e := range events {
		body := fmt.Sprintf(`{"id":"%s%03d","type":%q,"occurred_at":%q,"data":%s}`, prefix, i, e.typ, e.at, e.data)
		if _, err := svc.POS.Apply(ctx, []byte(body)); err != nil {
			t.Fatalf("%s: %v", e.typ, err)
		}
	}
	if err := db.DeliverPending(ctx); err != nil {
		t.Fatalf("deliver pending: %v", err)
	}
}
