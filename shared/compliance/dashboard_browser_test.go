package compliance_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/compliance"
)

// TestDashboardInChromium loads the page in headless Chromium against a fake
// /compliance and checks that the figures on the page equal the JSON. It runs
// only when LOUPE_CHROMIUM names a Chromium binary; the screenshots go to
// LOUPE_ARTIFACTS (or a temporary directory).
func TestDashboardInChromium(t *testing.T) {
	bin := os.Getenv("LOUPE_CHROMIUM")
	if bin == "" {
		t.Skip("set LOUPE_CHROMIUM=/usr/bin/chromium to run")
	}
	svc := newService(chain(), ts("2026-11-14T18:00:00Z"))
	handleAll(t, svc, takeIns)
	rep, err := svc.Report(context.Background(), "", "", "")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /dashboard", compliance.DashboardHandler())
	mux.HandleFunc("GET /compliance", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer test-token" || r.URL.Query().Has("token") {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(rep)
	})
	// Stands in for the reader typing the token: same tab, same origin.
	mux.HandleFunc("GET /seed", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(`<script>sessionStorage.setItem("loupe.token","test-token");location.replace("/dashboard")</script>`))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	dir := os.Getenv("LOUPE_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	run := func(args ...string) []byte {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
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

	tot := attr(`id="totals" data-take-ins="(\d+)" data-with-email="(\d+)" data-rate="([0-9.]+)"`)
	if len(tot) != 1 || tot[0][1] != strconv.Itoa(rep.Totals.TakeIns) || tot[0][2] != strconv.Itoa(rep.Totals.WithEmail) ||
		tot[0][3] != strconv.FormatFloat(rep.Totals.Rate, 'f', -1, 64) {
		t.Errorf("totals on page = %v, want %+v", tot, rep.Totals)
	}
	rows := attr(`<tr data-store="([^"]+)" data-take-ins="(\d+)" data-with-email="(\d+)" data-rate="([0-9.]+)"`)
	assocRows := attr(`<tr data-store="([^"]+)" data-associate="([^"]+)" data-take-ins="(\d+)" data-with-email="(\d+)" data-rate="([0-9.]+)"`)
	missRows := attr(`<tr data-store="([^"]+)" data-repair="([^"]+)" data-associate="[^"]*" data-reason="([^"]*)" data-suggestion="([^"]*)"`)
	days := attr(`<svg[^>]*data-store="([^"]+)"|<g class="day" data-date="([^"]+)" data-take-ins="(\d+)" data-with-email="(\d+)"`)
	if len(rows) != len(rep.Stores) {
		t.Fatalf("store rows = %d, want %d", len(rows), len(rep.Stores))
	}
	// Stores best to worst on the page: s2 (0.6667) before s1 (0.5556).
	if rows[0][1] != "s2" || rows[1][1] != "s1" {
		t.Errorf("store order = %s, %s; want s2, s1", rows[0][1], rows[1][1])
	}
	byStore := map[string]compliance.StoreReport{}
	for _, s := range rep.Stores {
		byStore[s.StoreID] = s
	}
	for _, r := range rows {
		s := byStore[r[1]]
		if r[2] != strconv.Itoa(s.TakeIns) || r[3] != strconv.Itoa(s.WithEmail) || r[4] != strconv.FormatFloat(s.Rate, 'f', -1, 64) {
			t.Errorf("store row %v, want %d/%d %v", r[1:], s.TakeIns, s.WithEmail, s.Rate)
		}
	}
	var nAssoc, nMiss int
	for _, s := range rep.Stores {
		nAssoc += len(s.Associates)
		nMiss += len(s.Missing)
	}
	if len(assocRows) != nAssoc || len(missRows) != nMiss {
		t.Fatalf("associate rows %d, missing rows %d; want %d, %d", len(assocRows), len(missRows), nAssoc, nMiss)
	}
	for _, r := range assocRows {
		var found bool
		for i, a := range byStore[r[1]].Associates {
			if a.AssociateID == r[2] {
				found = r[3] == strconv.Itoa(a.TakeIns) && r[4] == strconv.Itoa(a.WithEmail) && r[5] == strconv.FormatFloat(a.Rate, 'f', -1, 64)
				_ = i
			}
		}
		if !found {
			t.Errorf("associate row %v does not match the JSON", r[1:])
		}
	}
	for _, r := range missRows {
		var found bool
		for _, m := range byStore[r[1]].Missing {
			if m.RepairID == r[2] {
				found = r[3] == m.Reason && r[4] == m.Suggestion
			}
		}
		if !found {
			t.Errorf("missing row %v does not match the JSON", r[1:])
		}
	}
	// Per-store chart days equal the JSON days.
	var cur string
	var checked int
	for _, d := range days {
		if d[1] != "" || (d[2] == "" && d[1] == "") {
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
	if want := 2 * 14; checked != want {
		t.Errorf("chart days checked = %d, want %d", checked, want)
	}

	for _, shot := range []struct{ name, size string }{{"dashboard-phone.png", "412,2400"}, {"dashboard-desktop.png", "1280,2000"}} {
		path := filepath.Join(dir, shot.name)
		run("--window-size="+shot.size, "--hide-scrollbars", "--screenshot="+path, srv.URL+"/seed")
		if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
			t.Errorf("screenshot %s missing: %v", path, err)
		}
	}
	t.Logf("screenshots in %s", dir)
}
