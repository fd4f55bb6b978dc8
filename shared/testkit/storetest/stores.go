package storetest

import (
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
)

var storeCases = []testCase{
	{"RoundTrip", func(t *testing.T, db loupe.DB) {
		full := Store("s1")
		minimal := loupe.Store{StoreID: "s2", Name: "Two", Timezone: "Europe/Paris", Country: "FR", UpdatedAt: T0}
		for _, s := range []loupe.Store{full, minimal} {
			must(t, "put store", loupe.PutStore(ctx, db, s))
			got, err := db.GetStore(ctx, s.StoreID)
			must(t, "get store", err)
			sameEntity(t, "store "+s.StoreID, got, s, normStore)
		}
	}},
	{"ZoneOfUpdatedAtDoesNotMatter", func(t *testing.T, db loupe.DB) {
		s := Store("s1")
		s.UpdatedAt = T0.In(time.FixedZone("X", 3600))
		must(t, "put store", loupe.PutStore(ctx, db, s))
		got, err := db.GetStore(ctx, "s1")
		must(t, "get store", err)
		if !got.UpdatedAt.Equal(T0) {
			t.Errorf("updated at: got %v, want %v", got.UpdatedAt, T0)
		}
	}},
	{"GetNotFound", func(t *testing.T, db loupe.DB) {
		_, err := db.GetStore(ctx, "nope")
		wantErr(t, "get unknown store", err, loupe.ErrNotFound)
	}},
	{"StaleUpsertIgnored", func(t *testing.T, db loupe.DB) {
		newer := Store("s1")
		newer.UpdatedAt = At(time.Hour)
		must(t, "put store", loupe.PutStore(ctx, db, newer))
		older := Store("s1")
		older.Name = "Old name"
		must(t, "put older store", loupe.PutStore(ctx, db, older))
		got, err := db.GetStore(ctx, "s1")
		must(t, "get store", err)
		sameEntity(t, "store after stale upsert", got, newer, normStore)
	}},
	{"EqualUpdatedAtReapplies", func(t *testing.T, db loupe.DB) {
		s := Store("s1")
		must(t, "put store", loupe.PutStore(ctx, db, s))
		s.Name = "Renamed"
		must(t, "put store again", loupe.PutStore(ctx, db, s))
		got, err := db.GetStore(ctx, "s1")
		must(t, "get store", err)
		sameEntity(t, "store", got, s, normStore)
	}},
	{"ListStoresOrdered", func(t *testing.T, db loupe.DB) {
		got, err := db.ListStores(ctx)
		must(t, "list empty", err)
		sameIDs(t, "stores of an empty DB", storeIDs(got), nil)
		for _, id := range []string{"s3", "s1", "s10", "s2"} {
			must(t, "put store", loupe.PutStore(ctx, db, Store(id)))
		}
		got, err = db.ListStores(ctx)
		must(t, "list stores", err)
		sameIDs(t, "stores", storeIDs(got), []string{"s1", "s10", "s2", "s3"})
		if len(got) > 0 {
			sameEntity(t, "listed store", got[0], Store("s1"), normStore)
		}
	}},
}

var associateCases = []testCase{
	{"RoundTrip", func(t *testing.T, db loupe.DB) {
		full := Associate("a1", "s1")
		full.Role = loupe.RoleManager
		minimal := loupe.Associate{AssociateID: "a2", StoreID: "s1", Name: "Two", Status: loupe.StatusActive, UpdatedAt: T0}
		gone := Associate("a3", "s2")
		gone.Role = loupe.RoleAssociate
		gone.Status = loupe.StatusTerminated
		gone.TerminatedAt = At(-time.Hour)
		for _, a := range []loupe.Associate{full, minimal, gone} {
			must(t, "put associate", loupe.PutAssociate(ctx, db, a))
			got, err := db.GetAssociate(ctx, a.AssociateID)
			must(t, "get associate", err)
			sameEntity(t, "associate "+a.AssociateID, got, a, normAssociate)
		}
		got, err := db.GetAssociate(ctx, "a2")
		must(t, "get associate", err)
		if got.Capacity != 0 {
			t.Errorf("capacity: got %d, want 0", got.Capacity)
		}
	}},
	{"GetNotFound", func(t *testing.T, db loupe.DB) {
		_, err := db.GetAssociate(ctx, "nope")
		wantErr(t, "get unknown associate", err, loupe.ErrNotFound)
	}},
	{"StaleUpsertIgnored", func(t *testing.T, db loupe.DB) {
		newer := Associate("a1", "s1")
		newer.UpdatedAt = At(time.Hour)
		must(t, "put associate", loupe.PutAssociate(ctx, db, newer))
		older := Associate("a1", "s2")
		older.Capacity = 3
		must(t, "put older associate", loupe.PutAssociate(ctx, db, older))
		got, err := db.GetAssociate(ctx, "a1")
		must(t, "get associate", err)
		sameEntity(t, "associate after stale upsert", got, newer, normAssociate)
		list, err := db.ListAssociates(ctx, "s2")
		must(t, "list s2", err)
		sameIDs(t, "associates of s2 after stale upsert", associateIDs(list), nil)
	}},
	{"EqualUpdatedAtReapplies", func(t *testing.T, db loupe.DB) {
		a := Associate("a1", "s1")
		must(t, "put associate", loupe.PutAssociate(ctx, db, a))
		a.Strengths = []string{"estate"}
		a.Capacity = 0
		must(t, "put associate again", loupe.PutAssociate(ctx, db, a))
		got, err := db.GetAssociate(ctx, "a1")
		must(t, "get associate", err)
		sameEntity(t, "associate", got, a, normAssociate)
	}},
	{"Terminate", func(t *testing.T, db loupe.DB) {
		a := Associate("a1", "s1")
		must(t, "put associate", loupe.PutAssociate(ctx, db, a))
		at, occurred := At(2*time.Hour), At(3*time.Hour)
		must(t, "terminate", loupe.TerminateAssociate(ctx, db, "a1", at, occurred))
		want := a
		want.Status, want.TerminatedAt, want.UpdatedAt = loupe.StatusTerminated, at, occurred
		got, err := db.GetAssociate(ctx, "a1")
		must(t, "get associate", err)
		sameEntity(t, "terminated associate", got, want, normAssociate)
		must(t, "terminate again", loupe.TerminateAssociate(ctx, db, "a1", at, occurred))
		list, err := db.ListAssociates(ctx, "s1")
		must(t, "list s1", err)
		if len(list) != 1 || list[0].Status != loupe.StatusTerminated {
			t.Errorf("store listing after termination: got %+v, want a1 terminated (former associates stay listed)", list)
		}
		older := Associate("a1", "s1")
		older.UpdatedAt = At(time.Hour)
		must(t, "older upsert after termination", loupe.PutAssociate(ctx, db, older))
		got, err = db.GetAssociate(ctx, "a1")
		must(t, "get associate", err)
		sameEntity(t, "still terminated", got, want, normAssociate)
	}},
	{"TerminateStale", func(t *testing.T, db loupe.DB) {
		a := Associate("a1", "s1")
		a.UpdatedAt = At(time.Hour)
		must(t, "put associate", loupe.PutAssociate(ctx, db, a))
		must(t, "older termination", loupe.TerminateAssociate(ctx, db, "a1", T0, T0))
		got, err := db.GetAssociate(ctx, "a1")
		must(t, "get associate", err)
		sameEntity(t, "associate after stale termination", got, a, normAssociate)
	}},
	{"TerminateUnknownLeavesTombstone", func(t *testing.T, db loupe.DB) {
		at, occurred := At(time.Hour), At(2*time.Hour)
		must(t, "terminate unknown", loupe.TerminateAssociate(ctx, db, "a9", at, occurred))
		got, err := db.GetAssociate(ctx, "a9")
		must(t, "get tombstone", err)
		if got.AssociateID != "a9" || got.Status != loupe.StatusTerminated || !got.TerminatedAt.Equal(at) || !got.UpdatedAt.Equal(occurred) {
			t.Errorf("tombstone: got %+v, want a9 terminated at %v updated %v", got, at, occurred)
		}
		older := Associate("a9", "s1")
		older.UpdatedAt = At(time.Hour)
		must(t, "older upsert of a tombstone", loupe.PutAssociate(ctx, db, older))
		got, err = db.GetAssociate(ctx, "a9")
		must(t, "get tombstone", err)
		if got.Status != loupe.StatusTerminated {
			t.Errorf("status after older upsert: got %q, want %q", got.Status, loupe.StatusTerminated)
		}
		newer := Associate("a9", "s1")
		newer.UpdatedAt = At(3 * time.Hour)
		must(t, "newer upsert of a tombstone", loupe.PutAssociate(ctx, db, newer))
		got, err = db.GetAssociate(ctx, "a9")
		must(t, "get rehired", err)
		sameEntity(t, "rehired associate", got, newer, normAssociate)
	}},
	{"ListByStoreAndChain", func(t *testing.T, db loupe.DB) {
		for _, a := range []loupe.Associate{Associate("a3", "s1"), Associate("a1", "s1"), Associate("a2", "s2"), Associate("a10", "s1")} {
			must(t, "put associate", loupe.PutAssociate(ctx, db, a))
		}
		tests := []struct {
			name, storeID string
			want          []string
		}{
			{"store s1", "s1", []string{"a1", "a10", "a3"}},
			{"store s2", "s2", []string{"a2"}},
			{"unknown store", "s9", nil},
			{"chain", "", []string{"a1", "a10", "a2", "a3"}},
		}
		for _, tt := range tests {
			got, err := db.ListAssociates(ctx, tt.storeID)
			must(t, tt.name, err)
			sameIDs(t, tt.name, associateIDs(got), tt.want)
		}
		got, err := db.ListAssociates(ctx, "s2")
		must(t, "list s2", err)
		if len(got) == 1 {
			sameEntity(t, "listed associate", got[0], Associate("a2", "s2"), normAssociate)
		}
	}},
	{"ListFollowsStoreChange", func(t *testing.T, db loupe.DB) {
		must(t, "put associate", loupe.PutAssociate(ctx, db, Associate("a1", "s1")))
		moved := Associate("a1", "s2")
		moved.UpdatedAt = At(time.Hour)
		must(t, "move associate", loupe.PutAssociate(ctx, db, moved))
		for _, tt := range []struct {
			storeID string
			want    []string
		}{{"s1", nil}, {"s2", []string{"a1"}}} {
			got, err := db.ListAssociates(ctx, tt.storeID)
			must(t, "list", err)
			sameIDs(t, "associates of "+tt.storeID, associateIDs(got), tt.want)
		}
	}},
}
