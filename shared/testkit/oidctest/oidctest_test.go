package oidctest_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/loupehq/loupe/shared/oidcauth"
	"github.com/loupehq/loupe/shared/testkit/oidctest"
)

const (
	clientID = "loupe-staff"
	redirect = "http://127.0.0.1:1/app/signin"
)

// codeFlow is a client of the issuer's code flow that does not follow the
// authorization endpoint's redirect.
type codeFlow struct {
	iss              *oidctest.Issuer
	client           *http.Client
	authorize, token string
}

func newCodeFlow(t *testing.T, iss *oidctest.Issuer) *codeFlow {
	t.Helper()
	f := &codeFlow{iss: iss, client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	resp, err := f.client.Get(iss.URL + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d struct {
		Authorize string `json:"authorization_endpoint"`
		Token     string `json:"token_endpoint"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		t.Fatal(err)
	}
	f.authorize, f.token = d.Authorize, d.Token
	return f
}

// authorizeQuery is the query of a good authorization request for verifier.
func authorizeQuery(verifier string) url.Values {
	h := sha256.Sum256([]byte(verifier))
	return url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {redirect}, "scope": {"openid email"},
		"state": {"st-" + verifier[:8]}, "nonce": {"n-" + verifier[:8]},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(h[:])}, "code_challenge_method": {"S256"}}
}

// code sends q to the authorization endpoint and returns the code and state
// of the redirect.
func (f *codeFlow) code(t *testing.T, q url.Values) (code, state string) {
	t.Helper()
	resp, err := f.client.Get(f.authorize + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil {
		t.Fatalf("authorize: %s, Location %q", resp.Status, resp.Header.Get("Location"))
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != q.Get("redirect_uri") {
		t.Fatalf("authorize redirects to %q, want %q", got, q.Get("redirect_uri"))
	}
	return loc.Query().Get("code"), loc.Query().Get("state")
}

// exchange posts form to the token endpoint as a browser would and returns
// the status, the body and the Access-Control-Allow-Origin answered.
func (f *codeFlow) exchange(t *testing.T, form url.Values) (int, map[string]any, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.token, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "http://127.0.0.1:1")
	resp, err := f.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var body map[string]any
	if err := json.Unmarshal(data, &body); err != nil {
		t.Fatalf("token answer %s: %v", data, err)
	}
	return resp.StatusCode, body, resp.Header.Get("Access-Control-Allow-Origin")
}

func verifier(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// tokenForm is a good token request for code and verifier.
func tokenForm(code, verifier string) url.Values {
	return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect},
		"client_id": {clientID}, "code_verifier": {verifier}}
}

// TestCodeFlow: a code issued for a PKCE S256 authorization request is
// exchanged once, by its client, at its redirect_uri, with the matching
// verifier, for an ID token Loupe's verifier accepts (the person of
// SignInAs, the request's nonce); everything else is refused, and Flow
// reports what happened.
func TestCodeFlow(t *testing.T) {
	iss := oidctest.Start(t)
	f := newCodeFlow(t, iss)
	iss.SignInAs(t, "max@s1.example", map[string]any{"name": "Max"})

	t.Run("good", func(t *testing.T) {
		v := verifier(t)
		q := authorizeQuery(v)
		code, state := f.code(t, q)
		if code == "" || state != q.Get("state") {
			t.Fatalf("redirect code %q state %q, want a code and state %q", code, state, q.Get("state"))
		}
		status, body, cors := f.exchange(t, tokenForm(code, v))
		if status != http.StatusOK {
			t.Fatalf("token: %d %v, want 200", status, body)
		}
		if cors != "*" {
			t.Errorf("token Access-Control-Allow-Origin %q, want *", cors)
		}
		raw, _ := body["id_token"].(string)
		ver, err := oidcauth.New(oidcauth.Config{Issuer: iss.URL, ClientID: clientID})
		if err != nil {
			t.Fatal(err)
		}
		id, err := ver.Verify(context.Background(), raw)
		if err != nil || id.Email != "max@s1.example" || id.Subject != "max@s1.example" {
			t.Fatalf("oidcauth.Verify = %+v, %v; want max@s1.example", id, err)
		}
		claims := oidctest.Claims(t, raw)
		if claims["nonce"] != q.Get("nonce") || claims["aud"] != clientID || claims["name"] != "Max" || claims["email_verified"] != true {
			t.Errorf("id token claims %v, want nonce %q, aud %q, name Max, email_verified true", claims, q.Get("nonce"), clientID)
		}
		if status, body, _ := f.exchange(t, tokenForm(code, v)); status != http.StatusBadRequest || body["id_token"] != nil {
			t.Errorf("second exchange of the code: %d %v, want 400", status, body)
		}
		fl := iss.Flow(t)
		last := fl.Authorizations[len(fl.Authorizations)-1]
		if last.Code != code || last.CodeChallengeMethod != "S256" || last.State != q.Get("state") || last.RedirectURI != redirect ||
			last.Claims["email"] != "max@s1.example" {
			t.Errorf("Flow authorization %+v, want the request sent", last)
		}
		ex := fl.ExchangesOf(code)
		if len(ex) != 2 || ex[0].Status != http.StatusOK || ex[0].Error != "" || ex[1].Status != http.StatusBadRequest || ex[1].Error == "" {
			t.Errorf("Flow exchanges of the code %+v, want 200 then a refusal", ex)
		}
		form := tokenForm(code, v)
		form.Del("code_verifier") // past the mock's own check
		if status, body, _ := f.exchange(t, form); status != http.StatusBadRequest || body["error_description"] != "code already used" {
			t.Errorf("third exchange of the code, no verifier: %d %v, want 400 code already used", status, body)
		}
	})

	refused := []struct {
		name      string
		authorize func(q url.Values, verifier string) // nil: the good request
		token     func(form url.Values)               // nil: the good request
		want      string                              // in Exchange.Error
	}{
		{"wrong verifier", nil, func(form url.Values) { form.Set("code_verifier", strings.Repeat("x", 43)) }, "does not match"},
		{"no verifier", nil, func(form url.Values) { form.Del("code_verifier") }, "code_verifier is missing"},
		{"plain challenge", func(q url.Values, v string) { q.Set("code_challenge", v); q.Set("code_challenge_method", "plain") },
			nil, "code_challenge_method was not S256"},
		{"no challenge", func(q url.Values, _ string) { q.Del("code_challenge"); q.Del("code_challenge_method") },
			func(form url.Values) { form.Del("code_verifier") }, "the authorization request had no code_challenge"},
		{"other redirect_uri", nil, func(form url.Values) { form.Set("redirect_uri", "http://127.0.0.1:2/app/signin") }, "redirect_uri is not"},
		{"other client", nil, func(form url.Values) { form.Set("client_id", "someone-else") }, "client_id is not"},
		{"unknown code", nil, func(form url.Values) { form.Set("code", "made-up"); form.Del("code_verifier") }, "code was not issued"},
		{"unknown code with a verifier", nil, func(form url.Values) { form.Set("code", "made-up-too") }, "code_challenge required"},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			v := verifier(t)
			q := authorizeQuery(v)
			if c.authorize != nil {
				c.authorize(q, v)
			}
			code, _ := f.code(t, q)
			form := tokenForm(code, v)
			if c.token != nil {
				c.token(form)
			}
			status, body, _ := f.exchange(t, form)
			if status != http.StatusBadRequest || body["id_token"] != nil {
				t.Fatalf("token: %d %v, want 400 and no id_token", status, body)
			}
			ex := iss.Flow(t).ExchangesOf(form.Get("code"))
			if len(ex) != 1 || !strings.Contains(ex[0].Error, c.want) {
				t.Errorf("Flow exchanges %+v, want one refused: %s", ex, c.want)
			}
		})
	}
}
