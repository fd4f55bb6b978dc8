// Package staff is who may do what among the chain's staff (CONTRACT section
// 3, "Persons and roles"): the person a verified token names, their roles
// (associate for their own book, manager of the stores they manage, admin of
// the chain) and the one set of decisions every staff route asks. It is a
// domain package: tokens are verified by adapters (the API token here, the
// chain's OIDC provider in package oidcauth, Loupe's own sign-in tokens in
// package linktoken) and handed in as an Identity. docs/staff-app.md has the
// table this implements.
package staff

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/loupehq/loupe/shared/loupe"
)

// Roles.
const (
	RoleAssociate = "associate"
	RoleManager   = "manager"
	RoleAdmin     = "admin"
)

// Identity kinds: how a token was verified.
const (
	KindAPIToken = "api_token"
	KindOIDC     = "oidc"
	KindLink     = "link"
)

// Identity is who a verified token names.
type Identity struct {
	Kind  string
	Email string // lower-cased; "" for the API token
	Admin bool   // the API token, or the OIDC admin claim
}

// Directory is what resolving a person reads.
type Directory interface {
	// SignInRecords returns the associate records whose email is email and
	// the stores whose manager_email is email (case-insensitive), from an
	// index that may lag a write by moments.
	SignInRecords(ctx context.Context, email string) ([]loupe.Associate, []loupe.Store, error)
	// GetAssociate reads one associate record, consistently: a termination
	// takes effect on the next request.
	GetAssociate(ctx context.Context, associateID string) (loupe.Associate, error)
}

// Person is a signed-in member of staff: an identity and the rights their
// records give today.
type Person struct {
	Email string
	Admin bool
	// Associates are their active associate records (a person may work in
	// two stores under two records), ordered by id.
	Associates []loupe.Associate
	// Manages are the stores they manage (an associate record with role
	// manager, or the store's manager_email), ordered.
	Manages []string
}

// ErrNoRight: a verified identity with no active associate record, no
// managed store and no admin right.
var ErrNoRight = errors.New("no active staff record for this person")

// Resolve returns the person id names. The API token and an admin identity
// are admins whatever their records; an email is looked up (Directory) and
// each associate record read again, consistently, so only active records
// count. Returns an EUNAUTHORIZED *loupe.Error wrapping ErrNoRight for a
// person with no right at all, or the read error.
func Resolve(ctx context.Context, d Directory, id Identity) (Person, error) {
	p := Person{Email: strings.ToLower(strings.TrimSpace(id.Email)), Admin: id.Admin}
	if p.Email == "" {
		if p.Admin {
			return p, nil
		}
		return Person{}, unauthorized(ErrNoRight)
	}
	assocs, stores, err := d.SignInRecords(ctx, p.Email)
	if err != nil {
		return Person{}, fmt.Errorf("sign-in records: %w", err)
	}
	for _, a := range assocs {
		cur, err := d.GetAssociate(ctx, a.AssociateID)
		if errors.Is(err, loupe.ErrNotFound) {
			continue
		}
		if err != nil {
			return Person{}, fmt.Errorf("associate %s: %w", a.AssociateID, err)
		}
		if !cur.Active() || !strings.EqualFold(strings.TrimSpace(cur.Email), p.Email) {
			continue // terminated, or the index lags an email change
		}
		p.Associates = append(p.Associates, cur)
		if cur.Role == RoleManager {
			p.Manages = append(p.Manages, cur.StoreID)
		}
	}
	// A person whose every associate record has ended left the chain: a
	// store's manager_email still naming them does not keep them in.
	left := len(assocs) > 0 && len(p.Associates) == 0
	for _, s := range stores {
		if !left && strings.EqualFold(strings.TrimSpace(s.ManagerEmail), p.Email) {
			p.Manages = append(p.Manages, s.StoreID)
		}
	}
	slices.SortFunc(p.Associates, func(a, b loupe.Associate) int { return strings.Compare(a.AssociateID, b.AssociateID) })
	slices.Sort(p.Manages)
	p.Manages = slices.Compact(p.Manages)
	if !p.Admin && len(p.Associates) == 0 && len(p.Manages) == 0 {
		return Person{}, unauthorized(ErrNoRight)
	}
	return p, nil
}

func unauthorized(err error) error {
	return fmt.Errorf("%w: %w", loupe.Errorf(loupe.EUNAUTHORIZED, "%v", err), err)
}

// Forbidden returns the EFORBIDDEN *loupe.Error of what a person may not do.
func Forbidden(format string, args ...any) error {
	return loupe.Errorf(loupe.EFORBIDDEN, format, args...)
}

// Roles returns the person's roles: associate when they have an active
// associate record, manager when they manage a store, admin.
func (p Person) Roles() []string {
	var out []string
	if len(p.Associates) > 0 {
		out = append(out, RoleAssociate)
	}
	if len(p.Manages) > 0 {
		out = append(out, RoleManager)
	}
	if p.Admin {
		out = append(out, RoleAdmin)
	}
	return out
}

// StoreIDs returns the stores the person works in or manages, ordered (an
// admin's rights cover every store; this lists only their own records').
func (p Person) StoreIDs() []string {
	out := slices.Clone(p.Manages)
	for _, a := range p.Associates {
		out = append(out, a.StoreID)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// AssociateID returns the id of the person's first associate record, "" for
// none.
func (p Person) AssociateID() string {
	if len(p.Associates) == 0 {
		return ""
	}
	return p.Associates[0].AssociateID
}

// Owns reports whether associateID is one of the person's own records.
func (p Person) Owns(associateID string) bool {
	return associateID != "" && slices.ContainsFunc(p.Associates, func(a loupe.Associate) bool { return a.AssociateID == associateID })
}

// ManagesStore reports whether the person may act as manager of storeID (an
// admin manages every store).
func (p Person) ManagesStore(storeID string) bool {
	return p.Admin || slices.Contains(p.Manages, storeID)
}

// WorksAt reports whether the person works in or manages storeID (an admin
// does everywhere).
func (p Person) WorksAt(storeID string) bool {
	return p.ManagesStore(storeID) || slices.ContainsFunc(p.Associates, func(a loupe.Associate) bool { return a.StoreID == storeID })
}

// MayManage is the rule of the manager routes (compliance, coverage,
// campaigns, inspections, mail batches) for storeID: its manager or an
// admin. Returns an EFORBIDDEN error otherwise.
func (p Person) MayManage(storeID string) error {
	if p.ManagesStore(storeID) {
		return nil
	}
	return Forbidden("only a manager of store %s may do this", storeID)
}

// MayManageChain is the rule of a manager route asked for every store at
// once: an admin only (a manager names their store).
func (p Person) MayManageChain() error {
	if p.Admin {
		return nil
	}
	if len(p.Manages) == 0 {
		return Forbidden("only a store manager or an admin may do this")
	}
	return nil // filtered to their stores by the route (Visible)
}

// Visible returns the stores of ids the person manages (all of them for an
// admin), for a manager route's list.
func (p Person) Visible(ids []string) []string {
	if p.Admin {
		return ids
	}
	var out []string
	for _, id := range ids {
		if slices.Contains(p.Manages, id) {
			out = append(out, id)
		}
	}
	return out
}

// MayAdmin is the rule of the admin routes (erasure, audiences, templates).
func (p Person) MayAdmin() error {
	if p.Admin {
		return nil
	}
	return Forbidden("only an admin may do this")
}

// MayReadCustomer is the rule of a client's profile, contacts and preview:
// an admin, a manager of the client's home store, the associate whose book
// holds the client, or an associate of the home store the client is listed
// for (a task or a review list of theirs; listed is asked only then).
func (p Person) MayReadCustomer(c loupe.Customer, listed func() (bool, error)) error {
	if p.ManagesStore(c.HomeStoreID) || p.Owns(c.AssociateID) {
		return nil
	}
	if listed != nil && slices.ContainsFunc(p.Associates, func(a loupe.Associate) bool { return a.StoreID == c.HomeStoreID }) {
		ok, err := listed()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
	}
	return Forbidden("this client is not in your book")
}

// MaySeeStore is the rule of a store's review lists: anyone who works in or
// manages it.
func (p Person) MaySeeStore(storeID string) error {
	if p.WorksAt(storeID) {
		return nil
	}
	return Forbidden("you do not work at store %s", storeID)
}

// MayClaimFor is the rule of a claim from a review list of store storeID
// for associate a: an associate claims for themselves only, a manager of
// the store for any associate of it, an admin for anyone.
func (p Person) MayClaimFor(storeID string, a loupe.Associate) error {
	switch {
	case p.Admin:
		return nil
	case a.StoreID != storeID:
		return Forbidden("a client of store %s goes to an associate of that store", storeID)
	case p.ManagesStore(storeID), p.Owns(a.AssociateID):
		return nil
	}
	return Forbidden("an associate claims for themselves only")
}

// MayWorkListOf is the rule of associate a's Today list and its tasks
// (CONTRACT section 3: GET /me/today, POST /tasks/{id}/outcome): a
// themselves, a manager of a's store, an admin.
func (p Person) MayWorkListOf(a loupe.Associate) error {
	if p.Owns(a.AssociateID) || p.ManagesStore(a.StoreID) {
		return nil
	}
	return Forbidden("this is not your list")
}

// TokenVerifier verifies one kind of bearer token (the chain's OIDC ID
// tokens, or Loupe's own sign-in tokens).
type TokenVerifier interface {
	// Verify returns the identity a token names, or an error (any error is
	// a 401).
	Verify(ctx context.Context, token string) (Identity, error)
}

// Authenticator turns a bearer token into a Person: the one check every
// staff route goes through.
type Authenticator struct {
	// APIToken is the admin token of the IT team and scripts (empty: none).
	APIToken string
	// Tokens verifies staff tokens: the OIDC provider's ID tokens, or
	// Loupe's own sign-in tokens (link mode). Nil: only the API token.
	Tokens TokenVerifier
	// Admins are the emails that are admins (LOUPE_ADMIN_EMAILS,
	// lower-cased).
	Admins map[string]bool
	// Directory resolves a person's records.
	Directory Directory
}

// Authenticate returns the person token names: the API token (compared in
// constant time) is the admin; anything else goes to Tokens, then Resolve.
// Returns an EUNAUTHORIZED *loupe.Error for a missing or invalid token or a
// person with no right, or a read error.
func (a *Authenticator) Authenticate(ctx context.Context, token string) (Person, error) {
	token = strings.TrimSpace(token)
	if token == "" {
		return Person{}, loupe.Errorf(loupe.EUNAUTHORIZED, "missing Authorization: Bearer token")
	}
	if a.APIToken != "" {
		got, want := sha256.Sum256([]byte(token)), sha256.Sum256([]byte(a.APIToken))
		if subtle.ConstantTimeCompare(got[:], want[:]) == 1 {
			return Person{Admin: true}, nil
		}
	}
	if a.Tokens == nil {
		return Person{}, loupe.Errorf(loupe.EUNAUTHORIZED, "wrong bearer token")
	}
	id, err := a.Tokens.Verify(ctx, token)
	if loupe.ErrorCode(err) == loupe.EUNAVAILABLE {
		return Person{}, err // the provider cannot be reached: 503, not a sign-out
	}
	if err != nil {
		return Person{}, fmt.Errorf("%w: %w", loupe.Errorf(loupe.EUNAUTHORIZED, "invalid bearer token"), err)
	}
	id.Email = strings.ToLower(strings.TrimSpace(id.Email))
	if a.Admins[id.Email] {
		id.Admin = true
	}
	if a.Directory == nil {
		if id.Admin {
			return Person{Email: id.Email, Admin: true}, nil
		}
		return Person{}, loupe.Errorf(loupe.EUNAVAILABLE, "staff records are not configured")
	}
	return Resolve(ctx, a.Directory, id)
}

// ParseAdmins reads LOUPE_ADMIN_EMAILS: comma-separated emails, lower-cased.
func ParseAdmins(s string) map[string]bool {
	out := map[string]bool{}
	for e := range strings.SplitSeq(s, ",") {
		if e = strings.ToLower(strings.TrimSpace(e)); e != "" {
			out[e] = true
		}
	}
	return out
}

// VerifierFunc is a TokenVerifier of a function (the wiring adapts the OIDC
// verifier's identity with it).
type VerifierFunc func(ctx context.Context, token string) (Identity, error)

// Verify calls f.
func (f VerifierFunc) Verify(ctx context.Context, token string) (Identity, error) {
	return f(ctx, token)
}
