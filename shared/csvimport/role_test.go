package csvimport_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/loupehq/loupe/shared/csvimport"
	"github.com/loupehq/loupe/shared/loupe"
)

// TestImportAssociateRole: the role column (CONTRACT section 2) is stored,
// an empty cell clears it back to associate, a file without the column
// leaves it, and a bad value is a bad row naming the column.
func TestImportAssociateRole(t *testing.T) {
	if !slices.Contains(csvimport.Columns(csvimport.KindAssociates), "role") {
		t.Fatalf("associates columns %v: no role", csvimport.Columns(csvimport.KindAssociates))
	}
	f := seededChain(t)
	in := "associate_id,store_id,name,role,updated_at\n" +
		"m1,s1,Mia Boss,manager,2026-11-20T10:00:00Z\n" +
		"a2,s1,Al Plain,associate,2026-11-20T10:00:00Z\n" +
		"a3,s1,Cy None,,2026-11-20T10:00:00Z\n" +
		"a4,s1,Di Bad,owner,2026-11-20T10:00:00Z\n"
	res, err := csvimport.Import(ctx, csvimport.KindAssociates, strings.NewReader(in), f, csvimport.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := csvimport.Result{Rows: 4, Imported: 3, Failed: 1, Errors: []csvimport.RowError{
		{Line: 5, Field: "role", Message: "role must be one of associate, manager"},
	}}
	if !reflect.DeepEqual(res, want) {
		t.Fatalf("result:\n got %+v\nwant %+v", res, want)
	}
	roles := map[string]string{}
	for _, a := range f.associates {
		roles[a.AssociateID] = a.Role
	}
	if w := map[string]string{"m1": loupe.RoleManager, "a2": loupe.RoleAssociate, "a3": ""}; !reflect.DeepEqual(roles, w) {
		t.Errorf("roles: got %v, want %v", roles, w)
	}

	// A later file without the column keeps the role; one with an empty
	// cell clears it.
	for _, step := range []struct{ in, want string }{
		{"associate_id,store_id,name,updated_at\nm1,s1,Mia Boss,2026-11-20T11:00:00Z\n", loupe.RoleManager},
		{"associate_id,store_id,name,role,updated_at\nm1,s1,Mia Boss,,2026-11-20T12:00:00Z\n", ""},
	} {
		if res, err := csvimport.Import(ctx, csvimport.KindAssociates, strings.NewReader(step.in), f, csvimport.Options{}); err != nil || res.Failed != 0 {
			t.Fatalf("import: %+v, %v", res, err)
		}
		a, err := f.db.GetAssociate(ctx, "m1")
		if err != nil || a.Role != step.want {
			t.Errorf("after %q: role %q, %v; want %q", step.in, a.Role, err, step.want)
		}
	}
}
