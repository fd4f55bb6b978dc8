package main

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/wire"
)

// TestDemoToday is issue 17's "done when" on `loupe demo`: the printed demo
// associate signs in with the printed link and sees the clients they just
// received from a departed colleague first, then this week's occasions and
// the thank-you of a sale two days ago; logging "reached" shows on the task
// and in the client's history; the manager signs in too, sees the team's
// week, and a second claim of a claimed client answers 409.
func TestDemoToday(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 5,000 clients")
	}
	t.Setenv(wire.EnvAPIToken, "")
	t.Setenv(wire.EnvWebhookSecret, "")
	url, stdout, _ := startServer(t, "demo", "--data", t.TempDir())
	linkRe := regexp.MustCompile(`(associate|manager) [^\n]*\(([^)\s]+)\): \S+#code=([A-Za-z0-9_-]+)`)
	var found [][]string
	for deadline := time.Now().Add(30 * time.Second); len(found) < 2; time.Sleep(50 * time.Millisecond) {
		if found = linkRe.FindAllStringSubmatch(stdout.String(), -1); time.Now().After(deadline) {
			t.Fatalf("demo printed no sign-in links for an associate and a manager:\n%s", stdout.String())
		}
	}
	if !strings.Contains(found[0][0], "who just received") {
		t.Errorf("the demo associate did not receive clients: %s", found[0][0])
	}
	call := func(method, path, token, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, url+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	signIn := func(code string) (string, string) {
		t.Helper()
		status, body := call("POST", "/auth/token", "", `{"code":"`+code+`"}`)
		var tok struct {
			AccessToken string `json:"access_token"`
			AssociateID string `json:"associate_id"`
		}
		if status != 200 || json.Unmarshal([]byte(body), &tok) != nil || tok.AccessToken == "" {
			t.Fatalf("sign in: %d %s", status, body)
		}
		return tok.AccessToken, tok.AssociateID
	}
	assocToken, assocID := signIn(found[0][3])
	managerToken, _ := signIn(found[1][3])

	status, body := call("GET", "/me/today", assocToken, "")
	var list struct {
		Tasks []struct {
			TaskID     string `json:"task_id"`
			CustomerID string `json:"customer_id"`
			Reason     string `json:"reason"`
		} `json:"tasks"`
	}
	if status != 200 || json.Unmarshal([]byte(body), &list) != nil || len(list.Tasks) != 10 {
		t.Fatalf("GET /me/today: %d %s", status, body)
	}
	reasons := map[string]int{}
	for i, task := range list.Tasks {
		reasons[task.Reason]++
		if (i < 5) != (task.Reason == "new_client") {
			t.Errorf("task %d is %s; want the new clients first, at least five of them: %s", i, task.Reason, body)
			break
		}
	}
	if reasons["thank_you"] == 0 || reasons["birthday"]+reasons["anniversary"] == 0 {
		t.Errorf("the demo list has no occasion or no thank-you: %v", reasons)
	}
	first := list.Tasks[0]
	if status, body := call("POST", "/tasks/"+first.TaskID+"/outcome", assocToken, `{"outcome":"reached","note":"introduced myself"}`); status != 200 ||
		!strings.Contains(body, `"outcome":"reached"`) {
		t.Fatalf("outcome: %d %s", status, body)
	}
	if _, again := call("GET", "/me/today", assocToken, ""); !strings.Contains(again, `"outcome":"reached"`) ||
		!strings.HasPrefix(again[strings.Index(again, `"tasks"`):], `"tasks":[{"task_id":"`+first.TaskID) {
		t.Errorf("the list after the outcome: %s", again)
	}
	if status, body := call("GET", "/customers/"+first.CustomerID+"/contacts", assocToken, ""); status != 200 ||
		!strings.Contains(body, `"outcome":"reached"`) || !strings.Contains(body, `"by":"`+assocID+`"`) {
		t.Errorf("history: %d %s", status, body)
	}
	if status, body := call("GET", "/stores/nyc/progress", managerToken, ""); status != 200 || !strings.Contains(body, `"worked":1`) {
		t.Errorf("the manager's week: %d %s", status, body)
	}

	// Claims: the demo associate claims a client of the review list; a
	// claim of it by another associate is 409.
	status, body = call("GET", "/reassignments", managerToken, "")
	var batches struct {
		Reassignments []struct{ ID string } `json:"reassignments"`
	}
	if status != 200 || json.Unmarshal([]byte(body), &batches) != nil || len(batches.Reassignments) == 0 {
		t.Fatalf("review lists: %d %s", status, body)
	}
	review := "/reassignments/" + batches.Reassignments[0].ID
	status, body = call("GET", review, managerToken, "")
	var rv struct {
		Assignments []struct {
			CustomerID string `json:"customer_id"`
			To         string `json:"to_associate_id"`
		} `json:"assignments"`
	}
	if status != 200 || json.Unmarshal([]byte(body), &rv) != nil {
		t.Fatalf("review list: %d %s", status, body)
	}
	var other, client string
	for _, a := range rv.Assignments {
		if a.To != assocID {
			other, client = a.To, a.CustomerID
			break
		}
	}
	claim := func(token, to string) (int, string) {
		return call("POST", review+"/claims", token, `{"customer_id":"`+client+`","associate_id":"`+to+`"}`)
	}
	if status, body := claim(assocToken, assocID); status != 200 {
		t.Fatalf("claim: %d %s", status, body)
	}
	if status, body := claim(managerToken, other); status != 409 || !strings.Contains(body, assocID) {
		t.Errorf("second claim: %d %s, want 409 naming %s", status, body, assocID)
	}
}
