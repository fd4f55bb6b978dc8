package httpapi_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/httpapi"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/testkit/postest"
	"github.com/loupehq/loupe/shared/testkit/storetest"
	"github.com/loupehq/loupe/shared/unsub"
)

var signer = unsub.New([]byte("unsubscribe-secret-for-tests"))

// privacyAPI returns an API on a fresh embedded store holding customers c1
// (ok) and c2 (bounced), and the buffer its log lines go to.
func privacyAPI(t *testing.T) (http.Handler, storetest.PrivacyDB, *bytes.Buffer) {
	t.Helper()
	db := openDB(t)
	ctx := context.Background()
	for _, c := range []loupe.Customer{storetest.Customer("c1", "s1", "a1"), storetest.Customer("c2", "s1", "a1")} {
		if err := loupe.PutCustomer(ctx, db, c); err != nil {
			t.Fatalf("put customer: %v", err)
		}
	}
	if err := db.SetEmailStatus(ctx, "c2", loupe.EmailBounced, now); err != nil {
		t.Fatalf("bounce c2: %v", err)
	}
	var logs bytes.Buffer
	h := httpapi.New(httpapi.Config{
		DB: db, Privacy: db, APIToken: token, Unsubscribe: signer, Now: clock,
		Erase:  func(ctx context.Context, id string, at time.Time) error { return loupe.Erase(ctx, db, id, at) },
		Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	return h, db, &logs
}

func do(h http.Handler, method, target, bearer, contentType, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

const oneClick = "List-Unsubscribe=One-Click"
const form = "application/x-www-form-urlencoded"

func TestUnsubscribeRoutes(t *testing.T) {
	h, db, logs := privacyAPI(t)
	forged := signer.Token("c1")[:len(signer.Token("c1"))-2] + "AA"
	other := unsub.New([]byte("another-secret-entirely")).Token("c1")
	cases := []struct {
		name, method, path, ctype, body string
		wantCode                        int
		wantBody                        string
		customer, wantStatus            string
	}{
		{"page", "GET", "/u/" + signer.Token("c1"), "", "", 200, `<form method="post">`, "c1", loupe.EmailOK},
		{"page of forged token", "GET", "/u/" + forged, "", "", 404, `"not_found"`, "c1", loupe.EmailOK},
		{"page of another secret's token", "GET", "/u/" + other, "", "", 404, `"not_found"`, "c1", loupe.EmailOK},
		{"one-click", "POST", "/u/" + signer.Token("c1"), form, oneClick, 200, "You are unsubscribed", "c1", loupe.EmailUnsubscribed},
		{"one-click again", "POST", "/u/" + signer.Token("c1"), form, oneClick, 200, "You are unsubscribed", "c1", loupe.EmailUnsubscribed},
		{"any body", "POST", "/u/" + signer.Token("c1"), "text/plain", "whatever", 200, "You are unsubscribed", "c1", loupe.EmailUnsubscribed},
		{"forged one-click", "POST", "/u/" + forged, form, oneClick, 404, `"not_found"`, "c1", loupe.EmailUnsubscribed},
		{"bounce stays", "POST", "/u/" + signer.Token("c2"), form, oneClick, 200, "You are unsubscribed", "c2", loupe.EmailBounced},
		{"unknown customer", "POST", "/u/" + signer.Token("nobody"), form, oneClick, 200, "You are unsubscribed", "c2", loupe.EmailBounced},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(h, tc.method, tc.path, "", tc.ctype, tc.body)
			if got := rec.Code; got != tc.wantCode {
				t.Fatalf("got status %d, want %d (body %s)", got, tc.wantCode, rec.Body)
			}
			if !strings.Contains(rec.Body.String(), tc.wantBody) {
				t.Errorf("got body %q, want it to contain %q", rec.Body, tc.wantBody)
			}
			c, err := db.GetCustomer(context.Background(), tc.customer)
			if err != nil {
				t.Fatalf("get customer: %v", err)
			}
			if c.EmailStatus != tc.wantStatus {
				t.Errorf("got email status %q, want %q", c.EmailStatus, tc.wantStatus)
			}
			if rec.Code == 200 {
				if strings.Contains(rec.Body.String(), c.Email) || strings.Contains(rec.Body.String(), c.FirstName) {
					t.Errorf("page shows customer data: %s", rec.Body)
				}
				if got := rec.Header().Get("Referrer-Policy"); got != "no-referrer" {
					t.Errorf("got Referrer-Policy %q, want no-referrer", got)
				}
			}
		})
	}
	assertNoPersonalData(t, logs.String())
	if strings.Contains(logs.String(), signer.Token("c1")) {
		t.Errorf("log holds an unsubscribe token:\n%s", logs)
	}
}

func TestUnsubscribeNotConfigured(t *testing.T) {
	h := httpapi.New(httpapi.Config{DB: postest.NewMemDB(), APIToken: token, Now: clock, Logger: quietLogger()})
	for _, method := range []string{"GET", "POST"} {
		if got := do(h, method, "/u/"+signer.Token("c1"), "", form, oneClick).Code; got != http.StatusServiceUnavailable {
			t.Errorf("%s without signer: got %d, want 503", method, got)
		}
	}
	// No erasure configured.
	if got := do(h, "DELETE", "/customers/c1", token, "", "").Code; got != http.StatusServiceUnavailable {
		t.Errorf("DELETE without erasure: got %d, want 503", got)
	}
}

func TestDeleteCustomer(t *testing.T) {
	h, db, logs := privacyAPI(t)
	ctx := context.Background()
	c1 := storetest.Customer("c1", "s1", "a1")

	if got := do(h, "DELETE", "/customers/c1", "", "", "").Code; got != http.StatusUnauthorized {
		t.Fatalf("without token: got %d, want 401", got)
	}
	for i := range 2 {
		if rec := do(h, "DELETE", "/customers/c1", token, "", ""); rec.Code != http.StatusNoContent {
			t.Fatalf("delete %d: got %d, want 204 (%s)", i, rec.Code, rec.Body)
		}
	}
	if got := do(h, "GET", "/customers/c1", token, "", "").Code; got != http.StatusNotFound {
		t.Errorf("get erased: got %d, want 404", got)
	}
	if got := do(h, "GET", "/customers/c2", token, "", "").Code; got != http.StatusOK {
		t.Errorf("get other: got %d, want 200", got)
	}
	if ok, err := db.Suppressed(ctx, c1.Email); err != nil || !ok {
		t.Errorf("Suppressed(erased address): got %v, %v, want true", ok, err)
	}
	if got := do(h, "DELETE", "/customers/"+strings.Repeat("x", 300), token, "", "").Code; got != http.StatusNotFound {
		t.Errorf("invalid id: got %d, want 404", got)
	}
	if rec := do(h, "DELETE", "/customers/nobody", token, "", ""); rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "not found") {
		t.Errorf("unknown id: got %d %s, want 404", rec.Code, rec.Body)
	}
	// An erased customer's unsubscribe link still answers, and changes nothing.
	if got := do(h, "POST", "/u/"+signer.Token("c1"), "", form, oneClick).Code; got != http.StatusOK {
		t.Errorf("unsubscribe after erasure: got %d, want 200", got)
	}
	if _, err := db.GetCustomer(ctx, "c1"); loupe.ErrorCode(err) != loupe.ENOTFOUND {
		t.Errorf("customer after unsubscribe of erased: got %v, want not found", err)
	}
	assertNoPersonalData(t, logs.String())
	if !strings.Contains(logs.String(), `"customer_id":"c1"`) {
		t.Errorf("log does not name the erased customer id:\n%s", logs)
	}
}

// assertNoPersonalData fails when the log holds a sample customer's email,
// name or phone.
func assertNoPersonalData(t *testing.T, log string) {
	t.Helper()
	for _, id := range []string{"c1", "c2"} {
		c := storetest.Customer(id, "s1", "a1")
		for _, v := range []string{c.Email, c.FirstName, c.LastName, c.Phone, "@client.example.com"} {
			if strings.Contains(log, v) {
				t.Errorf("log holds %q:\n%s", v, log)
			}
		}
	}
}
