package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

type todayBody struct {
	Date        string `json:"date"`
	AssociateID string `json:"associate_id"`
	Tasks       []struct {
		TaskID     string  `json:"task_id"`
		CustomerID string  `json:"customer_id"`
		Name       string  `json:"customer_name"`
		Reason     string  `json:"reason"`
		Detail     string  `json:"detail"`
		Suggested  string  `json:"suggested_channel"`
		Outcome    *string `json:"outcome"`
	} `json:"tasks"`
}

func (c *rolesChain) today(t *testing.T, who, query string) (todayBody, string) {
	t.Helper()
	code, body := c.call(t, who, "GET", "/me/today"+query, "")
	if code != 200 {
		t.Fatalf("GET /me/today%s as %s: %d %s", query, who, code, body)
	}
	var v todayBody
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatal(err)
	}
	return v, body
}

// TestTodayList is issue 17's "done when" through the routes, on both
// stores: the associate who received a departed colleague's clients sees
// them first; the list is the same on every read of the day; "reached"
// shows on the task and in the client's history, and the client is not
// new_client the next day; the first outcome stands; a purchase of two
// days ago is a thank_you; someone else's task is 403; a manager reads the
// list and the team's week; a second claim is 409.
func TestTodayList(t *testing.T) { onBothStores(t, todayList) }

func todayList(t *testing.T, c *rolesChain) {
	ctx := context.Background()
	// Who got tom's clients.
	code, body := c.call(t, "admin", "GET", "/reassignments/"+c.batch, "")
	if code != 200 {
		t.Fatalf("review: %d %s", code, body)
	}
	var rv struct {
		Assignments []struct {
			CustomerID string `json:"customer_id"`
			To         string `json:"to_associate_id"`
		} `json:"assignments"`
	}
	if err := json.Unmarshal([]byte(body), &rv); err != nil {
		t.Fatal(err)
	}
	moved := map[string]string{} // customer -> new associate
	for _, a := range rv.Assignments {
		moved[a.CustomerID] = a.To
	}
	who := moved["ct1"]
	if who == "" {
		t.Fatalf("ct1 was not reassigned: %+v", rv)
	}
	// A purchase two days ago, sold by ada to c1.
	ev, _ := json.Marshal(map[string]any{"id": "evt_buy", "type": "purchase.created", "occurred_at": c.now.Add(-48 * time.Hour).Format(time.RFC3339),
		"data": map[string]any{"purchase_id": "p1", "store_id": "s1", "associate_id": "ada", "customer_id": "c1", "total_cents": 125000,
			"categories": []string{"diamonds"}, "purchased_at": c.now.Add(-48 * time.Hour).Format(time.RFC3339)}})
	if _, err := c.svc.POS.Apply(ctx, ev); err != nil {
		t.Fatal(err)
	}

	first, raw := c.today(t, who, "")
	if first.Date != "2026-11-20" || first.AssociateID != who || len(first.Tasks) == 0 {
		t.Fatalf("%s's list: %s", who, raw)
	}
	var newOnes []string
	for i, task := range first.Tasks {
		if task.Reason == "new_client" {
			if i != len(newOnes) {
				t.Errorf("new_client task %d comes after other reasons: %s", i, raw)
			}
			newOnes = append(newOnes, task.CustomerID)
			if moved[task.CustomerID] != who {
				t.Errorf("new_client %s was not moved to %s", task.CustomerID, who)
			}
		}
		if task.Outcome != nil || task.Name == "" || task.Suggested == "" {
			t.Errorf("task %+v", task)
		}
	}
	want := 0
	for _, to := range moved {
		if to == who {
			want++
		}
	}
	if len(newOnes) != want {
		t.Errorf("%s has %d new_client tasks, want the %d clients moved to them: %s", who, len(newOnes), want, raw)
	}
	if _, again := c.today(t, who, ""); again != raw {
		t.Errorf("second read differs:\n%s\n%s", raw, again)
	}
	if who == "ada" {
		if !strings.Contains(raw, `"customer_id":"c1","customer_name":"Fc1"`) || !strings.Contains(raw, `"reason":"thank_you"`) {
			t.Errorf("ada's list has no thank_you for c1's purchase of two days ago: %s", raw)
		}
	}
	// ada's own list also has the thank_you whoever got tom's clients.
	if _, adas := c.today(t, "ada", ""); !strings.Contains(adas, `"reason":"thank_you"`) {
		t.Errorf("ada's list: no thank_you: %s", adas)
	}

	// Log "reached"; the first outcome stands.
	task := first.Tasks[0]
	path := "/tasks/" + task.TaskID + "/outcome"
	if code, body := c.call(t, who, "POST", path, `{"outcome":"reached","note":"Loves pearls; call back in spring"}`); code != 200 ||
		!strings.Contains(body, `"outcome":"reached"`) {
		t.Fatalf("outcome: %d %s", code, body)
	}
	if code, body := c.call(t, who, "POST", path, `{"outcome":"no_answer"}`); code != 200 || !strings.Contains(body, `"outcome":"reached"`) {
		t.Errorf("second outcome: %d %s (the first stands)", code, body)
	}
	for _, bad := range []struct {
		who, path, body string
		code            int
		text            string
	}{
		{"bob", path, `{"outcome":"reached"}`, 403, "forbidden"},
		{"meg", path, `{"outcome":"reached"}`, 403, "forbidden"},
		{who, path, `{"outcome":"waved"}`, 400, `"field":"outcome"`},
		{who, path, `{"outcome":"reached","note":"` + strings.Repeat("x", 2001) + `"}`, 400, `"field":"note"`},
		{who, "/tasks/" + task.TaskID + "x/outcome", `{"outcome":"reached"}`, 404, "not_found"},
	} {
		if code, body := c.call(t, bad.who, "POST", bad.path, bad.body); code != bad.code || !strings.Contains(body, bad.text) {
			t.Errorf("POST %s as %s %.40s: %d %s, want %d with %s", bad.path, bad.who, bad.body, code, body, bad.code, bad.text)
		}
	}
	after, _ := c.today(t, who, "")
	if after.Tasks[0].Outcome == nil || *after.Tasks[0].Outcome != "reached" {
		t.Errorf("the task does not show its outcome: %+v", after.Tasks[0])
	}
	code, body = c.call(t, who, "GET", "/customers/"+task.CustomerID+"/contacts", "")
	if code != 200 || !strings.Contains(body, `"channel":"personal"`) || !strings.Contains(body, `"outcome":"reached"`) ||
		!strings.Contains(body, fmt.Sprintf(`"by":%q`, who)) || !strings.Contains(body, "Loves pearls") {
		t.Errorf("history: %d %s", code, body)
	}
	// The manager reads the list and the week.
	if _, mv := c.today(t, "max", "?associate_id="+who); !strings.Contains(mv, `"outcome":"reached"`) {
		t.Errorf("the manager's view of %s: %s", who, mv)
	}
	code, body = c.call(t, "max", "GET", "/stores/s1/progress", "")
	if code != 200 || !strings.Contains(body, fmt.Sprintf(`"associate_id":%q`, who)) || !strings.Contains(body, `"worked":1`) {
		t.Errorf("progress: %d %s", code, body)
	}

	// The next day: the reached client is not new_client (inside the cap,
	// it is not listed at all); the others still are.
	c.now = c.now.Add(24 * time.Hour)
	c.signIn()
	next, raw := c.today(t, who, "")
	if next.Date != "2026-11-21" {
		t.Fatalf("next day: %s", raw)
	}
	for _, tk := range next.Tasks {
		if tk.CustomerID == task.CustomerID {
			t.Errorf("the client reached yesterday is listed again as %s: %s", tk.Reason, raw)
		}
	}
	if task.Reason == "new_client" && len(newOnes) > 1 && (len(next.Tasks) == 0 || next.Tasks[0].Reason != "new_client") {
		t.Errorf("the other new clients are not first: %s", raw)
	}
	// A past day shows its stored list.
	if old, _ := c.today(t, who, "?date=2026-11-20"); len(old.Tasks) != len(first.Tasks) {
		t.Errorf("yesterday's list has %d tasks, want %d", len(old.Tasks), len(first.Tasks))
	}
	if code, _ := c.call(t, who, "GET", "/me/today?date=2026-11-22", ""); code != 400 {
		t.Errorf("a future day: %d, want 400", code)
	}

	// A second claim of a claimed client is 409.
	claim := func(who, customer, to string) (int, string) {
		return c.call(t, who, "POST", "/reassignments/"+c.batch+"/claims", fmt.Sprintf(`{"customer_id":%q,"associate_id":%q}`, customer, to))
	}
	if code, body := claim("ada", "ct2", "ada"); code != 200 {
		t.Fatalf("claim: %d %s", code, body)
	}
	if code, body := claim("bea", "ct2", "bea"); code != 409 || !strings.Contains(body, "ada") {
		t.Errorf("second claim: %d %s, want 409 naming ada", code, body)
	}
	c.now = c.now.Add(24 * time.Hour)
	c.signIn()
	if claimed, raw := c.today(t, "ada", ""); !strings.Contains(raw, `"customer_id":"ct2"`) {
		t.Errorf("the claimed client is not on ada's next list: %+v", claimed)
	}
}
