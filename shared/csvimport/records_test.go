package csvimport_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/loupehq/loupe/shared/csvimport"
)

func customerIDs(f *chain) []string {
	var ids []string
	for _, c := range f.customers {
		ids = append(ids, c.CustomerID)
	}
	return ids
}

// TestImportBrokenQuoteLosesNoOtherRow: a 10-row file whose row 3 opens a
// quote it never closes imports the 9 other rows and reports line 4 (the
// header is line 1); before, the last 7 rows vanished.
func TestImportBrokenQuoteLosesNoOtherRow(t *testing.T) {
	var b strings.Builder
	b.WriteString("customer_id,home_store_id,first_name,email\n")
	for i := 1; i <= 10; i++ {
		if i == 3 {
			b.WriteString("c72103,nyc,\"Broken,b3@example.com\n")
			continue
		}
		fmt.Fprintf(&b, "c%d,nyc,Name%d,c%d@example.com\n", i, i, i)
	}
	f := seededChain(t)
	res, err := csvimport.Import(ctx, "customers", strings.NewReader(b.String()), f, csvimport.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != 10 || res.Imported != 9 || res.Failed != 1 || len(res.Errors) != 1 || res.Errors[0].Line != 4 ||
		!strings.Contains(res.Errors[0].Message, "broken quote") {
		t.Fatalf("result %+v, want 10 rows: 9 imported, line 4 a broken quote", res)
	}
	if got := strings.Join(customerIDs(f), " "); got != "c1 c2 c4 c5 c6 c7 c8 c9 c10" {
		t.Fatalf("imported %s", got)
	}
}

// TestImportStrayQuotesPairing: two rows each with one stray quote do not
// swallow the rows between them; quoted line breaks still work.
func TestImportStrayQuotesPairing(t *testing.T) {
	in := "store_id,name,timezone,country,postal_address\n" +
		"s1,\"Fifth,America/New_York,US,1 Main\n" + // opens a quote
		"s2,Union,America/New_York,US,2 Main\n" +
		"s3,Soho,America/New_York,US,\"3 Main\n" + // and this one would close it
		"s4,Tribeca,America/New_York,US,\"4 Main\nNew York\"\n" + // a real quoted line break
		"s5,Chelsea,America/New_York,US,5 Main\n"
	f := newChain()
	res, err := csvimport.Import(ctx, "stores", strings.NewReader(in), f, csvimport.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range f.stores {
		ids = append(ids, s.StoreID)
	}
	if got := strings.Join(ids, " "); got != "s2 s4 s5" || res.Failed != 2 || res.Rows != 5 || f.stores[1].PostalAddress != "4 Main\nNew York" {
		t.Fatalf("imported %q, result %+v; want c2 c4 c5 and 2 bad rows of 5", got, res)
	}
	if res.Errors[0].Line != 2 || res.Errors[1].Line != 4 {
		t.Fatalf("bad lines %+v, want 2 and 4", res.Errors)
	}
}

// TestImportEncodings: a Latin-1 row is refused with its line unless the
// encoding is given, and then stored as UTF-8, never as U+FFFD; a UTF-8
// byte order mark is dropped.
func TestImportEncodings(t *testing.T) {
	in := "\uFEFFcustomer_id,home_store_id,first_name\nc1,nyc,Ana\nc2,nyc,Jos\xe9\nc3,nyc,Zo\x80\n"
	f := seededChain(t)
	res, err := csvimport.Import(ctx, "customers", strings.NewReader(in), f, csvimport.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 1 || res.Failed != 2 || res.Errors[0].Line != 3 || !strings.Contains(res.Errors[0].Message, "--encoding") {
		t.Fatalf("result %+v, want c1 imported and lines 3 and 4 refused naming --encoding", res)
	}
	// In Windows-1252 0x80 is the euro sign; in Latin-1 a control character
	// (refused like any other).
	for enc, want := range map[string][]string{"latin1": {"Ana", "José"}, "windows-1252": {"Ana", "José", "Zo€"}} {
		f := seededChain(t)
		res, err := csvimport.Import(ctx, "customers", strings.NewReader(in), f, csvimport.Options{Encoding: enc})
		if err != nil || res.Imported != len(want) {
			t.Fatalf("%s: %+v, %v; want %d imported", enc, res, err, len(want))
		}
		for i, w := range want {
			if got := f.customers[i].FirstName; got != w || strings.ContainsRune(got, '\uFFFD') {
				t.Errorf("%s: name %q, want %q", enc, got, w)
			}
		}
	}
	if _, err := csvimport.Import(ctx, "customers", strings.NewReader(in), seededChain(t), csvimport.Options{Encoding: "ebcdic"}); err == nil {
		t.Fatal("an unknown encoding was accepted")
	}
}
