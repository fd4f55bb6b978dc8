package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/loupehq/loupe/shared/dynamo"
	"github.com/loupehq/loupe/shared/loupe"
)

// syncBuffer is a bytes.Buffer safe for a server goroutine writing while the
// test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestRunDispatch(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr string
	}{
		{"no command", nil, exitUsage, "usage: loupe"},
		{"unknown command", []string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{"help", []string{"help"}, exitOK, ""},
		{"tick bad date", []string{"tick", "--date", "2026-11-31"}, exitUsage, "loupe: tick: --date"},
		{"forget without data", []string{"forget", "c1", "--data", "/nonexistent/loupe"}, exitFail, "loupe: forget: no Loupe data in /nonexistent/loupe"},
		{"orphans without data", []string{"orphans", "--data", "/nonexistent/loupe"}, exitFail, "loupe: orphans: no Loupe data in /nonexistent/loupe"},
		{"orphans bad format", []string{"orphans", "--format", "xml"}, exitUsage, "usage: loupe orphans"},
		{"serve stray argument", []string{"serve", "extra"}, exitUsage, "usage: loupe serve"},
		{"serve bad flag", []string{"serve", "--port", "1"}, exitUsage, "flag provided but not defined: -port"},
		{"serve help", []string{"serve", "-h"}, exitOK, "-addr"},
		{"import no file", []string{"import", "customers"}, exitUsage, "usage: loupe import"},
		{"import unknown kind", []string{"import", "gifts", "p.csv"}, exitUsage, `unknown kind "gifts"`},
		{"import missing file", []string{"import", "customers", "/nonexistent/c.csv"}, exitFail, "loupe: import: open /nonexistent/c.csv"},
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

func TestParseInterspersed(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantPos  []string
		wantData string
	}{
		{"flags last", []string{"customers", "f.csv", "--data", "D"}, []string{"customers", "f.csv"}, "D"},
		{"flags first", []string{"-data=D", "customers", "f.csv"}, []string{"customers", "f.csv"}, "D"},
		{"flags between", []string{"customers", "--data", "D", "f.csv"}, []string{"customers", "f.csv"}, "D"},
		{"double dash", []string{"customers", "--", "--data"}, []string{"customers", "--data"}, "def"},
		{"no flags", []string{"a", "b"}, []string{"a", "b"}, "def"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("x", flag.ContinueOnError)
			data := fs.String("data", "def", "")
			got, err := parseInterspersed(fs, tt.args)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.wantPos) || *data != tt.wantData {
				t.Fatalf("got %q data %q, want %q data %q", got, *data, tt.wantPos, tt.wantData)
			}
		})
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestImport(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	stores := writeFile(t, dir, "stores.csv", "store_id,name,timezone,country\nnyc,Fifth Avenue,America/New_York,US\n")
	if code, out, errs := runCLI(t, "import", "stores", stores, "--data", data); code != exitOK {
		t.Fatalf("import stores: exit %d, %s %s", code, out, errs)
	}
	customers := writeFile(t, dir, "customers.csv", "customer_id,home_store_id,email,birthday,notes\n"+
		"c1,nyc,ann@example.com,--02-29,vip\n"+
		"c2,nyc,ann@,,\n"+
		"c3,nyc,,1980-13-01,\n"+
		"c4,nyc,,,\n")
	code, out, errs := runCLI(t, "import", "customers", customers, "--data", data)
	if code != exitFail {
		t.Errorf("exit: got %d, want %d", code, exitFail)
	}
	wantErr := "loupe: " + customers + ":1: column notes (5) is not a customers column; ignored\n" +
		"loupe: " + customers + ":3: email: email is not a well-formed email address\n" +
		"loupe: " + customers + ":4: birthday: birthday must be a calendar day YYYY-MM-DD or --MM-DD\n" +
		"loupe: " + customers + ": 2 bad rows not imported\n"
	if errs != wantErr {
		t.Errorf("stderr:\n got %q\nwant %q", errs, wantErr)
	}
	if want := customers + ": 4 rows: 2 imported, 0 unchanged (newer data already stored), 2 bad\n"; out != want {
		t.Errorf("stdout: got %q, want %q", out, want)
	}

	db, err := openDB(data)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, id := range []string{"c1", "c4"} {
		if _, err := db.GetCustomer(context.Background(), id); err != nil {
			t.Errorf("get imported customer %s: %v", id, err)
		}
	}
	if _, err := db.GetCustomer(context.Background(), "c2"); err == nil {
		t.Error("bad row c2 was imported")
	}
	// The data directory is locked while open: import says so in one line.
	code, _, errs = runCLI(t, "import", "customers", customers, "--data", data)
	if code != exitFail || !strings.Contains(errs, "in use by another loupe process") {
		t.Errorf("import into a busy directory: exit %d, stderr %q", code, errs)
	}
}

func TestImportBadHeader(t *testing.T) {
	dir := t.TempDir()
	f := writeFile(t, dir, "repairs.csv", "repair_id,store_id\nr1,nyc\n")
	code, _, errs := runCLI(t, "import", "repairs", f, "--data", filepath.Join(dir, "data"))
	if code != exitFail {
		t.Errorf("exit: got %d, want %d", code, exitFail)
	}
	if want := "loupe: " + f + ":1: header lacks required column associate_id"; !strings.HasPrefix(errs, want) {
		t.Errorf("stderr: got %q, want prefix %q", errs, want)
	}
}

var _ io.Writer = (*syncBuffer)(nil)

// TestImportDamagedExport: a broken quote and Latin-1 bytes are reported
// with their lines, every good row is imported, the exit status says rows
// were refused; with --encoding latin1 the same bytes are converted.
func TestImportDamagedExport(t *testing.T) {
	t.Run("embedded", func(t *testing.T) {
		data := filepath.Join(t.TempDir(), "data")
		testImportDamagedExport(t, []string{"--data", data}, func(id string) (loupe.Customer, error) {
			db, err := openDB(data)
			if err != nil {
				return loupe.Customer{}, err
			}
			defer db.Close()
			return db.GetCustomer(context.Background(), id)
		})
	})
	t.Run("dynalite", func(t *testing.T) {
		client, table := dynaliteTable(t)
		db := dynamo.New(client, table)
		testImportDamagedExport(t, []string{"--table", table}, func(id string) (loupe.Customer, error) {
			return db.GetCustomer(context.Background(), id)
		})
	})
}

// testImportDamagedExport imports a damaged export into the place args
// name: every bad line is reported, every good row is stored (get reads
// one back).
func testImportDamagedExport(t *testing.T, place []string, get func(id string) (loupe.Customer, error)) {
	dir := t.TempDir()
	stores := writeFile(t, dir, "stores.csv", "store_id,name,timezone,country\nnyc,Fifth Avenue,America/New_York,US\n")
	if code, out, errs := runCLI(t, append([]string{"import", "stores", stores}, place...)...); code != exitOK {
		t.Fatalf("import stores: exit %d, %s %s", code, out, errs)
	}
	customers := writeFile(t, dir, "customers.csv", "customer_id,home_store_id,first_name\n"+
		"c1,nyc,Ann\n"+
		"c2,nyc,\"Broken\n"+
		"c3,nyc,Jos\xe9\n"+
		"c4,nyc,Dee\n"+
		"c5,sfo,Eve\n"+
		"c6,nyc,"+strings.Repeat("x", 1001)+"\n"+
		"c7,nyc,Fay\n")
	code, out, errs := runCLI(t, append([]string{"import", "customers", customers}, place...)...)
	for _, want := range []string{customers + ":3: broken quote", customers + ":4: not UTF-8",
		customers + ":6: home_store_id: home_store_id names no store", customers + ":7: first_name: first_name is longer than 1000"} {
		if code != exitFail || !strings.Contains(errs, want) {
			t.Errorf("damaged export: exit %d, stderr %q lacks %q", code, errs, want)
		}
	}
	if want := customers + ": 7 rows: 3 imported, 0 unchanged (newer data already stored), 4 bad\n"; out != want {
		t.Errorf("stdout: got %q, want %q", out, want)
	}
	latin := writeFile(t, dir, "latin.csv", "customer_id,home_store_id,first_name\nc8,nyc,Jos\xe9\n")
	if code, out, errs := runCLI(t, append([]string{"import", "customers", latin, "--encoding", "latin1"}, place...)...); code != exitOK {
		t.Fatalf("--encoding latin1: exit %d, %s %s", code, out, errs)
	}
	if c, err := get("c8"); err != nil || c.FirstName != "José" {
		t.Fatalf("converted row: %+v, %v", c, err)
	}
	for _, id := range []string{"c1", "c4", "c7"} {
		if _, err := get(id); err != nil {
			t.Errorf("good row %s lost: %v", id, err)
		}
	}
	for _, id := range []string{"c2", "c3", "c5", "c6"} {
		if _, err := get(id); !errors.Is(err, loupe.ErrNotFound) {
			t.Errorf("bad row %s: stored or unreadable (%v)", id, err)
		}
	}
}

// TestForgetUnknownAndUsageReasons: forgetting an unknown id fails naming
// it, an erased one says so, and usage errors name what is wrong first.
func TestForgetUnknownAndUsageReasons(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	stores := writeFile(t, dir, "stores.csv", "store_id,name,timezone,country\nnyc,Fifth Avenue,America/New_York,US\n")
	customers := writeFile(t, dir, "customers.csv", "customer_id,home_store_id,first_name\nc1,nyc,Ann\n")
	for _, f := range []struct{ kind, path string }{{"stores", stores}, {"customers", customers}} {
		if code, out, errs := runCLI(t, "import", f.kind, f.path, "--data", data); code != exitOK {
			t.Fatalf("import %s: %d %s %s", f.kind, code, out, errs)
		}
	}
	if code, _, errs := runCLI(t, "forget", "c9", "--data", data); code != exitFail || !strings.Contains(errs, "no customer c9") {
		t.Errorf("forget unknown: exit %d, stderr %q; want a failure naming c9", code, errs)
	}
	if code, out, errs := runCLI(t, "forget", "c1", "--data", data); code != exitOK || !strings.Contains(out, "customer c1 erased") {
		t.Errorf("forget c1: exit %d, %q %q", code, out, errs)
	}
	if code, out, _ := runCLI(t, "forget", "c1", "--data", data); code != exitOK || !strings.Contains(out, "already erased") {
		t.Errorf("forget c1 again: exit %d, %q; want already erased", code, out)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"forget", "--data", data}, "loupe: forget: want one CUSTOMER_ID, got 0 arguments"},
		{[]string{"tick", "--data", data}, "loupe: tick: --date is required"},
		{[]string{"import", "customers", customers, "--data", data, "--table", "t"}, "loupe: import: --data and --table name two places; give one"},
		{[]string{"import", "customers", customers, "--workers", "4"}, "loupe: import: --workers and --checkpoint go with --table"},
		{[]string{"import", "customers"}, "loupe: import: want KIND and FILE, got 1 argument(s)"},
		{[]string{"orphans", "--format", "xml", "--data", data}, `loupe: orphans: --format "xml": want csv or json`},
	} {
		code, _, errs := runCLI(t, tc.args...)
		if code != exitUsage || !strings.HasPrefix(errs, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d starting %q", tc.args, code, errs, exitUsage, tc.want)
		}
	}
}
