// Package linktoken signs and verifies Loupe's own staff tokens, the ones a
// sign-in link is exchanged for in link mode (CONTRACT section 3, "Sign-in"):
// JWTs (RFC 7519) signed with HMAC-SHA256 through go-jose. Several keys may
// verify at once, so a key is rotated without signing anyone out: the
// current key signs, the previous ones still verify until their tokens have
// expired. It is an adapter: staff.Links issues through it and
// staff.Authenticator verifies through it.
package linktoken

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/loupehq/loupe/shared/staff"
)

// Issuer and Audience are the iss and aud of every Loupe staff token.
const (
	Issuer   = "loupe"
	Audience = "loupe-staff"
)

// TTL is how long a token is valid (CONTRACT: 12 hours).
const TTL = 12 * time.Hour

// MinKeySize is the shortest signing key accepted (256 bits).
const MinKeySize = 32

// ErrInvalid: the token is malformed, forged, signed by an unknown key, for
// another issuer or audience, or expired.
var ErrInvalid = errors.New("invalid staff token")

// Signer signs with its first key and verifies with all of them.
type Signer struct {
	keys []key
	now  func() time.Time
}

type key struct {
	id     string // the first 16 hex digits of the key's SHA-256: the JWT kid
	secret []byte
}

// New returns a Signer signing with current and verifying with current and
// previous. now is the clock (nil: time.Now). Returns an error for a key
// shorter than MinKeySize.
func New(now func() time.Time, current []byte, previous ...[]byte) (*Signer, error) {
	if now == nil {
		now = time.Now
	}
	s := &Signer{now: now}
	for i, k := range append([][]byte{current}, previous...) {
		if len(k) < MinKeySize {
			if i > 0 {
				continue // a previous key too short never signed
			}
			return nil, fmt.Errorf("sign-in key: at least %d bytes are needed", MinKeySize)
		}
		sum := sha256.Sum256(k)
		s.keys = append(s.keys, key{id: hex.EncodeToString(sum[:8]), secret: k})
	}
	return s, nil
}

// NewKey returns a new random signing key, hex encoded (64 characters).
func NewKey() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// claims are a token's claims.
type claims struct {
	jwt.Claims
	Email string `json:"email"`
}

// Issue returns a token naming email, valid for TTL from now, and its
// expiry.
func (s *Signer) Issue(email string) (string, time.Time, error) {
	k := s.keys[0]
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: k.secret},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader(jose.HeaderKey("kid"), k.id))
	if err != nil {
		return "", time.Time{}, err
	}
	now := s.now().UTC().Truncate(time.Second)
	exp := now.Add(TTL)
	c := claims{Claims: jwt.Claims{Issuer: Issuer, Audience: jwt.Audience{Audience}, Subject: strings.ToLower(email),
		IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(exp)},
		Email: strings.ToLower(email)}
	tok, err := jwt.Signed(sig).Claims(c).Serialize()
	if err != nil {
		return "", time.Time{}, err
	}
	return tok, exp, nil
}

// Verify returns the identity of a token this Signer's keys signed: kind
// staff.KindLink and its email. Returns an error wrapping ErrInvalid
// otherwise (never quoting the token).
func (s *Signer) Verify(_ context.Context, token string) (staff.Identity, error) {
	t, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.HS256})
	if err != nil || len(t.Headers) != 1 {
		return staff.Identity{}, fmt.Errorf("%w: malformed", ErrInvalid)
	}
	var secret []byte
	for _, k := range s.keys {
		if k.id == t.Headers[0].KeyID {
			secret = k.secret
		}
	}
	if secret == nil {
		return staff.Identity{}, fmt.Errorf("%w: unknown key", ErrInvalid)
	}
	var c claims
	if err := t.Claims(secret, &c); err != nil {
		return staff.Identity{}, fmt.Errorf("%w: bad signature", ErrInvalid)
	}
	err = c.Claims.ValidateWithLeeway(jwt.Expected{Issuer: Issuer, AnyAudience: jwt.Audience{Audience}, Time: s.now()}, time.Minute)
	if err != nil || c.Email == "" {
		return staff.Identity{}, fmt.Errorf("%w: %v", ErrInvalid, errors.Join(err, errIf(c.Email == "", "no email")))
	}
	return staff.Identity{Kind: staff.KindLink, Email: c.Email}, nil
}

func errIf(cond bool, msg string) error {
	if cond {
		return errors.New(msg)
	}
	return nil
}

// Looks reports whether token is a JWT whose issuer claim is Loupe's (read
// without verifying), so an authenticator with both an OIDC provider and
// Loupe's own tokens knows which to ask.
func Looks(token string) bool {
	t, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.HS256})
	if err != nil {
		return false
	}
	var c jwt.Claims
	return t.UnsafeClaimsWithoutVerification(&c) == nil && c.Issuer == Issuer
}
