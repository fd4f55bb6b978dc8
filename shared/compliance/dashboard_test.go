package compliance_test

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/loupehq/loupe/shared/compliance"
)

func TestDashboardHandler(t *testing.T) {
	srv := httptest.NewServer(compliance.DashboardHandler())
	defer srv.Close()
	res, err := http.Get(srv.URL + "/dashboard")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200", res.StatusCode)
	}
	if got, want := res.Header.Get("Content-Type"), "text/html; charset=utf-8"; got != want {
		t.Errorf("Content-Type = %q, want %q", got, want)
	}
	csp := res.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'sha256-", "connect-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	page := string(body)
	for _, c := range []struct{ name, want string }{
		{"inlined style", "<style>:root"},
		{"inlined script", "<script>// Loupe compliance dashboard"},
		{"print style sheet", "@media print"},
		{"viewport for phones", `name="viewport"`},
		{"bearer header", `"Authorization": "Bearer "`},
		{"session storage", "sessionStorage"},
	} {
		if !strings.Contains(page, c.want) {
			t.Errorf("%s: page lacks %q", c.name, c.want)
		}
	}
	for _, bad := range []string{`href="dashboard.css"`, `src="dashboard.js"`, "innerHTML", "http://", "https://"} {
		if strings.Contains(strings.ReplaceAll(page, "http://www.w3.org/2000/svg", ""), bad) {
			t.Errorf("page contains %q", bad)
		}
	}

	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/dashboard", nil)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST status = %d, want 405", res.StatusCode)
	}
}

func TestDashboardFS(t *testing.T) {
	for _, name := range []string{"index.html", "dashboard.css", "dashboard.js"} {
		if _, err := fs.Stat(compliance.DashboardFS(), name); err != nil {
			t.Errorf("DashboardFS lacks %s: %v", name, err)
		}
	}
}
