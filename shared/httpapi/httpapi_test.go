package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/embedded"
	"github.com/loupehq/loupe/shared/httpapi"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/phone"
	"github.com/loupehq/loupe/shared/pos"
	"github.com/loupehq/loupe/shared/testkit/postest"
	"github.com/loupehq/loupe/shared/webhook"
)

const (
	secret = "whsec_test"
	token  = "staff-token"
)

var now = time.Date(2026, time.November, 20, 15, 4, 5, 0, time.UTC)

func clock() time.Time { return now }

func openDB(t testing.TB) *embedded.DB {
	t.Helper()
	db, err := embedded.Open(filepath.Join(t.TempDir(), "loupe.db"))
	if err != nil {
		t.Fatalf("open embedded: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newAPI serves db as the wiring does: the POS service over it, and its
// privacy side when it has one.
func newAPI(db loupe.DB) http.Handler {
	return httpapi.New(httpapi.Config{DB: db, Privacy: privacyOf(db), Events: posService(db), WebhookSecrets: []string{secret}, APIToken: token, Now: clock, Logger: quietLogger()})
}

// posService returns the POS service over db on the test clock.
func posService(db pos.Records) *pos.Service {
	return &pos.Service{DB: db, Now: clock, Phones: phone.Normalize}
}

// privacyOf returns db's loupe.Privacy side, or a nil interface when it has none.
func privacyOf(db loupe.DB) loupe.Privacy {
	p, _ := db.(loupe.Privacy)
	return p
}

func event(id, occurred, data string) string {
	return `{"id":"` + id + `","type":"customer.upserted","occurred_at":"` + occurred + `","data":` + data + `}`
}

// postEvent sends body signed with secret at ts.
func postEvent(h http.Handler, body string, sign func(body []byte) string, contentType string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/pos/events", strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	if sig := sign([]byte(body)); sig != "" {
		req.Header.Set(webhook.Header, sig)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func signed(b []byte) string { return webhook.Sign(secret, b, now) }

type errorBody struct {
	Error struct {
		Code, Message, Field string
	}
}

func TestPOSEvents(t *testing.T) {
	valid := event("e1", "2026-11-20T15:00:00Z", `{"customer_id":"c1","home_store_id":"s1","email":"bea@example.com"}`)
	big := event("e1", "2026-11-20T15:00:00Z", `{"customer_id":"c1","home_store_id":"s1","first_name":"`+strings.Repeat("x", httpapi.MaxBodyBytes)+`"}`)
	tests := []struct {
		name        string
		body        string
		sign        func([]byte) string
		contentType string
		secrets     []string
		wantStatus  int
		wantCode    string
		wantField   string
	}{
		{"accepted", valid, signed, "application/json", nil, 202, "", ""},
		{"charset param", valid, signed, "application/json; charset=utf-8", nil, 202, "", ""},
		{"rotated secret", valid, func(b []byte) string { return webhook.Sign("old", b, now) }, "application/json", []string{"new", "old"}, 202, "", ""},
		{"no secret configured", valid, signed, "application/json", []string{}, 503, loupe.EUNAVAILABLE, ""},
		{"wrong content type", valid, signed, "text/plain", nil, 415, loupe.EUNSUPPORTED, ""},
		{"missing content type", valid, signed, "", nil, 415, loupe.EUNSUPPORTED, ""},
		{"too large", big, signed, "application/json", nil, 413, loupe.ETOOLARGE, ""},
		{"missing signature", valid, func([]byte) string { return "" }, "application/json", nil, 401, loupe.EUNAUTHORIZED, ""},
		{"malformed signature", valid, func([]byte) string { return "v1=zz" }, "application/json", nil, 401, loupe.EUNAUTHORIZED, ""},
		{"wrong secret", valid, func(b []byte) string { return webhook.Sign("other", b, now) }, "application/json", nil, 401, loupe.EUNAUTHORIZED, ""},
		{"stale signature", valid, func(b []byte) string { return webhook.Sign(secret, b, now.Add(-301*time.Second)) }, "application/json", nil, 401, loupe.EUNAUTHORIZED, ""},
		{"signed other body", valid, func([]byte) string { return webhook.Sign(secret, []byte("{}"), now) }, "application/json", nil, 401, loupe.EUNAUTHORIZED, ""},
		{"bad json", `{"id":"e1",`, signed, "application/json", nil, 400, loupe.EINVALID, ""},
		{"unknown type", `{"id":"e1","type":"customer.deleted","occurred_at":"2026-11-20T15:00:00Z","data":{}}`, signed, "application/json", nil, 400, loupe.EINVALID, "type"},
		{"missing field", event("e1", "2026-11-20T15:00:00Z", `{"home_store_id":"s1"}`), signed, "application/json", nil, 400, loupe.EINVALID, "data.customer_id"},
		{"bad category", event("e1", "2026-11-20T15:00:00Z", `{"customer_id":"c1","home_store_id":"s1","preferences":["gold","pearls","Bad!"]}`), signed, "application/json", nil, 400, loupe.EINVALID, "data.preferences[2]"},
		{"bad email", event("e1", "2026-11-20T15:00:00Z", `{"customer_id":"c1","home_store_id":"s1","email":"bea(at)example"}`), signed, "application/json", nil, 400, loupe.EINVALID, "data.email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openDB(t)
			secrets := []string{secret}
			if tt.secrets != nil {
				secrets = tt.secrets
			}
			h := httpapi.New(httpapi.Config{DB: db, Events: posService(db), WebhookSecrets: secrets, APIToken: token, Now: clock, Logger: quietLogger()})
			rec := postEvent(h, tt.body, tt.sign, tt.contentType)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if got := rec.Header().Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", got)
			}
			ctx := context.Background()
			if tt.wantCode == "" {
				var got struct{ ID, Status string }
				if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got.ID != "e1" || got.Status != "accepted" {
					t.Fatalf("body = %s, want {id: e1, status: accepted}", rec.Body)
				}
				return
			}
			var got errorBody
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("body %s: %v", rec.Body, err)
			}
			if got.Error.Code != tt.wantCode || got.Error.Field != tt.wantField || got.Error.Message == "" {
				t.Errorf("error = %+v, want code %q field %q", got.Error, tt.wantCode, tt.wantField)
			}
			if strings.Contains(rec.Body.String(), secret) {
				t.Errorf("body %s echoes the secret", rec.Body)
			}
			// A rejected event writes nothing.
			if _, err := db.GetCustomer(ctx, "c1"); !errors.Is(err, loupe.ErrNotFound) {
				t.Errorf("GetCustomer after rejection: err = %v, want not found", err)
			}
			if fresh, err := db.ClaimEvent(ctx, "e1", "probe", time.Now()); err != nil || !fresh {
				t.Errorf("ClaimEvent(e1) = %v, %v after rejection, want a fresh claim", fresh, err)
			}
		})
	}
}

func TestPOSEventsDuplicateAndOrder(t *testing.T) {
	db := openDB(t)
	h := newAPI(db)
	first := event("e1", "2026-11-20T15:00:00Z", `{"customer_id":"c1","home_store_id":"s1","first_name":"New"}`)
	steps := []struct {
		name       string
		body       string
		wantStatus int
		wantAnswer string
	}{
		{"accepted", first, 202, `{"id":"e1","status":"accepted"}`},
		{"same id again", first, 200, `{"id":"e1","status":"duplicate"}`},
		{"same id other body", event("e1", "2026-11-20T15:01:00Z", `{"customer_id":"c1","home_store_id":"s1","first_name":"Dup"}`), 409,
			`{"error":{"code":"conflict","message":"event id e1 was delivered before with another body; nothing applied"}}`},
		{"same body laid out otherwise", strings.Replace(first, `{"customer_id"`, `{ "customer_id"`, 1), 200, `{"id":"e1","status":"duplicate"}`},
		{"older upsert", event("e0", "2026-11-20T14:00:00Z", `{"customer_id":"c1","home_store_id":"s1","first_name":"Old"}`), 202, `{"id":"e0","status":"accepted"}`},
	}
	for _, st := range steps {
		rec := postEvent(h, st.body, signed, "application/json")
		if rec.Code != st.wantStatus || strings.TrimSpace(rec.Body.String()) != st.wantAnswer {
			t.Fatalf("%s: got %d %s, want %d %s", st.name, rec.Code, rec.Body, st.wantStatus, st.wantAnswer)
		}
	}
	c, err := db.GetCustomer(context.Background(), "c1")
	if err != nil {
		t.Fatal(err)
	}
	if c.FirstName != "New" {
		t.Fatalf("first_name = %q, want New (neither the duplicate nor the older upsert may overwrite)", c.FirstName)
	}
}

func TestStaffRoutes(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	if err := loupe.PutCustomer(ctx, db, loupe.Customer{CustomerID: "c1", HomeStoreID: "s1", FirstName: "Bea", Email: "bea@example.com", AssociateID: "a1", UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	h := newAPI(db)
	open := httpapi.New(httpapi.Config{DB: db, Events: posService(db), Logger: quietLogger()})
	tests := []struct {
		name       string
		h          http.Handler
		method     string
		path       string
		auth       string
		wantStatus int
		wantCode   string
	}{
		{"healthz", h, "GET", "/healthz", "", 200, ""},
		{"customer", h, "GET", "/customers/c1", "Bearer " + token, 200, ""},
		{"lower-case scheme", h, "GET", "/customers/c1", "bearer " + token, 200, ""},
		{"unknown customer", h, "GET", "/customers/nope", "Bearer " + token, 404, loupe.ENOTFOUND},
		{"missing token", h, "GET", "/customers/c1", "", 401, loupe.EUNAUTHORIZED},
		{"wrong token", h, "GET", "/customers/c1", "Bearer nope", 401, loupe.EUNAUTHORIZED},
		{"basic auth", h, "GET", "/customers/c1", "Basic " + token, 401, loupe.EUNAUTHORIZED},
		{"token prefix", h, "GET", "/customers/c1", "Bearer " + token[:5], 401, loupe.EUNAUTHORIZED},
		{"no token configured: closed", open, "GET", "/customers/c1", "", 401, loupe.EUNAUTHORIZED},
		{"no token configured: a bearer is refused", open, "GET", "/customers/c1", "Bearer anything", 401, loupe.EUNAUTHORIZED},
		{"unknown route", h, "GET", "/nope", "", 404, loupe.ENOTFOUND},
		{"wrong method", h, "DELETE", "/healthz", "", 405, "method_not_allowed"},
		{"webhook without secret", open, "POST", "/pos/events", "", 503, loupe.EUNAVAILABLE},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, nil)
			req.Header.Set("Content-Type", "application/json")
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			rec := httptest.NewRecorder()
			tt.h.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if tt.wantCode == "" {
				return
			}
			var got errorBody
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got.Error.Code != tt.wantCode {
				t.Fatalf("body = %s, want error code %q", rec.Body, tt.wantCode)
			}
		})
	}
}

func TestGetCustomerProfile(t *testing.T) {
	db := openDB(t)
	h := newAPI(db)
	rec := postEvent(h, event("e1", "2026-11-20T15:00:00Z", `{"customer_id":"c1","home_store_id":"s1","first_name":"Bea","email":"bea@example.com","birthday":"--06-14","preferences":["pearls"],"associate_id":"a1"}`), signed, "application/json")
	if rec.Code != 202 {
		t.Fatalf("post: %d %s", rec.Code, rec.Body)
	}
	req := httptest.NewRequest("GET", "/customers/c1", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var got map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"customer_id": "c1", "home_store_id": "s1", "first_name": "Bea", "email": "bea@example.com",
		"email_source": "pos", "email_status": "ok", "associate_id": "a1", "birthday": "--06-14"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
}

func TestInternalErrorIsHidden(t *testing.T) {
	db := postest.NewMemDB()
	db.Fail = errors.New("table users_secret_detail unreachable")
	var logs bytes.Buffer
	h := httpapi.New(httpapi.Config{DB: db, APIToken: token, WebhookSecrets: []string{secret}, Now: clock, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	req := httptest.NewRequest("GET", "/customers/c1", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), `"message":"internal error"`) || strings.Contains(rec.Body.String(), "unreachable") {
		t.Fatalf("got %d %s, want 500 internal error without detail", rec.Code, rec.Body)
	}
	if !strings.Contains(logs.String(), "unreachable") {
		t.Errorf("log %q lacks the detail", logs.String())
	}
	if !strings.Contains(logs.String(), `"route":"GET /customers/{customer_id}"`) || !strings.Contains(logs.String(), `"status":500`) {
		t.Errorf("request log %q lacks route or status", logs.String())
	}
}

func TestRequestLogHasNoBody(t *testing.T) {
	db := openDB(t)
	var logs bytes.Buffer
	h := httpapi.New(httpapi.Config{DB: db, Events: posService(db), WebhookSecrets: []string{secret}, Now: clock, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	rec := postEvent(h, event("e1", "2026-11-20T15:00:00Z", `{"customer_id":"c1","home_store_id":"s1","first_name":"Beatrix","email":"bea@example.com","birthday":"1980-06-14"}`), signed, "application/json")
	if rec.Code != 202 {
		t.Fatalf("post: %d %s", rec.Code, rec.Body)
	}
	for _, pii := range []string{"Beatrix", "bea@example.com", "1980-06-14"} {
		if strings.Contains(logs.String(), pii) {
			t.Errorf("log contains %q: %s", pii, logs.String())
		}
	}
	if !strings.Contains(logs.String(), `"route":"POST /pos/events"`) || !strings.Contains(logs.String(), `"event_id":"e1"`) {
		t.Errorf("log %s lacks route or event id", logs.String())
	}
}

func BenchmarkWebhookAccept(b *testing.B) {
	db := openDB(b)
	h := newAPI(db)
	bodies := make([][]byte, b.N)
	for i := range bodies {
		id := "c" + strings.Repeat("0", 6-len(itoa(i%5000))) + itoa(i%5000)
		bodies[i] = []byte(event("evt_"+itoa(i), "2026-11-20T15:00:00Z", `{"customer_id":"`+id+`","home_store_id":"s1","first_name":"Bea","last_name":"Smith","email":"`+id+`@example.com","phone":"+1 555 0100","birthday":"1980-06-14","anniversary":"--09-01","preferences":["bridal","pearls","gold"],"associate_id":"a1","email_opt_out":false}`))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest(http.MethodPost, "/pos/events", bytes.NewReader(bodies[i]))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(webhook.Header, webhook.Sign(secret, bodies[i], now))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusAccepted {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// GET /customers/{id} shows the v2 profile: phone in E.164, the postal
// address and a consent for every channel, "unknown" where none was given.
func TestCustomerProfileShowsConsents(t *testing.T) {
	db := openDB(t)
	h := newAPI(db)
	for _, body := range []string{
		`{"id":"e1","type":"customer.upserted","occurred_at":"` + now.Format(time.RFC3339) + `","data":{"customer_id":"c1","home_store_id":"s1","phone":"+1 212 555 0147","postal_address":{"line1":"12 Elm St","city":"Springfield","country":"US"}}}`,
		`{"id":"e2","type":"consent.changed","occurred_at":"` + now.Format(time.RFC3339) + `","data":{"customer_id":"c1","channel":"sms","status":"granted","at":"` + now.Format(time.RFC3339) + `","source":"paper","evidence":"Yes, text me"}}`,
	} {
		if rec := postEvent(h, body, signed, "application/json"); rec.Code != http.StatusAccepted {
			t.Fatalf("event: %d %s", rec.Code, rec.Body)
		}
	}
	req := httptest.NewRequest("GET", "/customers/c1", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var got struct {
		Phone         string `json:"phone"`
		PostalAddress struct {
			City string `json:"city"`
		} `json:"postal_address"`
		Consents map[string]struct {
			Status string `json:"status"`
			Source string `json:"source"`
		} `json:"consents"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != http.StatusOK {
		t.Fatalf("%d %s (%v)", rec.Code, rec.Body, err)
	}
	if got.Phone != "+12125550147" || got.PostalAddress.City != "Springfield" {
		t.Errorf("profile %s", rec.Body)
	}
	for _, ch := range loupe.ConsentChannels {
		want := "unknown"
		if ch == "sms" {
			want = "granted"
		}
		if got.Consents[ch].Status != want {
			t.Errorf("consent %s: %+v, want %s", ch, got.Consents[ch], want)
		}
	}
	if !strings.Contains(rec.Body.String(), `"last_contact_at":null`) {
		t.Errorf("profile before any contact lacks last_contact_at null: %s", rec.Body)
	}

	// GET /customers/{id}/contacts: the history, newest first.
	get := func(path string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	for i, occ := range []string{"birthday", "christmas"} {
		err := loupe.RecordContact(context.Background(), db, loupe.Contact{CustomerID: "c1", At: now.Add(time.Duration(i) * time.Hour),
			Channel: "email", Touchpoint: occ, By: loupe.ContactByLoupe, Status: "sent", Ref: occ})
		if err != nil {
			t.Fatal(err)
		}
	}
	rec = get("/customers/c1/contacts")
	want := `{"contacts":[{"at":"` + now.Add(time.Hour).UTC().Format(time.RFC3339Nano) + `","channel":"email","touchpoint":"christmas","by":"loupe","status":"sent"},` +
		`{"at":"` + now.UTC().Format(time.RFC3339Nano) + `","channel":"email","touchpoint":"birthday","by":"loupe","status":"sent"}]}`
	if rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != want {
		t.Errorf("contacts: %d %s\nwant %s", rec.Code, rec.Body, want)
	}
	if rec := get("/customers/c1"); !strings.Contains(rec.Body.String(), `"last_contact_at":"`+now.Add(time.Hour).UTC().Format(time.RFC3339Nano)+`"`) {
		t.Errorf("profile after contacts: %s", rec.Body)
	}
	if rec := get("/customers/nobody/contacts"); rec.Code != http.StatusNotFound {
		t.Errorf("contacts of an unknown client: %d", rec.Code)
	}
}
