// Package webhook signs and verifies POS webhook requests with the scheme that
// Stripe's webhooks made familiar:
//
//	Loupe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
//
// Several v1= signatures may appear (one per secret while a secret is being
// rotated); one valid signature is enough. A POS may also send one header per
// secret: API Gateway joins repeated headers with commas, so the header then
// holds several t= groups, each v1= belonging to the t= before it
// (t=1,v1=a,t=2,v1=b), and HeaderValue joins net/http's values the same way.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
)

// Header is the name of the HTTP header carrying the signature.
const Header = "Loupe-Signature"

// DefaultTolerance is how far the signed timestamp may be from the server's
// clock, in either direction.
const DefaultTolerance = 300 * time.Second

// Limits that bound the work one header can cause: at most maxSignatures v1=
// entries and as many t= groups in all.
const (
	maxHeaderLen  = 4096
	maxSignatures = 8
)

// Group is one t= of a header and the v1 signatures that belong to it.
type Group struct {
	T  int64    // unix seconds
	V1 [][]byte // 32 bytes each, at least one
}

// HeaderValue returns the Loupe-Signature of h as one value: several header
// values (one header per secret during a rotation) are joined with commas, as
// API Gateway joins repeated headers, so both reach ParseHeader alike. Blank
// values are dropped.
func HeaderValue(h http.Header) string {
	vs := h.Values(Header)
	if len(vs) == 1 {
		return vs[0]
	}
	parts := make([]string, 0, len(vs))
	for _, v := range vs {
		if strings.TrimSpace(v) != "" {
			parts = append(parts, v)
		}
	}
	return strings.Join(parts, ",")
}

// ParseHeader parses a Loupe-Signature header value into its t= groups, in
// order; other schemes (v0=, ...) are ignored. Each v1= belongs to the t= before
// it; with a single t= the order is free (v1=...,t=... is accepted).
//
// Returns an EUNAUTHORIZED *loupe.Error when the header is empty, too long,
// lacks a numeric t=, holds a t= without a v1= (or, with several t=, a v1=
// before the first t=), more than 8 t= or v1= entries, or a v1= that is not 64
// hex digits. No message contains the header value.
func ParseHeader(h string) ([]Group, error) {
	if strings.TrimSpace(h) == "" {
		return nil, unauthorized("missing %s header", Header)
	}
	if len(h) > maxHeaderLen {
		return nil, unauthorized("%s header is longer than %d bytes", Header, maxHeaderLen)
	}
	var (
		groups  []Group
		leading [][]byte // v1= entries before the first t=
		nsigs   int
	)
	for _, part := range strings.Split(h, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, unauthorized("malformed %s header: expected t=<unix seconds>,v1=<hex>", Header)
		}
		switch k {
		case "t":
			if len(groups) == maxSignatures {
				return nil, unauthorized("malformed %s header: more than %d t= timestamps", Header, maxSignatures)
			}
			n, perr := strconv.ParseInt(v, 10, 64)
			if perr != nil || n <= 0 || v[0] == '+' {
				return nil, unauthorized("malformed %s header: t= must be unix seconds", Header)
			}
			groups = append(groups, Group{T: n})
		case "v1":
			if nsigs == maxSignatures {
				return nil, unauthorized("malformed %s header: more than %d v1= signatures", Header, maxSignatures)
			}
			b, derr := hex.DecodeString(v)
			if derr != nil || len(b) != sha256.Size {
				return nil, unauthorized("malformed %s header: v1= must be %d hex digits", Header, 2*sha256.Size)
			}
			nsigs++
			if len(groups) == 0 {
				leading = append(leading, b)
			} else {
				g := &groups[len(groups)-1]
				g.V1 = append(g.V1, b)
			}
		}
	}
	switch {
	case len(groups) == 0:
		return nil, unauthorized("malformed %s header: no t= timestamp", Header)
	case len(leading) > 0 && len(groups) > 1:
		return nil, unauthorized("malformed %s header: v1= before the first of several t=", Header)
	case len(leading) > 0:
		groups[0].V1 = append(leading, groups[0].V1...)
	}
	for _, g := range groups {
		if len(g.V1) == 0 {
			return nil, unauthorized("malformed %s header: no v1= signature for a t=", Header)
		}
	}
	return groups, nil
}

// Verify checks header (one value, or several joined by HeaderValue or API
// Gateway) against body. It accepts the request when one v1 signature matches
// one of secrets (empty secrets are skipped) with the timestamp of its own t=
// group, and that timestamp is within tolerance of now (DefaultTolerance when
// tolerance <= 0); groups outside the tolerance are not checked. Signatures are
// compared in constant time.
//
// Returns an EUNAVAILABLE *loupe.Error when no secret is configured, and an
// EUNAUTHORIZED *loupe.Error for a missing, malformed, stale or wrong signature.
// No message ever contains a secret, a signature or the header value.
func Verify(header string, body []byte, secrets []string, now time.Time, tolerance time.Duration) error {
	if !hasSecret(secrets) {
		return loupe.Errorf(loupe.EUNAVAILABLE, "webhook secret is not configured")
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	groups, err := ParseHeader(header)
	if err != nil {
		return err
	}
	stale := 0
	for _, g := range groups {
		if d := now.Sub(time.Unix(g.T, 0)); d > tolerance || d < -tolerance {
			stale++
			continue
		}
		for _, secret := range secrets {
			if secret == "" {
				continue
			}
			want := mac(secret, g.T, body)
			for _, sig := range g.V1 {
				if hmac.Equal(sig, want) {
					return nil
				}
			}
		}
	}
	secs := int(tolerance / time.Second)
	switch stale {
	case len(groups):
		return unauthorized("signature timestamp is more than %d seconds from the server clock", secs)
	case 0:
		return unauthorized("no v1 signature matches the request body")
	default:
		return unauthorized("no v1 signature with a timestamp within %d seconds of the server clock matches the request body", secs)
	}
}

// Sign returns a Loupe-Signature header value for body at ts with one v1
// signature made with secret. It never fails.
func Sign(secret string, body []byte, ts time.Time) string {
	t := ts.Unix()
	return "t=" + strconv.FormatInt(t, 10) + ",v1=" + hex.EncodeToString(mac(secret, t, body))
}

// ParseSecrets splits a comma-separated list of secrets (the form of
// LOUPE_WEBHOOK_SECRET during a rotation), trimming spaces and dropping empty
// entries. It returns nil when s holds no secret.
func ParseSecrets(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func mac(secret string, ts int64, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(strconv.AppendInt(nil, ts, 10))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

func hasSecret(secrets []string) bool {
	for _, s := range secrets {
		if s != "" {
			return true
		}
	}
	return false
}

func unauthorized(format string, args ...any) error {
	return loupe.Errorf(loupe.EUNAUTHORIZED, format, args...)
}
