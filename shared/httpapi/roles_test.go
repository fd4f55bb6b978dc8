package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/dynamo"
	"github.com/loupehq/loupe/shared/linktoken"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/phone"
	"github.com/loupehq/loupe/shared/testkit/dynalite"
	"github.com/loupehq/loupe/shared/wire"
)

// rolesChain is the chain of the role table: stores s1 (managed by max, an
// associate record with role manager) and s2 (managed by meg, its
// manager_email); associates ada and bea (s1), bob (s2), tom (s1, left:
// his three clients are on s1's review list); clients c1 (ada's), c2
// (bea's), c3 (bob's), c9 (ada's, to erase).
type rolesChain struct {
	h      http.Handler
	svc    *wire.Services
	tokens map[string]string // person -> bearer
	batch  string            // s1's review list
	now    time.Time         // the services' clock: a test may move it (then signIn again)
	signIn func()            // issues every person's token again at now
}

const rolesAPIToken = "roles-test-api-token"

var rolesNow = time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)

func newRolesChain(t *testing.T, records wire.Records, comp wire.ComplianceStore, ledger wire.LedgerStore) *rolesChain {
	t.Helper()
	ctx := context.Background()
	c := &rolesChain{tokens: map[string]string{"admin": rolesAPIToken, "nobody": "", "forged": "forged.token.here"}, now: rolesNow}
	clock := func() time.Time { return c.now }
	signer, err := linktoken.New(clock, []byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	svc := wire.Build(wire.Config{UnsubscribeSecret: strings.Repeat("u", 24), BaseURL: "https://loupe.example.com"},
		wire.Ports{Records: records, Compliance: comp, Ledger: ledger, Mail: &mail.Fake{}, Phones: phone.Normalize,
			StaffTokens: signer, SignInTokens: signer, Now: clock, Logger: quietLogger()})
	c.svc = svc
	n := 0
	apply := func(typ string, data map[string]any) {
		t.Helper()
		n++
		body, _ := json.Marshal(map[string]any{"id": fmt.Sprintf("evt_r%03d", n), "type": typ,
			"occurred_at": rolesNow.Add(-time.Hour).Add(time.Duration(n) * time.Second).Format(time.RFC3339Nano), "data": data})
		if _, err := svc.POS.Apply(ctx, body); err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
	}
	for _, s := range []struct{ id, manager string }{{"s1", ""}, {"s2", "Meg@s2.example"}} {
		d := map[string]any{"store_id": s.id, "name": "Store " + s.id, "timezone": "America/New_York", "country": "US",
			"postal_address": "1 Main St", "from_email": s.id + "@loupe.example.com"}
		if s.manager != "" {
			d["manager_email"] = s.manager
		}
		apply("store.upserted", d)
	}
	for _, a := range []struct{ id, store, email, role string }{
		{"ada", "s1", "ada@s1.example", ""}, {"bea", "s1", "bea@s1.example", ""}, {"max", "s1", "max@s1.example", "manager"},
		{"bob", "s2", "bob@s2.example", ""}, {"tom", "s1", "tom@s1.example", ""},
	} {
		d := map[string]any{"associate_id": a.id, "store_id": a.store, "name": "Name " + a.id, "email": a.email}
		if a.role != "" {
			d["role"] = a.role
		}
		apply("associate.upserted", d)
		tok, _, err := signer.Issue(a.email)
		if err != nil {
			t.Fatal(err)
		}
		c.tokens[a.id] = tok
	}
	emails := map[string]string{"meg": "meg@s2.example", "stranger": "stranger@elsewhere.example"}
	for _, a := range []string{"ada", "bea", "max", "bob", "tom"} {
		emails[a] = a + "@" + map[bool]string{true: "s2", false: "s1"}[a == "bob"] + ".example"
	}
	c.signIn = func() {
		for who, email := range emails {
			tok, _, err := signer.Issue(email)
			if err != nil {
				t.Fatal(err)
			}
			c.tokens[who] = tok
		}
	}
	c.signIn()
	for _, cu := range []struct{ id, store, assoc string }{
		{"c1", "s1", "ada"}, {"c2", "s1", "bea"}, {"c3", "s2", "bob"}, {"c9", "s1", "ada"},
		{"ct1", "s1", "tom"}, {"ct2", "s1", "tom"}, {"ct3", "s1", "tom"},
	} {
		apply("customer.upserted", map[string]any{"customer_id": cu.id, "home_store_id": cu.store, "first_name": "F" + cu.id,
			"email": cu.id + "@client.example.com", "associate_id": cu.assoc, "birthday": "1980-12-01"})
	}
	// Tom leaves: the reassignment is what the staff stream would run.
	before, err := records.GetAssociate(ctx, "tom")
	if err != nil {
		t.Fatal(err)
	}
	apply("associate.terminated", map[string]any{"associate_id": "tom", "terminated_at": rolesNow.Add(-30 * time.Minute).Format(time.RFC3339)})
	after, err := records.GetAssociate(ctx, "tom")
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Reassign.HandleChange(ctx, loupe.Change{Seq: "1", Entity: loupe.EntityAssociate, Op: loupe.OpModify,
		OldAssociate: &before, NewAssociate: &after}); err != nil {
		t.Fatal(err)
	}
	bs, err := svc.Reassign.List(ctx)
	if err != nil || len(bs) != 1 {
		t.Fatalf("review lists = %+v, %v; want tom's", bs, err)
	}
	c.batch = bs[0].ID
	c.h = svc.HTTP(rolesAPIToken)
	return c
}

// call sends one request as person and returns the status and body.
func (c *rolesChain) call(t *testing.T, person, method, path, body string) (int, string) {
	t.Helper()
	ct := ""
	if body != "" {
		ct = "application/json"
	}
	rec := do(c.h, method, path, c.tokens[person], ct, body)
	return rec.Code, rec.Body.String()
}

// TestRoleTable: every staff route for every kind of person, on their own
// store and another, on both stores (CONTRACT section 3, the role x route
// table). Rows run in order: a claim or an erasure changes what later rows see.
func TestRoleTable(t *testing.T) {
	onBothStores(t, func(t *testing.T, c *rolesChain) { roleTable(t, c) })
}

// onBothStores runs fn on the roles chain over the embedded store and over
// DynamoDB (dynalite).
func onBothStores(t *testing.T, fn func(t *testing.T, c *rolesChain)) {
	stores := map[string]func(t *testing.T) (wire.Records, wire.ComplianceStore, wire.LedgerStore){
		"embedded": func(t *testing.T) (wire.Records, wire.ComplianceStore, wire.LedgerStore) {
			db := openDB(t)
			return db, db.Compliance(), db.Ledger()
		},
		"dynamo": func(t *testing.T) (wire.Records, wire.ComplianceStore, wire.LedgerStore) {
			client := dynalite.Client(t, dynalite.Shared(t))
			table := dynalite.TableName(t)
			if err := dynamo.CreateTable(context.Background(), client, table); err != nil {
				t.Fatal(err)
			}
			db := dynamo.New(client, table)
			return db, db.Compliance(), db.Ledger()
		},
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			records, comp, ledger := open(t)
			fn(t, newRolesChain(t, records, comp, ledger))
		})
	}
}

func roleTable(t *testing.T, c *rolesChain) {
	campaign := `{"campaign_id":"gala","name":"Gala","event_date":"2026-12-20","send_date":"2026-12-01","store_ids":["s1"],` +
		`"subject":"Save the date","body_html":"<p>Join us</p>"}`
	claim := func(customer, associate string) string {
		return fmt.Sprintf(`{"customer_id":%q,"associate_id":%q}`, customer, associate)
	}
	review := "/reassignments/" + c.batch
	type want map[string]int // person -> status; persons left out are not asked
	rows := []struct {
		method, path, body string
		want               want
	}{
		// Who may sign in at all.
		{"GET", "/me", "", want{"ada": 200, "max": 200, "meg": 200, "bob": 200, "admin": 200, "tom": 401, "stranger": 401, "nobody": 401, "forged": 401}},
		// A client: own book, their store as manager, or a review list of their store.
		{"GET", "/customers/c1", "", want{"ada": 200, "bea": 403, "max": 200, "meg": 403, "bob": 403, "admin": 200, "tom": 401}},
		{"GET", "/customers/c3", "", want{"ada": 403, "max": 403, "meg": 200, "bob": 200, "admin": 200}},
		{"GET", "/customers/ct1", "", want{"ada": 200, "bea": 200, "bob": 403, "meg": 403, "max": 200}}, // on s1's review list
		{"GET", "/customers/c1/contacts", "", want{"ada": 200, "bea": 403, "max": 200, "meg": 403, "admin": 200}},
		{"GET", "/customers/c1/preview?occasion=birthday&format=json", "", want{"ada": 200, "bob": 403, "max": 200, "admin": 200}},
		{"GET", "/customers/nope", "", want{"ada": 404, "admin": 404}},
		// Today lists: one's own; a manager names an associate of their store.
		{"GET", "/me/today", "", want{"ada": 200, "max": 200, "meg": 400, "admin": 400, "tom": 401}},
		{"GET", "/me/today?associate_id=ada", "", want{"ada": 200, "bea": 403, "max": 200, "meg": 403, "bob": 403, "admin": 200}},
		{"GET", "/me/today?associate_id=bob", "", want{"max": 403, "meg": 200}},
		{"GET", "/me/today?associate_id=ghost", "", want{"ada": 403, "max": 403, "admin": 404}},
		{"POST", "/tasks/bm90LWEtdGFzaw/outcome", `{"outcome":"reached"}`, want{"ada": 404, "admin": 404}},
		{"GET", "/stores/s1/progress", "", want{"ada": 403, "max": 200, "meg": 403, "admin": 200}},
		{"GET", "/stores/s2/progress", "", want{"max": 403, "meg": 200}},
		// Books: one's own; a store's for its managers.
		{"GET", "/customers?associate_id=ada", "", want{"ada": 200, "bea": 403, "max": 200, "meg": 403, "bob": 403, "admin": 200}},
		{"GET", "/customers?store_id=s1", "", want{"ada": 403, "max": 200, "meg": 403, "admin": 200}},
		{"GET", "/customers", "", want{"ada": 400, "admin": 400}},
		{"GET", "/customers?associate_id=ghost", "", want{"ada": 403, "admin": 200}},
		{"GET", "/customers/c1/purchases", "", want{"ada": 200, "bea": 403, "max": 200, "meg": 403, "admin": 200}},
		{"GET", "/customers/c1/repairs", "", want{"ada": 200, "bea": 403, "max": 200, "meg": 403, "admin": 200}},
		{"GET", "/customers/nobody/repairs", "", want{"ada": 404, "admin": 404}},
		// The staff app's page holds no data: anyone gets it.
		{"GET", "/app", "", want{"nobody": 200}},
		{"GET", "/app/reassignments/x", "", want{"nobody": 200}},
		{"GET", "/", "", want{"nobody": 302}},
		// Manager routes: their stores only, lists filtered.
		{"GET", "/compliance", "", want{"ada": 403, "bob": 403, "max": 200, "meg": 200, "admin": 200}},
		{"GET", "/compliance?store_id=s2", "", want{"max": 403, "meg": 200, "admin": 200}},
		{"GET", "/coverage", "", want{"ada": 403, "max": 200, "meg": 200, "admin": 200}},
		{"GET", "/coverage?store_id=s1", "", want{"max": 200, "meg": 403, "admin": 200}},
		{"POST", "/campaigns", campaign, want{"ada": 403, "meg": 403, "max": 201, "admin": 201}},
		{"GET", "/stores/s1/inspection", "", want{"ada": 403, "meg": 403, "max": 404, "admin": 404}},
		{"PUT", "/stores/s2/inspection", "", want{"max": 403, "bob": 403, "meg": 200}},
		// Review lists: their store; an associate claims for themselves only.
		{"GET", review, "", want{"ada": 200, "max": 200, "bob": 403, "meg": 403, "admin": 200}},
		{"GET", review + ".csv", "", want{"bea": 200, "bob": 403}},
		{"GET", review + "/print", "", want{"ada": 200, "bob": 403}},
		{"POST", review + "/claims", claim("ct1", "bea"), want{"ada": 403, "bob": 403, "meg": 403}},
		{"POST", review + "/claims", claim("ct1", "ada"), want{"ada": 200}},
		{"POST", review + "/claims", claim("ct2", "bea"), want{"max": 200}},
		{"POST", review + "/claims", claim("ct3", "bob"), want{"bob": 403, "max": 403}}, // s1's client to an s2 associate
		// A claimed client is its new owner's: others get 409, a manager may override.
		{"POST", review + "/claims", claim("ct1", "bea"), want{"bea": 409, "max": 409}},
		{"POST", review + "/claims", `{"customer_id":"ct1","associate_id":"bea","override":true}`, want{"ada": 403, "bea": 403}},
		{"GET", "/customers/ct2", "", want{"ada": 403, "bea": 200}}, // claimed by max for bea: off the review list
		{"POST", review + "/claims", `{"customer_id":"ct1","associate_id":"bea","override":true}`, want{"max": 200}},
		{"POST", review + "/claims", claim("ct3", "ada"), want{"admin": 200}},
		// A campaign preview is for the campaign's own stores.
		{"GET", "/customers/c1/preview?occasion=event:gala&format=json", "", want{"ada": 200}},
		{"GET", "/customers/c3/preview?occasion=event:gala&format=json", "", want{"bob": 404, "meg": 404, "admin": 404}},
		// Admin only.
		{"DELETE", "/customers/c9", "", want{"ada": 403, "max": 403, "meg": 403, "admin": 204}},
		{"POST", "/sms/inbound", `{"originationNumber":"+12125550199","destinationNumber":"+18005550100","messageBody":"HELP"}`,
			want{"ada": 403, "max": 403, "meg": 403, "tom": 401, "admin": 200}},
	}
	for _, r := range rows {
		for _, who := range slices.Sorted(func(yield func(string) bool) {
			for k := range r.want {
				if !yield(k) {
					return
				}
			}
		}) {
			if who == "admin" {
				continue // last: an admin's success may change what others see
			}
			if got, body := c.call(t, who, r.method, r.path, r.body); got != r.want[who] {
				t.Errorf("%s %s as %s: %d, want %d (%.200s)", r.method, r.path, who, got, r.want[who], body)
			}
		}
		if w, ok := r.want["admin"]; ok {
			if got, body := c.call(t, "admin", r.method, r.path, r.body); got != w {
				t.Errorf("%s %s as admin: %d, want %d (%.200s)", r.method, r.path, got, w, body)
			}
		}
	}

	// Lists are filtered to what the person may see.
	storesOf := func(who, path, field string) []string {
		t.Helper()
		code, body := c.call(t, who, "GET", path, "")
		if code != 200 {
			t.Fatalf("%s %s: %d %s", who, path, code, body)
		}
		var got map[string]json.RawMessage
		var list []map[string]any
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(got[field], &list); err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, s := range list {
			ids = append(ids, fmt.Sprint(s["store_id"]))
		}
		return ids
	}
	for _, l := range []struct {
		who, path, field string
		want             []string
	}{
		{"max", "/compliance", "stores", []string{"s1"}},
		{"meg", "/compliance", "stores", []string{"s2"}},
		{"admin", "/compliance", "stores", []string{"s1", "s2"}},
		{"max", "/coverage", "stores", []string{"s1"}},
		{"meg", "/coverage", "stores", []string{"s2"}},
		{"ada", "/reassignments", "reassignments", []string{"s1"}},
		{"bob", "/reassignments", "reassignments", nil},
	} {
		if got := storesOf(l.who, l.path, l.field); !slices.Equal(got, l.want) {
			t.Errorf("%s %s: stores %v, want %v", l.who, l.path, got, l.want)
		}
	}
	// GET /me names the person.
	_, body := c.call(t, "max", "GET", "/me", "")
	if !strings.Contains(body, `"associate_id":"max"`) || !strings.Contains(body, `"roles":["associate","manager"]`) || !strings.Contains(body, `"store_ids":["s1"]`) {
		t.Errorf("GET /me as max: %s", body)
	}
	_, body = c.call(t, "admin", "GET", "/me", "")
	if !strings.Contains(body, `"roles":["admin"]`) {
		t.Errorf("GET /me with the API token: %s", body)
	}
	// An associate who leaves is refused on the next request.
	if code, _ := c.call(t, "bea", "GET", "/me", ""); code != 200 {
		t.Fatalf("bea before leaving: %d", code)
	}
	ev, _ := json.Marshal(map[string]any{"id": "evt_bea_left", "type": "associate.terminated", "occurred_at": rolesNow.Format(time.RFC3339),
		"data": map[string]any{"associate_id": "bea", "terminated_at": rolesNow.Add(-time.Minute).Format(time.RFC3339)}})
	if _, err := c.svc.POS.Apply(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	if code, _ := c.call(t, "bea", "GET", "/me", ""); code != 401 {
		t.Errorf("bea after leaving: %d, want 401", code)
	}
}

// TestOIDCModeHasNoLinks: a deployment with the chain's provider has one
// source of staff tokens: /auth/config says oidc, the link routes answer
// 404, and a token Loupe signed itself is refused.
func TestOIDCModeHasNoLinks(t *testing.T) {
	db := openDB(t)
	signer, _ := linktoken.New(func() time.Time { return rolesNow }, []byte(strings.Repeat("k", 32)))
	svc := wire.Build(wire.Config{OIDCIssuer: "https://idp.example.com", OIDCClientID: "loupe-staff"},
		wire.Ports{Records: db, Compliance: db.Compliance(), Ledger: db.Ledger(), Logger: quietLogger(),
			StaffTokens: nil, SignInTokens: signer, Now: func() time.Time { return rolesNow }})
	h := svc.HTTP(rolesAPIToken)
	if rec := do(h, "GET", "/auth/config", "", "", ""); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"mode":"oidc"`) ||
		!strings.Contains(rec.Body.String(), `"client_id":"loupe-staff"`) {
		t.Errorf("/auth/config: %d %s", rec.Code, rec.Body)
	}
	for _, path := range []string{"/auth/link", "/auth/token"} {
		if rec := do(h, "POST", path, "", "application/json", `{"email":"a@b.example","code":"x"}`); rec.Code != 404 {
			t.Errorf("POST %s in OIDC mode: %d, want 404", path, rec.Code)
		}
	}
	tok, _, _ := signer.Issue("ada@s1.example")
	if rec := do(h, "GET", "/me", tok, "", ""); rec.Code != 401 {
		t.Errorf("a Loupe-signed token in OIDC mode: %d, want 401", rec.Code)
	}
	if rec := do(h, "GET", "/me", rolesAPIToken, "", ""); rec.Code != 200 {
		t.Errorf("the API token in OIDC mode: %d", rec.Code)
	}
}
