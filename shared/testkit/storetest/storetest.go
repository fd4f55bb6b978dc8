// Package storetest is the contract test suite of loupe.DB: every adapter
// (package embedded, package dynamo) runs the same subtests through Run, so the
// domain can rely on one behaviour whichever store is underneath.
//
// The sample constructors (Store, Associate, Customer, Repair, Purchase) return
// valid entities with every field set; other packages' tests may use them too.
package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/loupehq/loupe/shared/loupe"
)

// Run runs the loupe.DB contract against the adapter that open returns. open is
// called once per subtest and must return an empty DB; it registers its own
// cleanup with t.Cleanup.
func Run(t *testing.T, open func(t *testing.T) loupe.DB) {
	t.Helper()
	groups := []struct {
		name  string
		cases []testCase
	}{
		{"Stores", storeCases},
		{"Associates", associateCases},
		{"Roles", roleCases},
		{"SignIn", signInCases},
		{"Customers", customerCases},
		{"Repairs", repairCases},
		{"Purchases", purchaseCases},
		{"PurchaseTotals", totalCases},
		{"Events", eventCases},
		{"Phones", phoneCases},
		{"ContactStatus", contactStatusCases},
		{"Concurrency", concurrencyCases},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.cases {
				t.Run(tc.name, func(t *testing.T) {
					tc.run(t, open(t))
				})
			}
		})
	}
}

type testCase struct {
	name string
	run  func(t *testing.T, db loupe.DB)
}

var ctx = context.Background()

// must fails the test at once on err.
func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// wantErr fails the test unless errors.Is(err, target).
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}
