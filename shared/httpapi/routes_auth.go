package httpapi

import (
	"context"
	"net"
	"net/http"
	"strings"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/staff"
)

// Links sends sign-in links and exchanges their codes (*staff.Links).
type Links interface {
	// Request sends a link when the email may sign in; base is the link's
	// base when none is configured (the request's own https host), source
	// the caller's IP address (a per-source hourly limit).
	Request(ctx context.Context, email, base, source string) error
	Exchange(ctx context.Context, code string) (staff.Session, error)
}

// AuthConfig is the answer of GET /auth/config: {"mode": "link"} or
// {"mode": "oidc", "issuer", "client_id", "scopes"}.
type AuthConfig struct {
	Mode     string   `json:"mode"`
	Issuer   string   `json:"issuer,omitempty"`
	ClientID string   `json:"client_id,omitempty"`
	Scopes   []string `json:"scopes,omitempty"`
}

// getAuthConfig answers GET /auth/config: how the staff app signs people in.
func (s *server) getAuthConfig(w http.ResponseWriter, r *http.Request) error {
	c := s.Auth
	if c.Mode == "" {
		c.Mode = "link"
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, c)
	return nil
}

// linkRequest is the body of POST /auth/link.
type linkRequest struct {
	Email string `json:"email"`
}

// postAuthLink answers POST /auth/link with 202 {"status": "sent"} whatever
// the address (no account probing): a person who may sign in gets a link
// (staff.Links.Request). 400 for a body without an email, 404 in OIDC mode.
func (s *server) postAuthLink(w http.ResponseWriter, r *http.Request) error {
	if s.Links == nil {
		return loupe.Errorf(loupe.ENOTFOUND, "sign-in links are off: this deployment signs in with its identity provider")
	}
	var req linkRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.Email) == "" {
		return loupe.Invalidf("email", "email is required")
	}
	source, _, _ := net.SplitHostPort(r.RemoteAddr)
	if err := s.Links.Request(r.Context(), req.Email, "https://"+r.Host, source); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "sent"})
	return nil
}

// tokenRequest is the body of POST /auth/token.
type tokenRequest struct {
	Code string `json:"code"`
}

// postAuthToken answers POST /auth/token with the staff token a sign-in
// code is exchanged for (once): 200 {"access_token", "expires_at",
// "associate_id", "role", "store_ids"}, 401 for a used, expired or forged
// code, 404 in OIDC mode.
func (s *server) postAuthToken(w http.ResponseWriter, r *http.Request) error {
	if s.Links == nil {
		return loupe.Errorf(loupe.ENOTFOUND, "sign-in links are off: this deployment signs in with its identity provider")
	}
	var req tokenRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.Code) == "" {
		return loupe.Invalidf("code", "code is required")
	}
	sess, err := s.Links.Exchange(r.Context(), req.Code)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, sess)
	return nil
}

// signinPage is GET /app/signin: the page a sign-in link opens. It reads the
// code from the URL fragment (never sent to a server, so no log holds it)
// and exchanges it only when the person taps Sign in, so a mail scanner
// that opens the link does not use it up. The token goes to session storage
// under the dashboard's key, then the page opens the dashboard.
const signinPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>Sign in to Loupe</title>
<style>body{font-family:system-ui,sans-serif;max-width:420px;margin:12vh auto;padding:0 16px;color:#222}
button{font-size:1.1rem;padding:12px 24px;border:0;border-radius:6px;background:#222;color:#fff;width:100%}
#msg{margin-top:16px;color:#a00}</style></head>
<body><h1>Loupe</h1>
<p id="lead">Tap Sign in to open Loupe on this device.</p>
<button id="go" type="button">Sign in</button>
<p id="msg" role="status"></p>
<script>
(function () {
  var code = new URLSearchParams(location.hash.slice(1)).get("code") || "";
  var go = document.getElementById("go"), msg = document.getElementById("msg");
  if (!code) { go.disabled = true; msg.textContent = "This link has no sign-in code. Ask for a new one."; return; }
  go.addEventListener("click", function () {
    go.disabled = true;
    fetch("/auth/token", {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify({code: code})})
      .then(function (r) { return r.json().then(function (b) { return {ok: r.ok, body: b}; }); })
      .then(function (res) {
        if (!res.ok) { msg.textContent = "This link was used or has expired. Ask for a new one."; return; }
        try { sessionStorage.setItem("loupe.token", res.body.access_token); } catch (e) {}
        history.replaceState(null, "", "/app/signin");
        location.assign("/dashboard");
      })
      .catch(function () { go.disabled = false; msg.textContent = "Could not reach Loupe. Try again."; });
  });
})();
</script></body></html>
`

// appSignin answers GET /app/signin with signinPage. It holds no data.
func (s *server) appSignin(w http.ResponseWriter, r *http.Request) error {
	writePage(w, http.StatusOK, "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
		[]byte(signinPage))
	return nil
}
