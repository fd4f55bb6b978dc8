package httpapi_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/embedded"
	"github.com/loupehq/loupe/shared/httpapi"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/reassign"
)

var reassignAt = time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC)

// reassignFixture stores a chain whose associate a1 (n clients) is terminated
// and reassigned, and returns the API and the batch id.
func reassignFixture(t testing.TB, n int) (http.Handler, *embedded.DB, string) {
	t.Helper()
	ctx := context.Background()
	db := openDB(t)
	t0 := reassignAt.Add(-24 * time.Hour)
	check := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	check(loupe.PutStore(ctx, db, loupe.Store{StoreID: "s1", Name: "Fifth Ave", Timezone: "America/New_York", Country: "US", UpdatedAt: t0}))
	for _, a := range []loupe.Associate{
		{AssociateID: "a1", StoreID: "s1", Name: "Ann Departed", Status: loupe.StatusActive, UpdatedAt: t0},
		{AssociateID: "a2", StoreID: "s1", Name: "Beatrice Bridal-Specialist", Strengths: []string{"bridal"}, Capacity: 500, Status: loupe.StatusActive, UpdatedAt: t0},
		{AssociateID: "a3", StoreID: "s1", Name: "Cal Watches", Strengths: []string{"watches"}, Capacity: 500, Status: loupe.StatusActive, UpdatedAt: t0},
		{AssociateID: "a9", StoreID: "s1", Name: "Gone Before", Status: loupe.StatusTerminated, UpdatedAt: t0},
	} {
		check(loupe.PutAssociate(ctx, db, a))
	}
	prefs := [][]string{{"bridal"}, {"watches"}, {"bridal", "diamonds", "colored_gemstones"}, nil}
	for i := range n {
		check(loupe.PutCustomer(ctx, db, loupe.Customer{CustomerID: fmt.Sprintf("c%04d", i), HomeStoreID: "s1",
			FirstName: "Client", LastName: fmt.Sprintf("Nr%03d", i), Preferences: prefs[i%len(prefs)], AssociateID: "a1", UpdatedAt: t0}))
	}
	check(loupe.TerminateAssociate(ctx, db, "a1", reassignAt, reassignAt))
	svc := reassign.New(db, db, nil, func() time.Time { return reassignAt }, reassign.Config{Logger: quietLogger()})
	b, err := svc.Reassign(ctx, "a1")
	check(err)
	h := httpapi.New(httpapi.Config{DB: db, APIToken: token, Reassign: svc, Now: func() time.Time { return reassignAt }, Logger: quietLogger()})
	return h, db, b.ID
}

func staffGet(h http.Handler, path string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestReassignmentRoutes(t *testing.T) {
	h, _, id := reassignFixture(t, 12)

	rec := staffGet(h, "/reassignments")
	if rec.Code != http.StatusOK {
		t.Fatalf("list status = %d, want 200: %s", rec.Code, rec.Body)
	}
	var list struct {
		Reassignments []map[string]any `json:"reassignments"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Reassignments) != 1 {
		t.Fatalf("list = %s", rec.Body)
	}
	for _, k := range []string{"id", "associate_id", "store_id", "created_at", "clients", "status"} {
		if _, ok := list.Reassignments[0][k]; !ok {
			t.Errorf("list entry lacks %q", k)
		}
	}
	if got := list.Reassignments[0]["clients"]; got != float64(12) {
		t.Errorf("clients = %v, want 12", got)
	}

	rec = staffGet(h, "/reassignments/"+id)
	if rec.Code != http.StatusOK {
		t.Fatalf("detail status = %d: %s", rec.Code, rec.Body)
	}
	var detail struct {
		ID, AssociateID string
		Assignments     []map[string]any `json:"assignments"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &detail); err != nil {
		t.Fatal(err)
	}
	if len(detail.Assignments) != 12 {
		t.Fatalf("assignments = %d, want 12", len(detail.Assignments))
	}
	for _, k := range []string{"customer_id", "customer_name", "from_associate_id", "to_associate_id", "to_associate_name", "score", "reasons", "claimed"} {
		if _, ok := detail.Assignments[0][k]; !ok {
			t.Errorf("assignment lacks %q", k)
		}
	}

	rec = staffGet(h, "/reassignments/"+id+".csv")
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/csv") ||
		!strings.Contains(rec.Header().Get("Content-Disposition"), `filename=reassignment-`+id+`.csv`) {
		t.Fatalf("csv: %d %q %q", rec.Code, rec.Header().Get("Content-Type"), rec.Header().Get("Content-Disposition"))
	}
	rows, err := csv.NewReader(rec.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(rows), 13; got != want {
		t.Fatalf("csv rows = %d, want %d (header + 12)", got, want)
	}
	if rows[0][0] != "customer_id" || rows[1][0] != "c0000" {
		t.Fatalf("csv starts %v / %v", rows[0], rows[1])
	}

	rec = staffGet(h, "/reassignments/"+id+"/print")
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("print: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	body := rec.Body.String()
	for _, want := range []string{"@page { size: auto; margin: 12mm }", "Connection / notes", "c0011", "Client Nr011", "display: table-header-group"} {
		if !strings.Contains(body, want) {
			t.Errorf("print page lacks %q", want)
		}
	}

	for _, path := range []string{"/reassignments/nope", "/reassignments/nope.csv", "/reassignments/nope/print"} {
		if rec := staffGet(h, path); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, rec.Code)
		}
	}
	for _, path := range []string{"/reassignments", "/reassignments/" + id, "/reassignments/" + id + ".csv", "/reassignments/" + id + "/print"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusUnauthorized {
			t.Errorf("GET %s without token = %d, want 401", path, rec.Code)
		}
	}
}

func TestReassignmentClaims(t *testing.T) {
	h, db, id := reassignFixture(t, 6)
	post := func(body string, auth bool) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/reassignments/"+id+"/claims", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if auth {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	tests := []struct {
		name   string
		body   string
		auth   bool
		status int
		field  string
	}{
		{"no token", `{"customer_id":"c0001","associate_id":"a3"}`, false, 401, ""},
		{"inactive associate", `{"customer_id":"c0001","associate_id":"a9"}`, true, 400, "associate_id"},
		{"unknown associate", `{"customer_id":"c0001","associate_id":"zz"}`, true, 400, "associate_id"},
		{"client not in list", `{"customer_id":"c9999","associate_id":"a3"}`, true, 400, "customer_id"},
		{"missing customer", `{"associate_id":"a3"}`, true, 400, "customer_id"},
		{"missing associate", `{"customer_id":"c0001"}`, true, 400, "associate_id"},
		{"unknown field", `{"customer_id":"c0001","associate_id":"a3","x":1}`, true, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := post(tt.body, tt.auth)
			if rec.Code != tt.status {
				t.Fatalf("status = %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			var eb errorBody
			json.Unmarshal(rec.Body.Bytes(), &eb)
			if eb.Error.Field != tt.field {
				t.Fatalf("field = %q, want %q", eb.Error.Field, tt.field)
			}
		})
	}
	c, _ := db.GetCustomer(context.Background(), "c0000")
	target := "a3"
	if c.AssociateID == "a3" {
		target = "a2"
	}
	for range 2 { // the second claim is idempotent
		rec := post(`{"customer_id":"c0000","associate_id":"`+target+`"}`, true)
		if rec.Code != http.StatusOK {
			t.Fatalf("claim = %d: %s", rec.Code, rec.Body)
		}
		var got map[string]any
		json.Unmarshal(rec.Body.Bytes(), &got)
		if got["claimed"] != true || got["customer_id"] != "c0000" || got["claimed_by"] != target {
			t.Fatalf("claim answer = %s", rec.Body)
		}
	}
	if c, _ := db.GetCustomer(context.Background(), "c0000"); c.AssociateID != target {
		t.Fatalf("owner = %q, want %q", c.AssociateID, target)
	}
	rec := staffGet(h, "/reassignments/"+id)
	if !strings.Contains(rec.Body.String(), `"claimed":true`) {
		t.Fatalf("detail does not show the claim")
	}
}

func TestReassignmentRoutesUnconfigured(t *testing.T) {
	h := httpapi.New(httpapi.Config{DB: openDB(t), APIToken: token, Logger: quietLogger()})
	if rec := staffGet(h, "/reassignments"); rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("status = %d, want 503", rec.Code)
	}
}
