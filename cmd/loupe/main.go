// Command loupe runs Loupe on one machine: the HTTP routes, the POS webhook,
// the change feed and the daily schedule on an embedded store (serve, demo),
// and the operator's tools (import, tick, forget, orphans, inspect). See
// docs/configuration.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	_ "time/tzdata" // store time zones must not depend on the host's tz database
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit statuses.
const (
	exitOK    = 0
	exitFail  = 1 // the command ran and failed
	exitUsage = 2 // bad command line
)

const usage = `usage: loupe <command> [arguments]

commands:
  serve   [--addr 127.0.0.1:8080] [--data DIR] [--mail outbox|ses]   serve the routes, webhook and schedule
  demo    [--addr 127.0.0.1:8080] [--data DIR] [--reset] [--mail outbox|ses]   serve the seeded demo chain (seeded on first run)
  import  stores|associates|customers|repairs FILE.csv [--data DIR]
  tick    --date YYYY-MM-DD [--to YYYY-MM-DD] [--data DIR] [--mail outbox|ses]
  forget  CUSTOMER_ID [--data DIR]
  orphans [--data DIR] [--format csv|json] [--reassign]
  inspect --store S [--from D] [--to D] [--stop] [--data DIR]
  sms     inbound --from E164 --to E164 --text TEXT [--data DIR | --url URL]   hand Loupe an inbound text (STOP, HELP, START)
  signin-index --table NAME   (once, after upgrading a stack: sign-in and Today index keys)

Run "loupe <command> -h" for a command's flags. See docs/configuration.md.
`

// command is one subcommand: it parses its own flags from args and returns
// the exit status, having written a one-line reason to stderr on failure.
type command func(ctx context.Context, args []string, stdout, stderr io.Writer) int

var commands = map[string]command{
	"serve":        runServe,
	"demo":         runDemo,
	"import":       runImport,
	"tick":         runTick,
	"forget":       runForget,
	"orphans":      runOrphans,
	"sms":          runSMS,
	"signin-index": runSigninIndex,
}

// run dispatches args (without the program name) to a subcommand and returns
// the exit status. ctx ends long-running commands (serve, demo) gracefully.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "loupe: unknown command %q\n%s", args[0], usage)
		return exitUsage
	}
	return cmd(ctx, args[1:], stdout, stderr)
}

// defaultDataDir is where serve, import and the other commands keep their data.
const defaultDataDir = ".loupe"

// dbFile is the embedded database's file name inside the data directory.
const dbFile = "loupe.db"

func dbPath(dir string) string { return filepath.Join(dir, dbFile) }

// newFlagSet returns a flag set that reports errors instead of exiting.
func newFlagSet(name string, stderr io.Writer, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: loupe %s %s\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseInterspersed parses flags that may come before, between or after the
// positional arguments (package flag stops at the first positional one) and
// returns the positional arguments. "--" ends flag parsing.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// flagStatus maps a flag parsing error to an exit status: 0 for -h.
func flagStatus(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	return exitUsage
}

// fail writes "loupe: <reason>" as one line and returns exitFail.
func fail(stderr io.Writer, format string, args ...any) int {
	fmt.Fprintf(stderr, "loupe: "+format+"\n", args...)
	return exitFail
}
