package httpapi

import (
	"net/http"

	"github.com/loupehq/loupe/shared/loupe"
)

// inspectionRequest is the body of PUT /stores/{store_id}/inspection; both
// fields optional (docs/compliance.md section 7).
type inspectionRequest struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// inspectionStore returns the compliance service and the path's store id.
// Returns EUNAVAILABLE without a compliance service, or an EINVALID
// *loupe.Error naming store_id.
func (s *server) inspectionStore(r *http.Request) (Compliance, string, error) {
	if s.Compliance == nil {
		return nil, "", loupe.Errorf(loupe.EUNAVAILABLE, "compliance is not configured")
	}
	id := r.PathValue("store_id")
	if !loupe.ValidID(id) {
		return nil, "", loupe.Invalidf("store_id", "store_id must be a valid id")
	}
	if err := person(r).MayManage(id); err != nil {
		return nil, "", err
	}
	return s.Compliance, id, nil
}

// putInspection answers PUT /stores/{store_id}/inspection with
// {"from","to"} (both optional: from defaults to the store's local today, to
// to from + 13 days; at most 31 days): 200 with the stored inspection, 400
// naming the field, 404 for an unknown store, 503 when not configured. An
// empty body takes both defaults. An extension of CONTRACT section 3.
func (s *server) putInspection(w http.ResponseWriter, r *http.Request) error {
	svc, id, err := s.inspectionStore(r)
	if err != nil {
		return err
	}
	var req inspectionRequest
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &req); err != nil {
			return err
		}
	}
	in, err := svc.StartInspection(r.Context(), id, req.From, req.To)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, in)
	return nil
}

// getInspection answers GET /stores/{store_id}/inspection: 200 with the
// inspection, 404 for an unknown store or a store without inspection.
func (s *server) getInspection(w http.ResponseWriter, r *http.Request) error {
	svc, id, err := s.inspectionStore(r)
	if err != nil {
		return err
	}
	in, err := svc.Inspection(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, in)
	return nil
}

// deleteInspection answers DELETE /stores/{store_id}/inspection: 204, also
// when the store had none; 404 for an unknown store.
func (s *server) deleteInspection(w http.ResponseWriter, r *http.Request) error {
	svc, id, err := s.inspectionStore(r)
	if err != nil {
		return err
	}
	if err := svc.StopInspection(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
