// Package webhook signs and verifies POS webhook requests with the scheme that
// Stripe's webhooks made familiar:
//
//	Loupe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
//
// Several v1= signatures may appear (one per secret while a secret is being
// rotated); one valid signature is enough.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
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

// Limits that bound the work one header can cause.
const (
	maxHeaderLen  = 4096
	maxSignatures = 8
)

// ParseHeader parses a Loupe-Signature header value. It returns the timestamp
// and every v1 signature (32 bytes each); other schemes (v0=, ...) are ignored.
// Returns an EUNAUTHORIZED *loupe.Error when the header is empty, too long,
// lacks exactly one numeric t=, lacks a v1=, or holds a v1= that is not 64 hex
// digits.
func ParseHeader(h string) (ts int64, sigs [][]byte, err error) {
	if strings.TrimSpace(h) == "" {
		return 0, nil, unauthorized("missing %s header", Header)
	}
	if len(h) > maxHeaderLen {
		return 0, nil, unauthorized("%s header is longer than %d bytes", Header, maxHeaderLen)
	}
	haveTS := false
	for _, part := range strings.Split(h, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return 0, nil, unauthorized("malformed %s header: expected t=<unix seconds>,v1=<hex>", Header)
		}
		switch k {
		case "t":
			if haveTS {
				return 0, nil, unauthorized("malformed %s header: more than one t=", Header)
			}
			n, perr := strconv.ParseInt(v, 10, 64)
			if perr != nil || n <= 0 || v[0] == '+' {
				return 0, nil, unauthorized("malformed %s header: t= must be unix seconds", Header)
			}
			ts, haveTS = n, true
		case "v1":
			if len(sigs) == maxSignatures {
				return 0, nil, unauthorized("malformed %s header: more than %d v1= signatures", Header, maxSignatures)
			}
			if len(v) != 2*sha256.Size {
				return 0, nil, unauthorized("malformed %s header: v1= must be %d hex digits", Header, 2*sha256.Size)
			}
			b, derr := hex.DecodeString(v)
			if derr != nil {
				return 0, nil, unauthorized("malformed %s header: v1= must be %d hex digits", Header, 2*sha256.Size)
			}
			sigs = append(sigs, b)
		}
	}
	if !haveTS {
		return 0, nil, unauthorized("malformed %s header: no t= timestamp", Header)
	}
	if len(sigs) == 0 {
		return 0, nil, unauthorized("malformed %s header: no v1= signature", Header)
	}
	return ts, sigs, nil
}

// Verify checks header against body. It accepts the request when the timestamp
// is within tolerance of now (DefaultTolerance when tolerance <= 0) and at least
// one v1 signature matches one of secrets (empty secrets are skipped). Signatures
// are compared in constant time.
//
// Returns an EUNAVAILABLE *loupe.Error when no secret is configured, and an
// EUNAUTHORIZED *loupe.Error for a missing, malformed, stale or wrong signature.
// No message ever contains a secret or a signature.
func Verify(header string, body []byte, secrets []string, now time.Time, tolerance time.Duration) error {
	if !hasSecret(secrets) {
		return loupe.Errorf(loupe.EUNAVAILABLE, "webhook secret is not configured")
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	ts, sigs, err := ParseHeader(header)
	if err != nil {
		return err
	}
	signed := time.Unix(ts, 0)
	if d := now.Sub(signed); d > tolerance || d < -tolerance {
		return unauthorized("signature timestamp is more than %d seconds from the server clock", int(tolerance/time.Second))
	}
	for _, secret := range secrets {
		if secret == "" {
			continue
		}
		want := mac(secret, ts, body)
		for _, sig := range sigs {
			if hmac.Equal(sig, want) {
				return nil
			}
		}
	}
	return unauthorized("no v1 signature matches the request body")
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
