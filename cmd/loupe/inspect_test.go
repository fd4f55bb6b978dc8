package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/embedded"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/testkit/storetest"
	"github.com/loupehq/loupe/shared/wire"
)

// seedInspect writes store s1 (New York) and one take-in without email on
// 2026-11-22 there, recorded by the change feed.
func seedInspect(t *testing.T, dir string) {
	t.Helper()
	db, err := embedded.Open(filepath.Join(dir, dbFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if err := loupe.PutStore(ctx, db, storetest.Store("s1")); err != nil {
		t.Fatal(err)
	}
	if err := loupe.PutAssociate(ctx, db, storetest.Associate("a1", "s1")); err != nil {
		t.Fatal(err)
	}
	r := storetest.Repair("r1", "s1", "c1", time.Date(2026, 11, 22, 15, 0, 0, 0, time.UTC))
	r.AssociateID, r.CustomerEmail, r.LocalDay = "a1", "", "2026-11-22"
	if err := db.PutRepair(ctx, r); err != nil {
		t.Fatal(err)
	}
}

func TestInspect(t *testing.T) {
	dir := t.TempDir()
	seedInspect(t, dir)
	ny, _ := time.LoadLocation("America/New_York")
	today := time.Now().In(ny)
	tests := []struct {
		name     string
		args     []string
		code     int
		stdout   string // prefix
		stderrIn string
	}{
		{"defaults", []string{"--store", "s1"}, exitOK,
			"inspection of store s1: " + today.Format(time.DateOnly) + " to " + today.AddDate(0, 0, 13).Format(time.DateOnly), ""},
		{"window", []string{"--store", "s1", "--from", "2026-11-20", "--to", "2026-11-30"}, exitOK,
			"inspection of store s1: 2026-11-20 to 2026-11-30; the manager is mailed each morning from 2026-11-21", ""},
		{"too long", []string{"--store", "s1", "--from", "2026-11-01", "--to", "2026-12-31"}, exitUsage, "", "inspect: --to: the inspection is 61 days; at most 31"},
		{"bad day", []string{"--store", "s1", "--from", "Nov 1"}, exitUsage, "", "inspect: --from:"},
		{"unknown store", []string{"--store", "zz"}, exitFail, "", "inspect: store zz not found"},
		{"no store", []string{}, exitUsage, "", "usage: loupe inspect"},
		{"stop with a day", []string{"--store", "s1", "--stop", "--to", "2026-11-30"}, exitUsage, "", "--stop takes no"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runCLI(t, append([]string{"inspect", "--data", dir}, tt.args...)...)
			if code != tt.code || !strings.HasPrefix(out, tt.stdout) || !strings.Contains(errs, tt.stderrIn) {
				t.Fatalf("exit %d stdout %q stderr %q; want exit %d stdout %q... stderr with %q", code, out, errs, tt.code, tt.stdout, tt.stderrIn)
			}
		})
	}

	// The window set above mails the morning of the 23rd about the 22nd, once.
	db, err := openDB(dir)
	if err != nil {
		t.Fatal(err)
	}
	a, err := newApp(context.Background(), db, dir, wire.Config{}, appOptions{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for range 2 {
		if _, err := a.svc.Compliance.RunMorningOn(ctx, "2026-11-23", a.outbox); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	files := outboxFiles(t, dir)
	if len(files) != 1 {
		t.Fatalf("outbox: %d files, want 1: %v", len(files), files)
	}
	raw, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"To: <manager-s1@example.com>", "X-Loupe-Touchpoint: compliance_inspection", "Subject: Store s1: 1 of 1 repair take-ins on 2026-11-22 had no email"} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("mail lacks %q:\n%s", want, raw)
		}
	}

	code, out, errs := runCLI(t, "inspect", "--data", dir, "--store", "s1", "--stop")
	if code != exitOK || out != "inspection of store s1 stopped\n" {
		t.Fatalf("stop: exit %d stdout %q stderr %q", code, out, errs)
	}
	db, err = openDB(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Compliance().Inspection(ctx, "s1"); loupe.ErrorCode(err) != loupe.ENOTFOUND {
		t.Fatalf("after stop: %v, want not found", err)
	}
}
