package httpapi

import (
	"net/http"

	"github.com/loupehq/loupe/shared/loupe"
)

// getCustomer answers GET /customers/{customer_id} with the customer's profile
// (loupe.Customer as JSON), 404 when unknown.
func (s *server) getCustomer(w http.ResponseWriter, r *http.Request) error {
	if s.DB == nil {
		return loupe.Errorf(loupe.EUNAVAILABLE, "no database configured")
	}
	id := r.PathValue("customer_id")
	if !loupe.ValidID(id) {
		return loupe.Errorf(loupe.ENOTFOUND, "customer not found")
	}
	c, err := s.DB.GetCustomer(r.Context(), id)
	if err != nil {
		if loupe.ErrorCode(err) == loupe.ENOTFOUND {
			return loupe.Errorf(loupe.ENOTFOUND, "customer %s not found", id)
		}
		return err
	}
	c.Stamps = nil // the order of POS writes is the store's business, not the profile's
	writeJSON(w, http.StatusOK, c)
	return nil
}
