package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/loupehq/loupe/shared/csvimport"
	"github.com/loupehq/loupe/shared/embedded"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/pos"
	"github.com/loupehq/loupe/shared/progress"
	"github.com/loupehq/loupe/shared/wire"
)

// printedRowErrors bounds how many bad rows import lists on stderr.
const printedRowErrors = 200

// barMinSize is the file size from which import draws a progress bar.
const barMinSize = 1 << 20

// runImport loads a POS export: loupe import KIND FILE.csv [--data DIR].
func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("import", stderr, strings.Join(csvimport.Kinds, "|")+" FILE.csv [--data DIR] [--encoding utf-8|latin1|windows-1252]")
	dataDir := fs.String("data", defaultDataDir, "data directory holding "+dbFile)
	encoding := fs.String("encoding", "utf-8", "the file's character set: utf-8, latin1 or windows-1252 (converted to UTF-8)")
	posArgs, err := parseInterspersed(fs, args)
	if err != nil {
		return flagStatus(err)
	}
	if len(posArgs) != 2 {
		fs.Usage()
		return exitUsage
	}
	kind, name := posArgs[0], posArgs[1]
	if !slices.Contains(csvimport.Kinds, kind) {
		fmt.Fprintf(stderr, "loupe: import: unknown kind %q, want one of %s\n", kind, strings.Join(csvimport.Kinds, ", "))
		return exitUsage
	}
	f, err := os.Open(name)
	if err != nil {
		return fail(stderr, "import: %v", err)
	}
	defer f.Close()
	var size int64
	if fi, err := f.Stat(); err == nil {
		size = fi.Size()
	}

	cfg, err := wire.FromEnv()
	if err != nil {
		return fail(stderr, "import: %v", err)
	}
	db, err := openDB(*dataDir)
	if err != nil {
		return fail(stderr, "import: %v", err)
	}
	defer db.Close()

	var bar *progress.Bar
	opts := csvimport.Options{Size: size, Encoding: *encoding}
	if progress.IsTerminal(stderr) && size >= barMinSize {
		bar = &progress.Bar{W: stderr, Label: name}
		opts.Progress = bar.Update
	}
	opts.OnWarning = func(w string) { fmt.Fprintf(stderr, "loupe: %s:1: %s\n", name, w) }
	printed := 0
	opts.OnError = func(e csvimport.RowError) {
		if printed++; printed > printedRowErrors {
			return
		}
		if bar != nil {
			fmt.Fprint(stderr, "\r\033[K")
		}
		if e.Field != "" {
			fmt.Fprintf(stderr, "loupe: %s:%d: %s: %s\n", name, e.Line, e.Field, e.Message)
		} else {
			fmt.Fprintf(stderr, "loupe: %s:%d: %s\n", name, e.Line, e.Message)
		}
	}
	res, err := csvimport.Import(ctx, kind, f, pos.NewImporter(wire.Build(cfg, localPorts(db, nil, nil)).POS), opts)

	if bar != nil {
		bar.Done()
	}
	if printed > printedRowErrors {
		fmt.Fprintf(stderr, "loupe: %s: %d more bad rows not listed\n", name, printed-printedRowErrors)
	}
	fmt.Fprintf(stdout, "%s: %d rows: %d imported, %d unchanged (newer data already stored), %d bad\n",
		name, res.Rows, res.Imported, res.Skipped, res.Failed)
	if err != nil {
		if loupe.ErrorCode(err) == loupe.EINVALID {
			return fail(stderr, "%s:1: %s", name, loupe.ErrorMessage(err))
		}
		return fail(stderr, "import %s: %v", name, err)
	}
	if res.Failed > 0 {
		return fail(stderr, "%s: %d bad rows not imported", name, res.Failed)
	}
	return exitOK
}

// openDB opens the embedded store of a data directory, creating both when
// missing. Returns an error saying so when another process holds it.
func openDB(dir string) (*embedded.DB, error) {
	db, err := embedded.Open(dbPath(dir))
	if errors.Is(err, embedded.ErrInUse) {
		return nil, fmt.Errorf("data directory %s is in use by another loupe process (stop loupe serve first)", dir)
	}
	if err != nil {
		return nil, err
	}
	return db, nil
}
