package pos_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/phone"
	"github.com/loupehq/loupe/shared/pos"
	"github.com/loupehq/loupe/shared/testkit/postest"
)

// TestDecodeAssociateRole: role is carried like any optional field (a null
// or "" clears it back to associate) and checked by loupe.Associate.Validate.
func TestDecodeAssociateRole(t *testing.T) {
	assoc := func(extra string) []byte {
		return event("e1", pos.TypeAssociateUpserted, at, `{"associate_id":"a1","store_id":"s1","name":"Ann"`+extra+`}`)
	}
	valid := []struct {
		name, extra string
		role        string
		carried     bool
	}{
		{"manager", `,"role":"manager"`, loupe.RoleManager, true},
		{"associate", `,"role":"associate"`, loupe.RoleAssociate, true},
		{"null clears", `,"role":null`, "", true},
		{"empty clears", `,"role":""`, "", true},
		{"absent", ``, "", false},
	}
	for _, tt := range valid {
		t.Run(tt.name, func(t *testing.T) {
			_, p, err := pos.Decode(assoc(tt.extra))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			up, ok := p.(pos.Upsert[loupe.Associate])
			if !ok {
				t.Fatalf("payload %T", p)
			}
			if up.Value.Role != tt.role {
				t.Errorf("role: got %q, want %q", up.Value.Role, tt.role)
			}
			if got := up.Fields; slices.Contains(got, "role") != tt.carried {
				t.Errorf("fields %v: role carried %v, want %v", got, !tt.carried, tt.carried)
			}
		})
	}
	for name, extra := range map[string]string{
		"unknown role": `,"role":"owner"`,
		"upper case":   `,"role":"Manager"`,
		"number":       `,"role":1`,
		"line break":   `,"role":"manager\n"`,
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := pos.Decode(assoc(extra))
			if loupe.ErrorCode(err) != loupe.EINVALID || loupe.ErrorField(err) != "data.role" {
				t.Errorf("got %v, want invalid data.role", err)
			}
		})
	}
}

// TestAssociateRoleOrder: a role follows the per-field order of CONTRACT
// section 2 on both the fake and the embedded store, and an event with a
// bad role writes nothing.
func TestAssociateRoleOrder(t *testing.T) {
	ctx := context.Background()
	up := func(id, occurred, extra string) []byte {
		return event(id, pos.TypeAssociateUpserted, occurred, `{"associate_id":"a1","store_id":"s1","name":"Ann"`+extra+`}`)
	}
	tests := []struct {
		name   string
		events [][]byte
		want   string
	}{
		{"new without role", [][]byte{up("e1", at, "")}, ""},
		{"manager", [][]byte{up("e1", at, `,"role":"manager"`)}, loupe.RoleManager},
		{"absent keeps manager", [][]byte{
			up("e1", "2026-11-20T10:00:00Z", `,"role":"manager"`),
			up("e2", "2026-11-20T11:00:00Z", `,"email":"ann@shop.example.com"`),
		}, loupe.RoleManager},
		{"older event cannot demote", [][]byte{
			up("e2", "2026-11-20T11:00:00Z", `,"role":"manager"`),
			up("e1", "2026-11-20T10:00:00Z", `,"role":"associate"`),
		}, loupe.RoleManager},
		{"newer null demotes", [][]byte{
			up("e1", "2026-11-20T10:00:00Z", `,"role":"manager"`),
			up("e2", "2026-11-20T11:00:00Z", `,"role":null`),
		}, ""},
		{"termination keeps role", [][]byte{
			up("e1", "2026-11-20T10:00:00Z", `,"role":"manager"`),
			event("e2", pos.TypeAssociateTerminated, "2026-11-20T11:00:00Z", `{"associate_id":"a1"}`),
		}, loupe.RoleManager},
	}
	for name, open := range adapters(t) {
		for _, tt := range tests {
			t.Run(name+"/"+tt.name, func(t *testing.T) {
				a := associateAfter(t, open(), tt.events)
				if a.Role != tt.want {
					t.Errorf("role: got %q, want %q", a.Role, tt.want)
				}
				if a.ManagesStore() != (tt.want == loupe.RoleManager) {
					t.Errorf("ManagesStore: got %v with role %q", a.ManagesStore(), a.Role)
				}
			})
		}
	}

	db := postest.NewMemDB()
	s := &pos.Service{DB: db, Now: func() time.Time { return atTime }, Phones: phone.Normalize}
	wantInvalid(t, s, up("e1", at, `,"role":"owner"`), "data.role")
	if db.Writes() != 0 {
		t.Errorf("writes after a bad role: got %d, want 0", db.Writes())
	}
	// An import row goes through the same check, without the data. prefix
	// (Service.UpsertAssociate) or with it (Importer.ImportRow).
	err := s.UpsertAssociate(ctx, loupe.Associate{AssociateID: "a1", StoreID: "s1", Name: "Ann", Role: "owner"})
	if loupe.ErrorCode(err) != loupe.EINVALID || loupe.ErrorField(err) != "role" {
		t.Errorf("UpsertAssociate with a bad role: got %v, want invalid role", err)
	}
	if err := s.UpsertAssociate(ctx, loupe.Associate{AssociateID: "a1", StoreID: "s1", Name: "Ann", Role: loupe.RoleManager}); err != nil {
		t.Fatalf("UpsertAssociate manager: %v", err)
	}
	a, err := db.GetAssociate(ctx, "a1")
	if err != nil || a.Role != loupe.RoleManager {
		t.Errorf("after UpsertAssociate: role %q, %v; want manager", a.Role, err)
	}
}

// associateAfter applies events in order to db and returns associate a1.
func associateAfter(t *testing.T, db loupe.DB, events [][]byte) loupe.Associate {
	t.Helper()
	s := serviceOn(db)
	for _, b := range events {
		mustApply(t, s, b)
	}
	a, err := db.GetAssociate(context.Background(), "a1")
	if err != nil {
		t.Fatal(err)
	}
	return a
}
