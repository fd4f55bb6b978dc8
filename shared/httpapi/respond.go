package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/loupehq/loupe/shared/loupe"
)

// errorBody is the JSON shape of every error answer.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// statusOf maps a loupe error code to its HTTP status: the one place that does.
func statusOf(code string) int {
	switch code {
	case loupe.EINVALID:
		return http.StatusBadRequest
	case loupe.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case loupe.EFORBIDDEN:
		return http.StatusForbidden
	case loupe.ENOTFOUND:
		return http.StatusNotFound
	case loupe.ECONFLICT:
		return http.StatusConflict
	case loupe.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case loupe.EUNSUPPORTED:
		return http.StatusUnsupportedMediaType
	case loupe.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// writeError writes err as {"error": {"code", "message", "field"}} with the
// status of its code. Errors that are not *loupe.Error answer 500 "internal
// error" and are logged with the route (the detail holds ids, never personal data).
func (s *server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := loupe.ErrorCode(err)
	if code == loupe.EINTERNAL {
		s.Logger.ErrorContext(r.Context(), "internal error", "method", r.Method, "route", routeName(r), "err", err.Error())
	}
	status := statusOf(code)
	msg := loupe.ErrorMessage(err)
	if code == loupe.EINTERNAL {
		msg = "internal error"
	}
	writeJSON(w, status, errorBody{Error: errorDetail{Code: code, Message: msg, Field: loupe.ErrorField(err)}})
}

// writeJSON writes v as JSON with status. An encoding failure (a programming
// error) can only be logged by the caller's recover; nothing is returned.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"code":"internal","message":"internal error"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// requireJSON returns an EUNSUPPORTED *loupe.Error unless the request's
// Content-Type is application/json (parameters such as charset=utf-8 allowed).
func requireJSON(r *http.Request) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return loupe.Errorf(loupe.EUNSUPPORTED, "Content-Type must be application/json")
	}
	return nil
}

// readBody reads the whole body, at most MaxBodyBytes. Returns an ETOOLARGE
// *loupe.Error over the limit, or an EINVALID one when the body cannot be read.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.ContentLength > MaxBodyBytes {
		return nil, loupe.Errorf(loupe.ETOOLARGE, "body is larger than %d bytes", MaxBodyBytes)
	}
	body := http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	b, err := io.ReadAll(body)
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return nil, loupe.Errorf(loupe.ETOOLARGE, "body is larger than %d bytes", MaxBodyBytes)
	case err != nil:
		return nil, loupe.Errorf(loupe.EINVALID, "could not read the request body")
	}
	return b, nil
}

// decodeJSON reads a JSON request body (Content-Type application/json, at most
// MaxBodyBytes, one object, unknown fields rejected) into v. Returns an
// EUNSUPPORTED, ETOOLARGE or EINVALID *loupe.Error.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if err := requireJSON(r); err != nil {
		return err
	}
	b, err := readBody(w, r)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return loupe.Invalidf(te.Field, "%s has the wrong type", te.Field)
		}
		var le *loupe.Error
		if errors.As(err, &le) {
			return le
		}
		return loupe.Invalidf("", "body must be one JSON object")
	}
	if dec.More() {
		return loupe.Invalidf("", "body must be one JSON object")
	}
	return nil
}

// writePage writes body as an HTML page with status: not cached, never
// sniffed, sending no referrer (URLs may hold tokens), under the content
// security policy csp.
func writePage(w http.ResponseWriter, status int, csp string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", csp)
	w.WriteHeader(status)
	w.Write(body)
}
