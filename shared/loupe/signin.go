package loupe

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// SignInStore keeps the single-use codes of sign-in links and how many link
// mails an address got per hour (CONTRACT section 3, "Sign-in"). The
// embedded and DynamoDB stores implement it; package signintest is its
// contract suite. All methods are safe for concurrent use.
type SignInStore interface {
	// PutSignInCode stores the SHA-256 hex hash of a code (SignInCodeHash)
	// for email, usable until expires. Storing the same hash again is an
	// error wrapping ErrExists (nothing written); other failures are the
	// storage error.
	PutSignInCode(ctx context.Context, hash, email string, expires time.Time) error
	// TakeSignInCode consumes a code at now: it returns the code's email
	// exactly once, when the hash is stored and now is before its expiry;
	// otherwise an error wrapping ErrNotFound (unknown, used or expired).
	// Of two racing takes, exactly one wins. A store may delete the codes
	// that expired by now as it goes, so takes are expected in clock order.
	// Other failures are the storage error.
	TakeSignInCode(ctx context.Context, hash string, now time.Time) (string, error)
	// CountSignInMail adds one to the link mails of email (case-insensitive,
	// SignInKey) in the clock hour of at (UTC, SignInHour) and returns the
	// new count, atomically (two racing calls return different counts).
	// Returns the storage error.
	CountSignInMail(ctx context.Context, email string, at time.Time) (int, error)
}

// SignInKey returns the form of an address that sign-in compares and
// indexes: trimmed and lower-cased entirely, so "Ann@Shop.example" and
// "ann@shop.example" are one person.
func SignInKey(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// SignInCodeHash returns the hex SHA-256 of a sign-in code: the only form
// in which a code is stored.
func SignInCodeHash(code string) string {
	sum := sha256.Sum256([]byte(code))
	return hex.EncodeToString(sum[:])
}

// SignInRateKey returns the hex HMAC-SHA256, under Loupe's fixed pepper (see
// SuppressionHash), of SignInKey(email): the key the link mails of an
// address are counted under, so the address is not in a key.
func SignInRateKey(email string) string {
	return keyedHash("signin\x00" + SignInKey(email))
}

// SignInHour returns the UTC clock hour of at, "2006-01-02T15": the
// window CountSignInMail counts in.
func SignInHour(at time.Time) string {
	return at.UTC().Format("2006-01-02T15")
}
