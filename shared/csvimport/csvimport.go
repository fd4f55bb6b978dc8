// Package csvimport bulk-loads POS exports: CSV files of stores, associates,
// customers, consents, repair take-ins or purchases. Each row becomes the data of the
// webhook event of its kind (columns are the webhook's field names, nested
// ones flattened as postal_address.line1, lists separated by '|') and is
// applied through an Applier (pos.Importer), which decodes and validates it
// with the webhook's own code: an imported row and a webhook event are
// checked and stored alike (CONTRACT section 5).
//
// The file is streamed line by line (records.go): memory does not grow with
// the number of rows. A bad row stops nothing else, not even a broken quote
// or bytes that are not UTF-8; it is reported with its line in the file (the
// header is line 1) and the column at fault, and every line is accounted for.
package csvimport

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
)

// Kinds of file Import reads.
const (
	KindStores     = "stores"
	KindAssociates = "associates"
	KindCustomers  = "customers"
	KindRepairs    = "repairs"
	KindPurchases  = "purchases"
	KindConsents   = "consents"
)

// Kinds lists the kinds Import accepts, in the order a chain is best loaded
// (a row naming a store or associate Loupe does not know is refused).
var Kinds = []string{KindStores, KindAssociates, KindCustomers, KindConsents, KindRepairs, KindPurchases}

// Applier applies one row through the domain, exactly as the POS webhook
// would apply an event of type typ carrying data; updatedAt is the row's
// updated_at, zero when it has none. A row it rejects with a *loupe.Error
// (other than EINTERNAL) is reported and skipped; loupe.ErrStale and
// loupe.ErrExists count as skipped rows (newer data or the same record
// already stored); any other error stops the import. *pos.Importer
// implements it (asserted in this package's tests).
type Applier interface {
	ImportRow(ctx context.Context, typ string, data json.RawMessage, updatedAt time.Time) error
}

// A Batcher is an Applier that stores rows in groups (a first load into
// DynamoDB, *pos.Importer over dynamo.Loader): before a group's rows are
// applied Import hands it their event data (ReadAhead: bad rows left out),
// and after, it calls Flush; the group is stored once Flush returns nil.
// An error from either stops the import.
type Batcher interface {
	Applier
	ReadAhead(ctx context.Context, typ string, rows []json.RawMessage) error
	Flush(ctx context.Context) error
}

// DefaultGroup is the number of rows of a group when the Applier is a
// Batcher and Options.Group is not set.
const DefaultGroup = 500

// Options tunes Import. The zero value is usable.
type Options struct {
	// Progress, when set, is called every few thousand rows and once at the end
	// with the bytes read so far and Size.
	Progress func(done, total int64)
	// Size is the input's size in bytes when known (0 otherwise), for Progress.
	Size int64
	// OnWarning, when set, is called once the header is read for each
	// column Import does not know (also kept in Result.Warnings).
	OnWarning func(string)
	// OnError, when set, is called for every bad row as it is found.
	OnError func(RowError)
	// MaxErrors bounds Result.Errors (Failed still counts every bad row).
	// Default 100.
	MaxErrors int
	// Group is the number of rows applied as one group (default 1, or
	// DefaultGroup for a Batcher).
	Group int
	// Resume, when not 0, is the last line an earlier run applied (from
	// OnApplied): rows ending at or before it are read and counted in
	// Rows and Resumed, not applied or checked again.
	Resume int
	// OnApplied, when set, is called after each group is applied (a
	// Batcher: stored) with the last line of the group and the counts so
	// far: a checkpoint to resume from.
	OnApplied func(line int, res Result)
	// Encoding is the file's character set: "" or "utf-8" (the default; a
	// row that is not valid UTF-8 is refused with its line), "latin1" or
	// "windows-1252" (converted to UTF-8).
	Encoding string
}

// Result counts the rows of one import.
type Result struct {
	Rows     int // data rows read (the header is not counted)
	Imported int // rows applied
	Skipped  int // rows not applied because the stored data is newer or already there
	Failed   int // bad rows
	Resumed  int // rows at or before Options.Resume, not applied again
	// Errors holds the first Options.MaxErrors bad rows in file order.
	Errors []RowError
	// Warnings name the header's columns Import does not know (ignored).
	Warnings []string
}

// RowError is one bad row.
type RowError struct {
	Line    int    // line of the row in the file; the header is line 1
	Field   string // the column at fault, "" when the row as a whole is bad
	Message string
}

// Error returns "line N: field: message".
func (e RowError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Message)
	}
	return fmt.Sprintf("line %d: %s: %s", e.Line, e.Field, e.Message)
}

// cell is how a column's text becomes JSON in the row's event data.
type cell int

const (
	text   cell = iota // a JSON string, "" when empty (as the webhook's "")
	number             // a JSON integer, null when empty
	flag               // a JSON boolean (true/false, yes/no, y/n, 1/0), null when empty
	list               // a JSON array of strings separated by '|', null when empty
	stamp              // updated_at: the row's date, not part of the data
)

// column is one column of a kind of file. A name with a dot is a nested
// field flattened ("postal_address.line1" is data.postal_address.line1).
type column struct {
	name     string
	cell     cell
	required bool
}

// schema is one kind of file: the webhook event type a row becomes, and
// the columns it understands.
type schema struct {
	event   string
	columns []column
}

func req(name string) column         { return column{name: name, required: true} }
func opt(name string, c cell) column { return column{name: name, cell: c} }
func optText(names ...string) []column {
	out := make([]column, len(names))
	for i, n := range names {
		out[i] = column{name: n}
	}
	return out
}

// schemas are the columns of each kind: the data fields of its webhook
// event (CONTRACT section 2), required where the webhook requires them
// (and the dates a row has no occurred_at to stand in for), plus
// updated_at. docs/configuration.md lists them.
var schemas = map[string]schema{
	KindStores: {"store.upserted", append([]column{req("store_id"), req("name"), req("timezone"), req("country")},
		append(optText("postal_address", "from_email", "manager_email", "locale", "phone", "logo_url", "accent_color"), opt("updated_at", stamp))...)},
	KindAssociates: {"associate.upserted", []column{req("associate_id"), req("store_id"), req("name"),
		opt("email", text), opt("strengths", list), opt("capacity", number), opt("role", text), opt("status", text),
		opt("terminated_at", text), opt("updated_at", stamp)}},
	KindCustomers: {"customer.upserted", append([]column{req("customer_id"), req("home_store_id")},
		append(optText("first_name", "last_name", "email", "phone", "birthday", "anniversary"),
			append([]column{opt("preferences", list), opt("associate_id", text), opt("email_opt_out", flag)},
				append(optText("postal_address.line1", "postal_address.line2", "postal_address.city", "postal_address.region",
					"postal_address.postal_code", "postal_address.country", "locale", "preferred_channel"),
					opt("updated_at", stamp))...)...)...)},
	KindRepairs: {"repair.created", []column{req("repair_id"), req("store_id"), req("associate_id"), req("customer_id"),
		opt("customer_email", text), opt("customer_phone", text), opt("item", text), req("taken_in_at")}},
	KindConsents: {"consent.changed", []column{req("customer_id"), req("channel"), req("status"), req("at"),
		opt("source", text), opt("evidence", text), opt("phone", text)}},
	KindPurchases: {"purchase.created", []column{req("purchase_id"), req("store_id"), req("associate_id"), req("customer_id"),
		opt("total_cents", number), opt("categories", list), req("purchased_at")}},
}

// Columns returns the columns a kind understands, required ones first, or nil
// for an unknown kind.
func Columns(kind string) []string {
	var out []string
	for _, c := range schemas[kind].columns {
		out = append(out, c.name)
	}
	return out
}

// Required returns the columns a kind's header must name.
func Required(kind string) []string {
	var out []string
	for _, c := range schemas[kind].columns {
		if c.required {
			out = append(out, c.name)
		}
	}
	return out
}

// Import reads a CSV file of kind (one of Kinds) from r and applies each
// row through apply. The first row is the header naming the columns (any
// order, case and surrounding spaces ignored; unknown columns ignored and
// named in Result.Warnings). The columns in the header are the fields each
// row carries: an empty cell clears the field (an empty email keeps the one
// Loupe captured, an empty status the stored one, as on the webhook); a
// column the header lacks leaves the stored value alone.
//
// Bad rows are counted in Result and reported through Options.OnError; they
// do not stop the import. Import returns an EINVALID *loupe.Error for an
// unknown kind or a header lacking a required column (nothing applied), and
// stops with a wrapped error, returning the counts so far, when reading fails,
// ctx is done or apply fails with an error that is not a *loupe.Error.
func Import(ctx context.Context, kind string, r io.Reader, apply Applier, opts Options) (Result, error) {
	var res Result
	sc, ok := schemas[kind]
	if !ok {
		return res, loupe.Invalidf("kind", "unknown kind %q: want one of %s", kind, strings.Join(Kinds, ", "))
	}
	if opts.MaxErrors == 0 {
		opts.MaxErrors = 100
	}
	rd, err := newRecordReader(r, opts.Encoding)
	if err != nil {
		return res, err
	}
	header, _, err := rd.next()
	if errors.Is(err, io.EOF) {
		return res, loupe.Invalidf("header", "empty file: want a header row naming the columns")
	}
	if err != nil {
		return res, loupe.Invalidf("header", "read header: %v", err)
	}
	row, warnings, err := newRowReader(kind, sc, header)
	if err != nil {
		return res, err
	}
	res.Warnings = warnings
	if opts.OnWarning != nil {
		for _, w := range warnings {
			opts.OnWarning(w)
		}
	}

	fail := func(e RowError) {
		res.Failed++
		if len(res.Errors) < opts.MaxErrors {
			res.Errors = append(res.Errors, e)
		}
		if opts.OnError != nil {
			opts.OnError(e)
		}
	}
	report := func() {
		if opts.Progress != nil {
			opts.Progress(rd.bytes, opts.Size)
		}
	}
	batcher, _ := apply.(Batcher)
	size := opts.Group
	if size <= 0 {
		size = 1
		if batcher != nil {
			size = DefaultGroup
		}
	}

	// A group is applied as a whole: read ahead (a Batcher), each row in
	// file order, flushed; a bad row is reported in its place.
	var group []groupRow
	lastLine := 0
	apply1 := func(g groupRow) error {
		err := g.err
		if err == nil {
			err = apply.ImportRow(ctx, row.event, g.data, g.updated)
		}
		var bad RowError
		var rerr rowErr
		var lerr *loupe.Error
		switch {
		case err == nil:
			res.Imported++
		case errors.As(err, &bad):
			fail(bad)
		case errors.Is(err, loupe.ErrStale), errors.Is(err, loupe.ErrExists):
			res.Skipped++
		case errors.As(err, &rerr):
			fail(RowError{Line: g.line, Field: rerr.field, Message: rerr.msg})
		case errors.As(err, &lerr) && lerr.Code != loupe.EINTERNAL:
			fail(RowError{Line: g.line, Field: strings.TrimPrefix(lerr.Field, "data."), Message: strings.TrimPrefix(lerr.Message, "data.")})
		default:
			return fmt.Errorf("import %s line %d: %w", kind, g.line, err)
		}
		return nil
	}
	flush := func() error {
		if len(group) == 0 {
			return nil
		}
		if batcher != nil {
			var datas []json.RawMessage
			for _, g := range group {
				if g.err == nil {
					datas = append(datas, g.data)
				}
			}
			if err := batcher.ReadAhead(ctx, row.event, datas); err != nil {
				return fmt.Errorf("import %s lines %d-%d: %w", kind, group[0].line, lastLine, err)
			}
		}
		imported, skipped := res.Imported, res.Skipped
		for _, g := range group {
			if err := apply1(g); err != nil {
				return err
			}
		}
		if batcher != nil {
			if err := batcher.Flush(ctx); err != nil {
				// The group may be stored in part: none of it counts as imported
				// (a rerun finds the stored part unchanged).
				res.Imported, res.Skipped = imported, skipped
				return fmt.Errorf("import %s lines %d-%d: %w", kind, group[0].line, lastLine, err)
			}
		}
		group = group[:0]
		if opts.OnApplied != nil {
			opts.OnApplied(lastLine, res)
		}
		return nil
	}
	for {
		rec, line, err := rd.next()
		if errors.Is(err, io.EOF) {
			break
		}
		var bad RowError
		if err != nil && !errors.As(err, &bad) {
			report()
			return res, fmt.Errorf("read %s: %w", kind, err)
		}
		res.Rows++
		if err == nil {
			lastLine = line
		} else {
			lastLine = bad.Line
		}
		if res.Rows%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return res, fmt.Errorf("import %s: %w", kind, err)
			}
			report()
		}
		if lastLine <= opts.Resume {
			res.Resumed++
			continue
		}
		g := groupRow{line: line, err: err}
		switch {
		case err != nil:
		case len(rec) != row.ncols:
			g.err = RowError{Line: line, Message: fmt.Sprintf("row has %d cells, the header has %d", len(rec), row.ncols)}
		default:
			g.data, g.updated, g.err = row.encode(rec)
		}
		group = append(group, g)
		if len(group) >= size {
			if err := flush(); err != nil {
				report()
				return res, err
			}
		}
	}
	if err := flush(); err != nil {
		report()
		return res, err
	}
	report()
	return res, nil
}

// groupRow is one row of a group: its event data, or why it is bad.
type groupRow struct {
	line    int
	data    json.RawMessage
	updated time.Time
	err     error // a RowError, a rowErr, or nil
}

// rowErr is a cell that could not be read.
type rowErr struct{ field, msg string }

func (e rowErr) Error() string { return e.field + ": " + e.msg }

// rowReader turns records of one file into event data.
type rowReader struct {
	event string
	ncols int
	cols  []headerColumn // in header order, known columns only
}

type headerColumn struct {
	column
	at   int      // position in the record
	path []string // the name split at its dots
}

// newRowReader maps the header's columns to the schema's. Returns the
// warnings for unknown columns, and an EINVALID *loupe.Error for a missing
// required column or a repeated one.
func newRowReader(kind string, sc schema, header []string) (*rowReader, []string, error) {
	byName := map[string]column{}
	for _, c := range sc.columns {
		byName[c.name] = c
	}
	r := &rowReader{event: sc.event, ncols: len(header)}
	seen := map[string]bool{}
	var warnings []string
	for i, h := range header {
		if i == 0 {
			h = strings.TrimPrefix(h, "\uFEFF") // a byte order mark from spreadsheet exports
		}
		h = strings.ToLower(strings.TrimSpace(h))
		c, ok := byName[h]
		if !ok {
			if h != "" {
				warnings = append(warnings, fmt.Sprintf("column %s (%d) is not a %s column; ignored", h, i+1, kind))
			}
			continue
		}
		if seen[h] {
			return nil, nil, loupe.Invalidf(h, "header names column %s twice", h)
		}
		seen[h] = true
		r.cols = append(r.cols, headerColumn{column: c, at: i, path: strings.Split(h, ".")})
	}
	var required []string
	for _, c := range sc.columns {
		if c.required {
			required = append(required, c.name)
		}
	}
	for _, c := range required {
		if !seen[c] {
			return nil, nil, loupe.Invalidf(c, "header lacks required column %s (a %s file needs %s)",
				c, kind, strings.Join(required, ", "))
		}
	}
	return r, warnings, nil
}

// encode turns rec into the data of the kind's event and its updated_at.
func (r *rowReader) encode(rec []string) (json.RawMessage, time.Time, error) {
	data, updated, err := r.data(rec)
	if err != nil {
		return nil, time.Time{}, err
	}
	b, err := json.Marshal(data)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("encode row: %w", err)
	}
	return b, updated, nil
}

// data returns the event data of rec and its updated_at (zero when blank
// or absent).
func (r *rowReader) data(rec []string) (map[string]any, time.Time, error) {
	data := map[string]any{}
	var updated time.Time
	for _, c := range r.cols {
		v := strings.TrimSpace(rec[c.at])
		var val any
		switch c.cell {
		case stamp:
			if v == "" {
				continue
			}
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return nil, time.Time{}, rowErr{c.name, c.name + " must be an RFC 3339 time such as 2026-11-20T15:04:05Z"}
			}
			updated = t
			continue
		case text:
			val = v
		case number:
			if v != "" {
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					return nil, time.Time{}, rowErr{c.name, c.name + " must be a whole number"}
				}
				val = n
			}
		case flag:
			switch strings.ToLower(v) {
			case "":
			case "true", "yes", "y", "1":
				val = true
			case "false", "no", "n", "0":
				val = false
			default:
				return nil, time.Time{}, rowErr{c.name, c.name + " must be true or false"}
			}
		case list:
			if v == "" {
				break
			}
			if strings.Contains(v, ";") && !strings.Contains(v, "|") {
				return nil, time.Time{}, rowErr{c.name, c.name + ": entries are separated by | (not ;)"}
			}
			items := []string{}
			for _, s := range strings.Split(v, "|") {
				if s = strings.TrimSpace(s); s != "" {
					items = append(items, s)
				}
			}
			val = items
		}
		put(data, c.path, val)
	}
	return data, updated, nil
}

// put sets data at path, creating the nested objects on the way.
func put(data map[string]any, path []string, v any) {
	for _, p := range path[:len(path)-1] {
		next, ok := data[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			data[p] = next
		}
		data = next
	}
	data[path[len(path)-1]] = v
}
