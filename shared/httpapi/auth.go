package httpapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/staff"
)

// Authenticator turns a bearer token into the person it names
// (*staff.Authenticator): the API token, the chain's OIDC ID tokens or
// Loupe's own sign-in tokens. It returns an EUNAUTHORIZED *loupe.Error for a
// missing or invalid token and for a person with no active right.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (staff.Person, error)
}

// personKey is the context key of the request's person.
type personKey struct{}

// authenticate reads Authorization: Bearer <token> and returns the request
// with its person in the context: the one check of every staff route.
func (s *server) authenticate(r *http.Request) (*http.Request, error) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return r, loupe.Errorf(loupe.EUNAUTHORIZED, "missing Authorization: Bearer token")
	}
	p, err := s.Staff.Authenticate(r.Context(), token)
	if err != nil {
		if code := loupe.ErrorCode(err); code == loupe.EUNAUTHORIZED || code == loupe.EUNAVAILABLE {
			return r, err
		}
		return r, err // a read error: 500, logged by writeError
	}
	return r.WithContext(context.WithValue(r.Context(), personKey{}, p)), nil
}

// person returns the signed-in person of a staff route's request.
func person(r *http.Request) staff.Person {
	p, _ := r.Context().Value(personKey{}).(staff.Person)
	return p
}
