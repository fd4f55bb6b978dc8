package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/loupehq/loupe/shared/compliance"
	"github.com/loupehq/loupe/shared/dynamo"
	"github.com/loupehq/loupe/shared/embedded"
	"github.com/loupehq/loupe/shared/httpapi"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/pos"
	"github.com/loupehq/loupe/shared/reassign"
	"github.com/loupehq/loupe/shared/testkit/postest"
	"github.com/loupehq/loupe/shared/touch"
	"github.com/loupehq/loupe/shared/unsub"
)

// What the wiring hands to Config serves its ports.
var (
	_ httpapi.Records       = (*embedded.DB)(nil)
	_ httpapi.Records       = (*dynamo.DB)(nil)
	_ httpapi.Records       = (*postest.MemDB)(nil)
	_ loupe.Privacy         = (*embedded.DB)(nil)
	_ loupe.Privacy         = (*dynamo.DB)(nil)
	_ httpapi.Events        = (*pos.Service)(nil)
	_ httpapi.Compliance    = (*compliance.Service)(nil)
	_ httpapi.Reassignments = (*reassign.Service)(nil)
	_ httpapi.Touchpoints   = (*touch.Planner)(nil)
	_ httpapi.Campaigns     = touch.Campaigns(nil)
	_ httpapi.Campaigns     = (*embedded.Ledger)(nil)
	_ httpapi.Campaigns     = (*dynamo.Ledger)(nil)
	_ httpapi.Unsubscriber  = (*unsub.Signer)(nil)
)

// fakeCompliance answers Report with rep or err and records the query.
type fakeCompliance struct {
	rep  compliance.Report
	err  error
	args []string // from, to, store_id of the last Report
}

func (f *fakeCompliance) Report(ctx context.Context, from, to, storeID string) (compliance.Report, error) {
	f.args = []string{from, to, storeID}
	return f.rep, f.err
}

func (f *fakeCompliance) StartInspection(ctx context.Context, storeID, from, to string) (compliance.Inspection, error) {
	return compliance.Inspection{StoreID: storeID, From: from, To: to}, nil
}

func (f *fakeCompliance) Inspection(ctx context.Context, storeID string) (compliance.Inspection, error) {
	return compliance.Inspection{}, loupe.Errorf(loupe.ENOTFOUND, "store %s has no inspection", storeID)
}

func (f *fakeCompliance) StopInspection(ctx context.Context, storeID string) error { return nil }

func (f *fakeCompliance) ForgetRepairs(ctx context.Context, repairs []loupe.Repair) error { return nil }

func TestComplianceRouteWithFake(t *testing.T) {
	fake := &fakeCompliance{rep: compliance.Report{From: "2026-11-07", To: "2026-11-20",
		Totals: compliance.Totals{TakeIns: 4, WithEmail: 3, Rate: 0.75}, Stores: []compliance.StoreReport{}}}
	h := httpapi.New(httpapi.Config{APIToken: token, Compliance: fake, Logger: quietLogger()})

	rec := get(h, "/compliance?from=2026-11-07&to=2026-11-20&store_id=s1", token)
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200 (body %s)", rec.Code, rec.Body)
	}
	var got compliance.Report
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if got.From != "2026-11-07" || got.Totals.TakeIns != 4 || got.Totals.Rate != 0.75 {
		t.Errorf("report = %+v, want the fake's", got)
	}
	if want := []string{"2026-11-07", "2026-11-20", "s1"}; strings.Join(fake.args, " ") != strings.Join(want, " ") {
		t.Errorf("Report called with %q, want %q", fake.args, want)
	}

	// The route names the store when the service says not found.
	fake.err = loupe.Errorf(loupe.ENOTFOUND, "no such store")
	rec = get(h, "/compliance?store_id=nowhere", token)
	if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "store nowhere not found") {
		t.Errorf("unknown store: %d %s, want 404 naming the store", rec.Code, rec.Body)
	}
	// A malformed store id never reaches the service.
	fake.args = nil
	if rec := get(h, "/compliance?store_id=a%20b", token); rec.Code != http.StatusBadRequest || fake.args != nil {
		t.Errorf("malformed store: %d, service called with %q; want 400 and no call", rec.Code, fake.args)
	}
	// The inspection routes go through the same port.
	if rec := send(h, http.MethodGet, "/stores/s1/inspection", "", token); rec.Code != http.StatusNotFound {
		t.Errorf("inspection: %d %s, want 404 from the fake", rec.Code, rec.Body)
	}
}

// fakeEvents answers Apply with res and records the bodies it was given.
type fakeEvents struct {
	mu     sync.Mutex
	res    pos.Result
	bodies []string
}

func (f *fakeEvents) Apply(ctx context.Context, body []byte) (pos.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bodies = append(f.bodies, string(body))
	return f.res, nil
}

func TestPOSEventsWithFake(t *testing.T) {
	fake := &fakeEvents{res: pos.Result{ID: "e1", Type: pos.TypeCustomerUpserted, Status: pos.StatusAccepted}}
	h := httpapi.New(httpapi.Config{Events: fake, WebhookSecrets: []string{secret}, Now: clock, Logger: quietLogger()})
	body := event("e1", "2026-11-20T15:00:00Z", `{"customer_id":"c1","home_store_id":"s1"}`)

	if rec := postEvent(h, body, func([]byte) string { return "t=1,v1=forged" }, "application/json"); rec.Code != http.StatusUnauthorized {
		t.Fatalf("forged: status %d, want 401", rec.Code)
	}
	if len(fake.bodies) != 0 {
		t.Fatalf("a forged event reached the service: %q", fake.bodies)
	}
	rec := postEvent(h, body, signed, "application/json")
	if rec.Code != http.StatusAccepted || !strings.Contains(rec.Body.String(), `"status":"accepted"`) {
		t.Fatalf("accepted: %d %s, want 202 accepted", rec.Code, rec.Body)
	}
	fake.res.Status = pos.StatusDuplicate
	if rec := postEvent(h, body, signed, "application/json"); rec.Code != http.StatusOK {
		t.Fatalf("duplicate: status %d, want 200", rec.Code)
	}
	if len(fake.bodies) != 2 || fake.bodies[0] != body {
		t.Errorf("service got %q, want the signed body twice", fake.bodies)
	}
}

// A missing dependency answers 503, whether left nil or handed in as a nil
// pointer; New never builds a POS service of its own.
func TestMissingDependenciesAnswer503(t *testing.T) {
	typedNil := httpapi.Config{
		DB:          (*embedded.DB)(nil),
		Privacy:     (*embedded.DB)(nil),
		Events:      (*pos.Service)(nil),
		Compliance:  (*compliance.Service)(nil),
		Unsubscribe: (*unsub.Signer)(nil),
		Reassign:    (*reassign.Service)(nil),
		Touch:       (*touch.Planner)(nil),
		Campaigns:   (*embedded.Ledger)(nil),
	}
	for name, cfg := range map[string]httpapi.Config{
		"nil":                 {},
		"typed nil":           typedNil,
		"DB without Events":   {DB: postest.NewMemDB()},
		"Touch without store": {Touch: &touch.Planner{}},
	} {
		t.Run(name, func(t *testing.T) {
			cfg.APIToken, cfg.WebhookSecrets, cfg.Now, cfg.Logger = token, []string{secret}, clock, quietLogger()
			h := httpapi.New(cfg)
			for _, tt := range []struct{ method, target, body string }{
				{http.MethodPost, "/pos/events", event("e1", "2026-11-20T15:00:00Z", `{"customer_id":"c1","home_store_id":"s1"}`)},
				{http.MethodPost, "/campaigns", campaignJSON},
				{http.MethodGet, "/compliance", ""},
				{http.MethodGet, "/reassignments", ""},
				{http.MethodDelete, "/customers/c1", ""},
				{http.MethodGet, "/u/" + signer.Token("c1"), ""},
			} {
				var rec interface{ Result() *http.Response }
				if tt.target == "/pos/events" {
					rec = postEvent(h, tt.body, signed, "application/json")
				} else {
					rec = do(h, tt.method, tt.target, token, "application/json", tt.body)
				}
				if got := rec.Result().StatusCode; got != http.StatusServiceUnavailable {
					t.Errorf("%s %s: status %d, want 503", tt.method, tt.target, got)
				}
			}
		})
	}
	h := httpapi.New(httpapi.Config{APIToken: token, Touch: (*touch.Planner)(nil), DB: (*embedded.DB)(nil), Logger: quietLogger()})
	for _, target := range []string{"/coverage", "/customers/c1/preview?occasion=birthday", "/customers/c1"} {
		if got := do(h, http.MethodGet, target, token, "", "").Code; got != http.StatusServiceUnavailable {
			t.Errorf("GET %s with typed nils: status %d, want 503", target, got)
		}
	}
}
