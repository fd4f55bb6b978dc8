// Package csvimport bulk-loads POS exports: CSV files of stores, associates,
// customers or repair take-ins. Rows are applied one by one through the same
// domain path as the POS webhook (an Applier, which pos.Service implements), so
// an imported row and a webhook event are validated and stored alike.
//
// The file is streamed line by line (records.go): memory does not grow with
// the number of rows. A bad row stops nothing else, not even a broken quote
// or bytes that are not UTF-8; it is reported with its line in the file (the
// header is line 1) and the column at fault, and every line is accounted for.
package csvimport

import (
	"context"
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
)

// Kinds lists the kinds Import accepts, in the order a chain is best loaded.
var Kinds = []string{KindStores, KindAssociates, KindCustomers, KindRepairs}

// Applier applies one imported entity through the domain, exactly as the POS
// webhook would. A row it rejects with an *loupe.Error is reported and skipped;
// loupe.ErrStale and loupe.ErrExists count as skipped rows (newer data or the
// same repair already stored); any other error stops the import.
// *pos.Service implements it (asserted in this package's tests).
type Applier interface {
	// UpsertStore validates and upserts a store, as pos.Service.UpsertStore.
	UpsertStore(ctx context.Context, s loupe.Store) error
	// UpsertAssociate validates and upserts an associate, as
	// pos.Service.UpsertAssociate.
	UpsertAssociate(ctx context.Context, a loupe.Associate) error
	// UpsertCustomer validates and upserts a customer's POS fields, as
	// pos.Service.UpsertCustomer.
	UpsertCustomer(ctx context.Context, c loupe.Customer) error
	// CreateRepair validates and inserts a repair take-in, as
	// pos.Service.CreateRepair.
	CreateRepair(ctx context.Context, r loupe.Repair) error
}

// Options tunes Import. The zero value is usable.
type Options struct {
	// Progress, when set, is called every few thousand rows and once at the end
	// with the bytes read so far and Size.
	Progress func(done, total int64)
	// Size is the input's size in bytes when known (0 otherwise), for Progress.
	Size int64
	// OnError, when set, is called for every bad row as it is found.
	OnError func(RowError)
	// MaxErrors bounds Result.Errors (Failed still counts every bad row).
	// Default 100.
	MaxErrors int
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
	// Errors holds the first Options.MaxErrors bad rows in file order.
	Errors []RowError
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

// columns of each kind; the required ones are those the POS webhook requires.
var (
	columns = map[string][]string{
		KindStores: {"store_id", "name", "timezone", "country", "postal_address", "from_email",
			"manager_email", "updated_at"},
		KindAssociates: {"associate_id", "store_id", "name", "email", "strengths", "capacity", "status",
			"terminated_at", "updated_at"},
		KindCustomers: {"customer_id", "home_store_id", "first_name", "last_name", "email", "phone",
			"birthday", "anniversary", "preferences", "associate_id", "email_opt_out", "updated_at"},
		KindRepairs: {"repair_id", "store_id", "associate_id", "customer_id", "customer_email", "item",
			"taken_in_at"},
	}
	required = map[string][]string{
		KindStores:     {"store_id", "name", "timezone", "country"},
		KindAssociates: {"associate_id", "store_id", "name"},
		KindCustomers:  {"customer_id", "home_store_id"},
		KindRepairs:    {"repair_id", "store_id", "associate_id", "customer_id", "taken_in_at"},
	}
)

// Columns returns the columns a kind understands, required ones first, or nil
// for an unknown kind.
func Columns(kind string) []string { return append([]string(nil), columns[kind]...) }

// Required returns the columns a kind's header must name.
func Required(kind string) []string { return append([]string(nil), required[kind]...) }

// Import reads a CSV file of kind (KindStores, KindAssociates, KindCustomers or
// KindRepairs) from r and applies each row through apply. The first row is
// the header naming the columns (any order, case and surrounding spaces
// ignored; unknown columns ignored). Lists (strengths, preferences) are
// separated by ';' within a cell.
//
// Bad rows are counted in Result and reported through Options.OnError; they
// do not stop the import. Import returns an EINVALID *loupe.Error for an
// unknown kind or a header lacking a required column (nothing applied), and
// stops with a wrapped error, returning the counts so far, when reading fails,
// ctx is done or apply fails with an error that is not a *loupe.Error.
func Import(ctx context.Context, kind string, r io.Reader, apply Applier, opts Options) (Result, error) {
	var res Result
	if _, ok := columns[kind]; !ok {
		return res, loupe.Invalidf("kind", "unknown kind %q: want stores, associates, customers or repairs", kind)
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
	idx, err := headerIndex(kind, header)
	if err != nil {
		return res, err
	}
	row := rowReader{idx: idx, ncols: len(header)}

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
	for {
		rec, line, err := rd.next()
		if errors.Is(err, io.EOF) {
			break
		}
		var bad RowError
		if errors.As(err, &bad) {
			res.Rows++
			fail(bad)
			continue
		}
		if err != nil {
			report()
			return res, fmt.Errorf("read %s: %w", kind, err)
		}
		res.Rows++
		if res.Rows%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return res, fmt.Errorf("import %s: %w", kind, err)
			}
			report()
		}
		if len(rec) != row.ncols {
			fail(RowError{Line: line, Message: fmt.Sprintf("row has %d cells, the header has %d", len(rec), row.ncols)})
			continue
		}
		row.rec = rec
		err = row.apply(ctx, kind, apply)
		var rerr rowErr
		var lerr *loupe.Error
		switch {
		case err == nil:
			res.Imported++
		case errors.Is(err, loupe.ErrStale), errors.Is(err, loupe.ErrExists):
			res.Skipped++
		case errors.As(err, &rerr):
			fail(RowError{Line: line, Field: rerr.field, Message: rerr.msg})
		case errors.As(err, &lerr) && lerr.Code != loupe.EINTERNAL:
			fail(RowError{Line: line, Field: strings.TrimPrefix(lerr.Field, "data."), Message: lerr.Message})
		default:
			report()
			return res, fmt.Errorf("import %s line %d: %w", kind, line, err)
		}
	}
	report()
	return res, nil
}

// headerIndex maps each known column to its position in header. Returns an
// EINVALID *loupe.Error for a missing required column or a repeated one.
func headerIndex(kind string, header []string) (map[string]int, error) {
	known := map[string]bool{}
	for _, c := range columns[kind] {
		known[c] = true
	}
	idx := map[string]int{}
	for i, h := range header {
		if i == 0 {
			h = strings.TrimPrefix(h, "\uFEFF") // a byte order mark from spreadsheet exports
		}
		h = strings.ToLower(strings.TrimSpace(h))
		if !known[h] {
			continue
		}
		if _, dup := idx[h]; dup {
			return nil, loupe.Invalidf(h, "header names column %s twice", h)
		}
		idx[h] = i
	}
	for _, c := range required[kind] {
		if _, ok := idx[c]; !ok {
			return nil, loupe.Invalidf(c, "header lacks required column %s (a %s file needs %s)",
				c, kind, strings.Join(required[kind], ", "))
		}
	}
	return idx, nil
}

// rowErr is a cell that could not be parsed.
type rowErr struct{ field, msg string }

func (e rowErr) Error() string { return e.field + ": " + e.msg }

// rowReader reads the cells of the current record by column name.
type rowReader struct {
	idx   map[string]int
	ncols int
	rec   []string
}

// get returns the trimmed cell of column c, or "" when the file lacks it.
func (r *rowReader) get(c string) string {
	i, ok := r.idx[c]
	if !ok {
		return ""
	}
	return strings.TrimSpace(r.rec[i])
}

func (r *rowReader) list(c string) []string {
	v := r.get(c)
	if v == "" {
		return nil
	}
	var out []string
	for _, s := range strings.Split(v, ";") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (r *rowReader) time(c string, def time.Time) (time.Time, error) {
	v := r.get(c)
	if v == "" {
		return def, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, rowErr{c, fmt.Sprintf("%s %q is not an RFC 3339 time such as 2026-11-20T15:04:05Z", c, v)}
	}
	return t, nil
}

func (r *rowReader) date(c string) (loupe.Date, error) {
	v := r.get(c)
	if v == "" {
		return loupe.Date{}, nil
	}
	d, err := loupe.ParseDate(v)
	if err != nil {
		return loupe.Date{}, rowErr{c, fmt.Sprintf("%s is not YYYY-MM-DD or --MM-DD", c)}
	}
	return d, nil
}

func (r *rowReader) bool(c string) (bool, error) {
	switch strings.ToLower(r.get(c)) {
	case "", "false", "no", "n", "0":
		return false, nil
	case "true", "yes", "y", "1":
		return true, nil
	}
	return false, rowErr{c, c + " must be true or false"}
}

func (r *rowReader) int(c string) (int, error) {
	v := r.get(c)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, rowErr{c, c + " must be a whole number"}
	}
	return n, nil
}

// apply parses the current record as kind and hands it to a. A row without
// updated_at carries no date: it counts as older than any POS event
// (CONTRACT section 2), so it fills fields no event set and never
// overwrites one.
func (r *rowReader) apply(ctx context.Context, kind string, a Applier) error {
	updated, err := r.time("updated_at", time.Time{})
	if err != nil {
		return err
	}
	switch kind {
	case KindStores:
		return a.UpsertStore(ctx, loupe.Store{
			StoreID:       r.get("store_id"),
			Name:          r.get("name"),
			Timezone:      r.get("timezone"),
			Country:       r.get("country"),
			PostalAddress: r.get("postal_address"),
			FromEmail:     r.get("from_email"),
			ManagerEmail:  r.get("manager_email"),
			UpdatedAt:     updated,
		})
	case KindAssociates:
		capacity, err := r.int("capacity")
		if err != nil {
			return err
		}
		// A blank status keeps the stored one (new associates start active),
		// as on the webhook.
		status := strings.ToLower(r.get("status"))
		termAt, err := r.time("terminated_at", time.Time{})
		if err != nil {
			return err
		}

		return a.UpsertAssociate(ctx, loupe.Associate{
			AssociateID:  r.get("associate_id"),
			StoreID:      r.get("store_id"),
			Name:         r.get("name"),
			Email:        r.get("email"),
			Strengths:    r.list("strengths"),
			Capacity:     capacity,
			Status:       status,
			TerminatedAt: termAt,
			UpdatedAt:    updated,
		})
	case KindCustomers:
		c := loupe.Customer{
			CustomerID:  r.get("customer_id"),
			HomeStoreID: r.get("home_store_id"),
			FirstName:   r.get("first_name"),
			LastName:    r.get("last_name"),
			Email:       r.get("email"),
			Phone:       r.get("phone"),
			Preferences: r.list("preferences"),
			AssociateID: r.get("associate_id"),
			UpdatedAt:   updated,
		}
		if c.Birthday, err = r.date("birthday"); err != nil {
			return err
		}
		if c.Anniversary, err = r.date("anniversary"); err != nil {
			return err
		}
		if c.EmailOptOut, err = r.bool("email_opt_out"); err != nil {
			return err
		}
		return a.UpsertCustomer(ctx, c)
	case KindRepairs:
		at, err := r.time("taken_in_at", time.Time{})
		if err != nil {
			return err
		}
		return a.CreateRepair(ctx, loupe.Repair{
			RepairID:      r.get("repair_id"),
			StoreID:       r.get("store_id"),
			AssociateID:   r.get("associate_id"),
			CustomerID:    r.get("customer_id"),
			CustomerEmail: r.get("customer_email"),
			Item:          r.get("item"),
			TakenInAt:     at,
		})
	}
	return loupe.Invalidf("kind", "unknown kind %q", kind)
}
