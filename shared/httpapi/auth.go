package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/loupehq/loupe/shared/loupe"
)

// authorize checks Authorization: Bearer <APIToken> in constant time. With no
// APIToken configured it lets every request through (API Gateway's JWT
// authorizer guards the routes in AWS). Returns an EUNAUTHORIZED *loupe.Error.
func (s *server) authorize(r *http.Request) error {
	if s.APIToken == "" {
		return nil
	}
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return loupe.Errorf(loupe.EUNAUTHORIZED, "missing Authorization: Bearer token")
	}
	// Hash both sides so the comparison takes the same time whatever the lengths.
	got := sha256.Sum256([]byte(strings.TrimSpace(token)))
	want := sha256.Sum256([]byte(s.APIToken))
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		return loupe.Errorf(loupe.EUNAUTHORIZED, "wrong bearer token")
	}
	return nil
}
