// Package oidcauth verifies the ID tokens of the chain's OpenID Connect
// provider, the staff tokens of CONTRACT section 3 when LOUPE_OIDC_ISSUER and
// LOUPE_OIDC_CLIENT_ID are set. It is an adapter over
// github.com/coreos/go-oidc/v3: discovery, the issuer's JWKS (cached, and
// fetched again when a token names an unknown key, so a rotated key works),
// signature, issuer, audience and expiry are go-oidc's; the claims Loupe
// needs (email, email_verified, the admin claim) are read here.
//
// docs/oidc.md says what each supported provider (Cognito, Entra ID, Okta,
// Google Workspace) puts in its ID tokens and how to configure it.
package oidcauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// ErrInvalidToken is returned, wrapped with a short reason, for a token that
// does not name a person Loupe can trust: malformed, badly signed, from
// another issuer or for another client, expired, without a subject or email,
// or with email_verified false. A token naming a key the issuer's JWKS,
// fetched again for it, does not hold (or cannot be fetched) is invalid too.
// The reason never holds the token or the email.
var ErrInvalidToken = errors.New("invalid id token")

// ErrUnavailable is returned, wrapped, when the provider's discovery
// document cannot be read (the provider is unreachable or answers an
// error), so no token can be judged yet; a later call tries again.
var ErrUnavailable = errors.New("oidc provider unavailable")

// discoveryTimeout bounds one discovery request.
const discoveryTimeout = 10 * time.Second

// Config is the chain's provider (LOUPE_OIDC_ISSUER, LOUPE_OIDC_CLIENT_ID,
// LOUPE_OIDC_ADMIN_CLAIM).
type Config struct {
	// Issuer is the provider's issuer identifier, exactly as its discovery
	// document and the iss claim of its tokens spell it, e.g.
	// "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf".
	// It must be https; http is allowed only for 127.0.0.1, [::1] and
	// localhost (tests).
	Issuer string
	// ClientID is the staff app's client id at the provider: the audience
	// every accepted ID token must name.
	ClientID string
	// AdminClaim, "name=value" (e.g. "groups=loupe-admin" or
	// "cognito:groups=loupe-admin"), names the claim that makes a person
	// admin when it holds the value: a string equal to it or an array
	// containing it. Empty: no token makes anyone admin.
	AdminClaim string
	// HTTPClient fetches discovery and the JWKS; nil means a client with a
	// 10 s timeout.
	HTTPClient *http.Client
}

// Identity is who a verified ID token names.
type Identity struct {
	// Email is the email claim, trimmed and lower-cased.
	Email string
	// Admin says the token carries the configured admin claim and value.
	Admin bool
	// Subject is the sub claim, the provider's stable id of the person.
	Subject string
}

// Verifier checks ID tokens of one provider and client. It is safe for
// concurrent use; build one per process and keep it (it caches the
// discovery document and the keys).
type Verifier struct {
	issuer     string
	clientID   string
	adminName  string // "" when no claim makes anyone admin
	adminValue string
	client     *http.Client

	mu   sync.Mutex
	disc *discovery // the latest discovery attempt, nil before the first
}

// discovery is one attempt at reading the provider's discovery document;
// done is closed when it ends, with exactly one of verifier and err set.
type discovery struct {
	done     chan struct{}
	verifier *oidc.IDTokenVerifier
	err      error
}

// New returns a Verifier for cfg. It does not contact the provider: issuer
// discovery (/.well-known/openid-configuration) happens on the first Verify
// and is tried again on a later call when it failed, so a process starts
// even while the provider is unreachable. Returns an error only for a
// malformed cfg: an issuer that is not an https URL (http only for
// 127.0.0.1, [::1] or localhost), an empty client id or an AdminClaim that is
// not "name=value".
func New(cfg Config) (*Verifier, error) {
	issuer := strings.TrimSpace(cfg.Issuer)
	if err := checkIssuer(issuer); err != nil {
		return nil, err
	}
	clientID := strings.TrimSpace(cfg.ClientID)
	if clientID == "" {
		return nil, errors.New("oidc client id is empty")
	}
	v := &Verifier{issuer: issuer, clientID: clientID, client: cfg.HTTPClient}
	if claim := strings.TrimSpace(cfg.AdminClaim); claim != "" {
		name, value, ok := strings.Cut(claim, "=")
		v.adminName, v.adminValue = strings.TrimSpace(name), strings.TrimSpace(value)
		if !ok || v.adminName == "" || v.adminValue == "" {
			return nil, fmt.Errorf("oidc admin claim %q: want name=value, e.g. groups=loupe-admin", claim)
		}
	}
	if v.client == nil {
		v.client = &http.Client{Timeout: discoveryTimeout}
	}
	return v, nil
}

// checkIssuer accepts an absolute https URL without query, fragment or user
// info, or such an http URL on a loopback host.
func checkIssuer(issuer string) error {
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("oidc issuer %q: want an absolute https URL without query or fragment", issuer)
	}
	switch {
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && slices.Contains([]string{"127.0.0.1", "::1", "localhost"}, u.Hostname()):
		return nil
	}
	return fmt.Errorf("oidc issuer %q: must be https (http only for 127.0.0.1 or localhost)", issuer)
}

// Verify checks rawIDToken and returns the person it names. The token must
// be signed by a key of the issuer's JWKS with an algorithm the issuer
// advertises, name the issuer and the client id (as its only audience, or as
// one of several with azp the client id), be unexpired (go-oidc allows no
// leeway on exp, 5 minutes on nbf), and carry a sub and an email claim. An
// email_verified of false (or "false") is refused; an absent one is accepted,
// since Entra ID never sends it (docs/oidc.md). Returns ErrInvalidToken,
// wrapped with the reason, for a token that fails, and ErrUnavailable,
// wrapped, while the discovery document cannot be read.
func (v *Verifier) Verify(ctx context.Context, rawIDToken string) (Identity, error) {
	if strings.TrimSpace(rawIDToken) == "" {
		return Identity{}, invalid("empty token")
	}
	tv, err := v.tokenVerifier(ctx)
	if err != nil {
		return Identity{}, err
	}
	tok, err := tv.Verify(ctx, rawIDToken)
	if err != nil {
		if expired := (*oidc.TokenExpiredError)(nil); errors.As(err, &expired) {
			return Identity{}, invalid("expired")
		}
		return Identity{}, fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
	var claims map[string]json.RawMessage
	if err := tok.Claims(&claims); err != nil {
		return Identity{}, invalid("claims are not a JSON object")
	}
	if len(tok.Audience) > 1 {
		var azp string
		if json.Unmarshal(claims["azp"], &azp) != nil || azp != v.clientID {
			return Identity{}, invalid("several audiences and azp is not the client id")
		}
	}
	if tok.Subject == "" {
		return Identity{}, invalid("no sub claim")
	}
	email, err := emailOf(claims)
	if err != nil {
		return Identity{}, err
	}
	return Identity{Email: email, Admin: v.isAdmin(claims), Subject: tok.Subject}, nil
}

// tokenVerifier returns go-oidc's verifier once discovery has succeeded. It
// starts a discovery when none has run or the last one failed; concurrent
// callers share the one in flight. Returns ErrUnavailable, wrapped, when
// discovery fails or ctx ends first.
func (v *Verifier) tokenVerifier(ctx context.Context) (*oidc.IDTokenVerifier, error) {
	v.mu.Lock()
	d := v.disc
	if d == nil || d.failed() {
		d = &discovery{done: make(chan struct{})}
		v.disc = d
		go v.discover(d)
	}
	v.mu.Unlock()
	select {
	case <-d.done:
		return d.verifier, d.err
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: discovery of %s: %w", ErrUnavailable, v.issuer, ctx.Err())
	}
}

// failed says d has ended with an error.
func (d *discovery) failed() bool {
	select {
	case <-d.done:
		return d.err != nil
	default:
		return false
	}
}

// discover reads the discovery document into d and closes d.done. It runs
// apart from any request, so a caller that gives up does not cancel it for
// the others.
func (v *Verifier) discover(d *discovery) {
	defer close(d.done)
	ctx, cancel := context.WithTimeout(oidc.ClientContext(context.Background(), v.client), discoveryTimeout)
	defer cancel()
	p, err := oidc.NewProvider(ctx, v.issuer)
	if err != nil {
		d.err = fmt.Errorf("%w: discovery of %s: %w", ErrUnavailable, v.issuer, err)
		return
	}
	d.verifier = p.Verifier(&oidc.Config{ClientID: v.clientID})
}

// emailOf returns the email claim, trimmed and lower-cased, or
// ErrInvalidToken when it is missing, not an address, or email_verified is
// false or malformed.
func emailOf(claims map[string]json.RawMessage) (string, error) {
	raw, ok := claims["email"]
	if !ok || string(raw) == "null" {
		return "", invalid("no email claim")
	}
	var email string
	if err := json.Unmarshal(raw, &email); err != nil {
		return "", invalid("email claim is not a string")
	}
	email = strings.ToLower(strings.TrimSpace(email))
	if at := strings.LastIndexByte(email, '@'); at < 1 || at == len(email)-1 {
		return "", invalid("email claim is not an address")
	}
	switch verified, err := emailVerified(claims["email_verified"]); {
	case err != nil:
		return "", err
	case !verified:
		return "", invalid("email_verified is false")
	}
	return email, nil
}

// emailVerified reads email_verified: a boolean, or the strings "true" and
// "false" (Cognito sends strings for some users). Absent or null counts as
// verified (Entra ID never sends the claim). Returns ErrInvalidToken for any
// other value.
func emailVerified(raw json.RawMessage) (bool, error) {
	if raw == nil || string(raw) == "null" {
		return true, nil
	}
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return b, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
	}
	return false, invalid("email_verified is neither true nor false")
}

// isAdmin says the admin claim holds the admin value: a string equal to it,
// or an array with a string equal to it. Any other shape is not admin.
func (v *Verifier) isAdmin(claims map[string]json.RawMessage) bool {
	if v.adminName == "" {
		return false
	}
	raw, ok := claims[v.adminName]
	if !ok {
		return false
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s == v.adminValue
	}
	var values []any
	if json.Unmarshal(raw, &values) == nil {
		return slices.Contains(values, any(v.adminValue))
	}
	return false
}

// invalid returns ErrInvalidToken wrapped with reason.
func invalid(reason string) error {
	return fmt.Errorf("%w: %s", ErrInvalidToken, reason)
}
