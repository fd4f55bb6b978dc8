package main

import (
	"bytes"
	"context"
	"github.com/loupehq/loupe/shared/touch"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/embedded"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/testkit/sestest"
	"github.com/loupehq/loupe/shared/testkit/storetest"
	"github.com/loupehq/loupe/shared/wire"
)

// seedTick writes a New York store s1 with an active associate and three
// clients: c1 (birthday November 27), c2 (anniversary November 30) and c3
// (birthday November 27, no email). With the default leads (7 days for a
// birthday, 10 for an anniversary) c1 and c2 are mailed on November 20.
func seedTick(t *testing.T, dir string) {
	t.Helper()
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
	must(loupe.PutAssociate(ctx, db, storetest.Associate("a1", "s1")))
	c1 := storetest.Customer("c1", "s1", "a1")
	c1.Birthday = loupe.Date{Year: 1980, Month: time.November, Day: 27}
	c1.Anniversary = loupe.Date{}
	c2 := storetest.Customer("c2", "s1", "a1")
	c2.Birthday = loupe.Date{}
	c2.Anniversary = loupe.Date{Year: 2010, Month: time.November, Day: 30}
	c3 := storetest.Customer("c3", "s1", "a1")
	c3.Birthday, c3.Anniversary = c1.Birthday, loupe.Date{}
	c3.Email, c3.EmailSource = "", ""
	for _, c := range []loupe.Customer{c1, c2, c3} {
		must(loupe.PutCustomer(ctx, db, c))
	}
}

// outboxFiles returns the .eml files in dir's outbox.
func outboxFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "outbox", "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestTickSendsBirthdayOnce(t *testing.T) {
	t.Setenv(wire.EnvBaseURL, "https://loupe.example.com")
	dir := t.TempDir()
	seedTick(t, dir)

	code, out, errs := runCLI(t, "tick", "--date", "2026-11-20", "--data", dir)
	if code != exitOK {
		t.Fatalf("tick: exit %d, stderr %q", code, errs)
	}
	if got, want := strings.TrimSpace(out), "2026-11-20 planned=2 sent=2 recovered=0 deferred=0 skipped=1 (no_email=1)"; got != want {
		t.Errorf("summary: got %q, want %q", got, want)
	}
	files := outboxFiles(t, dir)
	if len(files) != 2 {
		t.Fatalf("outbox: got %d files, want 2 (c1's birthday, c2's anniversary): %v", len(files), files)
	}
	msg := outboxMessage(t, files, "c1")
	for _, h := range []struct{ name, want string }{
		{"X-Loupe-Touchpoint", "birthday"},
		{"X-Loupe-Customer-Id", "c1"},
		{"X-Loupe-Send-Date", "2026-11-20"},
		{"List-Unsubscribe", "<https://loupe.example.com/u/"},
		{"List-Unsubscribe-Post", "List-Unsubscribe=One-Click"},
	} {
		if got := msg.Header.Get(h.name); !strings.HasPrefix(got, h.want) {
			t.Errorf("%s: got %q, want %q", h.name, got, h.want)
		}
	}

	code, out, errs = runCLI(t, "tick", "--date", "2026-11-20", "--data", dir)
	if code != exitOK {
		t.Fatalf("second tick: exit %d, stderr %q", code, errs)
	}
	if got, want := strings.TrimSpace(out), "2026-11-20 planned=0 sent=0 recovered=0 deferred=0 skipped=0"; got != want {
		t.Errorf("second summary: got %q, want %q", got, want)
	}
	if got := len(outboxFiles(t, dir)); got != 2 {
		t.Errorf("outbox after second tick: got %d files, want 2", got)
	}

	// Each mail sent is one entry of its client's contact history, once.
	db, err := embedded.Open(filepath.Join(dir, dbFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	for id, want := range map[string]int{"c1": 1, "c2": 1, "c3": 0} {
		cs, err := db.ContactsByCustomer(ctx, id, 0)
		if err != nil || len(cs) != want {
			t.Fatalf("contacts of %s: %+v (%v), want %d", id, cs, err, want)
		}
		if want == 0 {
			continue
		}
		c, _ := db.GetCustomer(ctx, id)
		if k := cs[0]; k.Channel != "email" || k.By != "loupe" || k.Status != "sent" || !k.At.Equal(c.LastContactAt) {
			t.Errorf("contact of %s: %+v, last contact %v", id, k, c.LastContactAt)
		}
	}
}

// outboxMessage returns the message of files addressed to customerID.
func outboxMessage(t *testing.T, files []string, customerID string) *mail.Message {
	t.Helper()
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		msg, err := mail.ReadMessage(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("read %s: %v", name, err)
		}
		if msg.Header.Get("X-Loupe-Customer-Id") == customerID {
			return msg
		}
	}
	t.Fatalf("no mail to %s in %v", customerID, files)
	return nil
}

func TestTickRange(t *testing.T) {
	dir := t.TempDir()
	seedTick(t, dir)
	code, out, errs := runCLI(t, "tick", "--date", "2026-11-15", "--to", "2026-11-24", "--data", dir)
	if code != exitOK {
		t.Fatalf("tick: exit %d, stderr %q", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if got, want := len(lines), 10; got != want {
		t.Fatalf("summary lines: got %d, want %d:\n%s", got, want, out)
	}
	if !strings.HasPrefix(lines[0], "2026-11-15 ") || !strings.HasPrefix(lines[9], "2026-11-24 ") {
		t.Errorf("days: got %q .. %q, want 2026-11-15 .. 2026-11-24", lines[0], lines[9])
	}
	// c1's birthday goes on the 20th, c2's anniversary on the 20th too (10 days ahead).
	var sendDates []string
	for _, f := range outboxFiles(t, dir) {
		sendDates = append(sendDates, strings.SplitN(filepath.Base(f), "_", 2)[0])
	}
	if got, want := strings.Join(sendDates, ","), "2026-11-20,2026-11-20"; got != want {
		t.Errorf("send dates: got %s, want %s", got, want)
	}
	// The whole range again: nothing new.
	if code, _, errs := runCLI(t, "tick", "--date", "2026-11-15", "--to", "2026-11-24", "--data", dir); code != exitOK {
		t.Fatalf("tick again: exit %d, stderr %q", code, errs)
	}
	if got := len(outboxFiles(t, dir)); got != 2 {
		t.Errorf("outbox after second run: got %d files, want 2", got)
	}
}

func TestTickUsage(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr string
	}{
		{"no date", []string{"tick"}, exitUsage, "usage: loupe tick"},
		{"bad date", []string{"tick", "--date", "2026-13-01"}, exitUsage, `loupe: tick: --date "2026-13-01" is not YYYY-MM-DD`},
		{"bad to", []string{"tick", "--date", "2026-11-01", "--to", "tomorrow"}, exitUsage, `loupe: tick: --to "tomorrow" is not YYYY-MM-DD`},
		{"to before date", []string{"tick", "--date", "2026-11-02", "--to", "2026-11-01"}, exitUsage, "--to 2026-11-01 is before --date 2026-11-02"},
		{"too many days", []string{"tick", "--date", "2026-01-01", "--to", "2027-02-05"}, exitUsage, "at most 400"},
		{"stray argument", []string{"tick", "--date", "2026-11-01", "extra"}, exitUsage, "usage: loupe tick"},
		{"no data", []string{"tick", "--date", "2026-11-01", "--data", "/nonexistent/loupe"}, exitFail, "loupe: tick: no Loupe data in /nonexistent/loupe"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit: got %d, want %d (stderr %q)", code, tt.wantCode, stderr)
			}
			if !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("stderr: got %q, want it to contain %q", stderr, tt.wantStderr)
			}
		})
	}
}

// TestTickSendsInspectionMail: during a store's inspection, ticking a day
// mails the manager yesterday's take-ins without an email, once.
func TestTickSendsInspectionMail(t *testing.T) {
	t.Setenv(wire.EnvBaseURL, "https://loupe.example.com")
	dir := t.TempDir()
	seedTick(t, dir)
	db, err := embedded.Open(filepath.Join(dir, dbFile))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, r := range []struct{ id, email string }{{"r1", ""}, {"r2", "ada@gmail.com"}, {"r3", "none@none.com"}} {
		rep := storetest.Repair(r.id, "s1", "c1", time.Date(2026, 11, 19, 15, 0, 0, 0, time.UTC))
		rep.AssociateID, rep.CustomerEmail = "a1", r.email
		if err := db.PutRepair(ctx, rep); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runCLI(t, "inspect", "--store", "s1", "--from", "2026-11-19", "--to", "2026-11-30", "--data", dir); code != exitOK {
		t.Fatalf("inspect: exit %d, stderr %q", code, errs)
	}
	code, out, errs := runCLI(t, "tick", "--date", "2026-11-20", "--data", dir)
	if code != exitOK || !strings.HasSuffix(strings.TrimSpace(out), "inspection_mails=1") {
		t.Fatalf("tick: exit %d, out %q, stderr %q; want inspection_mails=1", code, out, errs)
	}
	var found *mail.Message
	for _, name := range outboxFiles(t, dir) {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		msg, err := mail.ReadMessage(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(msg.Header.Get("To"), "manager-s1@example.com") {
			found = msg
		}
	}
	if found == nil {
		t.Fatal("no inspection mail to the manager in the outbox")
	}
	if subj := found.Header.Get("Subject"); !strings.Contains(subj, "2 of 3") {
		t.Errorf("subject %q, want 2 of 3 take-ins without an email", subj)
	}
	code, out, _ = runCLI(t, "tick", "--date", "2026-11-20", "--data", dir)
	if code != exitOK || strings.Contains(out, "inspection_mails") {
		t.Errorf("second tick: exit %d, out %q; want no inspection mail", code, out)
	}
}

// TestTickMailSES: with --mail ses the day's mail goes to SES v2 (here
// aws-ses-v2-local, reached through AWS_ENDPOINT_URL_SESV2) instead of the
// outbox, and a second run sends nothing twice.
func TestTickMailSES(t *testing.T) {
	endpoint := sestest.Start(t)
	t.Setenv("AWS_ENDPOINT_URL_SESV2", endpoint)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv(wire.EnvBaseURL, "https://loupe.example.com")
	dir := t.TempDir()
	seedTick(t, dir)
	for range 2 {
		if code, out, errs := runCLI(t, "tick", "--date", "2026-11-20", "--data", dir, "--mail", "ses"); code != exitOK {
			t.Fatalf("tick --mail ses: exit %d, out %q, stderr %q", code, out, errs)
		}
	}
	sent := sestest.Sent(t, endpoint)
	if len(sent) != 2 {
		t.Fatalf("SES got %d mails, want 2 (c1's birthday, c2's anniversary)", len(sent))
	}
	if n := len(outboxFiles(t, dir)); n != 0 {
		t.Errorf("outbox holds %d files, want none with --mail ses", n)
	}
	if code, _, errs := runCLI(t, "tick", "--date", "2026-11-20", "--data", dir, "--mail", "smtp"); code != exitUsage || !strings.Contains(errs, "--mail") {
		t.Errorf("--mail smtp: exit %d, stderr %q; want usage naming --mail", code, errs)
	}
}

// TestTickAfterACrashMidSend: a mail whose send lease a crashed run left
// standing is sent by the next tick, within the lease's five minutes.
func TestTickAfterACrashMidSend(t *testing.T) {
	dir := t.TempDir()
	seedTick(t, dir)
	db, err := embedded.Open(filepath.Join(dir, dbFile))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	k := touch.Key{CustomerID: "c1", Occasion: "birthday", Year: 2026}
	day, _ := touch.ParseDay("2026-11-20")
	now := time.Now()
	if _, err := db.Ledger().Claim(ctx, touch.Entry{Key: k, StoreID: "s1", Planned: day, ClaimedAt: now.Add(-time.Minute), State: touch.StateClaimed}); err != nil {
		t.Fatal(err)
	}
	if won, err := db.Ledger().Lease(ctx, k, now, now.Add(5*time.Minute)); err != nil || !won {
		t.Fatalf("lease: %v %v", won, err)
	}
	db.Close()

	code, out, errs := runCLI(t, "tick", "--date", "2026-11-20", "--data", dir)
	if code != exitOK {
		t.Fatalf("tick: exit %d, stderr %q", code, errs)
	}
	if outboxMessage(t, outboxFiles(t, dir), "c1") == nil || strings.Contains(out, "pending=") {
		t.Fatalf("the leased mail was not sent: %s", out)
	}
}

// TestMailSESNeedsAPublicBaseURL: real mail never links to the listen
// address: --mail ses refuses to start without an https LOUPE_BASE_URL.
func TestMailSESNeedsAPublicBaseURL(t *testing.T) {
	dir := t.TempDir()
	seedTick(t, dir)
	t.Setenv("AWS_ENDPOINT_URL_SESV2", "")
	t.Setenv(wire.EnvBaseURL, "")
	code, _, errs := runCLI(t, "tick", "--date", "2026-11-20", "--data", dir, "--mail", "ses")
	if code != exitFail || !strings.Contains(errs, "set "+wire.EnvBaseURL) {
		t.Errorf("no base URL: exit %d, stderr %q", code, errs)
	}
	t.Setenv(wire.EnvBaseURL, "http://loupe.example.com")
	code, _, errs = runCLI(t, "tick", "--date", "2026-11-20", "--data", dir, "--mail", "ses")
	if code != exitFail || !strings.Contains(errs, "must be an https URL") {
		t.Errorf("http base URL: exit %d, stderr %q", code, errs)
	}
}
