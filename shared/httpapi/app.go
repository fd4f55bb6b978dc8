package httpapi

import (
	"embed"
	"io/fs"
	"net/http"

	"github.com/loupehq/loupe/shared/webpage"
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
	sub, err := fs.Sub(appFiles, "app")
	if err != nil {
		panic("httpapi: embedded app missing: " + err.Error()) // cannot happen: embedded at build time
	}
	return webpage.Inline(sub, "app.css", "app.js")
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
