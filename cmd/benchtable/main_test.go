package main

import (
	"strings"
	"testing"
)

func TestParseAndTable(t *testing.T) {
	out := `goos: linux
pkg: github.com/loupehq/loupe/shared/match
BenchmarkAssign/typical-2   	      30	  21000000 ns/op	  91.5 pref_match_%	 1200 B/op	  10 allocs/op
PASS
pkg: github.com/loupehq/loupe/shared/embedded
BenchmarkPutCustomer-2   	    1000	     52000 ns/op
ok  	github.com/loupehq/loupe/shared/embedded	1.2s
`
	rows := parse(strings.NewReader(out))
	if got, want := len(rows), 2; got != want {
		t.Fatalf("rows = %d, want %d", got, want)
	}
	if got, want := rows[1].pkg, "github.com/loupehq/loupe/shared/embedded"; got != want {
		t.Fatalf("pkg = %q, want %q", got, want)
	}
	got := table(rows)
	want := "github.com/loupehq/loupe/shared/match\n\n" +
		"| benchmark | n | ns/op | pref_match_% | B/op | allocs/op |\n" +
		"|---|---:|---:|---:|---:|---:|\n" +
		"| BenchmarkAssign/typical-2 | 30 | 21000000 | 91.5 | 1200 | 10 |\n" +
		"\ngithub.com/loupehq/loupe/shared/embedded\n\n" +
		"| benchmark | n | ns/op |\n" +
		"|---|---:|---:|\n" +
		"| BenchmarkPutCustomer-2 | 1000 | 52000 |\n"
	if got != want {
		t.Fatalf("table =\n%s\nwant\n%s", got, want)
	}
}

func TestTableEmpty(t *testing.T) {
	if got, want := table(nil), "no benchmark results\n"; got != want {
		t.Fatalf("table(nil) = %q, want %q", got, want)
	}
}
