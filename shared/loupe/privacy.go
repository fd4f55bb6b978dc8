package loupe

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Privacy is the port for a customer's email status, erasure and the
// suppression list. Both adapters (embedded, dynamo) implement it next to DB;
// it is a separate interface so that fakes of DB need not grow. The contract
// suite storetest.RunPrivacy runs against each. See docs/privacy.md.
type Privacy interface {
	// SetEmailStatus sets a customer's EmailStatus (EmailOK, EmailUnsubscribed,
	// EmailBounced or EmailComplained) following NextEmailStatus: a status is
	// never weakened, except unsubscribed back to ok (an explicit
	// re-subscribe). A bounce or complaint also puts the customer's address on
	// the suppression list. Idempotent. Returns an EINVALID *Error for an
	// unknown status and an error wrapping ErrNotFound for an unknown customer.
	SetEmailStatus(ctx context.Context, customerID, status string, at time.Time) error
	// SetEmailStatusByAddress does the same for every customer holding email
	// (compared with SuppressionKey, so case does not matter) and adds the
	// address to the suppression list even when no customer holds it (SES
	// feedback knows only addresses). It returns how many customers changed.
	// Returns an EINVALID *Error for EmailOK or an unknown status.
	SetEmailStatusByAddress(ctx context.Context, email, status string, at time.Time) (int, error)
	// EraseCustomer removes the customer from the table and every index
	// (profile, book, month-day indexes, home store index, purchases), blanks
	// the CustomerEmail of the customer's repairs (they keep their ids, which
	// compliance counts), adds the customer's and those repairs' addresses to
	// the suppression list, and records an erasure (ErasureHash of the id and
	// at, no personal data). Idempotent: erasing an unknown or erased customer
	// returns nil (and still scrubs repairs naming it).
	EraseCustomer(ctx context.Context, customerID string, at time.Time) error
	// Suppressed reports whether email is on the suppression list.
	Suppressed(ctx context.Context, email string) (bool, error)
	// RepairsNamingCustomer returns every repair naming customerID, erased or
	// not, ordered by RepairID, including one put a moment before (a
	// consistent read, unlike DB.RepairsByCustomer's index in DynamoDB, and
	// never missing a repair an index has not been given yet); erasure is
	// its only caller. Returns the storage error.
	RepairsNamingCustomer(ctx context.Context, customerID string) ([]Repair, error)
}

// Suppression reasons: the status that put an address on the list, or
// SuppressErased.
const SuppressErased = "erased"

// ValidSuppression checks a suppression list entry before an adapter stores
// it. Returns an EINVALID *Error (field "email") when email holds no address,
// or one (field "status") when reason is not a suppression reason (an email
// status other than EmailOK, or SuppressErased); nil otherwise.
func ValidSuppression(email, reason string) error {
	if SuppressionKey(email) == "" {
		return Invalidf("email", "empty address")
	}
	if reason != SuppressErased && (!ValidEmailStatus(reason) || reason == EmailOK) {
		return Invalidf("status", "%q is not a suppression reason", reason)
	}
	return nil
}

// hashKey keys SuppressionHash and ErasureHash. It is an application-level
// pepper, not a secret (it is in the source): it makes the hashes Loupe's own
// (a plain SHA-256 of an address matches every other leaked list of such
// hashes) but does not stop someone who holds both the table and the source
// from testing guessed addresses. Changing it orphans every stored entry.
var hashKey = []byte("loupe suppression v1")

// SuppressionKey returns the form of an address that the suppression list
// and by-address lookups compare: trimmed and lower-cased entirely (local
// parts are case-sensitive in theory, never in practice).
func SuppressionKey(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// SuppressionHash returns the hex HMAC-SHA256, under Loupe's fixed pepper, of
// SuppressionKey(email): the only form in which a suppressed address is
// stored. It never fails.
func SuppressionHash(email string) string {
	return keyedHash("email\x00" + SuppressionKey(email))
}

// ErasureHash returns the hex HMAC-SHA256, under the same pepper, of a customer
// id: the key of the erasure record, so "was customer X erased, and when" can
// be answered without keeping the id. It never fails.
func ErasureHash(customerID string) string {
	return keyedHash("customer\x00" + customerID)
}

func keyedHash(s string) string {
	m := hmac.New(sha256.New, hashKey)
	m.Write([]byte(s))
	return hex.EncodeToString(m.Sum(nil))
}

// emailStatusRank orders statuses from best to worst for mail.
var emailStatusRank = map[string]int{
	EmailOK:           0,
	EmailUnsubscribed: 1,
	EmailBounced:      2,
	EmailComplained:   3,
}

// ValidEmailStatus reports whether s is one of the four email statuses.
func ValidEmailStatus(s string) bool {
	_, ok := emailStatusRank[s]
	return ok
}

// NextEmailStatus returns the status to store when requested arrives for a
// customer whose status is current ("" counts as ok): the worse of the two,
// except that ok replaces unsubscribed (a re-subscribe). Bounced and
// complained are never lifted; complained outranks bounced. Returns an
// EINVALID *Error naming "status" for an unknown requested status.
func NextEmailStatus(current, requested string) (string, error) {
	want, ok := emailStatusRank[requested]
	if !ok {
		return "", Invalidf("status", "unknown email status %q", requested)
	}
	if current == "" {
		current = EmailOK
	}
	have := emailStatusRank[current]
	switch {
	case want > have:
		return requested, nil
	case requested == EmailOK && current == EmailUnsubscribed:
		return EmailOK, nil
	default:
		return current, nil
	}
}

// SuppressesAddress reports whether a customer reaching status should also
// put the address on the suppression list: a bounce or complaint is about the
// address; an unsubscribe is the person's choice and stays on the profile, so
// a re-subscribe can lift it.
func SuppressesAddress(status string) bool {
	return status == EmailBounced || status == EmailComplained
}

// Erasure is what an erasure knew of a client before the records went: the
// parts of Loupe that keep copies elsewhere (reassignment lists, compliance's
// missing lists, the local outbox) find theirs with it. It lives only for the
// length of the call; nothing stores it.
type Erasure struct {
	CustomerID string
	At         time.Time
	// Customer is the profile as it was; zero when there was none (a retry,
	// or an id only repairs named).
	Customer Customer
	// Repairs are the repairs naming the customer, as they were (addresses
	// included: the copies of those are searched for too).
	Repairs []Repair
}

// Terms returns the personal values a copy of the client could hold, for an
// adapter that searches free text (the outbox): the full name, the first
// line of the postal address, and the addresses and phones of the profile and
// of its repairs, without duplicates or values of fewer than 4 characters
// (too short to search for without false matches). A first or last name alone
// is not a term (too common: it would match other clients' mail); a message to
// the client is found by its customer id, which is matched as a whole token.
func (e Erasure) Terms() []string {
	var out []string
	add := func(v string) {
		v = strings.TrimSpace(v)
		if len(v) < 4 {
			return
		}
		for _, o := range out {
			if strings.EqualFold(o, v) {
				return
			}
		}
		out = append(out, v)
	}
	add(strings.TrimSpace(e.Customer.FirstName + " " + e.Customer.LastName))
	add(e.Customer.PostalAddress.Line1)
	add(e.Customer.Email)
	add(e.Customer.Phone)
	for _, r := range e.Repairs {
		add(r.CustomerEmail)
		add(r.CustomerPhone)
	}
	return out
}

// Forgetter is one part's share of an erasure: it scrubs or drops that part's
// copies of the client. Forgetters run after the records are gone (so nothing
// new can be copied from them) and must be idempotent: a failed erasure is
// retried whole, and then Erasure.Customer is zero.
type Forgetter func(ctx context.Context, e Erasure) error

// Eraser is the store side of an erasure: the Privacy port and the reads that
// decide whether the id is known at all.
type Eraser interface {
	Privacy
	GetCustomer(ctx context.Context, customerID string) (Customer, error)
	ErasedAt(ctx context.Context, customerID string) (time.Time, error)
}

// ErrUnknownCustomer is returned (wrapped) by Erase for an id that has no
// profile, was never erased and that no repair names. It wraps ErrNotFound;
// callers that answer "unknown id" test for it, not for ErrNotFound (a
// forgetter's not-found would be something else).
var ErrUnknownCustomer = fmt.Errorf("no such customer: %w", ErrNotFound)

// Erase is a customer's complete erasure, the one entry point of
// DELETE /customers/{id} and `loupe forget`: it reads the profile and the
// repairs naming the id, erases the customer in p (EraseCustomer), then runs
// each forgetter in order (compliance's missing lists, reassignment lists, the
// outbox, and last a compaction of the embedded file). Repairs keep the
// customer id and the erasure record stays, so a retry after a failure finds
// the id again and runs every forgetter again.
//
// It returns an error wrapping ErrUnknownCustomer, touching nothing, when the
// id has no profile, was never erased and no repair names it; otherwise the
// first error, wrapped with the customer id.
func Erase(ctx context.Context, p Eraser, customerID string, at time.Time, forget ...Forgetter) error {
	e := Erasure{CustomerID: customerID, At: at}
	c, err := p.GetCustomer(ctx, customerID)
	switch {
	case err == nil:
		e.Customer = c
	case !errors.Is(err, ErrNotFound):
		return fmt.Errorf("erase customer %s: %w", customerID, err)
	}
	if e.Repairs, err = p.RepairsNamingCustomer(ctx, customerID); err != nil {
		return fmt.Errorf("erase customer %s: %w", customerID, err)
	}
	if e.Customer.CustomerID == "" && len(e.Repairs) == 0 {
		erased, err := p.ErasedAt(ctx, customerID)
		if err != nil {
			return fmt.Errorf("erase customer %s: %w", customerID, err)
		}
		if erased.IsZero() {
			return fmt.Errorf("erase customer %s: %w", customerID, ErrUnknownCustomer)
		}
	}
	if err := p.EraseCustomer(ctx, customerID, at); err != nil {
		return fmt.Errorf("erase customer %s: %w", customerID, err)
	}
	for _, f := range forget {
		if f == nil {
			continue
		}
		if err := f(ctx, e); err != nil {
			return fmt.Errorf("erase customer %s: %w", customerID, err)
		}
	}
	return nil
}
