package compliance

import (
	"embed"
	"io/fs"
	"net/http"

	"github.com/loupehq/loupe/shared/webpage"
)

//go:embed dashboard/index.html dashboard/dashboard.css dashboard/dashboard.js
var dashboardFiles embed.FS

// DashboardFS returns the dashboard's files (index.html, dashboard.css,
// dashboard.js) at its root, as shipped in the binary.
func DashboardFS() fs.FS {
	sub, err := fs.Sub(dashboardFiles, "dashboard")
	if err != nil {
		panic("compliance: embedded dashboard missing: " + err.Error()) // cannot happen: the files are embedded at build time
	}
	return sub
}

// dashboardPage is index.html with the style sheet and the script inlined, so
// the page is one response (one route, GET /dashboard, under any stage path),
// and the Content-Security-Policy allowing exactly those two inline blocks.
var dashboardPage, dashboardCSP = webpage.Inline(DashboardFS(), "dashboard.css", "dashboard.js")

// DashboardHandler returns the handler of GET /dashboard: one self-contained
// HTML page (no data in it; it fetches GET /compliance with the bearer token
// the reader types in). It answers 405 to methods other than GET and HEAD.
func DashboardHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", dashboardCSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-cache")
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			w.Write(dashboardPage)
		}
	})
}
