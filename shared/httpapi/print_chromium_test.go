package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPrintPageInChromium prints the review page of a 120-client batch to PDF
// in headless Chromium on A4 and on Letter, and checks with pdftotext that
// every client's id and name is there, that each client's id and name are on
// the same page (no row split), and that the rightmost column header is on
// every page (nothing cut off). It skips without chromium and pdftotext,
// except under CI=true. The PDFs are kept in testartifacts/.
func TestPrintPageInChromium(t *testing.T) {
	chromium, err1 := exec.LookPath("chromium")
	pdftotext, err2 := exec.LookPath("pdftotext")
	if err1 != nil || err2 != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chromium or pdftotext missing under CI (apt-get install chromium poppler-utils): %v %v", err1, err2)
		}
		t.Skip("chromium or pdftotext not installed")
	}
	const n = 120
	h, _, id := reassignFixture(t, n)
	artifacts := printArtifactDir(t)

	for _, paper := range []string{"A4", "letter"} {
		t.Run(paper, func(t *testing.T) {
			// Test only: inject the token (production never accepts one in a
			// URL) and pin the paper size, which the page leaves to the printer.
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				r.Header.Set("Authorization", "Bearer "+token)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, r)
				body := bytes.Replace(rec.Body.Bytes(), []byte("@page { size: auto;"), []byte("@page { size: "+paper+" portrait;"), 1)
				for k, v := range rec.Header() {
					w.Header()[k] = v
				}
				w.WriteHeader(rec.Code)
				w.Write(body)
			}))
			defer srv.Close()

			pdf := filepath.Join(artifacts, "reassignment-print-"+strings.ToLower(paper)+".pdf")
			os.Remove(pdf)
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
				"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
				"--disable-dev-shm-usage", "--user-data-dir="+t.TempDir(), "--print-to-pdf="+pdf, "--no-pdf-header-footer",
				srv.URL+"/reassignments/"+id+"/print")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("chromium: %v\n%s", err, out)
			}
			txt, err := exec.CommandContext(ctx, pdftotext, "-layout", pdf, "-").Output()
			if err != nil {
				t.Fatalf("pdftotext: %v", err)
			}
			pages := strings.Split(strings.TrimRight(string(txt), "\f\n"), "\f")
			if len(pages) < 2 {
				t.Fatalf("%d page(s), want several for %d clients", len(pages), n)
			}
			info, _ := exec.CommandContext(ctx, "pdfinfo", pdf).Output()
			t.Logf("%s: %d pages; %s", paper, len(pages), pageSizeLine(string(info)))
			for i, p := range pages {
				if !strings.Contains(p, "Connection") {
					t.Errorf("page %d lacks the rightmost column header", i+1)
				}
			}
			for i := range n {
				cid, name := fmt.Sprintf("c%04d", i), fmt.Sprintf("Nr%03d", i)
				idPage, namePage := -1, -1
				for k, p := range pages {
					if idPage < 0 && strings.Contains(p, cid) {
						idPage = k
					}
					if namePage < 0 && strings.Contains(p, name) {
						namePage = k
					}
				}
				switch {
				case idPage < 0 || namePage < 0:
					t.Errorf("client %s (%s) missing from the PDF", cid, name)
				case idPage != namePage:
					t.Errorf("client %s split across pages %d and %d", cid, idPage+1, namePage+1)
				}
			}
		})
	}
}

func pageSizeLine(info string) string {
	for _, l := range strings.Split(info, "\n") {
		if strings.HasPrefix(l, "Page size:") {
			return strings.TrimSpace(l)
		}
	}
	return "page size unknown"
}

// printArtifactDir returns <repository>/testartifacts, created if missing.
func printArtifactDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
	out := filepath.Join(dir, "testartifacts")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	return out
}
