package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/loupehq/loupe/shared/csvimport"
	"github.com/loupehq/loupe/shared/dynamo"
	"github.com/loupehq/loupe/shared/embedded"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/phone"
	"github.com/loupehq/loupe/shared/pos"
	"github.com/loupehq/loupe/shared/progress"
	"github.com/loupehq/loupe/shared/wire"
)

// printedRowErrors bounds how many bad rows import lists on stderr.
const printedRowErrors = 200

// barMinSize is the file size from which import draws a progress bar.
const barMinSize = 1 << 20

// defaultWorkers is how many DynamoDB requests import --table runs at a time.
const defaultWorkers = 8

// runImport loads a POS export: loupe import KIND FILE.csv [--data DIR | --table NAME].
func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("import", stderr, strings.Join(csvimport.Kinds, "|")+" FILE.csv [--data DIR | --table NAME [--workers N] [--checkpoint FILE]] [--encoding utf-8|latin1|windows-1252]")
	dataDir := fs.String("data", defaultDataDir, "data directory holding "+dbFile)
	table := fs.String("table", "", "load into this DynamoDB table instead (a first load into AWS: standard AWS environment, AWS_REGION or AWS_ENDPOINT_URL_DYNAMODB)")
	workers := fs.Int("workers", defaultWorkers, "with --table: DynamoDB requests at a time")
	checkpointPath := fs.String("checkpoint", "", "with --table: the checkpoint file an interrupted load resumes from (default FILE.checkpoint)")
	encoding := fs.String("encoding", "utf-8", "the file's character set: utf-8, latin1 or windows-1252 (converted to UTF-8)")
	posArgs, err := parseInterspersed(fs, args)
	if err != nil {
		return flagStatus(err)
	}
	if len(posArgs) != 2 {
		if len(posArgs) < 2 {
			fmt.Fprintf(stderr, "loupe: import: want KIND and FILE, got %d argument(s)\n", len(posArgs))
		} else {
			fmt.Fprintf(stderr, "loupe: import: unexpected argument %q\n", posArgs[2])
		}
		fs.Usage()
		return exitUsage
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["data"] && set["table"] {
		fmt.Fprintln(stderr, "loupe: import: --data and --table name two places; give one")
		return exitUsage
	}
	if *table == "" && (set["workers"] || set["checkpoint"]) {
		fmt.Fprintln(stderr, "loupe: import: --workers and --checkpoint go with --table")
		return exitUsage
	}
	if *workers < 1 || *workers > 64 {
		fmt.Fprintf(stderr, "loupe: import: --workers %d: want 1 to 64\n", *workers)
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
	var ports wire.Ports
	var cp *checkpoint
	if *table != "" {
		db, err := openTable(ctx, *table)
		if err != nil {
			return fail(stderr, "import: %v", err)
		}
		ports = wire.Ports{Records: dynamo.NewLoader(db, *workers), Compliance: db.Compliance(), Ledger: db.Ledger(), Phones: phone.Normalize}
		if *checkpointPath == "" {
			*checkpointPath = name + ".checkpoint"
		}
		sum, err := fileSHA256(f)
		if err != nil {
			return fail(stderr, "import: %s: %v", name, err)
		}
		cp = &checkpoint{path: *checkpointPath, Kind: kind, Table: *table, Size: size, Encoding: *encoding, SHA256: sum}
	} else {
		db, err := openDB(*dataDir)
		if err != nil {
			return fail(stderr, "import: %v", err)
		}
		defer db.Close()
		ports = localPorts(db, nil, nil)
	}

	var bar *progress.Bar
	opts := csvimport.Options{Size: size, Encoding: *encoding}
	var before csvimport.Result // counted by the interrupted run a checkpoint resumes
	if cp != nil {
		resumed, other, err := cp.load()
		if err != nil {
			return fail(stderr, "import: %v", err)
		}
		if other {
			fmt.Fprintf(stderr, "loupe: %s: checkpoint %s is of another file content, kind, table or encoding; starting from the first line\n", name, cp.path)
		}
		if resumed {
			opts.Resume, before = cp.Line, cp.counts()
			fmt.Fprintf(stderr, "loupe: %s: resuming after line %d (checkpoint %s: %d rows done by an earlier run)\n", name, cp.Line, cp.path, cp.Rows)
		}
		opts.OnApplied = func(line int, res csvimport.Result) {
			if err := cp.save(line, add(before, res)); err != nil {
				fmt.Fprintf(stderr, "loupe: %s: %v\n", name, err)
			}
		}
	}
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
	res, err := csvimport.Import(ctx, kind, f, pos.NewImporter(wire.Build(cfg, ports).POS), opts)

	if bar != nil {
		bar.Done()
	}
	if printed > printedRowErrors {
		fmt.Fprintf(stderr, "loupe: %s: %d more bad rows not listed\n", name, printed-printedRowErrors)
	}
	total := add(before, res)
	fmt.Fprintf(stdout, "%s: %d rows: %d imported, %d unchanged (newer data already stored), %d bad\n",
		name, res.Rows, total.Imported, total.Skipped, total.Failed)
	if err != nil {
		if cp != nil && cp.Line > 0 {
			fmt.Fprintf(stderr, "loupe: %s: stopped; rows up to line %d are stored: run the same command again to resume (checkpoint %s)\n", name, cp.Line, cp.path)
		}
		if loupe.ErrorCode(err) == loupe.EINVALID {
			return fail(stderr, "%s:1: %s", name, loupe.ErrorMessage(err))
		}
		return fail(stderr, "import %s: %v", name, err)
	}
	if cp != nil {
		cp.remove()
	}
	if total.Failed > 0 {
		if before.Failed > 0 {
			return fail(stderr, "%s: %d bad rows not imported (%d listed by the earlier run)", name, total.Failed, before.Failed)
		}
		return fail(stderr, "%s: %d bad rows not imported", name, total.Failed)
	}
	return exitOK
}

// add returns the counts of a and b, Rows and Resumed from b (a resumed
// run reads every row again).
func add(a, b csvimport.Result) csvimport.Result {
	b.Imported += a.Imported
	b.Skipped += a.Skipped
	b.Failed += a.Failed
	return b
}

// openTable returns the DynamoDB table name with the SDK's standard
// configuration (credentials, region, AWS_ENDPOINT_URL_DYNAMODB), after
// checking that it exists. Returns an error saying what is missing.
func openTable(ctx context.Context, name string) (*dynamo.DB, error) {
	conf, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("--table: load AWS configuration: %w", err)
	}
	if conf.Region == "" {
		return nil, errors.New("--table: no AWS region: set AWS_REGION to the region of the stack")
	}
	client := dynamodb.NewFromConfig(conf)
	if _, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}); err != nil {
		return nil, fmt.Errorf("--table %s in %s: %w", name, conf.Region, err)
	}
	return dynamo.New(client, name), nil
}

// fileSHA256 returns the hex SHA-256 of f's content and rewinds f.
func fileSHA256(f *os.File) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// checkpoint is the progress of a load into DynamoDB, saved after each
// group of rows is stored: the last line stored and the counts so far. A
// load resumes from it only for the same kind, table, encoding and file
// content (SHA-256): a file fixed since, or read with another encoding,
// starts over (which stores nothing twice).
type checkpoint struct {
	path     string
	Kind     string `json:"kind"`
	Table    string `json:"table"`
	Size     int64  `json:"size"`
	Encoding string `json:"encoding"`
	SHA256   string `json:"sha256"`
	Line     int    `json:"line"`
	Rows     int    `json:"rows"`
	Imported int    `json:"imported"`
	Skipped  int    `json:"skipped"`
	Failed   int    `json:"failed"`
}

// load reads the checkpoint file, reporting whether it is one of this load
// (kind, table, encoding and content as set), and whether a file of
// another load was found (not resumed from). Returns an error when the file
// cannot be read.
func (c *checkpoint) load() (resumed, other bool, err error) {
	b, err := os.ReadFile(c.path)
	if errors.Is(err, os.ErrNotExist) {
		return false, false, nil
	}
	if err != nil {
		return false, false, fmt.Errorf("read checkpoint: %w", err)
	}
	var saved checkpoint
	if json.Unmarshal(b, &saved) != nil || saved.Kind != c.Kind || saved.Table != c.Table || saved.Size != c.Size ||
		saved.Encoding != c.Encoding || saved.SHA256 != c.SHA256 || saved.Line <= 0 {
		return false, true, nil
	}
	saved.path = c.path
	*c = saved
	return true, false, nil
}

// counts returns the checkpoint's counts.
func (c *checkpoint) counts() csvimport.Result {
	return csvimport.Result{Rows: c.Rows, Imported: c.Imported, Skipped: c.Skipped, Failed: c.Failed}
}

// save replaces the checkpoint file (write and rename: a crash leaves the
// old one or the new one, never half of one).
func (c *checkpoint) save(line int, res csvimport.Result) error {
	c.Line, c.Rows, c.Imported, c.Skipped, c.Failed = line, res.Rows, res.Imported, res.Skipped, res.Failed
	b, _ := json.Marshal(c)
	tmp := c.path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	if err := os.Rename(tmp, c.path); err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	return nil
}

// remove deletes the checkpoint file of a finished load.
func (c *checkpoint) remove() {
	os.Remove(c.path)
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
