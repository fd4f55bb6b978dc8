package httpapi

import (
	"net/http"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/pos"
	"github.com/loupehq/loupe/shared/webhook"
)

// healthz answers GET /healthz: 200 {"status": "ok"}.
func (s *server) healthz(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

// eventAnswer is the body of an accepted or duplicate POS event.
type eventAnswer struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

// posEvents answers POST /pos/events: 503 without a secret, 415 for a non-JSON
// content type, 413 over MaxBodyBytes, 401 for a bad signature, 400 for an
// invalid event, 202 accepted, 200 duplicate.
func (s *server) posEvents(w http.ResponseWriter, r *http.Request) error {
	if len(s.WebhookSecrets) == 0 || s.Events == nil {
		return loupe.Errorf(loupe.EUNAVAILABLE, "the POS webhook is not configured")
	}
	if err := requireJSON(r); err != nil {
		return err
	}
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	if err := webhook.Verify(webhook.HeaderValue(r.Header), body, s.WebhookSecrets, s.Now(), webhook.DefaultTolerance); err != nil {
		s.Logger.WarnContext(r.Context(), "pos event signature rejected", "reason", loupe.ErrorMessage(err))
		return err
	}
	res, err := s.Events.Apply(r.Context(), body)
	if err != nil {
		if loupe.ErrorCode(err) == loupe.EINVALID {
			s.Logger.InfoContext(r.Context(), "pos event rejected", "field", loupe.ErrorField(err))
		}
		return err
	}
	s.Logger.InfoContext(r.Context(), "pos event", "event_id", res.ID, "type", res.Type, "status", res.Status, "outdated", res.Outdated)
	status := http.StatusAccepted
	if res.Status == pos.StatusDuplicate {
		status = http.StatusOK
	}
	writeJSON(w, status, eventAnswer{ID: res.ID, Status: res.Status})
	return nil
}
