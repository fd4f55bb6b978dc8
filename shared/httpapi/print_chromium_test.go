package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/testkit/nodeproc"
	"github.com/loupehq/loupe/shared/testkit/repo"
)

// TestPrintPageInChromium prints the review page of a 120-client batch to PDF
// in headless Chromium on A4 and on Letter, and checks with pdftotext that
// every client's id and full name is there, that each client's id and name
// are on the same page (no row split), that the rightmost column header and
// the new associate's heading are on every page (nothing cut off, every page
// says whose clients it lists), that the departed associate is named in
// the header, each new associate heads their clients with a count, and no
// reason code, associate id or UTC time is printed. It skips without
// chromium and pdftotext, except under CI=true. The PDFs are kept in
// testartifacts/.
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
	groups := reviewGroups(t, h, id)

	for _, paper := range []string{"A4", "letter"} {
		t.Run(paper, func(t *testing.T) {
			// Test only: inject the token (production never accepts one in a
			// URL) and pin the paper size, which the page leaves to the printer.
			srv := reviewServer(h, func(body []byte) []byte {
				return bytes.Replace(body, []byte("@page { size: auto;"), []byte("@page { size: "+paper+" portrait;"), 1)
			})
			defer srv.Close()

			pdf := filepath.Join(artifacts, "reassignment-print-"+strings.ToLower(paper)+".pdf")
			os.Remove(pdf)
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, chromium, append(chromiumFlags(t), "--print-to-pdf="+pdf, "--no-pdf-header-footer",
				srv.URL+"/reassignments/"+id+"/print")...)
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
				named := false
				for _, g := range groups {
					named = named || strings.Contains(strings.Join(strings.Fields(p), " "), fmt.Sprintf("%s · %d clients", g.name, g.clients))
				}
				if !named {
					t.Errorf("page %d does not say whose clients it lists", i+1)
				}
			}
			for i := range n {
				cid, name := fmt.Sprintf("c%04d", i), fmt.Sprintf("Client Nr%03d", i)
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
			words := strings.Join(strings.Fields(string(txt)), " ")
			checkReviewWords(t, "the PDF", words, groups)
			if !strings.Contains(pages[0], "Clients of Ann Departed") || strings.Count(words, "Ann Departed") != 1 {
				t.Errorf("the departed associate is not named once in the header:\n%.500s", pages[0])
			}
		})
	}
}

// reviewGroup is one new associate of the fixture's batch and how many
// clients were placed with them, from GET /reassignments/{id}.
type reviewGroup struct {
	name    string
	clients int
}

// reviewGroups reads batch id as JSON and counts its clients per new associate.
func reviewGroups(t *testing.T, h http.Handler, id string) []reviewGroup {
	t.Helper()
	var d struct {
		Assignments []struct {
			ToAssociateName string `json:"to_associate_name"`
		} `json:"assignments"`
	}
	rec := staffGet(h, "/reassignments/"+id)
	if err := json.Unmarshal(rec.Body.Bytes(), &d); err != nil {
		t.Fatalf("review json: %v: %s", err, rec.Body)
	}
	count := map[string]int{}
	for _, a := range d.Assignments {
		count[a.ToAssociateName]++
	}
	var out []reviewGroup
	for name, n := range count {
		out = append(out, reviewGroup{name, n})
	}
	if len(out) < 2 {
		t.Fatalf("the fixture places its clients with %d associate(s), want several", len(out))
	}
	return out
}

// checkReviewWords checks the text a reader sees (what, whitespace
// collapsed): a heading with the count of each new associate, reasons in
// words, the store's name and local time, and none of the ids and codes.
func checkReviewWords(t *testing.T, what, words string, groups []reviewGroup) {
	t.Helper()
	for _, g := range groups {
		if want := fmt.Sprintf("%s · %d clients", g.name, g.clients); !strings.Contains(words, want) {
			t.Errorf("%s lacks the heading %q", what, want)
		}
	}
	for _, want := range []string{"Fifth Ave", "Sat 21 Nov 2026, 4:30 AM EST", "Prefers bridal", "Same store"} {
		if !strings.Contains(words, want) {
			t.Errorf("%s lacks %q", what, want)
		}
	}
	slug := regexp.MustCompile(`[a-z]+:[a-z_]+|\b[a-z]+_[a-z_]+\b|\ba[0-9]\b|UTC|\bFrom\b`)
	if got := slug.FindAllString(words, 5); len(got) > 0 {
		t.Errorf("%s holds ids or codes: %q", what, got)
	}
}

// reviewServer serves h with the API token injected (test only: production
// never takes a token from a URL) and each page body passed through rewrite.
func reviewServer(h http.Handler, rewrite func([]byte) []byte) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		body := rewrite(rec.Body.Bytes())
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		w.Write(body)
	}))
}

// chromiumFlags are the flags of a quiet, throwaway headless Chromium.
func chromiumFlags(t *testing.T) []string {
	return []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--user-data-dir=" + t.TempDir()}
}

// phoneScript is run by node from the repository root with playwright-core:
// for each viewport it opens the page (argv[2]), keeps a screenshot in
// argv[3], and reports as one JSON line how far the page overflows sideways
// (CSS px), which words of the body's text the layout split across two lines
// (a word is a run without spaces or hyphens, so a break at a hyphen is
// allowed), whether the rows are cards, and the text a reader sees.
const phoneScript = `import { createRequire } from 'node:module';
import path from 'node:path';
const { chromium } = createRequire(path.join(process.cwd(), 'package.json'))('playwright-core');
const [url, dir] = process.argv.slice(2);
const sizes = [['phone', 390, 844], ['desktop', 1280, 900]];
const browser = await chromium.launch({ executablePath: process.env.LOUPE_CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const out = {};
  for (const [name, width, height] of sizes) {
    const page = await browser.newPage({ viewport: { width, height } });
    await page.goto(url, { waitUntil: 'load' });
    await page.screenshot({ path: path.join(dir, 'reassignment-page-' + name + '.png') });
    out[name] = await page.evaluate(() => {
      const split = [];
      const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      for (let node; (node = walker.nextNode());) {
        const re = /[^\s\-\u00b7]+/g;
        for (let m; (m = re.exec(node.data));) {
          const r = document.createRange();
          r.setStart(node, m.index);
          r.setEnd(node, m.index + m[0].length);
          const tops = new Set([...r.getClientRects()].filter((x) => x.width > 0).map((x) => Math.round(x.top)));
          if (tops.size > 1) split.push(m[0]);
        }
      }
      return {
        width: window.innerWidth,
        overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
        split,
        cards: getComputedStyle(document.querySelector('tbody tr')).display === 'block',
        text: document.body.innerText,
      };
    });
    await page.close();
  }
  process.stdout.write(JSON.stringify(out) + '\n');
} finally {
  await browser.close();
}
`

// phoneRun is what phoneScript reports for one viewport.
type phoneRun struct {
	Width    int      `json:"width"`
	Overflow int      `json:"overflow"`
	Split    []string `json:"split"`
	Cards    bool     `json:"cards"`
	Text     string   `json:"text"`
}

// TestPrintPageOnPhone opens the review page in headless Chromium, driven by
// playwright-core, at 390x844 and 1280x900 (screenshots kept in
// testartifacts/), and checks that on the phone the clients are cards,
// nothing overflows sideways and no word is split across lines, and that on
// both the page shows names, reasons in words and store-local times rather
// than ids and codes. It skips without node, playwright-core or chromium,
// except under CI=true.
func TestPrintPageOnPhone(t *testing.T) {
	bin := chromium(t)
	if _, reason := nodeproc.Find("playwright-core"); reason != "" {
		nodeproc.Unavailable(t, "playwright-core", reason)
	}
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	h, _, id := reassignFixture(t, 40)
	groups := reviewGroups(t, h, id)
	srv := reviewServer(h, func(b []byte) []byte { return b })
	defer srv.Close()
	script := filepath.Join(t.TempDir(), "phone.mjs")
	if err := os.WriteFile(script, []byte(phoneScript), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", script, srv.URL+"/reassignments/"+id+"/print", printArtifactDir(t))
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "LOUPE_CHROMIUM="+bin)
	cmd.WaitDelay = 5 * time.Second
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node phone.mjs: %v\n%s", err, stderr.Bytes())
	}
	var runs map[string]phoneRun
	if err := json.Unmarshal(out, &runs); err != nil {
		t.Fatalf("phone.mjs output %q: %v", out, err)
	}
	for _, size := range []struct {
		name  string
		width int
		cards bool
	}{{"phone", 390, true}, {"desktop", 1280, false}} {
		run, ok := runs[size.name]
		switch {
		case !ok:
			t.Fatalf("no %s run in %s", size.name, out)
		case run.Width != size.width:
			t.Errorf("%s: window width %d, want %d", size.name, run.Width, size.width)
		}
		if run.Cards != size.cards {
			t.Errorf("%s: rows as cards = %v, want %v", size.name, run.Cards, size.cards)
		}
		if run.Overflow > 0 {
			t.Errorf("%s: the page overflows the window by %d px", size.name, run.Overflow)
		}
		if len(run.Split) > 0 {
			t.Errorf("%s: words split across lines: %q", size.name, run.Split)
		}
		checkReviewWords(t, "the "+size.name+" page", strings.Join(strings.Fields(run.Text), " "), groups)
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
