package httpapi

import (
	"bytes"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/reassign"
	"github.com/loupehq/loupe/shared/staff"
)

// Reassignment review routes (CONTRACT section 3), served from Config.Reassign:
//
//	GET  /reassignments                  the batches, newest first
//	GET  /reassignments/{id}             one batch as JSON; {id}.csv: as CSV
//	GET  /reassignments/{id}/print       the printable page
//	POST /reassignments/{id}/claims      a staff member claims a client

// reassignmentSummary is one entry of GET /reassignments.
type reassignmentSummary struct {
	ID          string    `json:"id"`
	AssociateID string    `json:"associate_id"`
	StoreID     string    `json:"store_id"`
	CreatedAt   time.Time `json:"created_at"`
	Clients     int       `json:"clients"`
	Status      string    `json:"status"`
}

// assignmentView is one client of GET /reassignments/{id}, and the answer of a claim.
type assignmentView struct {
	CustomerID      string     `json:"customer_id"`
	CustomerName    string     `json:"customer_name"`
	FromAssociateID string     `json:"from_associate_id"`
	ToAssociateID   string     `json:"to_associate_id"`
	ToAssociateName string     `json:"to_associate_name"`
	Score           float64    `json:"score"`
	Reasons         []string   `json:"reasons"`
	Claimed         bool       `json:"claimed"`
	ClaimedBy       string     `json:"claimed_by,omitempty"`
	ClaimedAt       *time.Time `json:"claimed_at,omitempty"`
	State           string     `json:"state"`
}

// reassignmentDetail is GET /reassignments/{id}.
type reassignmentDetail struct {
	ID          string           `json:"id"`
	AssociateID string           `json:"associate_id"`
	StoreID     string           `json:"store_id"`
	CreatedAt   time.Time        `json:"created_at"`
	Status      string           `json:"status"`
	Clients     int              `json:"clients"`
	Assignments []assignmentView `json:"assignments"`
}

func viewAssignment(a reassign.Assignment) assignmentView {
	v := assignmentView{CustomerID: a.CustomerID, CustomerName: a.CustomerName, FromAssociateID: a.FromAssociateID,
		ToAssociateID: a.ToAssociateID, ToAssociateName: a.ToAssociateName, Score: a.Score, Reasons: a.Reasons,
		Claimed: a.Claimed, ClaimedBy: a.ClaimedBy, State: a.State}
	if v.Reasons == nil {
		v.Reasons = []string{}
	}
	if !a.ClaimedAt.IsZero() {
		at := a.ClaimedAt.UTC()
		v.ClaimedAt = &at
	}
	return v
}

// reassignService returns Config.Reassign, or an EUNAVAILABLE error without one.
func (s *server) reassignService() (Reassignments, error) {
	if s.Reassign == nil {
		return nil, loupe.Errorf(loupe.EUNAVAILABLE, "reassignment is not configured")
	}
	return s.Reassign, nil
}

// batchID returns the {id} path value, or an ENOTFOUND error when it cannot be one.
func batchID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if id == "" || len(id) > 256 || strings.ContainsAny(id, "#/\x00") {
		return "", loupe.Errorf(loupe.ENOTFOUND, "reassignment not found")
	}
	return id, nil
}

// listReassignments answers GET /reassignments.
func (s *server) listReassignments(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.reassignService()
	if err != nil {
		return err
	}
	bs, err := svc.List(r.Context())
	if err != nil {
		return err
	}
	p := person(r)
	out := make([]reassignmentSummary, 0, len(bs))
	for _, b := range bs {
		if !p.WorksAt(b.StoreID) {
			continue
		}
		out = append(out, reassignmentSummary{ID: b.ID, AssociateID: b.AssociateID, StoreID: b.StoreID,
			CreatedAt: b.CreatedAt.UTC(), Clients: b.Clients, Status: b.Status})
	}
	writeJSON(w, http.StatusOK, map[string]any{"reassignments": out})
	return nil
}

// getReassignment answers GET /reassignments/{id} (JSON) and, since ServeMux
// cannot match "{id}.csv", GET /reassignments/{id}.csv (CSV) as well. A batch
// whose own id ends in ".csv" cannot exist (reassign.BatchID).
func (s *server) getReassignment(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.reassignService()
	if err != nil {
		return err
	}
	id, err := batchID(r)
	if err != nil {
		return err
	}
	asCSV := false
	if trimmed, ok := strings.CutSuffix(id, ".csv"); ok {
		id, asCSV = trimmed, true
	}
	rv, err := svc.Get(r.Context(), id)
	if err != nil {
		return err
	}
	if err := person(r).MaySeeStore(rv.StoreID); err != nil {
		return err
	}
	if asCSV {
		var buf bytes.Buffer
		if err := reassign.WriteCSV(&buf, rv); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": reassign.CSVFilename(id)}))
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusOK)
		w.Write(buf.Bytes())
		return nil
	}
	d := reassignmentDetail{ID: rv.ID, AssociateID: rv.AssociateID, StoreID: rv.StoreID, CreatedAt: rv.CreatedAt.UTC(),
		Status: rv.Status, Clients: rv.Clients, Assignments: make([]assignmentView, 0, len(rv.Assignments))}
	for _, a := range rv.Assignments {
		d.Assignments = append(d.Assignments, viewAssignment(a))
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

// printReassignment answers GET /reassignments/{id}/print with the printable page.
func (s *server) printReassignment(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.reassignService()
	if err != nil {
		return err
	}
	id, err := batchID(r)
	if err != nil {
		return err
	}
	rv, err := svc.Get(r.Context(), id)
	if err != nil {
		return err
	}
	if err := person(r).MaySeeStore(rv.StoreID); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := reassign.WritePage(&buf, rv); err != nil {
		return err
	}
	writePage(w, http.StatusOK, "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'", buf.Bytes())
	return nil
}

// claimRequest is the body of POST /reassignments/{id}/claims.
type claimRequest struct {
	CustomerID  string `json:"customer_id"`
	AssociateID string `json:"associate_id"`
	// Override takes a client someone else claimed (a manager of the store
	// or an admin only).
	Override bool `json:"override"`
}

// claimReassignment answers POST /reassignments/{id}/claims: 200 with the
// updated assignment; 400 naming customer_id or associate_id.
func (s *server) claimReassignment(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.reassignService()
	if err != nil {
		return err
	}
	id, err := batchID(r)
	if err != nil {
		return err
	}
	var req claimRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.CustomerID == "" {
		return loupe.Invalidf("customer_id", "customer_id is required")
	}
	if req.AssociateID == "" {
		return loupe.Invalidf("associate_id", "associate_id is required")
	}
	if err := s.mayClaim(r, svc, id, req.AssociateID, req.Override); err != nil {
		return err
	}
	a, err := svc.Claim(r.Context(), id, req.CustomerID, req.AssociateID, req.Override)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewAssignment(a))
	return nil
}

// mayClaim is staff.Person.MayClaimFor on batch id's store for associate
// associateID (and override): 403 for a claim the person may not make. An
// unknown batch answers 404, an unknown associate 400 naming associate_id.
func (s *server) mayClaim(r *http.Request, svc Reassignments, id, associateID string, override bool) error {
	p := person(r)
	rv, err := svc.Get(r.Context(), id)
	if err != nil {
		return err
	}
	if err := p.MaySeeStore(rv.StoreID); err != nil {
		return err
	}
	if override && !p.ManagesStore(rv.StoreID) {
		return staff.Forbidden("only a manager of store %s may reassign a claimed client", rv.StoreID)
	}
	if s.DB == nil {
		return loupe.Errorf(loupe.EUNAVAILABLE, "no database configured")
	}
	a, err := s.DB.GetAssociate(r.Context(), associateID)
	if loupe.ErrorCode(err) == loupe.ENOTFOUND {
		return loupe.Invalidf("associate_id", "associate %s not found", associateID)
	}
	if err != nil {
		return err
	}
	return p.MayClaimFor(rv.StoreID, a)
}
