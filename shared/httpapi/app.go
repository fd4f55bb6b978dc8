package httpapi

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"net/http"
)

// The staff app (CONTRACT section 3, GET /app): plain HTML, CSS and
// JavaScript shipped in the binary (app/index.html, app/app.css,
// app/app.js), served as one self-contained page for GET /app and every
// path under it but /app/signin, so a link such as
// /app/reassignments/{id} opens the app at that screen (the script routes
// on location.pathname). The page holds no data: it reads the routes with
// the bearer token the sign-in page keeps in session storage
// (docs/staff-app.md).

//go:embed app/index.html app/app.css app/app.js
var appFiles embed.FS

// appPage is index.html with the style sheet and the script inlined, and
// appCSP the Content-Security-Policy allowing exactly those two blocks.
var appPage, appCSP = func() ([]byte, string) {
	read := func(name string) []byte {
		b, err := appFiles.ReadFile("app/" + name)
		if err != nil {
			panic("httpapi: embedded app missing: " + err.Error()) // cannot happen: embedded at build time
		}
		return b
	}
	css, js := read("app.css"), read("app.js")
	page := read("index.html")
	page = bytes.Replace(page, []byte(`<link rel="stylesheet" href="app.css">`), append(append([]byte("<style>"), css...), "</style>"...), 1)
	page = bytes.Replace(page, []byte(`<script src="app.js"></script>`), append(append([]byte("<script>"), js...), "</script>"...), 1)
	hash := func(b []byte) string {
		sum := sha256.Sum256(b)
		return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	}
	csp := "default-src 'none'; script-src " + hash(js) + "; style-src " + hash(css) +
		"; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
	return page, csp
}()

// appShell answers GET /app and GET /app/{path...} with the app's page.
func (s *server) appShell(w http.ResponseWriter, r *http.Request) error {
	writePage(w, http.StatusOK, appCSP, appPage)
	return nil
}

// root answers GET / by sending people to the staff app.
func (s *server) root(w http.ResponseWriter, r *http.Request) error {
	http.Redirect(w, r, "/app", http.StatusFound)
	return nil
}
