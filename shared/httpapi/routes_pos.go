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
// invalid event, 409 for an id reused with another body, 202 accepted, 200
// duplicate or ignored (an erased customer's older event).
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
	ctx := r.Context()
	if err != nil {
		// Ids, type, field and reason only: messages never echo values.
		switch loupe.ErrorCode(err) {
		case loupe.EINVALID:
			s.Logger.InfoContext(ctx, "pos event rejected", "event_id", res.ID, "type", res.Type,
				"field", loupe.ErrorField(err), "reason", loupe.ErrorMessage(err))
		case loupe.ECONFLICT:
			s.Logger.WarnContext(ctx, "pos event rejected", "event_id", res.ID, "type", res.Type,
				"reason", "id reused with another body")
		}
		return err
	}
	what := "pos event field ignored"
	if res.Status == pos.StatusIgnored {
		what = "pos event ignored" // the whole event: its note says why
	}
	for _, n := range res.Notes {
		s.Logger.InfoContext(ctx, what, "event_id", res.ID, "type", res.Type, "field", n.Field, "reason", n.Reason)
	}
	switch {
	case res.Status == pos.StatusIgnored:
	case res.Outdated:
		s.Logger.InfoContext(ctx, "pos event changed nothing", "event_id", res.ID, "type", res.Type, "status", res.Status,
			"reason", "newer writes hold every field it carries, or it was applied before")
	default:
		s.Logger.InfoContext(ctx, "pos event", "event_id", res.ID, "type", res.Type, "status", res.Status)
	}
	status := http.StatusAccepted
	if res.Status != pos.StatusAccepted {
		status = http.StatusOK
	}
	writeJSON(w, status, eventAnswer{ID: res.ID, Status: res.Status})
	return nil
}
