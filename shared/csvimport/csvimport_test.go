package csvimport_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/csvimport"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/phone"
	"github.com/loupehq/loupe/shared/pos"
	"github.com/loupehq/loupe/shared/testkit/postest"
)

var (
	ctx = context.Background()
	t0  = time.Date(2026, time.November, 20, 15, 4, 5, 0, time.UTC)
)

// chain is a real pos.Importer over an in-memory database that also
// keeps, in file order, the records each applied row left stored.
type chain struct {
	db         *postest.MemDB
	im         *pos.Importer
	stores     []loupe.Store
	associates []loupe.Associate
	customers  []loupe.Customer
	repairs    []loupe.Repair
	purchases  []loupe.Purchase
}

// newChain returns an empty chain; seeded ones (seededChain) know the stores
// s1 and nyc and the associate a1 of s1.
func newChain() *chain {
	db := postest.NewMemDB()
	return &chain{db: db, im: pos.NewImporter(&pos.Service{DB: db, Now: func() time.Time { return t0 }, Phones: phone.Normalize})}
}

func seededChain(t testing.TB) *chain {
	c := newChain()
	for _, id := range []string{"s1", "nyc"} {
		if err := loupe.PutStore(ctx, c.db, loupe.Store{StoreID: id, Name: id, Timezone: "America/New_York", Country: "US"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := loupe.PutAssociate(ctx, c.db, loupe.Associate{AssociateID: "a1", StoreID: "s1", Name: "Ann", Status: loupe.StatusActive}); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *chain) ImportRow(ctx context.Context, typ string, data json.RawMessage, at time.Time) error {
	if err := c.im.ImportRow(ctx, typ, data, at); err != nil {
		return err
	}
	var ids map[string]any
	json.Unmarshal(data, &ids)
	id := func(k string) string { s, _ := ids[k].(string); return s }
	var err error
	switch typ {
	case pos.TypeStoreUpserted:
		var v loupe.Store
		v, err = c.db.GetStore(ctx, id("store_id"))
		c.stores = append(c.stores, v)
	case pos.TypeAssociateUpserted:
		var v loupe.Associate
		v, err = c.db.GetAssociate(ctx, id("associate_id"))
		c.associates = append(c.associates, v)
	case pos.TypeCustomerUpserted:
		var v loupe.Customer
		v, err = c.db.GetCustomer(ctx, id("customer_id"))
		c.customers = append(c.customers, v)
	case pos.TypeRepairCreated:
		var v loupe.Repair
		v, err = c.db.GetRepair(ctx, id("repair_id"))
		c.repairs = append(c.repairs, v)
	case pos.TypePurchaseCreated:
		var ps []loupe.Purchase
		ps, err = c.db.PurchasesByCustomer(ctx, id("customer_id"))
		for _, p := range ps {
			if p.PurchaseID == id("purchase_id") {
				c.purchases = append(c.purchases, p)
			}
		}
	}
	return err
}

// counter counts rows without storing them (for the streaming tests).
type counter struct {
	n   int
	err error
}

func (c *counter) ImportRow(context.Context, string, json.RawMessage, time.Time) error {
	c.n++
	return c.err
}

// pos keeps only what a POS sent in the fields a test compares.
func posFields(c loupe.Customer) loupe.Customer {
	return loupe.Customer{CustomerID: c.CustomerID, HomeStoreID: c.HomeStoreID, FirstName: c.FirstName, LastName: c.LastName,
		Email: c.Email, Phone: c.Phone, Birthday: c.Birthday, Anniversary: c.Anniversary, Preferences: c.Preferences,
		AssociateID: c.AssociateID, EmailOptOut: c.EmailOptOut, UpdatedAt: c.UpdatedAt}
}

func TestImportCustomers(t *testing.T) {
	in := "\uFEFFCustomer_ID, home_store_id ,email,birthday,anniversary,preferences,email_opt_out,loyalty_tier,associate_id,updated_at\n" +
		"c1,s1,ann@example.com,1980-05-17,--06-21,bridal| pearls ,yes,gold,a1,\n" +
		"\n" +
		"c2,s1,,--02-29,,,,,,2026-01-02T03:04:05Z\n"
	f := seededChain(t)
	res, err := csvimport.Import(ctx, "customers", strings.NewReader(in), f, csvimport.Options{})
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	if got, want := res, (csvimport.Result{Rows: 2, Imported: 2,
		Warnings: []string{"column loyalty_tier (8) is not a customers column; ignored"}}); !reflect.DeepEqual(got, want) {
		t.Fatalf("result: got %+v, want %+v", got, want)
	}
	want := []loupe.Customer{
		{CustomerID: "c1", HomeStoreID: "s1", Email: "ann@example.com",
			Birthday: loupe.Date{Year: 1980, Month: 5, Day: 17}, Anniversary: loupe.Date{Month: 6, Day: 21},
			Preferences: []string{"bridal", "pearls"}, EmailOptOut: true, AssociateID: "a1"},
		{CustomerID: "c2", HomeStoreID: "s1", Birthday: loupe.Date{Month: 2, Day: 29},
			UpdatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
	}
	var got []loupe.Customer
	for _, c := range f.customers {
		got = append(got, posFields(c))
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("customers:\n got %+v\nwant %+v", got, want)
	}
}

// TestImportColumnsLeaveOthers: the header's columns are the fields a row
// carries; a column the file lacks leaves the stored value, an empty cell
// clears it (an empty email or associate_id keeps the stored one).
func TestImportColumnsLeaveOthers(t *testing.T) {
	f := seededChain(t)
	first := "customer_id,home_store_id,first_name,phone,email,preferences,associate_id\nc1,s1,Ann,+12125550100,ann@example.com,bridal|pearls,a1\n"
	if res, err := csvimport.Import(ctx, "customers", strings.NewReader(first), f, csvimport.Options{}); err != nil || res.Imported != 1 {
		t.Fatalf("first file: %+v, %v", res, err)
	}
	second := "customer_id,home_store_id,phone,email,preferences,associate_id,updated_at\nc1,s1,,,,,2026-11-01T00:00:00Z\n"
	if res, err := csvimport.Import(ctx, "customers", strings.NewReader(second), f, csvimport.Options{}); err != nil || res.Imported != 1 {
		t.Fatalf("second file: %+v, %v", res, err)
	}
	c, err := f.db.GetCustomer(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if c.FirstName != "Ann" || c.Phone != "" || c.Email != "ann@example.com" || c.Preferences != nil || c.AssociateID != "a1" {
		t.Fatalf("after the second file: %+v; want the name kept, phone and preferences cleared, email and owner kept", posFields(c))
	}
}

func TestImportOtherKinds(t *testing.T) {
	f := newChain()
	files := []struct{ kind, in string }{
		{"stores", "store_id,name,timezone,country,from_email\ns1,Fifth Avenue,America/New_York,US,s1@example.com\n"},
		{"associates", "associate_id,store_id,name,strengths,capacity,status,terminated_at\n" +
			"a1,s1,Ann Lee,bridal|watches,25,,\n" +
			"a2,s1,Bob Roe,,,terminated,2026-11-01T17:00:00Z\n" +
			"a3,s1,Cy Poe,,,terminated,\n"},
		{"customers", "customer_id,home_store_id\nc1,s1\n"},
		{"repairs", "repair_id,store_id,associate_id,customer_id,customer_email,item,taken_in_at\n" +
			"r1,s1,a1,c1,none@none.com,Ring resize,2026-11-20T15:04:05-05:00\n" +
			"r1,s1,a1,c1,,Ring resize,2026-11-20T15:04:05-05:00\n"},
		{"purchases", "purchase_id,store_id,associate_id,customer_id,total_cents,categories,purchased_at\n" +
			"p1,s1,a1,c1,125000,bridal|rings,2026-11-21T12:00:00Z\n"},
	}
	for _, fl := range files {
		res, err := csvimport.Import(ctx, fl.kind, strings.NewReader(fl.in), f, csvimport.Options{})
		if err != nil || res.Failed != 0 {
			t.Fatalf("import %s: %+v, %v", fl.kind, res, err)
		}
	}
	if len(f.stores) != 1 || f.stores[0].Name != "Fifth Avenue" || f.stores[0].FromEmail != "s1@example.com" {
		t.Errorf("stores: got %+v", f.stores)
	}
	if len(f.associates) != 3 {
		t.Fatalf("associates: got %+v", f.associates)
	}
	a1, a2, a3 := f.associates[0], f.associates[1], f.associates[2]
	if a1.Status != loupe.StatusActive || a1.Capacity != 25 || !reflect.DeepEqual(a1.Strengths, []string{"bridal", "watches"}) {
		t.Errorf("a1: %+v", a1)
	}
	if a2.Status != loupe.StatusTerminated || !a2.TerminatedAt.Equal(time.Date(2026, 11, 1, 17, 0, 0, 0, time.UTC)) {
		t.Errorf("a2: %+v", a2)
	}
	if a3.Status != loupe.StatusTerminated || !a3.TerminatedAt.Equal(t0) {
		t.Errorf("a3, terminated without a date, is dated when Loupe learned of it: %+v", a3)
	}
	if len(f.repairs) != 1 || !f.repairs[0].TakenInAt.Equal(t0.Add(5*time.Hour)) || f.repairs[0].CustomerEmail != "none@none.com" ||
		f.repairs[0].LocalDay != "2026-11-20" {
		t.Errorf("repairs: got %+v", f.repairs)
	}
	if len(f.purchases) != 1 || f.purchases[0].TotalCents != 125000 || !reflect.DeepEqual(f.purchases[0].Categories, []string{"bridal", "rings"}) {
		t.Errorf("purchases: got %+v", f.purchases)
	}
}

func TestImportDuplicateRepairIsSkipped(t *testing.T) {
	in := "repair_id,store_id,associate_id,customer_id,taken_in_at\nr1,s1,a1,c1,2026-11-20T15:04:05Z\nr1,s1,a1,c1,2026-11-20T15:04:05Z\n"
	res, err := csvimport.Import(ctx, "repairs", strings.NewReader(in), seededChain(t), csvimport.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res, (csvimport.Result{Rows: 2, Imported: 1, Skipped: 1}); !reflect.DeepEqual(got, want) {
		t.Fatalf("result: got %+v, want %+v", got, want)
	}
}

func TestImportBadRows(t *testing.T) {
	const header = "customer_id,home_store_id,email,birthday,anniversary,preferences,email_opt_out,associate_id,updated_at,first_name\n"
	tests := []struct {
		name string
		row  string
		want csvimport.RowError
	}{
		{"missing id", ",s1,,,,,,,,", csvimport.RowError{Line: 3, Field: "customer_id", Message: "customer_id is required"}},
		{"bad email", "c9,s1,ann@,,,,,,,", csvimport.RowError{Line: 3, Field: "email", Message: "email is not a well-formed email address"}},
		{"bad birthday", "c9,s1,,1980-02-30,,,,,,", csvimport.RowError{Line: 3, Field: "birthday", Message: "birthday must be a calendar day YYYY-MM-DD or --MM-DD"}},
		{"bad anniversary", "c9,s1,,,06/21,,,,,", csvimport.RowError{Line: 3, Field: "anniversary", Message: "anniversary must be a calendar day YYYY-MM-DD or --MM-DD"}},
		{"bad preference", "c9,s1,,,,bridal|Watches,,,,", csvimport.RowError{Line: 3, Field: "preferences[1]", Message: "preferences[1] must match [a-z0-9_]{1,32}"}},
		{"old list separator", "c9,s1,,,,bridal;watches,,,,", csvimport.RowError{Line: 3, Field: "preferences", Message: "preferences: entries are separated by | (not ;)"}},
		{"too many preferences", "c9,s1,,,,p" + strings.Repeat("|p", 64) + ",,,,", csvimport.RowError{Line: 3, Field: "preferences", Message: "preferences holds more than 64 entries"}},
		{"bad opt out", "c9,s1,,,,,maybe,,,", csvimport.RowError{Line: 3, Field: "email_opt_out", Message: "email_opt_out must be true or false"}},
		{"bad updated at", "c9,s1,,,,,,,yesterday,", csvimport.RowError{Line: 3, Field: "updated_at",
			Message: "updated_at must be an RFC 3339 time such as 2026-11-20T15:04:05Z"}},
		{"future updated at", "c9,s1,,,,,,,2026-11-20T17:04:05Z,", csvimport.RowError{Line: 3, Field: "updated_at",
			Message: "updated_at is more than 1h0m0s ahead of the server clock"}},
		{"unknown store", "c9,zz,,,,,,,,", csvimport.RowError{Line: 3, Field: "home_store_id", Message: "home_store_id names no store Loupe knows (import the stores first)"}},
		{"unknown associate", "c9,s1,,,,,,a404,,", csvimport.RowError{Line: 3, Field: "associate_id", Message: "associate_id names no associate Loupe knows (import the associates first)"}},
		{"control character", "c9,s1,,,,,,,,\"Ann\rBcc: x\"", csvimport.RowError{Line: 3, Field: "first_name", Message: "first_name must not contain control characters such as a line break or tab"}},
		{"oversize name", "c9,s1,,,,,,,," + strings.Repeat("n", 1001), csvimport.RowError{Line: 3, Field: "first_name", Message: "first_name is longer than 1000 characters"}},
		{"too few cells", "c9,s1", csvimport.RowError{Line: 3, Message: "row has 2 cells, the header has 10"}},
		{"too many cells", "c9,s1,,,,,,,,,x", csvimport.RowError{Line: 3, Message: "row has 11 cells, the header has 10"}},
		{"bare quote", `c9,s"1,,,,,,,,`, csvimport.RowError{Line: 3, Message: `malformed CSV: bare " in non-quoted-field`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A good row before and after: the bad one stops nothing else.
			in := header + "c1,s1,,,,,,,,\n" + tt.row + "\nc2,s1,,,,,,,,\n"
			f := seededChain(t)
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
			if _, err := f.db.GetCustomer(ctx, "c9"); !errors.Is(err, loupe.ErrNotFound) {
				t.Fatalf("the bad row was stored (%v)", err)
			}
		})
	}
}

func TestImportLineNumbersCountQuotedNewlines(t *testing.T) {
	in := "store_id,name,timezone,country,postal_address\n" +
		"s1,One,America/New_York,US,\"1 Main St\nNew York\"\n" +
		"s2,Two,Mars/Base,US,\n"
	res, err := csvimport.Import(ctx, "stores", strings.NewReader(in), newChain(), csvimport.Options{})
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
		{"unknown kind", "consent", "customer_id\n", "kind"},
		{"empty file", "customers", "", "header"},
		{"missing required column", "repairs", "repair_id,store_id,associate_id,customer_id\n", "taken_in_at"},
		{"repeated column", "customers", "customer_id,home_store_id,email,EMAIL\n", "email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := csvimport.Import(ctx, tt.kind, strings.NewReader(tt.in), newChain(), csvimport.Options{})
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
	f := seededChain(t)
	f.db.Fail = boom
	res, err := csvimport.Import(ctx, "customers", strings.NewReader(in), f, csvimport.Options{})
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
	res, err := csvimport.Import(ctx, "customers", strings.NewReader(b.String()), seededChain(t), csvimport.Options{MaxErrors: 10})
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
			r.buf = fmt.Appendf(r.buf, "c%07d,s1,Ann,ann.%d@example.com,--06-21,bridal|pearls\n", r.i, r.i)
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
	f := &counter{}
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
		if _, err := csvimport.Import(ctx, "customers", &rowsReader{n: 10_000}, &counter{}, csvimport.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// grouping is a Batcher recording the calls Import makes.
type grouping struct {
	*chain
	calls []string
}

func (g *grouping) ImportRow(ctx context.Context, typ string, data json.RawMessage, at time.Time) error {
	var id struct {
		CustomerID string `json:"customer_id"`
	}
	json.Unmarshal(data, &id)
	g.calls = append(g.calls, "row "+id.CustomerID)
	return g.chain.ImportRow(ctx, typ, data, at)
}

func (g *grouping) ReadAhead(ctx context.Context, typ string, rows []json.RawMessage) error {
	g.calls = append(g.calls, fmt.Sprintf("read ahead %d %s", len(rows), typ))
	return nil
}

func (g *grouping) Flush(ctx context.Context) error {
	g.calls = append(g.calls, "flush")
	return nil
}

// A Batcher gets groups of rows: their good rows read ahead, each row in
// file order, a flush, then the checkpoint; a resumed import skips the
// lines an earlier run applied and counts them.
func TestGroupsAndResume(t *testing.T) {
	file := "customer_id,home_store_id,birthday\n" +
		"c1,s1,\n" +
		"c2,s1,,extra\n" + // a cell too many: reported in its place, not read ahead
		"c3,s1,\n" +
		"c4,s1,\n" +
		"c5,s1,\n"
	g := &grouping{chain: seededChain(t)}
	var applied []int
	var errs []int
	res, err := csvimport.Import(ctx, csvimport.KindCustomers, strings.NewReader(file), g, csvimport.Options{
		Group:     2,
		OnApplied: func(line int, res csvimport.Result) { applied = append(applied, line) },
		OnError:   func(e csvimport.RowError) { errs = append(errs, e.Line) },
	})
	if err != nil {
		t.Fatal(err)
	}
	wantCalls := []string{
		"read ahead 1 customer.upserted", "row c1", "flush",
		"read ahead 2 customer.upserted", "row c3", "row c4", "flush",
		"read ahead 1 customer.upserted", "row c5", "flush",
	}
	if !reflect.DeepEqual(g.calls, wantCalls) {
		t.Errorf("calls %q, want %q", g.calls, wantCalls)
	}
	if want := []int{3, 5, 6}; !reflect.DeepEqual(applied, want) {
		t.Errorf("checkpoints at lines %v, want %v", applied, want)
	}
	if want := []int{3}; !reflect.DeepEqual(errs, want) {
		t.Errorf("bad lines %v, want %v", errs, want)
	}
	if res.Rows != 5 || res.Imported != 4 || res.Failed != 1 {
		t.Errorf("result %+v", res)
	}

	g = &grouping{chain: seededChain(t)}
	res, err = csvimport.Import(ctx, csvimport.KindCustomers, strings.NewReader(file), g, csvimport.Options{Group: 2, Resume: 5})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"read ahead 1 customer.upserted", "row c5", "flush"}; !reflect.DeepEqual(g.calls, want) {
		t.Errorf("resumed after line 5: calls %q, want %q", g.calls, want)
	}
	if res.Rows != 5 || res.Resumed != 4 || res.Imported != 1 || res.Failed != 0 {
		t.Errorf("resumed result %+v", res)
	}
}

// Nested columns become the webhook's nested fields: postal_address.* is
// the client's address, checked as the webhook checks it, and an empty set
// of address cells clears the address.
func TestImportPostalAddress(t *testing.T) {
	c := seededChain(t)
	file := "customer_id,home_store_id,postal_address.line1,postal_address.city,postal_address.postal_code,postal_address.country,locale,preferred_channel\n" +
		"c1,s1,12 Elm St,Springfield,10001,us,en-US,mail\n" +
		"c2,s1,12 Elm St,,10001,US,,\n" + // no city
		"c3,s1,,,,,,\n"
	var errs []csvimport.RowError
	res, err := csvimport.Import(ctx, csvimport.KindCustomers, strings.NewReader(file), c, csvimport.Options{OnError: func(e csvimport.RowError) { errs = append(errs, e) }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 2 || res.Failed != 1 {
		t.Fatalf("result %+v, errors %v", res, errs)
	}
	if e := errs[0]; e.Line != 3 || e.Field != "postal_address.city" {
		t.Errorf("error %+v, want line 3, postal_address.city", e)
	}
	want := loupe.PostalAddress{Line1: "12 Elm St", City: "Springfield", PostalCode: "10001", Country: "US"}
	if got := c.customers[0]; got.PostalAddress != want || got.Locale != "en-US" || got.PreferredChannel != "mail" {
		t.Errorf("c1: address %+v, locale %q, channel %q", got.PostalAddress, got.Locale, got.PreferredChannel)
	}
	if got := c.customers[1]; !got.PostalAddress.IsZero() {
		t.Errorf("c3: address %+v, want none", got.PostalAddress)
	}
}

// The consents kind is consent.changed row by row: a row naming an
// unknown client, or granting texts without evidence, is a bad row.
func TestImportConsents(t *testing.T) {
	c := seededChain(t)
	if _, err := csvimport.Import(ctx, csvimport.KindCustomers, strings.NewReader("customer_id,home_store_id,phone\nc1,s1,+12125550147\n"), c, csvimport.Options{}); err != nil {
		t.Fatal(err)
	}
	file := "customer_id,channel,status,at,source,evidence\n" +
		"c1,sms,granted,2026-11-20T10:00:00Z,paper,\"Yes, text me offers\"\n" +
		"c1,email,denied,2026-11-20T11:00:00Z,web,\n" +
		"c9,email,granted,2026-11-20T11:00:00Z,,\n" +
		"c1,voice,granted,2026-11-20T11:00:00Z,,\n"
	var errs []csvimport.RowError
	res, err := csvimport.Import(ctx, csvimport.KindConsents, strings.NewReader(file), c, csvimport.Options{OnError: func(e csvimport.RowError) { errs = append(errs, e) }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 2 || res.Failed != 2 || len(errs) != 2 || errs[0].Line != 4 || errs[0].Field != "customer_id" || errs[1].Line != 5 || errs[1].Field != "evidence" {
		t.Fatalf("result %+v, errors %+v", res, errs)
	}
	got, err := c.db.GetCustomer(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if got.ConsentOf("sms").Status != loupe.ConsentGranted || got.ConsentOf("email").Status != loupe.ConsentDenied {
		t.Errorf("consents %+v", got.Consents)
	}
}
