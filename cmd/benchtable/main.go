// Command benchtable runs a `go test -bench` command, passes its output through,
// and then prints every benchmark result as one Markdown table: package,
// benchmark, iterations, time per op and every reported metric (B/op,
// allocs/op and the custom ones such as requests/event or pref_match_%).
//
// Usage: benchtable -- go test -run '^$' -bench . -benchmem ./...
//
// It exits with the command's exit status, so `make bench` fails when a
// benchmark fails.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "benchtable: usage: benchtable -- go test -bench . ./...")
		os.Exit(2)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		fmt.Fprintf(os.Stderr, "benchtable: %v\n", err)
		os.Exit(2)
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "benchtable: start %s: %v\n", args[0], err)
		os.Exit(2)
	}
	rows := parse(io.TeeReader(out, os.Stdout))
	status := 0
	if err := cmd.Wait(); err != nil {
		status = 1
		if ee, ok := err.(*exec.ExitError); ok {
			status = ee.ExitCode()
		}
	}
	fmt.Println()
	fmt.Print(table(rows))
	os.Exit(status)
}

// row is one benchmark result line.
type row struct {
	pkg, name, iters string
	metrics          [][2]string // value, unit, in the order printed
}

// parse reads `go test -bench` output and returns its result lines, each with
// the package named by the "pkg:" line that precedes it.
func parse(r io.Reader) []row {
	var rows []row
	pkg := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimSpace(p)
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
			continue
		}
		rw := row{pkg: pkg, name: f[0], iters: f[1]}
		for i := 2; i+1 < len(f); i += 2 {
			rw.metrics = append(rw.metrics, [2]string{f[i], f[i+1]})
		}
		rows = append(rows, rw)
	}
	return rows
}

// table renders rows as Markdown: one table per package, in the order the
// packages ran, each with one column per metric unit its benchmarks report,
// in the order the units first appear.
func table(rows []row) string {
	if len(rows) == 0 {
		return "no benchmark results\n"
	}
	var b strings.Builder
	for start := 0; start < len(rows); {
		end := start
		for end < len(rows) && rows[end].pkg == rows[start].pkg {
			end++
		}
		if start > 0 {
			b.WriteString("\n")
		}
		pkgTable(&b, rows[start:end])
		start = end
	}
	return b.String()
}

func pkgTable(b *strings.Builder, rows []row) {
	var units []string
	seen := map[string]bool{}
	for _, r := range rows {
		for _, m := range r.metrics {
			if !seen[m[1]] {
				seen[m[1]] = true
				units = append(units, m[1])
			}
		}
	}
	fmt.Fprintf(b, "%s\n\n| benchmark | n |", rows[0].pkg)
	for _, u := range units {
		b.WriteString(" " + u + " |")
	}
	b.WriteString("\n|---|---:|" + strings.Repeat("---:|", len(units)) + "\n")
	for _, r := range rows {
		vals := map[string]string{}
		for _, m := range r.metrics {
			vals[m[1]] = m[0]
		}
		fmt.Fprintf(b, "| %s | %s |", r.name, r.iters)
		for _, u := range units {
			fmt.Fprintf(b, " %s |", vals[u])
		}
		b.WriteString("\n")
	}
}
