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
	// Added for people (not in CONTRACT v1): the departed associate's and
	// the store's names, and the time in the store's zone.
	AssociateName  string `json:"associate_name,omitempty"`
	StoreName      string `json:"store_name,omitempty"`
	CreatedAtLocal string `json:"created_at_local,omitempty"`
}

// summaryLookups bounds the associate reads of GET /reassignments (one per
// batch, for the departed associate's name); past it a batch shows ids.
const summaryLookups = 50

// assignmentView is one client of GET /reassignments/{id}, and the answer of
// a claim. ReasonTexts, FromAssociateName, ClaimedByName, ClaimedAtLocal and
// StateText add to CONTRACT section 3 the words the page shows.
type assignmentView struct {
	CustomerID        string     `json:"customer_id"`
	CustomerName      string     `json:"customer_name"`
	FromAssociateID   string     `json:"from_associate_id"`
	FromAssociateName string     `json:"from_associate_name,omitempty"` // the departed associate, when known (not in a claim's answer)
	ToAssociateID     string     `json:"to_associate_id"`
	ToAssociateName   string     `json:"to_associate_name"`
	Score             float64    `json:"score"`
	Reasons           []string   `json:"reasons"`
	ReasonTexts       []string   `json:"reason_texts"` // reassign.ReasonText of each reason, parallel to reasons
	Claimed           bool       `json:"claimed"`
	ClaimedBy         string     `json:"claimed_by,omitempty"`
	ClaimedByName     string     `json:"claimed_by_name,omitempty"`
	ClaimedAt         *time.Time `json:"claimed_at,omitempty"`
	ClaimedAtLocal    string     `json:"claimed_at_local,omitempty"` // in the store's zone, as created_at_local (not in a claim's answer)
	State             string     `json:"state"`
	StateText         string     `json:"state_text"` // reassign.StateText of state
}

// reassignmentDetail is GET /reassignments/{id}. AssociateName, StoreName,
// Timezone and CreatedAtLocal add to CONTRACT section 3.
type reassignmentDetail struct {
	ID             string           `json:"id"`
	AssociateID    string           `json:"associate_id"`
	AssociateName  string           `json:"associate_name,omitempty"` // the departed associate, when known
	StoreID        string           `json:"store_id"`
	StoreName      string           `json:"store_name"` // "" when the store is unknown
	Timezone       string           `json:"timezone"`   // the store's IANA zone; "" when unknown
	CreatedAt      time.Time        `json:"created_at"`
	CreatedAtLocal string           `json:"created_at_local"` // in the store's zone, "Wed 2 Dec 2026, 9:24 AM EST" (UTC when unknown)
	Status         string           `json:"status"`
	Clients        int              `json:"clients"`
	Assignments    []assignmentView `json:"assignments"`
}

// viewAssignment returns a as JSON; l names the departed associate and the
// store's zone (the zero Labels: neither).
func viewAssignment(a reassign.Assignment, l reassign.Labels) assignmentView {
	v := assignmentView{CustomerID: a.CustomerID, CustomerName: a.CustomerName, FromAssociateID: a.FromAssociateID,
		FromAssociateName: l.Departed[a.FromAssociateID], ToAssociateID: a.ToAssociateID, ToAssociateName: a.ToAssociateName,
		Score: a.Score, Reasons: a.Reasons, ReasonTexts: reassign.ReasonTexts(a.Reasons), Claimed: a.Claimed,
		ClaimedBy: a.ClaimedBy, ClaimedByName: a.ClaimedByName, State: a.State, StateText: reassign.StateText(a.State)}
	if v.Reasons == nil {
		v.Reasons = []string{}
	}
	if !a.ClaimedAt.IsZero() {
		at := a.ClaimedAt.UTC()
		v.ClaimedAt = &at
		if l.Store.StoreID != "" {
			v.ClaimedAtLocal = l.Local(at)
		}
	}
	return v
}

// labels returns the words rv is shown with (reassign.Describe over
// Config.DB); the zero Labels without a DB. Returns the storage error.
func (s *server) labels(r *http.Request, rv reassign.Review) (reassign.Labels, error) {
	if s.DB == nil {
		return reassign.Labels{}, nil
	}
	return reassign.Describe(r.Context(), s.DB, rv)
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
	stores := map[string]loupe.Store{} // one read per store listed
	lookups := 0
	for _, b := range bs {
		if !p.WorksAt(b.StoreID) {
			continue
		}
		sum := reassignmentSummary{ID: b.ID, AssociateID: b.AssociateID, StoreID: b.StoreID,
			CreatedAt: b.CreatedAt.UTC(), Clients: b.Clients, Status: b.Status}
		if s.DB != nil {
			st, ok := stores[b.StoreID]
			if !ok && b.StoreID != "" {
				if st, err = s.DB.GetStore(r.Context(), b.StoreID); err != nil && loupe.ErrorCode(err) != loupe.ENOTFOUND {
					return err
				}
				stores[b.StoreID] = st
			}
			l := reassign.Labels{Store: st}
			sum.StoreName, sum.CreatedAtLocal = st.Name, l.Local(b.CreatedAt)
			if b.AssociateID != "" && lookups < summaryLookups {
				lookups++
				a, err := s.DB.GetAssociate(r.Context(), b.AssociateID)
				if err != nil && loupe.ErrorCode(err) != loupe.ENOTFOUND {
					return err
				}
				sum.AssociateName = a.Name
			}
		}
		out = append(out, sum)
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
	l, err := s.labels(r, rv)
	if err != nil {
		return err
	}
	d := reassignmentDetail{ID: rv.ID, AssociateID: rv.AssociateID, AssociateName: l.Departed[rv.AssociateID],
		StoreID: rv.StoreID, StoreName: l.Store.Name, Timezone: l.Store.Timezone, CreatedAt: rv.CreatedAt.UTC(),
		CreatedAtLocal: l.Local(rv.CreatedAt), Status: rv.Status, Clients: rv.Clients,
		Assignments: make([]assignmentView, 0, len(rv.Assignments))}
	for _, a := range rv.Assignments {
		d.Assignments = append(d.Assignments, viewAssignment(a, l))
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

// printReassignment answers GET /reassignments/{id}/print with the printable
// page, in the words of the store and the departed associate's records.
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
	l, err := s.labels(r, rv)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := reassign.WritePage(&buf, rv, l); err != nil {
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
	writeJSON(w, http.StatusOK, viewAssignment(a, reassign.Labels{}))
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
