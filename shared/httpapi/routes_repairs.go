package httpapi

import (
	"net/http"
	"time"
)

// Repair routes (CONTRACT section 3), for the staff app's client page:
//
//	GET /customers/{customer_id}/repairs   a client's repair take-ins, newest first

// repairEntry is one take-in of GET /customers/{customer_id}/repairs. It
// leaves out the address and phone typed at the counter (the profile holds
// the client's own).
type repairEntry struct {
	RepairID    string    `json:"repair_id"`
	StoreID     string    `json:"store_id"`
	AssociateID string    `json:"associate_id,omitempty"`
	Item        string    `json:"item,omitempty"`
	TakenInAt   time.Time `json:"taken_in_at"`
	LocalDay    string    `json:"local_day"`
}

// getRepairs answers GET /customers/{customer_id}/repairs: the client's
// take-ins, newest first, for whoever may read the client (as GET
// /customers/{customer_id}), from the store's per-customer repair index.
func (s *server) getRepairs(w http.ResponseWriter, r *http.Request) error {
	c, err := s.customer(r)
	if err != nil {
		return err
	}
	rs, err := s.DB.RepairsByCustomer(r.Context(), c.CustomerID)
	if err != nil {
		return err
	}
	out := make([]repairEntry, 0, len(rs))
	for i := len(rs) - 1; i >= 0; i-- {
		x := rs[i]
		out = append(out, repairEntry{RepairID: x.RepairID, StoreID: x.StoreID, AssociateID: x.AssociateID,
			Item: x.Item, TakenInAt: x.TakenInAt.UTC(), LocalDay: x.LocalDay})
	}
	writeJSON(w, http.StatusOK, map[string]any{"repairs": out})
	return nil
}
