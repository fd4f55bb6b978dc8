// Package unsub makes and checks the signed tokens of unsubscribe links
// (CONTRACT.md: GET and POST /u/{token}; a forged token is 404).
//
// A token is the unpadded base64url encoding of
//
//	version byte (1) | customer id bytes | HMAC-SHA256(secret, version | customer id)[:16]
//
// It carries the customer id, never the email address: tokens end up in the
// logs of every mail server on the way. A token never expires; it stops
// mattering once the customer is erased.
package unsub

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"

	"github.com/loupehq/loupe/shared/loupe"
)

const (
	version = 1
	macSize = 16
	// MinSecretSize is the shortest secret New accepts.
	MinSecretSize = 16
)

var enc = base64.RawURLEncoding.Strict()

// Signer makes and verifies unsubscribe tokens. Safe for concurrent use.
type Signer struct {
	keys [][]byte // keys[0] signs; all verify
}

// New returns a Signer that signs with secret and also accepts tokens signed
// with any of previous (for rotating the secret without breaking links in
// mail already sent). It panics when a secret is shorter than MinSecretSize
// bytes: a configuration error the caller's main checks first.
func New(secret []byte, previous ...[]byte) *Signer {
	s := &Signer{}
	for _, k := range append([][]byte{secret}, previous...) {
		if len(k) < MinSecretSize {
			panic("unsub: secret shorter than 16 bytes")
		}
		s.keys = append(s.keys, append([]byte(nil), k...))
	}
	return s
}

// Token returns the URL-safe token for customerID.
func (s *Signer) Token(customerID string) string {
	payload := append([]byte{version}, customerID...)
	return enc.EncodeToString(append(payload, mac(s.keys[0], payload)...))
}

// URL returns baseURL (e.g. "https://loupe.example.com", trailing slash
// optional) + "/u/" + the token for customerID: the List-Unsubscribe and
// in-body link.
func (s *Signer) URL(baseURL, customerID string) string {
	return strings.TrimRight(baseURL, "/") + "/u/" + s.Token(customerID)
}

// Verify returns the customer id a token was made for. Returns an ENOTFOUND
// *loupe.Error for a forged, garbled, truncated or non-canonical token, or one
// holding an invalid customer id. The MAC comparison is constant-time.
func (s *Signer) Verify(token string) (string, error) {
	b, err := enc.DecodeString(token)
	// The decoder skips CR and LF; re-encoding keeps only the canonical form.
	if err != nil || len(b) < 1+1+macSize || b[0] != version || enc.EncodeToString(b) != token {
		return "", notFound()
	}
	payload, sum := b[:len(b)-macSize], b[len(b)-macSize:]
	ok := false
	for _, k := range s.keys {
		if hmac.Equal(sum, mac(k, payload)) {
			ok = true
		}
	}
	id := string(payload[1:])
	if !ok || !loupe.ValidID(id) {
		return "", notFound()
	}
	return id, nil
}

func mac(key, payload []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(payload)
	return h.Sum(nil)[:macSize]
}

func notFound() error {
	return loupe.Errorf(loupe.ENOTFOUND, "unsubscribe link not found")
}
