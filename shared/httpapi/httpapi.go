// Package httpapi is Loupe's HTTP adapter: one http.Handler serving every route
// of the public contract, behind API Gateway (through package lambdahttp) and in
// `loupe serve` alike.
//
// Adding a route: write the handler (a method returning error) in its own file
// and add one line to (*server).routes. Handlers use decodeJSON, writeJSON and
// return *loupe.Error values; writeError is the one place that maps error codes
// to HTTP statuses.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/staff"
)

// Config holds what the API needs. Zero values are normalised by New. Every
// dependency is a narrow port declared in this package (ports.go); a nil one
// makes the routes that need it answer 503. Pass a nil interface for a missing
// dependency; New also treats an interface holding a nil pointer (a typed nil)
// as missing.
type Config struct {
	// DB reads the customer profile of GET /customers/{customer_id} and checks
	// the stores of POST /campaigns. Nil: those routes answer 503.
	DB Records
	// Privacy records unsubscribes (POST /u/{token}). *embedded.DB and
	// *dynamo.DB implement it. Nil: those routes answer 503.
	Privacy loupe.Privacy
	// Erase erases a customer completely (wire.Services.Erase: loupe.Erase
	// with every part's forgetter). It returns an error wrapping
	// loupe.ErrUnknownCustomer for an id never known. Nil: DELETE /customers/{id}
	// answers 503.
	Erase func(ctx context.Context, customerID string, at time.Time) error
	// Events applies POS webhook events. Nil: POST /pos/events answers 503.
	Events Events
	// WebhookSecrets verify the Loupe-Signature of POS events; any one of them
	// may have signed (rotation). Empty: POST /pos/events answers 503.
	WebhookSecrets []string
	// Staff checks the bearer token of every staff route and names its
	// person (*staff.Authenticator, built by the wiring). Nil: a
	// staff.Authenticator with APIToken alone.
	Staff Authenticator
	// Links sends sign-in links and exchanges their codes (link mode). Nil
	// in OIDC mode: POST /auth/link and /auth/token answer 404.
	Links Links
	// Auth is the answer of GET /auth/config (zero: link mode).
	Auth AuthConfig
	// APIToken is the admin token, used only when Staff is nil (tests and
	// tools that need no staff sign-in). Empty with a nil Staff: every staff
	// route answers 401.
	APIToken string
	// Compliance answers GET /compliance and the inspection routes, and
	// forgets an erased customer's repairs. Nil: those routes answer 503 (GET
	// /dashboard, a static page, is served either way; an erasure then skips
	// compliance's missing lists).
	Compliance Compliance
	// Unsubscribe verifies the tokens of GET and POST /u/{token}. Nil: those
	// routes answer 503.
	Unsubscribe Unsubscriber
	// Reassign serves the /reassignments routes. Nil: they answer 503.
	Reassign Reassignments
	// Touch serves GET /coverage and GET /customers/{customer_id}/preview.
	// Nil: they answer 503.
	Touch Touchpoints
	// Today serves GET /me/today, POST /tasks/{task_id}/outcome and GET
	// /stores/{store_id}/progress. Nil: they answer 503.
	Today Today
	// Campaigns stores the campaigns of POST /campaigns (the stores named are
	// checked through DB). Nil, or a nil DB: that route answers 503.
	Campaigns Campaigns
	// Texts handles the inbound texts of POST /sms/inbound
	// (*textin.Service). Nil: that route answers 503.
	Texts InboundTexts
	// Now is the clock (signature windows, event stamps). Nil: time.Now.
	Now loupe.Clock
	// Logger receives one line per request and the detail of internal errors.
	// Nil: slog.Default().
	Logger *slog.Logger
}

// MaxBodyBytes is the largest request body accepted (1 MiB).
const MaxBodyBytes = 1 << 20

// server carries the normalised Config for the handlers.
type server struct {
	Config
	mux *http.ServeMux
}

// access says who may call a route.
type access int

const (
	public  access = iota // anyone
	signed                // any signed-in person; the handler asks staff.Person what they may see
	manager               // a manager (of some store) or an admin; the handler scopes to the stores
	admin                 // an admin only
)

// allows reports whether p may call a route of this access at all (the
// handler then scopes what it shows): nil, or an EFORBIDDEN error.
func (a access) allows(p staff.Person) error {
	switch a {
	case manager:
		if !p.Admin && len(p.Manages) == 0 {
			return staff.Forbidden("only a store manager or an admin may do this")
		}
	case admin:
		return p.MayAdmin()
	}
	return nil
}

// route is one entry of the routing table.
type route struct {
	pattern string // http.ServeMux pattern, method included: "GET /customers/{customer_id}"
	access  access
	handle  func(w http.ResponseWriter, r *http.Request) error
}

// routes is the routing table: one line a route.
func (s *server) routes() []route {
	return []route{
		{"GET /healthz", public, s.healthz},
		{"POST /pos/events", public, s.posEvents},
		{"GET /auth/config", public, s.getAuthConfig},
		{"POST /auth/link", public, s.postAuthLink},
		{"POST /auth/token", public, s.postAuthToken},
		{"GET /app/signin", public, s.appSignin},
		{"GET /{$}", public, s.root},
		{"GET /app", public, s.appShell},
		{"GET /app/{path...}", public, s.appShell},
		{"GET /me", signed, s.getMe},
		{"GET /me/today", signed, s.getToday},
		{"POST /tasks/{task_id}/outcome", signed, s.postOutcome},
		{"GET /stores/{store_id}/progress", manager, s.getProgress},
		{"GET /customers", signed, s.listCustomers},
		{"GET /customers/{customer_id}", signed, s.getCustomer},
		{"GET /customers/{customer_id}/purchases", signed, s.getPurchases},
		{"GET /customers/{customer_id}/repairs", signed, s.getRepairs},
		{"GET /customers/{customer_id}/contacts", signed, s.getContacts},
		{"GET /customers/{customer_id}/preview", signed, s.getPreview},
		{"GET /compliance", manager, s.getCompliance},
		{"GET /dashboard", public, s.dashboard},
		{"GET /reassignments", signed, s.listReassignments},
		{"GET /reassignments/{id}", signed, s.getReassignment},
		{"GET /reassignments/{id}/print", signed, s.printReassignment},
		{"POST /reassignments/{id}/claims", signed, s.claimReassignment},
		{"DELETE /customers/{customer_id}", admin, s.deleteCustomer},
		{"GET /u/{token}", public, s.unsubscribePage},
		{"POST /u/{token}", public, s.unsubscribe},
		{"POST /campaigns", manager, s.postCampaign},
		{"GET /coverage", manager, s.getCoverage},
		{"GET /stores/{store_id}/inspection", manager, s.getInspection},
		{"PUT /stores/{store_id}/inspection", manager, s.putInspection},
		{"DELETE /stores/{store_id}/inspection", manager, s.deleteInspection},
		{"POST /sms/inbound", admin, s.postSMSInbound},
	}
}

// Route is one route New serves: "METHOD /path" in http.ServeMux form, and
// whether it is a staff route (a bearer token Loupe checks itself).
type Route struct {
	Pattern string
	Staff   bool
}

// Routes returns every route New serves, for the template tests that check
// each is deployed with the right authorizer. It never fails.
func Routes() []Route {
	var s server
	var out []Route
	for _, r := range s.routes() {
		out = append(out, Route{Pattern: r.pattern, Staff: r.access != public})
	}
	return out
}

// New returns the handler serving every route. It never fails; a route whose
// dependency is missing (nil, or a typed nil) answers 503 when called. It
// builds no domain service: the wiring hands them in.
func New(cfg Config) http.Handler {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.DB = present(cfg.DB)
	cfg.Privacy = present(cfg.Privacy)
	cfg.Events = present(cfg.Events)
	cfg.Compliance = present(cfg.Compliance)
	cfg.Unsubscribe = present(cfg.Unsubscribe)
	cfg.Reassign = present(cfg.Reassign)
	cfg.Touch = present(cfg.Touch)
	cfg.Campaigns = present(cfg.Campaigns)
	cfg.Today = present(cfg.Today)
	cfg.Texts = present(cfg.Texts)
	cfg.Staff = present(cfg.Staff)
	cfg.Links = present(cfg.Links)
	if cfg.Staff == nil {
		cfg.Staff = &staff.Authenticator{APIToken: cfg.APIToken}
	}
	s := &server{Config: cfg, mux: http.NewServeMux()}
	for _, rt := range s.routes() {
		s.mux.Handle(rt.pattern, s.wrap(rt))
	}
	return s
}

// wrap turns a route into an http.Handler: authentication, then the handler,
// whose error goes to writeError.
func (s *server) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rt.access != public {
			var err error
			if r, err = s.authenticate(r); err != nil {
				if loupe.ErrorCode(err) == loupe.EUNAUTHORIZED {
					w.Header().Set("WWW-Authenticate", `Bearer realm="loupe"`)
				}
				s.writeError(w, r, err)
				return
			}
			if err := rt.access.allows(person(r)); err != nil {
				s.writeError(w, r, err)
				return
			}
		}
		if err := rt.handle(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// ServeHTTP routes the request, logs it and turns a panic into a 500.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := s.Now()
	rec := &statusRecorder{ResponseWriter: w}
	defer func() {
		if p := recover(); p != nil {
			s.Logger.ErrorContext(r.Context(), "panic in handler", "method", r.Method, "route", r.Pattern, "panic", p)
			if !rec.wrote {
				s.writeError(rec, r, loupe.Errorf(loupe.EINTERNAL, "internal error"))
			}
		}
		s.Logger.InfoContext(r.Context(), "request",
			"method", r.Method, "route", routeName(r), "status", rec.status(),
			"duration_ms", float64(s.Now().Sub(start).Microseconds())/1000)
	}()
	if _, pattern := s.mux.Handler(r); pattern == "" {
		s.unmatched(rec, r)
		return
	}
	s.mux.ServeHTTP(rec, r)
}

func routeName(r *http.Request) string {
	if r.Pattern == "" {
		return "unmatched"
	}
	return r.Pattern
}

// unmatched answers a request no route matches with a JSON 404, or 405 (with
// Allow) when the path exists for another method.
func (s *server) unmatched(w http.ResponseWriter, r *http.Request) {
	probe := &headerProbe{h: http.Header{}}
	s.mux.ServeHTTP(probe, r)
	if probe.code == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", probe.h.Get("Allow"))
		writeJSON(w, http.StatusMethodNotAllowed, errorBody{Error: errorDetail{Code: "method_not_allowed", Message: "method " + r.Method + " is not allowed here"}})
		return
	}
	s.writeError(w, r, loupe.Errorf(loupe.ENOTFOUND, "no route for %s %s", r.Method, r.URL.Path))
}

// headerProbe captures what the mux would answer for an unmatched request.
type headerProbe struct {
	h    http.Header
	code int
}

func (p *headerProbe) Header() http.Header         { return p.h }
func (p *headerProbe) Write(b []byte) (int, error) { return len(b), nil }
func (p *headerProbe) WriteHeader(code int)        { p.code = code }

// statusRecorder remembers the status written, for the request log.
type statusRecorder struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wrote {
		r.code, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if !r.wrote {
		r.code, r.wrote = http.StatusOK, true
	}
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) status() int {
	if !r.wrote {
		return http.StatusOK
	}
	return r.code
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
