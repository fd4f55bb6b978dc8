package main

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/embedded"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/outbox"
	"github.com/loupehq/loupe/shared/reassign"
	"github.com/loupehq/loupe/shared/testkit/erasuretest"
	"github.com/loupehq/loupe/shared/testkit/storetest"
	"github.com/loupehq/loupe/shared/wire"
)

// TestEraseLeavesNothingInTheDataDirectory is the erasure of issue 13 end to
// end on one machine: a client with a repair naming her, a purchase, a
// reassignment (whose review mail and CSV went to the manager) and a
// Christmas mail is erased by DELETE /customers/erz1 on `loupe serve`; then
// every file under the data directory is searched byte for byte.
func TestEraseLeavesNothingInTheDataDirectory(t *testing.T) {
	t.Setenv(wire.EnvBaseURL, "https://loupe.example.com")
	t.Setenv(wire.EnvAPIToken, "test-token")
	dir := t.TempDir()
	func() {
		db, err := embedded.Open(filepath.Join(dir, dbFile))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		ctx := context.Background()
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(loupe.PutStore(ctx, db, storetest.Store("s1")))
		for _, id := range []string{"leaver", "a2"} {
			a := storetest.Associate(id, "s1")
			a.Strengths = []string{"pearls"}
			must(loupe.PutAssociate(ctx, db, a))
		}
		c := storetest.Customer("erz1", "s1", "leaver")
		c.FirstName, c.LastName, c.Email, c.Phone = erasuretest.First, erasuretest.Last, erasuretest.Email, erasuretest.Phone
		c.Birthday = loupe.Date{Year: 1937, Month: time.February, Day: 11}
		c.PostalAddress.Line1 = erasuretest.Street
		must(loupe.PutCustomer(ctx, db, c))
		must(loupe.PutCustomer(ctx, db, storetest.Customer("c2", "s1", "leaver")))
		r := storetest.Repair("r1", "s1", "erz1", storetest.At(time.Hour))
		r.CustomerEmail, r.Item = erasuretest.Email, "Pearl necklace restring for "+erasuretest.First
		must(db.PutRepair(ctx, r))
		must(db.PutPurchase(ctx, storetest.Purchase("p1", "erz1", storetest.At(2*time.Hour))))
		must(loupe.TerminateAssociate(ctx, db, "leaver", storetest.At(3*time.Hour), storetest.At(3*time.Hour)))
	}()
	// The termination reaches the reassignment (review mail with its CSV to
	// the manager), then the Christmas mail goes out.
	if code, _, errs := runCLI(t, "orphans", "--data", dir); code != exitOK {
		t.Fatalf("orphans: exit %d, %s", code, errs)
	}
	if code, out, errs := runCLI(t, "tick", "--date", "2026-12-01", "--data", dir); code != exitOK {
		t.Fatalf("tick: exit %d, %s %s", code, out, errs)
	}
	before := readTree(t, dir)
	for _, v := range erasuretest.Values {
		if !bytes.Contains(before, []byte(v)) {
			t.Fatalf("before the erasure the data directory does not hold %q: the search below would prove nothing", v)
		}
	}
	mails := outboxFiles(t, dir)
	if len(mails) < 3 {
		t.Fatalf("outbox before the erasure: %d files, want the review mail and two Christmas mails", len(mails))
	}

	t.Logf("outbox before: %d mails", len(mails))
	url, _, stop := startServer(t, "serve", "--data", dir)
	var list struct {
		Reassignments []struct {
			ID string `json:"id"`
		} `json:"reassignments"`
	}
	if got := getJSON(t, url+"/reassignments", "test-token", &list); got != http.StatusOK || len(list.Reassignments) != 1 {
		t.Fatalf("GET /reassignments: %d, %+v", got, list)
	}
	batch := list.Reassignments[0].ID
	for id, want := range map[string]int{"erz1": http.StatusNoContent, "nobody": http.StatusNotFound} {
		req, _ := http.NewRequest(http.MethodDelete, url+"/customers/"+id, nil)
		req.Header.Set("Authorization", "Bearer test-token")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Fatalf("DELETE /customers/%s: %d, want %d", id, res.StatusCode, want)
		}
	}
	for _, path := range []string{"/reassignments/" + batch, "/reassignments/" + batch + ".csv", "/reassignments/" + batch + "/print"} {
		body := getBody(t, url+path, "test-token")
		for _, v := range erasuretest.Values {
			if strings.Contains(body, v) {
				t.Errorf("GET %s still shows %q", path, v)
			}
		}
		if !strings.Contains(body, "c2") || !strings.Contains(body, reassign.ErasedName) && !strings.Contains(body, "(erased client)") {
			t.Errorf("GET %s: want the other client and the erased one's placeholder:\n%s", path, body)
		}
	}
	if code := stop(); code != exitOK {
		t.Fatalf("serve exit %d", code)
	}

	after := readTree(t, dir)
	for _, v := range erasuretest.Values {
		if i := bytes.Index(after, []byte(v)); i >= 0 {
			t.Errorf("after the erasure the data directory still holds %q: ...%q...", v, after[max(0, i-60):min(len(after), i+40)])
		}
	}
	left := outboxFiles(t, dir)
	t.Logf("outbox after: %d mails", len(left))
	if len(left) != len(mails)-2 {
		t.Errorf("outbox after the erasure: %d mails, want %d (her Christmas mail and the review mail gone)", len(left), len(mails)-2)
	}
	// Sending either removed mail again writes nothing: its key is kept.
	if code, _, errs := runCLI(t, "tick", "--date", "2026-12-01", "--data", dir); code != exitOK {
		t.Fatalf("tick again: %d %s", code, errs)
	}
	if n := len(outboxFiles(t, dir)); n != len(left) {
		t.Errorf("outbox after a second tick: %d mails, want %d", n, len(left))
	}
}

// readTree returns every file under dir, concatenated, each .eml file also
// decoded (outbox.Text: base64 attachments and quoted-printable parts).
func readTree(t *testing.T, dir string) []byte {
	t.Helper()
	var all []byte
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		all = append(append(all, b...), '\n')
		if strings.HasSuffix(p, ".eml") {
			all = append(append(all, outbox.Text(b)...), '\n')
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return all
}

func getBody(t *testing.T, url, token string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, res.StatusCode, b)
	}
	return string(b)
}
