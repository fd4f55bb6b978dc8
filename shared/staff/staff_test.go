package staff_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/staff"
)

// dir is a staff.Directory over fixed records.
type dir struct {
	assocs map[string]loupe.Associate
	stores []loupe.Store
}

func (d dir) SignInRecords(_ context.Context, email string) ([]loupe.Associate, []loupe.Store, error) {
	var as []loupe.Associate
	for _, a := range d.assocs {
		if strings.EqualFold(a.Email, email) {
			as = append(as, a)
		}
	}
	var ss []loupe.Store
	for _, s := range d.stores {
		if strings.EqualFold(s.ManagerEmail, email) {
			ss = append(ss, s)
		}
	}
	return as, ss, nil
}

func (d dir) GetAssociate(_ context.Context, id string) (loupe.Associate, error) {
	a, ok := d.assocs[id]
	if !ok {
		return a, loupe.ErrNotFound
	}
	return a, nil
}

func chain() dir {
	return dir{
		assocs: map[string]loupe.Associate{
			"a1": {AssociateID: "a1", StoreID: "s1", Email: "ada@x.example", Status: loupe.StatusActive},
			"a2": {AssociateID: "a2", StoreID: "s2", Email: "ADA@x.example", Status: loupe.StatusActive},
			"m1": {AssociateID: "m1", StoreID: "s1", Email: "max@x.example", Status: loupe.StatusActive, Role: staff.RoleManager},
			"t1": {AssociateID: "t1", StoreID: "s1", Email: "tom@x.example", Status: loupe.StatusTerminated},
		},
		stores: []loupe.Store{{StoreID: "s3", ManagerEmail: "Meg@x.example"}, {StoreID: "s4", ManagerEmail: "tom@x.example"}}, // tom left: s4 still names him
	}
}

func TestResolve(t *testing.T) {
	ctx := context.Background()
	d := chain()
	for _, c := range []struct {
		email  string
		roles  []string
		stores []string
	}{
		{"ada@x.example", []string{"associate"}, []string{"s1", "s2"}},
		{"max@x.example", []string{"associate", "manager"}, []string{"s1"}},
		{"meg@x.example", []string{"manager"}, []string{"s3"}},
	} {
		p, err := staff.Resolve(ctx, d, staff.Identity{Email: c.email})
		if err != nil || !slices.Equal(p.Roles(), c.roles) || !slices.Equal(p.StoreIDs(), c.stores) {
			t.Errorf("%s: %v %v %v; want %v %v", c.email, p.Roles(), p.StoreIDs(), err, c.roles, c.stores)
		}
	}
	for _, email := range []string{"tom@x.example", "nobody@x.example", ""} {
		_, err := staff.Resolve(ctx, d, staff.Identity{Email: email})
		if !errors.Is(err, staff.ErrNoRight) || loupe.ErrorCode(err) != loupe.EUNAUTHORIZED {
			t.Errorf("%q: %v, want 401 no right", email, err)
		}
	}
	if p, err := staff.Resolve(ctx, d, staff.Identity{Email: "boss@x.example", Admin: true}); err != nil || !slices.Equal(p.Roles(), []string{"admin"}) {
		t.Errorf("admin by claim: %v %v", p.Roles(), err)
	}
}

func TestDecisions(t *testing.T) {
	ctx := context.Background()
	d := chain()
	ada, _ := staff.Resolve(ctx, d, staff.Identity{Email: "ada@x.example"})
	max, _ := staff.Resolve(ctx, d, staff.Identity{Email: "max@x.example"})
	admin := staff.Person{Admin: true}
	own := loupe.Customer{CustomerID: "c1", HomeStoreID: "s1", AssociateID: "a1"}
	other := loupe.Customer{CustomerID: "c2", HomeStoreID: "s1", AssociateID: "m1"}
	away := loupe.Customer{CustomerID: "c3", HomeStoreID: "s9", AssociateID: "x"}
	listed := func() (bool, error) { return true, nil }
	unlisted := func() (bool, error) { return false, nil }
	forbidden := func(err error) bool { return loupe.ErrorCode(err) == loupe.EFORBIDDEN }
	checks := []struct {
		name string
		err  error
		deny bool
	}{
		{"ada reads her client", ada.MayReadCustomer(own, unlisted), false},
		{"ada reads a colleague's client", ada.MayReadCustomer(other, unlisted), true},
		{"ada reads a colleague's client on a review list", ada.MayReadCustomer(other, listed), false},
		{"ada reads another store's client on a list", ada.MayReadCustomer(away, listed), true},
		{"max reads his store's client", max.MayReadCustomer(own, unlisted), false},
		{"max reads another store's", max.MayReadCustomer(away, unlisted), true},
		{"admin reads anyone", admin.MayReadCustomer(away, nil), false},
		{"ada manages", ada.MayManage("s1"), true},
		{"max manages s1", max.MayManage("s1"), false},
		{"max manages s2", max.MayManage("s2"), true},
		{"ada erases", ada.MayAdmin(), true},
		{"admin erases", admin.MayAdmin(), false},
		{"ada claims for herself", ada.MayClaimFor("s1", d.assocs["a1"]), false},
		{"ada claims for max", ada.MayClaimFor("s1", d.assocs["m1"]), true},
		{"max claims for ada", max.MayClaimFor("s1", d.assocs["a1"]), false},
		{"ada sees s2's lists", ada.MaySeeStore("s2"), false},
		{"max sees s2's lists", max.MaySeeStore("s2"), true},
	}
	for _, c := range checks {
		if got := forbidden(c.err); got != c.deny || (!c.deny && c.err != nil) {
			t.Errorf("%s: %v, want denied %v", c.name, c.err, c.deny)
		}
	}
	if got := max.Visible([]string{"s1", "s2"}); !slices.Equal(got, []string{"s1"}) {
		t.Errorf("visible = %v", got)
	}
}

func TestAuthenticator(t *testing.T) {
	ctx := context.Background()
	a := &staff.Authenticator{APIToken: "the-api-token-123", Directory: chain(), Admins: staff.ParseAdmins(" Boss@x.example ,"),
		Tokens: staff.VerifierFunc(func(_ context.Context, tok string) (staff.Identity, error) {
			if e, ok := strings.CutPrefix(tok, "good:"); ok {
				return staff.Identity{Kind: staff.KindLink, Email: e}, nil
			}
			return staff.Identity{}, errors.New("bad")
		})}
	if p, err := a.Authenticate(ctx, "the-api-token-123"); err != nil || !p.Admin {
		t.Errorf("api token: %+v %v", p, err)
	}
	if p, err := a.Authenticate(ctx, "good:BOSS@x.example"); err != nil || !p.Admin {
		t.Errorf("admin email: %+v %v", p, err)
	}
	if p, err := a.Authenticate(ctx, "good:ada@x.example"); err != nil || p.AssociateID() != "a1" {
		t.Errorf("associate: %+v %v", p, err)
	}
	for _, tok := range []string{"", "the-api-token-12", "bad", "good:tom@x.example"} {
		if _, err := a.Authenticate(ctx, tok); loupe.ErrorCode(err) != loupe.EUNAUTHORIZED {
			t.Errorf("%q: %v, want 401", tok, err)
		}
	}
}
