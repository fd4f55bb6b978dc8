package httpapi_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestBookList: GET /customers pages a book in customer id order with a
// cursor, filters by name, email or phone, and gives each client its next
// occasion; GET /customers/{id}/purchases lists a client's purchases newest
// first, and GET /customers/{id}/repairs its take-ins newest first without
// the address and phone typed at the counter.
func TestBookList(t *testing.T) {
	c := newRolesChain(t, openDB(t), nil, nil)
	type page struct {
		Customers []struct {
			ID   string `json:"customer_id"`
			Name string `json:"name"`
			Next *struct {
				Touchpoint, Date string
			} `json:"next_occasion"`
		} `json:"customers"`
		Next *string `json:"next_cursor"`
	}
	get := func(path string) page {
		t.Helper()
		code, body := c.call(t, "admin", "GET", path, "")
		if code != 200 {
			t.Fatalf("GET %s: %d %s", path, code, body)
		}
		var p page
		if err := json.Unmarshal([]byte(body), &p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var ids []string
	cursor := ""
	for range 10 {
		p := get("/customers?store_id=s1&limit=2" + cursor)
		for _, cu := range p.Customers {
			ids = append(ids, cu.ID)
		}
		if p.Next == nil {
			break
		}
		cursor = "&cursor=" + *p.Next
	}
	if got := strings.Join(ids, " "); got != "c1 c2 c9 ct1 ct2 ct3" {
		t.Errorf("store s1 in pages of 2: %s", got)
	}
	if p := get("/customers?store_id=s1&q=CT2"); len(p.Customers) != 1 || p.Customers[0].ID != "ct2" {
		t.Errorf("q=CT2: %+v", p.Customers)
	}
	p := get("/customers?associate_id=ada")
	if len(p.Customers) == 0 || p.Customers[0].Next == nil || p.Customers[0].Next.Touchpoint != "birthday" || p.Customers[0].Next.Date != "2026-12-01" {
		t.Errorf("ada's book: %+v", p.Customers)
	}
	for _, bad := range []string{"/customers?store_id=s1&limit=0", "/customers?store_id=s1&limit=201", "/customers?store_id=s1&associate_id=ada"} {
		if code, body := c.call(t, "admin", "GET", bad, ""); code != 400 {
			t.Errorf("GET %s: %d %s", bad, code, body)
		}
	}
	for i, day := range []string{"2026-10-01", "2026-11-01"} {
		ev, _ := json.Marshal(map[string]any{"id": fmt.Sprintf("evt_pp%d", i), "type": "purchase.created", "occurred_at": day + "T15:00:00Z",
			"data": map[string]any{"purchase_id": fmt.Sprintf("pp%d", i), "store_id": "s1", "associate_id": "ada", "customer_id": "c1",
				"total_cents": 1000 * (i + 1), "purchased_at": day + "T15:00:00Z"}})
		if _, err := c.svc.POS.Apply(t.Context(), ev); err != nil {
			t.Fatal(err)
		}
	}
	code, body := c.call(t, "ada", "GET", "/customers/c1/purchases", "")
	if code != 200 || strings.Index(body, `"pp1"`) > strings.Index(body, `"pp0"`) || !strings.Contains(body, `"pp0"`) {
		t.Errorf("purchases: %d %s (want newest first)", code, body)
	}

	code, body = c.call(t, "admin", "GET", "/customers/c2/repairs", "")
	if code != 200 || body != `{"repairs":[]}`+"\n" {
		t.Errorf("repairs of a client without: %d %q, want 200 and an empty list", code, body)
	}
	for i, at := range []string{"2026-10-02T23:30:00Z", "2026-11-03T15:00:00Z", "2026-09-01T15:00:00Z"} {
		ev, _ := json.Marshal(map[string]any{"id": fmt.Sprintf("evt_rr%d", i), "type": "repair.created", "occurred_at": at,
			"data": map[string]any{"repair_id": fmt.Sprintf("rr%d", i), "store_id": "s1", "associate_id": "ada", "customer_id": "c1",
				"customer_email": "typed.at.counter@example.com", "customer_phone": "+12125550199",
				"item": fmt.Sprintf("ring resize %d", i), "taken_in_at": at}})
		if _, err := c.svc.POS.Apply(t.Context(), ev); err != nil {
			t.Fatal(err)
		}
	}
	code, body = c.call(t, "ada", "GET", "/customers/c1/repairs", "")
	var rs struct {
		Repairs []map[string]any `json:"repairs"`
	}
	if err := json.Unmarshal([]byte(body), &rs); code != 200 || err != nil {
		t.Fatalf("repairs: %d %s %v", code, body, err)
	}
	var got []string
	for _, r := range rs.Repairs {
		got = append(got, fmt.Sprint(r["repair_id"], " ", r["local_day"], " ", r["item"], " ", r["associate_id"], " ", r["store_id"]))
	}
	if want := []string{"rr1 2026-11-03 ring resize 1 ada s1", "rr0 2026-10-02 ring resize 0 ada s1", "rr2 2026-09-01 ring resize 2 ada s1"}; !slices.Equal(got, want) {
		t.Errorf("repairs: got %q, want %q (newest first)", got, want)
	}
	if len(rs.Repairs) > 0 && rs.Repairs[0]["taken_in_at"] != "2026-11-03T15:00:00Z" {
		t.Errorf("newest repair taken_in_at: got %v", rs.Repairs[0]["taken_in_at"])
	}
	for _, leak := range []string{"customer_email", "customer_phone", "typed.at.counter", "+12125550199", "customer_id"} {
		if strings.Contains(body, leak) {
			t.Errorf("repairs answer holds %q: %s", leak, body)
		}
	}
}
