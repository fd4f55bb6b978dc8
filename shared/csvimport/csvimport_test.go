package csvimport_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/csvimport"
	"github.com/loupehq/loupe/shared/loupe"
)

var (
	ctx = context.Background()
	t0  = time.Date(2026, time.November, 20, 15, 4, 5, 0, time.UTC)
)

// fakeApplier validates like the domain and keeps what it was given.
type fakeApplier struct {
	stores     []loupe.Store
	associates []loupe.Associate
	customers  []loupe.Customer
	repairs    []loupe.Repair
	n          int
	err        error // returned for every row when set
}

func (f *fakeApplier) UpsertStore(ctx context.Context, s loupe.Store) error {
	if f.err != nil {
		return f.err
	}
	if err := s.Validate(); err != nil {
		return err
	}
	f.stores = append(f.stores, s)
	return nil
}

func (f *fakeApplier) UpsertAssociate(ctx context.Context, a loupe.Associate) error {
	probe := a
	if probe.Status == "" {
		probe.Status = loupe.StatusActive
	}
	if err := probe.Validate(); err != nil {
		return err
	}
	f.associates = append(f.associates, a)
	return nil
}

func (f *fakeApplier) UpsertCustomer(ctx context.Context, c loupe.Customer) error {
	if f.err != nil {
		return f.err
	}
	if err := c.Validate(); err != nil {
		// pos.Service names fields as the webhook does.
		var le *loupe.Error
		if errors.As(err, &le) {
			return loupe.Invalidf("data."+le.Field, "%s", le.Message)
		}
		return err
	}
	if len(f.customers) < 1000 {
		f.customers = append(f.customers, c)
	}
	f.n++
	return nil
}

func (f *fakeApplier) CreateRepair(ctx context.Context, r loupe.Repair) error {
	if err := r.Validate(); err != nil {
		return err
	}
	for _, have := range f.repairs {
		if have.RepairID == r.RepairID {
			return fmt.Errorf("put repair %s: %w", r.RepairID, loupe.ErrExists)
		}
	}
	f.repairs = append(f.repairs, r)
	return nil
}

func TestImportCustomers(t *testing.T) {
	in := "\uFEFFCustomer_ID, home_store_id ,email,birthday,anniversary,preferences,email_opt_out,loyalty_tier,associate_id,updated_at\n" +
		"c1,s1,ann@example.com,1980-05-17,--06-21,bridal; pearls ,yes,gold,a1,\n" +
		"\n" +
		"c2,s1,,--02-29,,,,,,2026-01-02T03:04:05Z\n"
	f := &fakeApplier{}
	res, err := csvimport.Import(ctx, "customers", strings.NewReader(in), f, csvimport.Options{})
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	if got, want := res, (csvimport.Result{Rows: 2, Imported: 2}); !reflect.DeepEqual(got, want) {
		t.Fatalf("result: got %+v, want %+v", got, want)
	}
	want := []loupe.Customer{
		{CustomerID: "c1", HomeStoreID: "s1", Email: "ann@example.com",
			Birthday: loupe.Date{Year: 1980, Month: 5, Day: 17}, Anniversary: loupe.Date{Month: 6, Day: 21},
			Preferences: []string{"bridal", "pearls"}, EmailOptOut: true, AssociateID: "a1"},
		{CustomerID: "c2", HomeStoreID: "s1", Birthday: loupe.Date{Month: 2, Day: 29},
			UpdatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
	}
	if !reflect.DeepEqual(f.customers, want) {
		t.Fatalf("customers:\n got %+v\nwant %+v", f.customers, want)
	}
}

func TestImportOtherKinds(t *testing.T) {
	f := &fakeApplier{}
	files := []struct{ kind, in string }{
		{"stores", "store_id,name,timezone,country,from_email\ns1,Fifth Avenue,America/New_York,US,s1@example.com\n"},
		{"associates", "associate_id,store_id,name,strengths,capacity,status,terminated_at\n" +
			"a1,s1,Ann Lee,bridal;watches,25,,\n" +
			"a2,s1,Bob Roe,,,terminated,2026-11-01T17:00:00Z\n" +
			"a3,s1,Cy Poe,,,TERMINATED,\n"},
		{"repairs", "repair_id,store_id,associate_id,customer_id,customer_email,item,taken_in_at\n" +
			"r1,s1,a1,c1,none@none.com,Ring resize,2026-11-20T15:04:05-05:00\n" +
			"r1,s1,a1,c1,,Ring resize,2026-11-20T15:04:05-05:00\n"},
	}
	for _, fl := range files {
		res, err := csvimport.Import(ctx, fl.kind, strings.NewReader(fl.in), f, csvimport.Options{})
		if err != nil || res.Failed != 0 {
			t.Fatalf("import %s: %+v, %v", fl.kind, res, err)
		}
	}
	wantStore := loupe.Store{StoreID: "s1", Name: "Fifth Avenue", Timezone: "America/New_York", Country: "US",
		FromEmail: "s1@example.com"}
	if !reflect.DeepEqual(f.stores, []loupe.Store{wantStore}) {
		t.Errorf("stores: got %+v", f.stores)
	}
	wantAssoc := []loupe.Associate{
		{AssociateID: "a1", StoreID: "s1", Name: "Ann Lee", Strengths: []string{"bridal", "watches"}, Capacity: 25},
		{AssociateID: "a2", StoreID: "s1", Name: "Bob Roe", Status: "terminated",
			TerminatedAt: time.Date(2026, 11, 1, 17, 0, 0, 0, time.UTC)},
		{AssociateID: "a3", StoreID: "s1", Name: "Cy Poe", Status: "terminated"},
	}
	if !reflect.DeepEqual(f.associates, wantAssoc) {
		t.Errorf("associates:\n got %+v\nwant %+v", f.associates, wantAssoc)
	}
	if len(f.repairs) != 1 || !f.repairs[0].TakenInAt.Equal(t0.Add(5*time.Hour)) || f.repairs[0].CustomerEmail != "none@none.com" {
		t.Errorf("repairs: got %+v", f.repairs)
	}
}

func TestImportDuplicateRepairIsSkipped(t *testing.T) {
	in := "repair_id,store_id,associate_id,customer_id,taken_in_at\nr1,s1,a1,c1,2026-11-20T15:04:05Z\nr1,s1,a1,c1,2026-11-20T15:04:05Z\n"
	res, err := csvimport.Import(ctx, "repairs", strings.NewReader(in), &fakeApplier{}, csvimport.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res, (csvimport.Result{Rows: 2, Imported: 1, Skipped: 1}); !reflect.DeepEqual(got, want) {
		t.Fatalf("result: got %+v, want %+v", got, want)
	}
}

func TestImportBadRows(t *testing.T) {
	const header = "customer_id,home_store_id,email,birthday,anniversary,preferences,email_opt_out,associate_id,updated_at\n"
	tests := []struct {
		name string
		row  string
		want csvimport.RowError
	}{
		{"missing id", ",s1,,,,,,,", csvimport.RowError{Line: 3, Field: "customer_id", Message: "customer_id is required"}},
		{"bad email", "c9,s1,ann@,,,,,,", csvimport.RowError{Line: 3, Field: "email", Message: "email is not a well-formed email address"}},
		{"bad birthday", "c9,s1,,1980-02-30,,,,,", csvimport.RowError{Line: 3, Field: "birthday", Message: "birthday is not YYYY-MM-DD or --MM-DD"}},
		{"bad anniversary", "c9,s1,,,06/21,,,,", csvimport.RowError{Line: 3, Field: "anniversary", Message: "anniversary is not YYYY-MM-DD or --MM-DD"}},
		{"bad preference", "c9,s1,,,,bridal;Watches,,,", csvimport.RowError{Line: 3, Field: "preferences", Message: "preferences[1] must match [a-z0-9_]{1,32}"}},
		{"bad opt out", "c9,s1,,,,,maybe,,", csvimport.RowError{Line: 3, Field: "email_opt_out", Message: "email_opt_out must be true or false"}},
		{"bad updated at", "c9,s1,,,,,,,yesterday", csvimport.RowError{Line: 3, Field: "updated_at",
			Message: `updated_at "yesterday" is not an RFC 3339 time such as 2026-11-20T15:04:05Z`}},
		{"too few cells", "c9,s1", csvimport.RowError{Line: 3, Message: "row has 2 cells, the header has 9"}},
		{"too many cells", "c9,s1,,,,,,,,x", csvimport.RowError{Line: 3, Message: "row has 10 cells, the header has 9"}},
		{"bare quote", `c9,s"1,,,,,,,`, csvimport.RowError{Line: 3, Message: `malformed CSV: bare " in non-quoted-field`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A good row before and after: the bad one stops nothing else.
			in := header + "c1,s1,,,,,,,\n" + tt.row + "\nc2,s1,,,,,,,\n"
			f := &fakeApplier{}
			var seen []csvimport.RowError
			res, err := csvimport.Import(ctx, "customers", strings.NewReader(in), f,
				csvimport.Options{OnError: func(e csvimport.RowError) { seen = append(seen, e) }})
			if err != nil {
				t.Fatalf("import: %v", err)
			}
			want := csvimport.Result{Rows: 3, Imported: 2, Failed: 1, Errors: []csvimport.RowError{tt.want}}
			if !reflect.DeepEqual(res, want) {
				t.Fatalf("result:\n got %+v\nwant %+v", res, want)
			}
			if !reflect.DeepEqual(seen, want.Errors) {
				t.Fatalf("OnError got %+v, want %+v", seen, want.Errors)
			}
			if got, want := len(f.customers), 2; got != want {
				t.Fatalf("customers applied: got %d, want %d", got, want)
			}
		})
	}
}

func TestImportLineNumbersCountQuotedNewlines(t *testing.T) {
	in := "store_id,name,timezone,country,postal_address\n" +
		"s1,One,America/New_York,US,\"1 Main St\nNew York\"\n" +
		"s2,Two,Mars/Base,US,\n"
	res, err := csvimport.Import(ctx, "stores", strings.NewReader(in), &fakeApplier{}, csvimport.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 1 || res.Errors[0].Line != 4 || res.Errors[0].Field != "timezone" {
		t.Fatalf("errors: got %+v, want one on line 4, field timezone", res.Errors)
	}
}

func TestImportBadFile(t *testing.T) {
	tests := []struct {
		name, kind, in, field string
	}{
		{"unknown kind", "purchases", "purchase_id\n", "kind"},
		{"empty file", "customers", "", "header"},
		{"missing required column", "repairs", "repair_id,store_id,associate_id,customer_id\n", "taken_in_at"},
		{"repeated column", "customers", "customer_id,home_store_id,email,EMAIL\n", "email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := csvimport.Import(ctx, tt.kind, strings.NewReader(tt.in), &fakeApplier{}, csvimport.Options{})
			var le *loupe.Error
			if !errors.As(err, &le) || le.Code != loupe.EINVALID {
				t.Fatalf("err = %v, want EINVALID", err)
			}
			if le.Field != tt.field {
				t.Fatalf("field: got %q, want %q", le.Field, tt.field)
			}
		})
	}
}

func TestImportStopsOnInternalError(t *testing.T) {
	boom := errors.New("disk on fire")
	in := "customer_id,home_store_id\nc1,s1\nc2,s1\n"
	res, err := csvimport.Import(ctx, "customers", strings.NewReader(in), &fakeApplier{err: boom}, csvimport.Options{})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
	if res.Rows != 1 {
		t.Fatalf("rows read: got %d, want 1", res.Rows)
	}
}

func TestImportKeepsBoundedErrors(t *testing.T) {
	var b strings.Builder
	b.WriteString("customer_id,home_store_id\n")
	for i := 0; i < 500; i++ {
		b.WriteString(",s1\n")
	}
	res, err := csvimport.Import(ctx, "customers", strings.NewReader(b.String()), &fakeApplier{}, csvimport.Options{MaxErrors: 10})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed != 500 || len(res.Errors) != 10 || res.Errors[9].Line != 11 {
		t.Fatalf("failed %d, kept %d errors, want 500 and 10", res.Failed, len(res.Errors))
	}
}

// rowsReader generates a customers file of n rows without holding it in memory.
type rowsReader struct {
	n, i int
	buf  []byte
}

func (r *rowsReader) Read(p []byte) (int, error) {
	for len(r.buf) < len(p) && r.i <= r.n {
		if r.i == 0 {
			r.buf = append(r.buf, "customer_id,home_store_id,first_name,email,birthday,preferences\n"...)
		} else {
			r.buf = fmt.Appendf(r.buf, "c%07d,s1,Ann,ann.%d@example.com,--06-21,bridal;pearls\n", r.i, r.i)
		}
		r.i++
	}
	if len(r.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

func TestImportMillionRows(t *testing.T) {
	if testing.Short() {
		t.Skip("long")
	}
	const n = 1_000_000
	var calls int
	f := &fakeApplier{}
	res, err := csvimport.Import(ctx, "customers", &rowsReader{n: n}, f,
		csvimport.Options{Progress: func(done, total int64) { calls++ }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != n || res.Imported != n {
		t.Fatalf("result: got %+v, want %d rows imported", res, n)
	}
	if calls < 100 {
		t.Fatalf("progress calls: got %d, want many", calls)
	}
}

func BenchmarkImportCustomers(b *testing.B) {
	for b.Loop() {
		if _, err := csvimport.Import(ctx, "customers", &rowsReader{n: 10_000}, &fakeApplier{}, csvimport.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
