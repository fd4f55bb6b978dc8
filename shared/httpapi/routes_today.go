package httpapi

import (
	"net/http"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/staff"
	"github.com/loupehq/loupe/shared/today"
)

// Today list routes (CONTRACT section 3), served from Config.Today:
//
//	GET  /me/today[?date=YYYY-MM-DD][&associate_id=ID]   an associate's list of a day
//	POST /tasks/{task_id}/outcome                        log what happened
//	GET  /stores/{store_id}/progress[?date=YYYY-MM-DD]   the team's week (managers)

// todayService returns Config.Today, or an EUNAVAILABLE error without one.
func (s *server) todayService() (Today, error) {
	if s.Today == nil {
		return nil, loupe.Errorf(loupe.EUNAVAILABLE, "the Today list is not configured")
	}
	return s.Today, nil
}

// getToday answers GET /me/today: the person's own list, or with
// associate_id the list of an associate of a store they manage (403
// otherwise). A person with no associate record names one (400 naming
// associate_id).
func (s *server) getToday(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.todayService()
	if err != nil {
		return err
	}
	p := person(r)
	q := r.URL.Query()
	id := q.Get("associate_id")
	if id == "" {
		if id = p.AssociateID(); id == "" {
			return loupe.Invalidf("associate_id", "associate_id is required: you have no associate record of your own")
		}
	}
	if !loupe.ValidID(id) {
		return loupe.Invalidf("associate_id", "associate_id is not a valid id")
	}
	a, err := svc.Associate(r.Context(), id)
	if loupe.ErrorCode(err) == loupe.ENOTFOUND && !p.Admin {
		return loupe.Errorf(loupe.EFORBIDDEN, "this is not your list") // no probing for ids
	}
	if err != nil {
		return err
	}
	if err := p.MayWorkListOf(a); err != nil {
		return err
	}
	v, err := svc.Today(r.Context(), id, q.Get("date"))
	if err != nil {
		return err
	}
	if v.Tasks == nil {
		v.Tasks = []today.TaskView{}
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// outcomeRequest is the body of POST /tasks/{task_id}/outcome.
type outcomeRequest struct {
	Outcome string `json:"outcome"`
	Note    string `json:"note"`
}

// postOutcome answers POST /tasks/{task_id}/outcome: 200 with the task
// (the first outcome stands), 400 naming outcome or note, 404 for a task
// that is not on a list, 403 for a list the person may not work.
func (s *server) postOutcome(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.todayService()
	if err != nil {
		return err
	}
	taskID := r.PathValue("task_id")
	_, associateID, _, err := today.ParseTaskID(taskID)
	if err != nil {
		return err
	}
	var req outcomeRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	p := person(r)
	a, err := svc.Associate(r.Context(), associateID)
	if loupe.ErrorCode(err) == loupe.ENOTFOUND {
		if !p.Admin {
			return staff.Forbidden("this is not your list") // as for another store's: no probing for ids
		}
		return loupe.Errorf(loupe.ENOTFOUND, "task not found")
	}
	if err != nil {
		return err
	}
	if err := p.MayWorkListOf(a); err != nil {
		return err
	}
	by := p.AssociateID()
	if p.Owns(associateID) {
		by = associateID
	}
	if by == "" {
		by = "admin"
	}
	t, err := svc.LogOutcome(r.Context(), taskID, req.Outcome, req.Note, by)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

// getProgress answers GET /stores/{store_id}/progress: per active
// associate of the store, the tasks listed and worked from Monday to the
// day, for the store's managers.
func (s *server) getProgress(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.todayService()
	if err != nil {
		return err
	}
	storeID := r.PathValue("store_id")
	if !loupe.ValidID(storeID) {
		return loupe.Errorf(loupe.ENOTFOUND, "store not found")
	}
	if err := person(r).MayManage(storeID); err != nil {
		return err
	}
	pr, err := svc.Progress(r.Context(), storeID, r.URL.Query().Get("date"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pr)
	return nil
}

// onTodayList reports whether c is on today's list of one of the person's
// associate records (they may open the client's page from the task).
func (s *server) onTodayList(r *http.Request, c loupe.Customer) (bool, error) {
	if s.Today == nil {
		return false, nil
	}
	for _, a := range person(r).Associates {
		ok, err := s.Today.OnList(r.Context(), a.AssociateID, c.CustomerID)
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}
