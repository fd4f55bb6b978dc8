package csvimport

import (
	"encoding/json"
	"testing"
)

// TestNestedColumns: a dotted column is a field of a nested object, as the
// webhook carries it (postal_address.line1 is data.postal_address.line1).
func TestNestedColumns(t *testing.T) {
	sc := schema{event: "customer.upserted", columns: []column{req("customer_id"),
		opt("postal_address.line1", text), opt("postal_address.city", text), opt("tags", list), opt("n", number)}}
	r, warnings, err := newRowReader("customers", sc, []string{"customer_id", "Postal_Address.Line1", "postal_address.city", "tags", "n", "shoe_size"})
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 {
		t.Fatalf("warnings %q, want one for shoe_size", warnings)
	}
	data, _, err := r.data([]string{"c1", "1 Main St", "Albany", "a| b", "", "9"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(data)
	if got, want := string(b), `{"customer_id":"c1","n":null,"postal_address":{"city":"Albany","line1":"1 Main St"},"tags":["a","b"]}`; got != want {
		t.Fatalf("data %s, want %s", got, want)
	}
}
