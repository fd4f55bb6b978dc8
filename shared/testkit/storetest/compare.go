package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
)

// normTime drops the monotonic reading and the zone so Equal instants compare equal.
func normTime(t time.Time) time.Time { return t.UTC() }

// normSlice treats nil and empty slices alike: an adapter may not keep the difference.
func normSlice(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// The norm functions drop Stamps: the cases compare values; StampsRoundTrip
// checks that adapters keep stamps.

func normStore(s loupe.Store) loupe.Store {
	s.UpdatedAt = normTime(s.UpdatedAt)
	s.Stamps = nil
	return s
}

func normAssociate(a loupe.Associate) loupe.Associate {
	a.Strengths = normSlice(a.Strengths)
	a.TerminatedAt = normTime(a.TerminatedAt)
	a.UpdatedAt = normTime(a.UpdatedAt)
	a.Stamps = nil
	return a
}

func normCustomer(c loupe.Customer) loupe.Customer {
	c.Preferences = normSlice(c.Preferences)
	c.EmailCapturedAt = normTime(c.EmailCapturedAt)
	c.UpdatedAt = normTime(c.UpdatedAt)
	c.Stamps = nil
	return c
}

func normRepair(r loupe.Repair) loupe.Repair {
	r.TakenInAt = normTime(r.TakenInAt)
	return r
}

func normPurchase(p loupe.Purchase) loupe.Purchase {
	p.Categories = normSlice(p.Categories)
	p.PurchasedAt = normTime(p.PurchasedAt)
	return p
}

// sameEntity fails t when got and want differ after normalisation by norm.
func sameEntity[T any](t *testing.T, what string, got, want T, norm func(T) T) {
	t.Helper()
	if g, w := norm(got), norm(want); !reflect.DeepEqual(g, w) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, g, w)
	}
}

// customerIDs returns the ids of cs in order.
func customerIDs(cs []loupe.Customer) []string {
	ids := make([]string, 0, len(cs))
	for _, c := range cs {
		ids = append(ids, c.CustomerID)
	}
	return ids
}

func associateIDs(as []loupe.Associate) []string {
	ids := make([]string, 0, len(as))
	for _, a := range as {
		ids = append(ids, a.AssociateID)
	}
	return ids
}

func storeIDs(ss []loupe.Store) []string {
	ids := make([]string, 0, len(ss))
	for _, s := range ss {
		ids = append(ids, s.StoreID)
	}
	return ids
}

func repairIDs(rs []loupe.Repair) []string {
	ids := make([]string, 0, len(rs))
	for _, r := range rs {
		ids = append(ids, r.RepairID)
	}
	return ids
}

func purchaseIDs(ps []loupe.Purchase) []string {
	ids := make([]string, 0, len(ps))
	for _, p := range ps {
		ids = append(ids, p.PurchaseID)
	}
	return ids
}

// sameIDs fails t when got and want differ; nil and empty are equal.
func sameIDs(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !reflect.DeepEqual(normSlice(got), normSlice(want)) {
		t.Errorf("%s: got %q, want %q", what, got, want)
	}
}
