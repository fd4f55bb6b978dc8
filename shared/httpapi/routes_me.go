package httpapi

import (
	"net/http"
)

// meBody is GET /me (CONTRACT section 3): who the token names.
type meBody struct {
	Email       *string  `json:"email"`
	AssociateID *string  `json:"associate_id"`
	Name        *string  `json:"name"`
	Roles       []string `json:"roles"`
	StoreIDs    []string `json:"store_ids"`
}

// getMe answers GET /me with the signed-in person: their email, first
// associate record (null for a manager or admin without one), name, roles and
// stores. The API token answers {"roles": ["admin"]}.
func (s *server) getMe(w http.ResponseWriter, r *http.Request) error {
	p := person(r)
	b := meBody{Roles: p.Roles(), StoreIDs: p.StoreIDs()}
	if p.Email != "" {
		b.Email = &p.Email
	}
	if len(p.Associates) > 0 {
		a := p.Associates[0]
		b.AssociateID, b.Name = &a.AssociateID, &a.Name
	}
	if b.StoreIDs == nil {
		b.StoreIDs = []string{}
	}
	writeJSON(w, http.StatusOK, b)
	return nil
}
