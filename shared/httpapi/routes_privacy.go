package httpapi

import (
	"bytes"
	"errors"
	"html/template"
	"net/http"

	"github.com/loupehq/loupe/shared/loupe"
)

// privacy returns Config.Privacy, or an EUNAVAILABLE error without one.
func (s *server) privacy() (loupe.Privacy, error) {
	if s.Privacy == nil {
		return nil, loupe.Errorf(loupe.EUNAVAILABLE, "erasure and unsubscribe are not configured")
	}
	return s.Privacy, nil
}

// deleteCustomer answers DELETE /customers/{customer_id} with 204 after the
// customer's erasure (Config.Erase: loupe.Erase with every forgetter wired).
// Erasing an erased customer again is 204 (a retry finishes what a failed run
// left); an id never known is 404. It logs the customer id only.
func (s *server) deleteCustomer(w http.ResponseWriter, r *http.Request) error {
	if s.Erase == nil {
		return loupe.Errorf(loupe.EUNAVAILABLE, "erasure is not configured")
	}
	id := r.PathValue("customer_id")
	if !loupe.ValidID(id) {
		return loupe.Errorf(loupe.ENOTFOUND, "customer not found")
	}
	err := s.Erase(r.Context(), id, s.Now())
	if errors.Is(err, loupe.ErrUnknownCustomer) {
		return loupe.Errorf(loupe.ENOTFOUND, "customer %s not found", id)
	}
	if err != nil {
		return err
	}
	s.Logger.InfoContext(r.Context(), "customer erased", "customer_id", id)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// unsubscribeCustomer verifies the {token} of /u/{token} and returns the
// customer id it was made for. Returns EUNAVAILABLE without a signer and
// ENOTFOUND for a forged token.
func (s *server) unsubscribeCustomer(r *http.Request) (string, error) {
	if s.Unsubscribe == nil {
		return "", loupe.Errorf(loupe.EUNAVAILABLE, "unsubscribe is not configured")
	}
	id, err := s.Unsubscribe.Verify(r.PathValue("token"))
	if err != nil {
		return "", loupe.Errorf(loupe.ENOTFOUND, "unknown unsubscribe link")
	}
	return id, nil
}

// unsubscribePage answers GET /u/{token}: a page with a generic message and a
// button that POSTs to the same URL. It writes nothing (mail scanners follow
// links) and shows nothing about the customer. Forged token: 404.
func (s *server) unsubscribePage(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.unsubscribeCustomer(r); err != nil {
		return err
	}
	writeHTML(w, http.StatusOK, unsubscribeHTML, pageData{Done: false})
	return nil
}

// unsubscribe answers POST /u/{token}, RFC 8058 one-click unsubscribe (the body,
// normally List-Unsubscribe=One-Click, is read and ignored): the customer's
// email status becomes unsubscribed (never weakening a bounce or complaint)
// and the answer is 200 with a confirmation page. Idempotent; an erased
// customer is answered the same. Forged token: 404. It logs the customer id only.
func (s *server) unsubscribe(w http.ResponseWriter, r *http.Request) error {
	id, err := s.unsubscribeCustomer(r)
	if err != nil {
		return err
	}
	p, err := s.privacy()
	if err != nil {
		return err
	}
	if _, err := readBody(w, r); err != nil {
		return err
	}
	err = p.SetEmailStatus(r.Context(), id, loupe.EmailUnsubscribed, s.Now())
	switch {
	case errors.Is(err, loupe.ErrUnknownCustomer) || loupe.ErrorCode(err) == loupe.ENOTFOUND:
		s.Logger.InfoContext(r.Context(), "unsubscribe of unknown customer", "customer_id", id)
	case err != nil:
		return err
	default:
		s.Logger.InfoContext(r.Context(), "customer unsubscribed", "customer_id", id)
	}
	writeHTML(w, http.StatusOK, unsubscribeHTML, pageData{Done: true})
	return nil
}

type pageData struct{ Done bool }

// unsubscribeHTML is the one page of /u/{token}. Its form posts to the same
// URL (action omitted), which is the one-click endpoint.
var unsubscribeHTML = template.Must(template.New("u").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{if .Done}}Unsubscribed{{else}}Unsubscribe{{end}}</title>
<style>body{font:1.1rem/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}
button{font:inherit;padding:.6rem 1.2rem;border:1px solid #222;background:#fff;border-radius:.3rem;cursor:pointer}</style>
</head><body>
{{if .Done}}<h1>You are unsubscribed</h1>
<p>You will no longer receive marketing email from us at this address. It can take a moment for mail already on its way.</p>
{{else}}<h1>Unsubscribe</h1>
<p>Stop receiving marketing email from us?</p>
<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>
{{end}}</body></html>
`))

// writeHTML renders t with data as a page that loads nothing, cannot be framed,
// is not cached and sends no referrer (the URL holds the token).
func writeHTML(w http.ResponseWriter, status int, t *template.Template, data any) {
	var buf bytes.Buffer
	t.Execute(&buf, data)
	writePage(w, status, "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'", buf.Bytes())
}
