package compliance

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"io/fs"
	"net/http"
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
var dashboardPage, dashboardCSP = func() ([]byte, string) {
	read := func(name string) []byte {
		b, err := dashboardFiles.ReadFile("dashboard/" + name)
		if err != nil {
			panic("compliance: embedded dashboard missing: " + err.Error())
		}
		return b
	}
	css, js := read("dashboard.css"), read("dashboard.js")
	page := read("index.html")
	page = bytes.Replace(page, []byte(`<link rel="stylesheet" href="dashboard.css">`), append(append([]byte("<style>"), css...), "</style>"...), 1)
	page = bytes.Replace(page, []byte(`<script src="dashboard.js"></script>`), append(append([]byte("<script>"), js...), "</script>"...), 1)
	hash := func(b []byte) string {
		sum := sha256.Sum256(b)
		return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	}
	csp := "default-src 'none'; script-src " + hash(js) + "; style-src " + hash(css) +
		"; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
	return page, csp
}()

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
