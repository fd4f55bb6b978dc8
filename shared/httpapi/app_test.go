package httpapi_test

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/loupehq/loupe/shared/httpapi"
)

// maxAppPage bounds the staff app's one page (CONTRACT section 3, GET /app):
// fast over a shop's Wi-Fi, and well under the 150 KB the first screen may
// transfer with its JSON (cmd/loupe TestAppInChromium measures that).
const maxAppPage = 60 << 10

// TestAppPage checks the staff app's page as every path under /app serves
// it: one self-contained page under 60 KB whose only script and style sheet
// are the inlined ones the Content-Security-Policy names by hash, with no
// inline event handler or style attribute (the CSP would block them) and
// nothing that writes HTML from data or evaluates strings.
func TestAppPage(t *testing.T) {
	h := httpapi.New(httpapi.Config{Logger: quietLogger()})
	var first string
	for _, path := range []string{"/app", "/app/", "/app/clients/c1", "/app/reassignments/b1/print", "/app/team"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
			t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Header().Get("Content-Type"))
		}
		body := rec.Body.String()
		if first == "" {
			first = body
		} else if body != first {
			t.Errorf("GET %s serves another page than GET /app", path)
		}
		csp := rec.Header().Get("Content-Security-Policy")
		if path != "/app" {
			continue
		}
		if n := len(body); n > maxAppPage {
			t.Errorf("the app's page is %d bytes, want at most %d", n, maxAppPage)
		}
		t.Logf("the app's page: %d bytes", len(body))
		scripts := regexp.MustCompile(`(?s)<script>(.*?)</script>`).FindAllStringSubmatch(body, -1)
		styles := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindAllStringSubmatch(body, -1)
		if len(scripts) != 1 || len(styles) != 1 || strings.Contains(body, "<script src") || strings.Contains(body, `rel="stylesheet"`) {
			t.Fatalf("want exactly one inlined script and style sheet, no external ones; got %d scripts, %d style sheets", len(scripts), len(styles))
		}
		for _, c := range []struct{ directive, text string }{{"script-src", scripts[0][1]}, {"style-src", styles[0][1]}} {
			sum := sha256.Sum256([]byte(c.text))
			want := c.directive + " 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "';"
			if !strings.Contains(csp, want) {
				t.Errorf("CSP %q does not allow the inlined block by hash (%s)", csp, want)
			}
		}
		if !strings.Contains(csp, "connect-src 'self'") || strings.Contains(csp, "unsafe-") {
			t.Errorf("CSP %q: want connect-src 'self' and nothing unsafe", csp)
		}
		markup := strings.Replace(strings.Replace(body, scripts[0][1], "", 1), styles[0][1], "", 1)
		if m := regexp.MustCompile(`(?i)<[^>]+\s(on[a-z]+|style)\s*=`).FindString(markup); m != "" {
			t.Errorf("inline handler or style attribute in the markup: %s", m)
		}
		for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "setAttribute(\"style\""} {
			if strings.Contains(scripts[0][1], bad) {
				t.Errorf("the script uses %s", bad)
			}
		}
		for _, landmark := range []string{"<header", "<nav", "<main", `aria-live="polite"`, `lang="en"`, `name="viewport"`} {
			if !strings.Contains(markup, landmark) {
				t.Errorf("the page has no %s", landmark)
			}
		}
	}
}
