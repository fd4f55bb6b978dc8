package httpapi

import (
	"net/http"

	"github.com/loupehq/loupe/shared/compliance"
	"github.com/loupehq/loupe/shared/loupe"
)

// getCompliance answers GET /compliance?from&to&store_id with the repair
// email-capture report (CONTRACT section 3): 400 naming the query field for a
// bad from, to or store_id, 404 for an unknown store, 503 when no compliance
// service is configured.
func (s *server) getCompliance(w http.ResponseWriter, r *http.Request) error {
	if s.Compliance == nil {
		return loupe.Errorf(loupe.EUNAVAILABLE, "compliance is not configured")
	}
	q := r.URL.Query()
	storeID := q.Get("store_id")
	if storeID != "" && !loupe.ValidID(storeID) {
		return loupe.Invalidf("store_id", "store_id must be a valid id")
	}
	p := person(r)
	if storeID != "" {
		if err := p.MayManage(storeID); err != nil {
			return err
		}
	}
	rep, err := s.Compliance.Report(r.Context(), q.Get("from"), q.Get("to"), storeID)
	if err != nil {
		if storeID != "" && loupe.ErrorCode(err) == loupe.ENOTFOUND {
			return loupe.Errorf(loupe.ENOTFOUND, "store %s not found", storeID)
		}
		return err
	}
	if !p.Admin {
		rep = rep.Only(p.ManagesStore) // a manager sees their stores, and their totals
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

// dashboardPage is the compliance dashboard's handler, built once.
var dashboardPage = compliance.DashboardHandler()

// dashboard answers GET /dashboard with the compliance dashboard page; it
// holds no data (the page fetches GET /compliance with the reader's token).
// It never fails.
func (s *server) dashboard(w http.ResponseWriter, r *http.Request) error {
	dashboardPage.ServeHTTP(w, r)
	return nil
}
