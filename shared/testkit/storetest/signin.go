package storetest

import (
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
)

// signIn returns the ids of the records email signs in with.
func signIn(t *testing.T, db loupe.DB, email string) (associates, stores []string) {
	t.Helper()
	as, ss, err := db.SignInRecords(ctx, email)
	must(t, "sign-in records of "+email, err)
	return associateIDs(as), storeIDs(ss)
}

// wantSignIn fails t unless email signs in with exactly the associates
// and stores named, in that order.
func wantSignIn(t *testing.T, email string, db loupe.DB, associates, stores []string) {
	t.Helper()
	as, ss := signIn(t, db, email)
	sameIDs(t, "associates of "+email, as, associates)
	sameIDs(t, "stores managed by "+email, ss, stores)
}

// staff returns Associate(id, storeID) with email.
func staff(id, storeID, email string, at time.Time) loupe.Associate {
	a := Associate(id, storeID)
	a.Email, a.UpdatedAt = email, at
	return a
}

// managed returns Store(id) managed by email.
func managed(id, email string, at time.Time) loupe.Store {
	s := Store(id)
	s.ManagerEmail, s.UpdatedAt = email, at
	return s
}

var signInCases = []testCase{
	{"MixedCaseEmail", func(t *testing.T, db loupe.DB) {
		a := staff("a1", "s1", "Ann.Lee@shop.example.com", T0)
		must(t, "put associate", loupe.PutAssociate(ctx, db, a))
		must(t, "put store", loupe.PutStore(ctx, db, managed("s1", "Boss@Shop.Example.com", T0)))
		wantSignIn(t, " ann.lee@SHOP.example.COM ", db, []string{"a1"}, nil)
		wantSignIn(t, "boss@shop.example.com", db, nil, []string{"s1"})
		as, _, err := db.SignInRecords(ctx, "ANN.LEE@shop.example.com")
		must(t, "sign-in records", err)
		if len(as) == 1 {
			sameEntity(t, "associate signed in", as[0], a, normAssociate)
			if as[0].Email != a.Email {
				t.Errorf("email: got %q, want %q as stored", as[0].Email, a.Email)
			}
		}
	}},
	{"UnknownOrEmptyEmail", func(t *testing.T, db loupe.DB) {
		must(t, "put associate", loupe.PutAssociate(ctx, db, staff("a1", "s1", "ann@shop.example.com", T0)))
		wantSignIn(t, "nobody@shop.example.com", db, nil, nil)
		wantSignIn(t, "", db, nil, nil)
		wantSignIn(t, "  ", db, nil, nil)
	}},
	{"EmailChangeMovesIt", func(t *testing.T, db loupe.DB) {
		must(t, "put associate", loupe.PutAssociate(ctx, db, staff("a1", "s1", "old@shop.example.com", T0)))
		must(t, "put store", loupe.PutStore(ctx, db, managed("s1", "old-boss@shop.example.com", T0)))
		must(t, "change email", loupe.PutAssociate(ctx, db, staff("a1", "s1", "New@shop.example.com", At(time.Hour))))
		must(t, "change manager", loupe.PutStore(ctx, db, managed("s1", "new-boss@shop.example.com", At(time.Hour))))
		wantSignIn(t, "old@shop.example.com", db, nil, nil)
		wantSignIn(t, "new@shop.example.com", db, []string{"a1"}, nil)
		wantSignIn(t, "old-boss@shop.example.com", db, nil, nil)
		wantSignIn(t, "new-boss@shop.example.com", db, nil, []string{"s1"})
		// Only the case changes: still found, once.
		must(t, "recase email", loupe.PutAssociate(ctx, db, staff("a1", "s1", "new@shop.example.com", At(2*time.Hour))))
		wantSignIn(t, "NEW@shop.example.com", db, []string{"a1"}, nil)
		// A stale write naming the old address changes nothing.
		must(t, "stale write", loupe.PutAssociate(ctx, db, staff("a1", "s1", "old@shop.example.com", At(time.Minute))))
		wantSignIn(t, "old@shop.example.com", db, nil, nil)
	}},
	{"ClearedEmailRemovesIt", func(t *testing.T, db loupe.DB) {
		must(t, "put associate", loupe.PutAssociate(ctx, db, staff("a1", "s1", "ann@shop.example.com", T0)))
		must(t, "put store", loupe.PutStore(ctx, db, managed("s1", "ann@shop.example.com", T0)))
		wantSignIn(t, "ann@shop.example.com", db, []string{"a1"}, []string{"s1"})
		must(t, "clear email", loupe.PutAssociate(ctx, db, staff("a1", "s1", "", At(time.Hour))))
		must(t, "clear manager", loupe.PutStore(ctx, db, managed("s1", "", At(time.Hour))))
		wantSignIn(t, "ann@shop.example.com", db, nil, nil)
		got, err := db.GetAssociate(ctx, "a1")
		must(t, "get associate", err)
		if got.Email != "" {
			t.Errorf("email: got %q, want cleared", got.Email)
		}
	}},
	{"ManagerOfTwoStores", func(t *testing.T, db loupe.DB) {
		for _, id := range []string{"s2", "s10", "s1"} {
			must(t, "put store", loupe.PutStore(ctx, db, managed(id, "boss@shop.example.com", T0)))
		}
		must(t, "put other store", loupe.PutStore(ctx, db, managed("s3", "other@shop.example.com", T0)))
		wantSignIn(t, "Boss@Shop.example.com", db, nil, []string{"s1", "s10", "s2"})
		must(t, "hand s10 over", loupe.PutStore(ctx, db, managed("s10", "other@shop.example.com", At(time.Hour))))
		wantSignIn(t, "boss@shop.example.com", db, nil, []string{"s1", "s2"})
		wantSignIn(t, "other@shop.example.com", db, nil, []string{"s10", "s3"})
	}},
	{"AssociateAndStoreSameEmail", func(t *testing.T, db loupe.DB) {
		const email = "kim@shop.example.com"
		must(t, "put a2", loupe.PutAssociate(ctx, db, staff("a2", "s2", email, T0)))
		must(t, "put a1", loupe.PutAssociate(ctx, db, staff("a1", "s1", "Kim@shop.example.com", T0)))
		must(t, "put a3", loupe.PutAssociate(ctx, db, staff("a3", "s1", "someone@shop.example.com", T0)))
		must(t, "put s1", loupe.PutStore(ctx, db, managed("s1", email, T0)))
		wantSignIn(t, email, db, []string{"a1", "a2"}, []string{"s1"})
	}},
	{"TerminatedAssociateListed", func(t *testing.T, db loupe.DB) {
		must(t, "put associate", loupe.PutAssociate(ctx, db, staff("a1", "s1", "ann@shop.example.com", T0)))
		must(t, "terminate", loupe.TerminateAssociate(ctx, db, "a1", At(time.Hour), At(time.Hour)))
		as, _, err := db.SignInRecords(ctx, "ann@shop.example.com")
		must(t, "sign-in records", err)
		if len(as) != 1 || as[0].Status != loupe.StatusTerminated {
			t.Errorf("got %+v, want a1 terminated (the caller checks status)", as)
		}
	}},
}

var roleCases = []testCase{
	{"ListedWithRole", func(t *testing.T, db loupe.DB) {
		boss := Associate("a1", "s1")
		boss.Role = loupe.RoleManager
		must(t, "put manager", loupe.PutAssociate(ctx, db, boss))
		must(t, "put associate", loupe.PutAssociate(ctx, db, Associate("a2", "s1")))
		list, err := db.ListAssociates(ctx, "s1")
		must(t, "list s1", err)
		var managers []string
		for _, a := range list {
			if a.ManagesStore() {
				managers = append(managers, a.AssociateID)
			}
		}
		sameIDs(t, "managers of s1", managers, []string{"a1"})
	}},
	{"RoleClearedAndKept", func(t *testing.T, db loupe.DB) {
		boss := Associate("a1", "s1")
		boss.Role = loupe.RoleManager
		must(t, "put manager", loupe.PutAssociate(ctx, db, boss))
		// An update that does not carry role keeps it.
		err := db.UpdateAssociate(ctx, "a1", func(stored *loupe.Associate) (loupe.Associate, bool, error) {
			out, changed := loupe.MergeAssociate(stored, loupe.Associate{AssociateID: "a1", Name: "Renamed"},
				loupe.Update{Fields: []string{"name"}, Stamp: loupe.StampOf(At(time.Hour), "e1")})
			return out, changed, nil
		})
		must(t, "rename", err)
		got, err := db.GetAssociate(ctx, "a1")
		must(t, "get associate", err)
		if got.Role != loupe.RoleManager || got.Name != "Renamed" {
			t.Errorf("after rename: role %q name %q, want manager, Renamed", got.Role, got.Name)
		}
		// A whole record without a role clears it (back to associate).
		plain := Associate("a1", "s1")
		plain.UpdatedAt = At(2 * time.Hour)
		must(t, "put without role", loupe.PutAssociate(ctx, db, plain))
		got, err = db.GetAssociate(ctx, "a1")
		must(t, "get associate", err)
		if got.Role != "" || got.ManagesStore() {
			t.Errorf("role: got %q, want cleared", got.Role)
		}
	}},
}
