package httpapi_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/compliance"
	"github.com/loupehq/loupe/shared/pos"
	"github.com/loupehq/loupe/shared/testkit/browsertest"
)

func chromium(t *testing.T) string { return browsertest.Chromium(t) }

// artifactDir is where screenshots go: LOUPE_ARTIFACTS, else testartifacts/
// at the repository root (gitignored).
func artifactDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("LOUPE_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "testartifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("artifact dir: %v", err)
	}
	return dir
}

// TestDashboardInChromium serves the real API (httpapi.New on the embedded
// store, take-ins posted by webhook and recorded through the change feed) on
// 127.0.0.1, loads GET /dashboard in headless Chromium, and checks that every
// figure on the page equals GET /compliance. Screenshots (phone and desktop)
// are kept in testartifacts/.
func TestDashboardInChromium(t *testing.T) {
	bin := chromium(t)
	c := newComplianceChain(t)
	// Two clients have names on file; the others are listed without one.
	for i, data := range []string{`{"customer_id":"c4","home_store_id":"s1","first_name":"Dana","last_name":"Reyes"}`,
		`{"customer_id":"c7","home_store_id":"s1","first_name":"Émile","last_name":"Okafor-Lindqvist"}`} {
		body := fmt.Sprintf(`{"id":"evt_name_%d","type":%q,"occurred_at":"2026-11-20T13:00:00Z","data":%s}`, i, pos.TypeCustomerUpserted, data)
		if rec := postEvent(c.h, body, signed, "application/json"); rec.Code != http.StatusAccepted {
			t.Fatalf("name %s: status %d, body %s", data, rec.Code, rec.Body)
		}
	}
	rep, err := c.svc.Report(context.Background(), "", "", "")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", c.h)
	// Stands in for the reader typing the token: same tab, same origin.
	mux.HandleFunc("GET /seed", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(`<script>sessionStorage.setItem("loupe.token","` + token + `");location.replace("/dashboard")</script>`))
	})
	srv := httptest.NewServer(mux) // 127.0.0.1, a free port
	defer srv.Close()

	run := func(args ...string) []byte {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
			"--user-data-dir=" + t.TempDir(), "--virtual-time-budget=10000"}
		out, err := exec.CommandContext(ctx, bin, append(base, args...)...).Output()
		if err != nil {
			t.Fatalf("chromium %v: %v", args, err)
		}
		return out
	}
	dom := string(run("--dump-dom", srv.URL+"/seed"))
	if !regexp.MustCompile(`<body[^>]*data-state="ready"`).MatchString(dom) {
		t.Fatalf("page did not reach ready:\n%.2000s", dom)
	}
	attr := func(re string) [][]string { return regexp.MustCompile(re).FindAllStringSubmatch(dom, -1) }
	rate := func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

	label := regexp.MustCompile(`<[^>]*id="window-label"[^>]*>`).FindString(dom)
	if !regexp.MustCompile(`data-from="`+rep.From+`"`).MatchString(label) || !regexp.MustCompile(`data-to="`+rep.To+`"`).MatchString(label) {
		t.Errorf("window label %q, want data-from %s and data-to %s", label, rep.From, rep.To)
	}
	tot := attr(`id="totals" data-take-ins="(\d+)" data-with-email="(\d+)" data-rate="([0-9.]+)"`)
	if len(tot) != 1 || tot[0][1] != strconv.Itoa(rep.Totals.TakeIns) || tot[0][2] != strconv.Itoa(rep.Totals.WithEmail) || tot[0][3] != rate(rep.Totals.Rate) {
		t.Errorf("totals on page = %v, want %+v", tot, rep.Totals)
	}
	byStore := map[string]compliance.StoreReport{}
	for _, s := range rep.Stores {
		byStore[s.StoreID] = s
	}
	rows := attr(`<tr data-store="([^"]+)" data-take-ins="(\d+)" data-with-email="(\d+)" data-rate="([0-9.]+)"`)
	if len(rows) != len(rep.Stores) {
		t.Fatalf("store rows = %d, want %d", len(rows), len(rep.Stores))
	}
	// Best to worst: s2 (0.5) before s1 (0.4286).
	if rows[0][1] != "s2" || rows[1][1] != "s1" {
		t.Errorf("store order = %s, %s; want s2, s1", rows[0][1], rows[1][1])
	}
	for _, r := range rows {
		s := byStore[r[1]]
		if r[2] != strconv.Itoa(s.TakeIns) || r[3] != strconv.Itoa(s.WithEmail) || r[4] != rate(s.Rate) {
			t.Errorf("store row %v, want %d/%d %v", r[1:], s.TakeIns, s.WithEmail, s.Rate)
		}
	}
	assocRows := attr(`<tr data-store="([^"]+)" data-associate="([^"]+)" data-take-ins="(\d+)" data-with-email="(\d+)" data-rate="([0-9.]+)"`)
	missRows := attr(`<tr data-store="([^"]+)" data-repair="([^"]+)" data-associate="[^"]*" data-reason="([^"]*)" data-suggestion="([^"]*)"`)
	var nAssoc, nMiss int
	for _, s := range rep.Stores {
		nAssoc += len(s.Associates)
		nMiss += len(s.Missing)
	}
	if len(assocRows) != nAssoc || len(missRows) != nMiss {
		t.Fatalf("associate rows %d, missing rows %d; want %d, %d", len(assocRows), len(missRows), nAssoc, nMiss)
	}
	for i, r := range assocRows {
		s := byStore[r[1]]
		// Page order is the JSON order (best to worst) within each store.
		var pos int
		for j := range i {
			if assocRows[j][1] == r[1] {
				pos++
			}
		}
		a := s.Associates[pos]
		if r[2] != a.AssociateID || r[3] != strconv.Itoa(a.TakeIns) || r[4] != strconv.Itoa(a.WithEmail) || r[5] != rate(a.Rate) {
			t.Errorf("associate row %v, want %+v", r[1:], a)
		}
	}
	for _, r := range missRows {
		var found bool
		for _, m := range byStore[r[1]].Missing {
			found = found || (m.RepairID == r[2] && r[3] == m.Reason && r[4] == m.Suggestion)
		}
		if !found {
			t.Errorf("missing row %v does not match the JSON", r[1:])
		}
	}
	if len(attr(`data-suggestion="c4@gmail.com"`)) == 0 {
		t.Errorf("the typo suggestion c4@gmail.com is not on the page")
	}
	// What a manager reads in the missing list: the client's name (the
	// client number only small), the take-in in the store's time, the
	// associate's name and the address the typo probably meant.
	rowText := func(repair string) string {
		m := regexp.MustCompile(`(?s)<tr [^>]*data-repair="` + repair + `"[^>]*>(.*?)</tr>`).FindStringSubmatch(dom)
		if m == nil {
			t.Fatalf("no missing row for %s", repair)
		}
		text := regexp.MustCompile(`<[^>]*>`).ReplaceAllString(m[1], " ")
		return strings.Join(strings.Fields(html.UnescapeString(text)), " ")
	}
	for repair, want := range map[string][]string{
		"r4": {"Dana Reyes", "client no. c4", "Thu 19 Nov, 10:00 AM EST", "Bob", "Likely typo", "Did you mean c4@gmail.com ?"},
		"r7": {"Émile Okafor-Lindqvist", "Fri 20 Nov, 9:00 AM EST", "Ann", "The store's own address"},
		"r9": {"Name not on file", "client no. c9", "Fri 20 Nov, 12:30 AM GMT", "Cat", "Placeholder"},
	} {
		got := rowText(repair)
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("missing row %s reads %q, lacks %q", repair, got, w)
			}
		}
		if strings.Contains(got, "UTC") || regexp.MustCompile(`\ba[0-9]\b`).MatchString(got) {
			t.Errorf("missing row %s shows an id or UTC: %q", repair, got)
		}
	}
	for _, m := range byStore["s1"].Missing {
		if m.RepairID == "r4" && m.CustomerName != "Dana Reyes" {
			t.Errorf("JSON customer_name of r4 = %q, want Dana Reyes", m.CustomerName)
		}
	}
	// Per-store chart days equal the JSON days.
	var cur string
	var checked int
	for _, d := range attr(`<svg[^>]*data-store="([^"]*)"|<g class="day" data-date="([^"]+)" data-take-ins="(\d+)" data-with-email="(\d+)"`) {
		if d[2] == "" {
			cur = d[1]
			continue
		}
		s, ok := byStore[cur]
		if !ok {
			continue // the chain chart (data-store="")
		}
		for _, jd := range s.Days {
			if jd.Date == d[2] {
				checked++
				if d[3] != strconv.Itoa(jd.TakeIns) || d[4] != strconv.Itoa(jd.WithEmail) {
					t.Errorf("chart %s %s = %s/%s, want %d/%d", cur, d[2], d[3], d[4], jd.TakeIns, jd.WithEmail)
				}
			}
		}
	}
	if want := len(rep.Stores) * compliance.DefaultWindowDays; checked != want {
		t.Errorf("chart days checked = %d, want %d", checked, want)
	}

	dir := artifactDir(t)
	for _, shot := range []struct{ name, size string }{{"dashboard-phone.png", "412,2400"}, {"dashboard-desktop.png", "1280,2000"}} {
		path := filepath.Join(dir, shot.name)
		run("--window-size="+shot.size, "--hide-scrollbars", "--screenshot="+path, srv.URL+"/seed")
		if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
			t.Errorf("screenshot %s missing: %v", path, err)
		}
	}
	t.Logf("screenshots in %s", dir)
}
