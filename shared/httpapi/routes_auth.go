package httpapi

import (
	"context"
	"net"
	"net/http"
	"net/url"
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

// signinPage is GET /app/signin: how a person signs in on a phone or a
// desktop, in either mode (it asks GET /auth/config):
//
//   - link mode, opened from a sign-in link: it reads the code from the URL
//     fragment (never sent to a server, so no log holds it) and exchanges it
//     only when the person taps Sign in, so a mail scanner that opens the link
//     does not use it up;
//   - link mode, opened directly: a form that asks for a link (POST
//     /auth/link);
//   - OIDC mode: Sign in sends the person to the provider (authorization code
//     with PKCE, S256, a state and a nonce kept in session storage); back on
//     this page with ?code it exchanges the code at the provider's token
//     endpoint, checks the state and the ID token's nonce, and keeps the ID
//     token.
//
// The token goes to session storage ("loupe.token", read by the staff app and
// the dashboard), then the page opens where the staff app was opened before
// it sent the person here (session storage "loupe.next", or local storage
// for a link opened in another tab within the hour; a path under /app or
// /dashboard), else the staff app's Today screen (/app).
const signinPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>Sign in to Loupe</title>
<style>body{font-family:system-ui,sans-serif;max-width:420px;margin:12vh auto;padding:0 16px;color:#222}
button{font-size:1.1rem;padding:12px 24px;border:0;border-radius:6px;background:#222;color:#fff;width:100%}
input{font-size:1.1rem;padding:10px;width:100%;box-sizing:border-box;margin-bottom:12px}
#msg{margin-top:16px;color:#a00}[hidden]{display:none}</style></head>
<body><h1>Loupe</h1>
<p id="lead">Tap Sign in to open Loupe on this device.</p>
<form id="ask" hidden><label for="email">Your work email</label>
<input id="email" type="email" autocomplete="email" required><button id="send" type="submit">Email me a sign-in link</button></form>
<button id="go" type="button" hidden>Sign in</button>
<p id="msg" role="status"></p>
<script>
(function () {
  var go = document.getElementById("go"), msg = document.getElementById("msg"), lead = document.getElementById("lead");
  var ask = document.getElementById("ask");
  function done(token) {
    var next = "";
    try {
      sessionStorage.setItem("loupe.token", token);
      next = sessionStorage.getItem("loupe.next") || "";
      // A sign-in link opens a new tab: the screen the app was opened at in
      // another tab, within the hour.
      var shared = JSON.parse(localStorage.getItem("loupe.next") || "null");
      if (!next && shared && typeof shared.path === "string" && Date.now() - shared.at < 3600000) { next = shared.path; }
      sessionStorage.removeItem("loupe.next");
      localStorage.removeItem("loupe.next");
    } catch (e) {}
    history.replaceState(null, "", "/app/signin");
    // Back where the app was opened (a link from a mail), else the app.
    var to = "/app";
    try {
      var u = new URL(next, location.origin);
      if (u.origin === location.origin && /^\/(app|dashboard)(\/|$)/.test(u.pathname) && !/^\/app\/signin(\/|$)/.test(u.pathname)) {
        to = u.pathname + u.search;
      }
    } catch (e) {}
    location.assign(to);
  }
  function b64url(bytes) {
    var s = ""; bytes = new Uint8Array(bytes);
    for (var i = 0; i < bytes.length; i++) { s += String.fromCharCode(bytes[i]); }
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function random() { var b = new Uint8Array(32); crypto.getRandomValues(b); return b64url(b); }
  function discover(cfg) {
    return fetch(cfg.issuer.replace(/\/$/, "") + "/.well-known/openid-configuration").then(function (r) {
      if (!r.ok) { throw new Error("discovery"); } return r.json();
    });
  }
  function link() {
    var code = new URLSearchParams(location.hash.slice(1)).get("code") || "";
    if (!code) {
      lead.textContent = "Enter your work email and we will send you a sign-in link.";
      ask.hidden = false;
      ask.addEventListener("submit", function (ev) {
        ev.preventDefault();
        fetch("/auth/link", {method: "POST", headers: {"Content-Type": "application/json"},
          body: JSON.stringify({email: document.getElementById("email").value})})
          .then(function () { ask.hidden = true; lead.textContent = "If that address may sign in, a link is on its way. It works once, for 15 minutes."; })
          .catch(function () { msg.textContent = "Could not reach Loupe. Try again."; });
      });
      return;
    }
    go.hidden = false;
    go.addEventListener("click", function () {
      go.disabled = true;
      fetch("/auth/token", {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify({code: code})})
        .then(function (r) { return r.json().then(function (b) { return {ok: r.ok, body: b}; }); })
        .then(function (res) {
          if (!res.ok) { msg.textContent = "This link was used or has expired. Ask for a new one."; return; }
          try { sessionStorage.setItem("loupe.own_list", res.body.associate_id ? "1" : "0"); } catch (e) {}
          done(res.body.access_token);
        })
        .catch(function () { go.disabled = false; msg.textContent = "Could not reach Loupe. Try again."; });
    });
  }
  function oidc(cfg) {
    var redirect = location.origin + "/app/signin";
    var q = new URLSearchParams(location.search);
    if (q.get("code") || q.get("error")) {
      var saved = {};
      try { saved = JSON.parse(sessionStorage.getItem("loupe.oidc") || "{}"); sessionStorage.removeItem("loupe.oidc"); } catch (e) {}
      history.replaceState(null, "", "/app/signin");
      if (q.get("error") || !saved.state || q.get("state") !== saved.state) {
        msg.textContent = "Sign-in did not complete. Try again."; go.hidden = false; return bind();
      }
      lead.textContent = "Signing you in...";
      var body = new URLSearchParams({grant_type: "authorization_code", code: q.get("code"), redirect_uri: redirect,
        client_id: cfg.client_id, code_verifier: saved.verifier});
      fetch(saved.token_endpoint, {method: "POST", headers: {"Content-Type": "application/x-www-form-urlencoded"}, body: body})
        .then(function (r) { return r.json(); })
        .then(function (t) {
          var payload = JSON.parse(atob(t.id_token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
          if (payload.nonce !== saved.nonce) { throw new Error("nonce"); }
          done(t.id_token);
        })
        .catch(function () { msg.textContent = "Sign-in did not complete. Try again."; go.hidden = false; bind(); });
      return;
    }
    go.hidden = false;
    bind();
    function bind() {
      go.onclick = function () {
        go.disabled = true;
        discover(cfg).then(function (d) {
          var verifier = random(), state = random(), nonce = random();
          return crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)).then(function (h) {
            sessionStorage.setItem("loupe.oidc", JSON.stringify({verifier: verifier, state: state, nonce: nonce, token_endpoint: d.token_endpoint}));
            var p = new URLSearchParams({response_type: "code", client_id: cfg.client_id, redirect_uri: redirect,
              scope: (cfg.scopes || ["openid", "email"]).join(" "), code_challenge: b64url(h), code_challenge_method: "S256",
              state: state, nonce: nonce});
            location.assign(d.authorization_endpoint + (d.authorization_endpoint.indexOf("?") < 0 ? "?" : "&") + p.toString());
          });
        }).catch(function () { go.disabled = false; msg.textContent = "Could not reach the sign-in service. Try again."; });
      };
    }
  }
  fetch("/auth/config").then(function (r) { return r.json(); }).then(function (cfg) {
    if (cfg.mode === "oidc") { oidc(cfg); } else { link(); }
  }).catch(function () { msg.textContent = "Could not reach Loupe. Try again."; });
})();
</script></body></html>
`

// appSignin answers GET /app/signin with signinPage. It holds no data.
func (s *server) appSignin(w http.ResponseWriter, r *http.Request) error {
	// connect-src https: and the issuer's origin: the provider's discovery
	// and token endpoints in OIDC mode (the issuer may be http on 127.0.0.1
	// in tests; the page sends them nothing but the code and its verifier).
	connect := "'self' https:"
	if u, err := url.Parse(s.Auth.Issuer); err == nil && u.Scheme != "" && u.Host != "" {
		connect += " " + u.Scheme + "://" + u.Host
	}
	writePage(w, http.StatusOK, "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src "+connect+
		"; base-uri 'none'; form-action 'none'; frame-ancestors 'none'", []byte(signinPage))
	return nil
}
