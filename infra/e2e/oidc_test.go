package e2e

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/testkit/oidctest"
)

const (
	dashboardID   = "DashboardApiFunction"
	oidcClientID  = "loupe-staff"
	oidcAdminPair = "groups=loupe-admin"
)

// Staff of TestOIDCSignIn: their emails must never appear in a function's
// logs, nor their ID tokens.
const (
	adaEmail      = "ada.lovell@staff.e2e.example"
	maraEmail     = "mara.quint@staff.e2e.example"    // associate record with role manager, s-1
	unionMgrEmail = "manager.union@staff.e2e.example" // s-2's manager_email, no associate record
	itAdminEmail  = "it.admin@staff.e2e.example"      // no record: admin by the group claim only
	strangerEmail = "walk.in@staff.e2e.example"       // no record, no claim
)

// me is GET /me.
type me struct {
	Email       *string  `json:"email"`
	AssociateID *string  `json:"associate_id"`
	Name        *string  `json:"name"`
	Roles       []string `json:"roles"`
	StoreIDs    []string `json:"store_ids"`
}

// TestOIDCSignIn runs dashboard-api in OIDC mode against a real mock issuer
// (oauth2-mock-server, package oidctest): staff records come in through the
// POS webhook, and every staff call carries an ID token the issuer signed,
// which the function verifies itself (discovery, JWKS, audience, expiry,
// email_verified) and resolves to the associate records of its email.
func TestOIDCSignIn(t *testing.T) {
	toolsOrSkip(t)
	iss := oidctest.Start(t)
	s := newStack(t, map[string]map[string]string{dashboardID: {
		"LOUPE_OIDC_ISSUER":      iss.URL,
		"LOUPE_OIDC_CLIENT_ID":   oidcClientID,
		"LOUPE_OIDC_ADMIN_CLAIM": oidcAdminPair,
	}})
	if !s.has(dashboardID) {
		t.Fatalf("%s did not build or start", dashboardID)
	}
	defer s.report()

	event := posEvents(t, "evt-oidc")
	s.begin("staff_records")
	for _, st := range []map[string]any{
		{"store_id": "s-1", "name": "Fifth Avenue", "timezone": storeTZ, "country": "US", "postal_address": "700 Fifth Avenue, New York, NY 10019",
			"from_email": "fifth@stores.e2e.example"},
		{"store_id": "s-2", "name": "Union Square", "timezone": storeTZ, "country": "US", "postal_address": "1 Union Square, New York, NY 10003",
			"from_email": "union@stores.e2e.example", "manager_email": unionMgrEmail},
	} {
		s.pos(event("store.upserted", st), http.StatusAccepted)
	}
	for _, a := range []map[string]any{
		{"associate_id": "a-ada", "store_id": "s-1", "name": "Ada Lovell", "email": adaEmail, "strengths": []string{"bridal"}},
		{"associate_id": "a-bo", "store_id": "s-1", "name": "Bo Ferris", "email": "bo.ferris@staff.e2e.example", "strengths": []string{"bridal"}},
		{"associate_id": "a-mara", "store_id": "s-1", "name": "Mara Quint", "email": maraEmail, "role": "manager"},
		{"associate_id": "a-cy", "store_id": "s-2", "name": "Cy Durand", "email": "cy.durand@staff.e2e.example"},
	} {
		s.pos(event("associate.upserted", a), http.StatusAccepted)
	}
	for _, c := range []map[string]any{
		{"customer_id": "c-ada-1", "home_store_id": "s-1", "associate_id": "a-ada", "first_name": "Rosalind", "last_name": "Ashgrove",
			"email": "rosalind.ashgrove@e2e-clients.net"},
		{"customer_id": "c-cy-1", "home_store_id": "s-2", "associate_id": "a-cy", "first_name": "Tobias", "last_name": "Wendlebury",
			"email": "tobias.wendlebury@e2e-clients.net"},
	} {
		s.pos(event("customer.upserted", c), http.StatusAccepted)
	}
	s.settle()

	// token mints an ID token for the staff app with extra claims over the
	// usual ones (a nil value removes a claim).
	var tokens []string
	token := func(email string, extra map[string]any) string {
		claims := map[string]any{"aud": oidcClientID, "sub": "sub-" + strings.Split(email, "@")[0], "email": email, "email_verified": true}
		for k, v := range extra {
			claims[k] = v
		}
		tok := iss.Token(t, claims)
		tokens = append(tokens, tok)
		return tok
	}
	ada, mara, unionMgr := token(adaEmail, nil), token(maraEmail, nil), token(unionMgrEmail, nil)
	loc, err := time.LoadLocation(storeTZ)
	if err != nil {
		t.Fatal(err)
	}
	day := time.Now().In(loc).Format(time.DateOnly)
	compliance := "/compliance?from=" + day + "&to=" + day

	s.begin("oidc")
	t.Run("auth_config", func(t *testing.T) {
		code, b := s.public(http.MethodGet, "/auth/config", "", "")
		if code != http.StatusOK {
			t.Fatalf("GET /auth/config: got %d %s, want 200", code, b)
		}
		var ac map[string]any
		if err := json.Unmarshal(b, &ac); err != nil {
			t.Fatalf("decode /auth/config: %v", err)
		}
		if ac["mode"] != "oidc" || ac["issuer"] != iss.URL || ac["client_id"] != oidcClientID {
			t.Errorf("GET /auth/config: got %s, want mode oidc, issuer %s, client_id %s", b, iss.URL, oidcClientID)
		}
	})

	t.Run("associate", func(t *testing.T) {
		got := s.me(t, ada, http.StatusOK)
		if got.AssociateID == nil || *got.AssociateID != "a-ada" {
			t.Errorf("GET /me as ada: associate_id %v, want a-ada", got.AssociateID)
		}
		if got.Email == nil || *got.Email != adaEmail {
			t.Errorf("GET /me as ada: email %v, want %s", got.Email, adaEmail)
		}
		if want := []string{"associate"}; !slices.Equal(got.Roles, want) {
			t.Errorf("GET /me as ada: roles %v, want %v", got.Roles, want)
		}
		if want := []string{"s-1"}; !slices.Equal(got.StoreIDs, want) {
			t.Errorf("GET /me as ada: store_ids %v, want %v", got.StoreIDs, want)
		}
		for _, c := range []struct {
			name, path string
			want       int
		}{
			{"her client", "/customers/c-ada-1", http.StatusOK},
			{"another store's client", "/customers/c-cy-1", http.StatusForbidden},
			{"compliance", compliance, http.StatusForbidden},
			{"compliance of her store", compliance + "&store_id=s-1", http.StatusForbidden},
		} {
			if code, b := s.staffAs(ada, http.MethodGet, c.path); code != c.want {
				t.Errorf("GET %s (%s) as ada: got %d %s, want %d", c.path, c.name, code, b, c.want)
			}
		}
	})

	t.Run("managers", func(t *testing.T) {
		got := s.me(t, mara, http.StatusOK)
		if want := []string{"associate", "manager"}; !slices.Equal(got.Roles, want) {
			t.Errorf("GET /me as mara (role manager): roles %v, want %v", got.Roles, want)
		}
		got = s.me(t, unionMgr, http.StatusOK)
		if want := []string{"manager"}; !slices.Equal(got.Roles, want) || !slices.Equal(got.StoreIDs, []string{"s-2"}) || got.AssociateID != nil {
			t.Errorf("GET /me as s-2's manager_email: got roles %v, stores %v, associate_id %v; want [manager], [s-2], null",
				got.Roles, got.StoreIDs, got.AssociateID)
		}
		for _, c := range []struct {
			who, tok, path string
			want           int
		}{
			{"mara", mara, compliance, http.StatusOK},
			{"mara", mara, compliance + "&store_id=s-1", http.StatusOK},
			{"mara", mara, compliance + "&store_id=s-2", http.StatusForbidden},
			{"mara", mara, "/customers/c-ada-1", http.StatusOK},
			{"s-2's manager", unionMgr, compliance + "&store_id=s-2", http.StatusOK},
			{"s-2's manager", unionMgr, compliance + "&store_id=s-1", http.StatusForbidden},
			{"s-2's manager", unionMgr, "/customers/c-cy-1", http.StatusOK},
			{"s-2's manager", unionMgr, "/customers/c-ada-1", http.StatusForbidden},
		} {
			if code, b := s.staffAs(c.tok, http.MethodGet, c.path); code != c.want {
				t.Errorf("GET %s as %s: got %d %s, want %d", c.path, c.who, code, b, c.want)
			}
		}
	})

	t.Run("admin_claim", func(t *testing.T) {
		admin := token(itAdminEmail, map[string]any{"groups": []string{"staff", "loupe-admin"}})
		got := s.me(t, admin, http.StatusOK)
		if want := []string{"admin"}; !slices.Equal(got.Roles, want) || got.AssociateID != nil {
			t.Errorf("GET /me with the admin group claim: roles %v, associate_id %v; want [admin], null", got.Roles, got.AssociateID)
		}
		if code, b := s.staffAs(admin, http.MethodGet, "/customers/c-cy-1"); code != http.StatusOK {
			t.Errorf("GET /customers/c-cy-1 as an admin: got %d %s, want 200", code, b)
		}
		other := token(itAdminEmail, map[string]any{"groups": []string{"staff", "loupe-admins"}})
		s.me(t, other, http.StatusUnauthorized) // another group, no record
	})

	t.Run("refused_tokens", func(t *testing.T) {
		now := time.Now().Unix()
		for _, c := range []struct {
			name, tok string
		}{
			{"no Authorization header", ""},
			{"not a JWT", "e2e-staff-jwt"},
			{"expired", token(adaEmail, map[string]any{"iat": now - 7200, "nbf": now - 7210, "exp": now - 60})},
			{"wrong audience", token(adaEmail, map[string]any{"aud": "another-app"})},
			{"email_verified false", token(adaEmail, map[string]any{"email_verified": false})},
			{"no email claim", token(adaEmail, map[string]any{"email": nil})},
			{"email with no staff record", token(strangerEmail, nil)},
			{"signed by another key the issuer never published", ada[:strings.LastIndexByte(ada, '.')+1] + "c2lnbmF0dXJl"},
		} {
			if code, b := s.staffAs(c.tok, http.MethodGet, "/me"); code != http.StatusUnauthorized {
				t.Errorf("GET /me with %s: got %d %s, want 401", c.name, code, b)
			}
		}
	})

	t.Run("termination", func(t *testing.T) {
		s.begin("terminate_ada")
		s.pos(event("associate.terminated", map[string]any{"associate_id": "a-ada"}), http.StatusAccepted)
		s.settle()
		s.begin("oidc")
		for _, path := range []string{"/me", "/customers/c-ada-1"} {
			if code, b := s.staffAs(ada, http.MethodGet, path); code != http.StatusUnauthorized {
				t.Errorf("GET %s with ada's unexpired token after associate.terminated: got %d %s, want 401", path, code, b)
			}
		}
		s.me(t, mara, http.StatusOK) // the others stay signed in
	})

	t.Run("log_privacy", func(t *testing.T) {
		secrets := append([]string{adaEmail, maraEmail, unionMgrEmail, itAdminEmail, strangerEmail, apiToken, signInKey}, tokens...)
		for id, out := range s.outputs() {
			for _, sec := range secrets {
				if strings.Contains(strings.ToLower(out), strings.ToLower(sec)) {
					t.Errorf("%s logged a staff email or a token %.40q", id, sec)
				}
			}
		}
	})
}

// me calls GET /me with token, checks the status and decodes a 200 answer.
func (s *stack) me(t *testing.T, token string, want int) me {
	t.Helper()
	code, b := s.staffAs(token, http.MethodGet, "/me")
	if code != want {
		t.Fatalf("GET /me: got %d %s, want %d", code, b, want)
	}
	var out me
	if code == http.StatusOK {
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("decode /me %s: %v", b, err)
		}
	}
	return out
}
