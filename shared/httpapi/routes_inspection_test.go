package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/loupehq/loupe/shared/compliance"
	"github.com/loupehq/loupe/shared/httpapi"
	"github.com/loupehq/loupe/shared/pos"
)

// inspectionAPI serves a chain of store s1 (New York) on an embedded store,
// its compliance service keeping inspections there too.
func inspectionAPI(t *testing.T) http.Handler {
	t.Helper()
	db := openDB(t)
	svc := &compliance.Service{Store: db.Compliance(), Inspections: db.Compliance(), Stores: db, Associates: db, Now: clock, Log: quietLogger()}
	h := httpapi.New(httpapi.Config{DB: db, Events: posService(db), WebhookSecrets: []string{secret}, APIToken: token, Compliance: svc, Now: clock, Logger: quietLogger()})
	postStore(t, h, "evt_s1", "2026-11-01T00:00:00Z")
	return h
}

func postStore(t *testing.T, h http.Handler, id, at string) {
	t.Helper()
	body := fmt.Sprintf(`{"id":%q,"type":%q,"occurred_at":%q,"data":{"store_id":"s1","name":"Fifth Ave","timezone":"America/New_York","country":"US","manager_email":"mgr@chain.com"}}`,
		id, pos.TypeStoreUpserted, at)
	if rec := postEvent(h, body, signed, "application/json"); rec.Code != http.StatusAccepted {
		t.Fatalf("post store: status %d, body %s", rec.Code, rec.Body)
	}
}

func send(h http.Handler, method, target, body, bearer string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestInspectionRoute(t *testing.T) {
	// now is 2026-11-20T15:04:05Z: 10:04 on the 20th in New York.
	tests := []struct {
		name, method, target, body, bearer string
		status                             int
		want                               string // from..to, or the error field
	}{
		{"no token", http.MethodPut, "/stores/s1/inspection", "", "", http.StatusUnauthorized, ""},
		{"wrong token", http.MethodGet, "/stores/s1/inspection", "", "nope", http.StatusUnauthorized, ""},
		{"none yet", http.MethodGet, "/stores/s1/inspection", "", token, http.StatusNotFound, ""},
		{"defaults", http.MethodPut, "/stores/s1/inspection", "", token, http.StatusOK, "2026-11-20..2026-12-03"},
		{"empty object", http.MethodPut, "/stores/s1/inspection", `{}`, token, http.StatusOK, "2026-11-20..2026-12-03"},
		{"from only", http.MethodPut, "/stores/s1/inspection", `{"from":"2026-11-25"}`, token, http.StatusOK, "2026-11-25..2026-12-08"},
		{"read back", http.MethodGet, "/stores/s1/inspection", "", token, http.StatusOK, "2026-11-25..2026-12-08"},
		{"31 days", http.MethodPut, "/stores/s1/inspection", `{"from":"2026-12-01","to":"2026-12-31"}`, token, http.StatusOK, "2026-12-01..2026-12-31"},
		{"32 days", http.MethodPut, "/stores/s1/inspection", `{"from":"2026-12-01","to":"2027-01-01"}`, token, http.StatusBadRequest, "to"},
		{"bad from", http.MethodPut, "/stores/s1/inspection", `{"from":"12/01/2026"}`, token, http.StatusBadRequest, "from"},
		{"to before from", http.MethodPut, "/stores/s1/inspection", `{"from":"2026-12-02","to":"2026-12-01"}`, token, http.StatusBadRequest, "to"},
		{"wrong type", http.MethodPut, "/stores/s1/inspection", `{"from":20261201}`, token, http.StatusBadRequest, "from"},
		{"unknown store", http.MethodPut, "/stores/zz/inspection", "", token, http.StatusNotFound, ""},
		{"unknown store get", http.MethodGet, "/stores/zz/inspection", "", token, http.StatusNotFound, ""},
		{"unknown store delete", http.MethodDelete, "/stores/zz/inspection", "", token, http.StatusNotFound, ""},
		{"still there", http.MethodGet, "/stores/s1/inspection", "", token, http.StatusOK, "2026-12-01..2026-12-31"},
		{"stop", http.MethodDelete, "/stores/s1/inspection", "", token, http.StatusNoContent, ""},
		{"stop again", http.MethodDelete, "/stores/s1/inspection", "", token, http.StatusNoContent, ""},
		{"gone", http.MethodGet, "/stores/s1/inspection", "", token, http.StatusNotFound, ""},
	}
	h := inspectionAPI(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := send(h, tt.method, tt.target, tt.body, tt.bearer)
			if rec.Code != tt.status {
				t.Fatalf("%s %s: status %d, want %d; body %s", tt.method, tt.target, rec.Code, tt.status, rec.Body)
			}
			switch {
			case tt.status == http.StatusOK:
				var in compliance.Inspection
				if err := json.Unmarshal(rec.Body.Bytes(), &in); err != nil {
					t.Fatal(err)
				}
				if got := in.From + ".." + in.To; got != tt.want || in.StoreID != "s1" {
					t.Fatalf("inspection = %+v, want %s", in, tt.want)
				}
			case tt.status >= 400:
				var e errorBody
				if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
					t.Fatalf("error body %s: %v", rec.Body, err)
				}
				if e.Error.Field != tt.want {
					t.Fatalf("error field = %q, want %q (%s)", e.Error.Field, tt.want, rec.Body)
				}
			}
		})
	}
}

func TestInspectionSurvivesStoreUpsert(t *testing.T) {
	h := inspectionAPI(t)
	if rec := send(h, http.MethodPut, "/stores/s1/inspection", `{"from":"2026-11-20"}`, token); rec.Code != http.StatusOK {
		t.Fatalf("put: %d %s", rec.Code, rec.Body)
	}
	postStore(t, h, "evt_s1_again", "2026-11-20T12:00:00Z")
	rec := send(h, http.MethodGet, "/stores/s1/inspection", "", token)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"to":"2026-12-03"`) {
		t.Fatalf("after store.upserted: %d %s", rec.Code, rec.Body)
	}
}

func TestInspectionRouteUnconfigured(t *testing.T) {
	db := openDB(t)
	h := httpapi.New(httpapi.Config{DB: db, APIToken: token, Now: clock, Logger: quietLogger()})
	if rec := send(h, http.MethodGet, "/stores/s1/inspection", "", token); rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", rec.Code)
	}
}
