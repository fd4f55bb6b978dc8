package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/loupehq/loupe/shared/compliance"
	"github.com/loupehq/loupe/shared/embedded"
	"github.com/loupehq/loupe/shared/httpapi"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/pos"
)

// complianceChain is a chain whose take-ins were posted by webhook and
// recorded by the change feed, as in `loupe serve`.
type complianceChain struct {
	db  *embedded.DB
	svc *compliance.Service
	h   http.Handler
}

// posEvent is one webhook event: type, occurred_at, data.
type posEvent struct{ typ, at, data string }

// chainEvents are the hand-counted take-ins of TestComplianceRoute. Now is
// 2026-11-20T15:04:05Z; s1 is in New York (US, opt-out), s2 in London (GB, opt-in).
var chainEvents = []posEvent{
	{pos.TypeStoreUpserted, "2026-11-01T00:00:00Z", `{"store_id":"s1","name":"Fifth Ave","timezone":"America/New_York","country":"US","from_email":"fifth@chain.com","manager_email":"mgr@chain.com"}`},
	{pos.TypeStoreUpserted, "2026-11-01T00:00:00Z", `{"store_id":"s2","name":"Kensington","timezone":"Europe/London","country":"GB","from_email":"ken@chain.co.uk"}`},
	{pos.TypeAssociateUpserted, "2026-11-01T00:00:00Z", `{"associate_id":"a1","store_id":"s1","name":"Ann","email":"ann@chain.com"}`},
	{pos.TypeAssociateUpserted, "2026-11-01T00:00:00Z", `{"associate_id":"a2","store_id":"s1","name":"Bob"}`},
	{pos.TypeAssociateUpserted, "2026-11-01T00:00:00Z", `{"associate_id":"a3","store_id":"s2","name":"Cat"}`},
	{pos.TypeCustomerUpserted, "2026-11-01T00:00:00Z", `{"customer_id":"c1","home_store_id":"s1"}`},
	{pos.TypeCustomerUpserted, "2026-11-01T00:00:00Z", `{"customer_id":"c4","home_store_id":"s1"}`},
	{pos.TypeCustomerUpserted, "2026-11-20T12:00:00Z", `{"customer_id":"c5","home_store_id":"s1","email":"c5pos@outlook.com"}`},
	{pos.TypeCustomerUpserted, "2026-11-01T00:00:00Z", `{"customer_id":"c6","home_store_id":"s1"}`},
	{pos.TypeCustomerUpserted, "2026-11-01T00:00:00Z", `{"customer_id":"c8","home_store_id":"s2"}`},
	repair("r1", "s1", "a1", "c1", "c1@gmail.com", "2026-11-18T15:00:00Z"),      // captured
	repair("r2", "s1", "a1", "c2", "", "2026-11-18T16:00:00Z"),                  // empty
	repair("r3", "s1", "a2", "c3", "none@none.com", "2026-11-18T17:00:00Z"),     // placeholder
	repair("r4", "s1", "a2", "c4", "c4@gmial.com", "2026-11-19T15:00:00Z"),      // typo -> c4@gmail.com
	repair("r5", "s1", "a1", "c5", "c5@yahoo.com", "2026-11-19T16:00:00Z"),      // captured; the POS email is newer
	repair("r6", "s1", "a2", "c6", "c6@icloud.com", "2026-11-20T04:30:00Z"),     // captured, 23:30 on the 19th in New York
	repair("r7", "s1", "a1", "c7", "MGR@chain.com", "2026-11-20T14:00:00Z"),     // the store's own address
	repair("r8", "s2", "a3", "c8", "c8@btinternet.com", "2026-11-19T10:00:00Z"), // captured (GB: filled, marketing decided at send time)
	repair("r9", "s2", "a3", "c9", "n/a", "2026-11-20T00:30:00Z"),               // placeholder
}

func repair(id, store, assoc, customer, email, at string) posEvent {
	return posEvent{pos.TypeRepairCreated, at, fmt.Sprintf(`{"repair_id":%q,"store_id":%q,"associate_id":%q,"customer_id":%q,"customer_email":%q,"taken_in_at":%q}`,
		id, store, assoc, customer, email, at)}
}

// newComplianceChain opens an embedded store, subscribes compliance to its
// change feed, posts chainEvents through the webhook route and delivers the
// feed.
func newComplianceChain(t *testing.T) complianceChain {
	t.Helper()
	db := openDB(t)
	svc := &compliance.Service{Store: db.Compliance(), Stores: db, Associates: db, Customers: db, Now: clock, Log: quietLogger()}
	db.Subscribe("compliance", svc.HandleChange)
	h := httpapi.New(httpapi.Config{DB: db, Privacy: db, Events: posService(db), WebhookSecrets: []string{secret}, APIToken: token, Compliance: svc, Now: clock, Logger: quietLogger()})
	for i, e := range chainEvents {
		body := fmt.Sprintf(`{"id":"evt_%03d","type":%q,"occurred_at":%q,"data":%s}`, i, e.typ, e.at, e.data)
		if rec := postEvent(h, body, signed, "application/json"); rec.Code != http.StatusAccepted {
			t.Fatalf("post %s: status %d, body %s", e.typ, rec.Code, rec.Body)
		}
	}
	if err := db.DeliverPending(context.Background()); err != nil {
		t.Fatalf("deliver pending: %v", err)
	}
	return complianceChain{db: db, svc: svc, h: h}
}

func get(h http.Handler, target, bearer string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, target, nil)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// figures renders a report as one line per store, associate and non-empty
// day, and the missing list, for comparison with hand counts.
func figures(rep compliance.Report) []string {
	out := []string{fmt.Sprintf("%s..%s total %d/%d %v", rep.From, rep.To, rep.Totals.TakeIns, rep.Totals.WithEmail, rep.Totals.Rate)}
	for _, s := range rep.Stores {
		out = append(out, fmt.Sprintf("%s %q %d/%d %v", s.StoreID, s.Name, s.TakeIns, s.WithEmail, s.Rate))
		for _, a := range s.Associates {
			out = append(out, fmt.Sprintf("  %s %q %d/%d %v", a.AssociateID, a.Name, a.TakeIns, a.WithEmail, a.Rate))
		}
		for _, d := range s.Days {
			if d.TakeIns > 0 {
				out = append(out, fmt.Sprintf("  %s %d/%d", d.Date, d.TakeIns, d.WithEmail))
			}
		}
		for _, m := range s.Missing {
			out = append(out, fmt.Sprintf("  missing %s %s %s %s %s %q", m.RepairID, m.AssociateID, m.CustomerID,
				m.TakenInAt.Format("2006-01-02T15:04Z07:00"), m.Reason, m.Suggestion))
		}
	}
	return out
}

func TestComplianceRoute(t *testing.T) {
	c := newComplianceChain(t)
	want := []string{
		"2026-11-07..2026-11-20 total 9/4 0.4444",
		`s1 "Fifth Ave" 7/3 0.4286`,
		`  a1 "Ann" 4/2 0.5`,
		`  a2 "Bob" 3/1 0.3333`,
		"  2026-11-18 3/1",
		"  2026-11-19 3/2",
		"  2026-11-20 1/0",
		`  missing r7 a1 c7 2026-11-20T14:00Z store_address ""`,
		`  missing r4 a2 c4 2026-11-19T15:00Z typo "c4@gmail.com"`,
		`  missing r3 a2 c3 2026-11-18T17:00Z placeholder ""`,
		`  missing r2 a1 c2 2026-11-18T16:00Z empty ""`,
		`s2 "Kensington" 2/1 0.5`,
		`  a3 "Cat" 2/1 0.5`,
		"  2026-11-19 1/1",
		"  2026-11-20 1/0",
		`  missing r9 a3 c9 2026-11-20T00:30Z placeholder ""`,
	}
	report := func(t *testing.T, target string) compliance.Report {
		t.Helper()
		rec := get(c.h, target, token)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: status %d, body %s", target, rec.Code, rec.Body)
		}
		var rep compliance.Report
		if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil {
			t.Fatalf("decode %s: %v", rec.Body, err)
		}
		return rep
	}
	got := report(t, "/compliance")
	if !reflect.DeepEqual(figures(got), want) {
		t.Fatalf("GET /compliance figures:\n%s\nwant\n%s", strings.Join(figures(got), "\n"), strings.Join(want, "\n"))
	}

	t.Run("explicit window and one store", func(t *testing.T) {
		rep := report(t, "/compliance?from=2026-11-19&to=2026-11-20&store_id=s2")
		want := []string{"2026-11-19..2026-11-20 total 2/1 0.5", want[11], want[12], want[13], want[14], want[15]}
		if got := figures(rep); !reflect.DeepEqual(got, want) {
			t.Fatalf("figures:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})

	t.Run("captured emails fill profiles with source repair", func(t *testing.T) {
		tests := []struct{ customer, email, source string }{
			{"c1", "c1@gmail.com", loupe.EmailSourceRepair},
			{"c6", "c6@icloud.com", loupe.EmailSourceRepair},
			{"c8", "c8@btinternet.com", loupe.EmailSourceRepair}, // GB: filled too
			{"c5", "c5pos@outlook.com", loupe.EmailSourcePOS},    // the POS email is newer
			{"c4", "", ""}, // a typo is never filled
		}
		for _, tt := range tests {
			rec := get(c.h, "/customers/"+tt.customer, token)
			var cu loupe.Customer
			if err := json.Unmarshal(rec.Body.Bytes(), &cu); err != nil || rec.Code != http.StatusOK {
				t.Fatalf("GET /customers/%s: %d %s", tt.customer, rec.Code, rec.Body)
			}
			if cu.Email != tt.email || cu.EmailSource != tt.source {
				t.Errorf("%s: email %q source %q, want %q %q", tt.customer, cu.Email, cu.EmailSource, tt.email, tt.source)
			}
		}
	})

	t.Run("replayed changes change no figure", func(t *testing.T) {
		ctx := context.Background()
		for i := 1; i <= 9; i++ {
			r, err := c.db.GetRepair(ctx, fmt.Sprintf("r%d", i))
			if err != nil {
				t.Fatal(err)
			}
			if err := c.svc.HandleChange(ctx, loupe.Change{Entity: loupe.EntityRepair, Op: loupe.OpInsert, NewRepair: &r}); err != nil {
				t.Fatal(err)
			}
		}
		if got := figures(report(t, "/compliance")); !reflect.DeepEqual(got, want) {
			t.Fatalf("after replay:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
}

func TestComplianceRouteErrors(t *testing.T) {
	c := newComplianceChain(t)
	tests := []struct {
		name, target, bearer string
		status               int
		code, field          string
	}{
		{"no token", "/compliance", "", 401, loupe.EUNAUTHORIZED, ""},
		{"wrong token", "/compliance", "nope", 401, loupe.EUNAUTHORIZED, ""},
		{"bad from", "/compliance?from=2026-13-01", token, 400, loupe.EINVALID, "from"},
		{"bad to", "/compliance?to=yesterday", token, 400, loupe.EINVALID, "to"},
		{"from after to", "/compliance?from=2026-11-20&to=2026-11-01", token, 400, loupe.EINVALID, "from"},
		{"window too long", "/compliance?from=2026-01-01&to=2026-11-20", token, 400, loupe.EINVALID, "from"},
		{"bad store id", "/compliance?store_id=s%231", token, 400, loupe.EINVALID, "store_id"},
		{"unknown store", "/compliance?store_id=s9", token, 404, loupe.ENOTFOUND, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := get(c.h, tt.target, tt.bearer)
			if rec.Code != tt.status {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tt.status, rec.Body)
			}
			var got errorBody
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("body %s: %v", rec.Body, err)
			}
			if got.Error.Code != tt.code || got.Error.Field != tt.field {
				t.Errorf("error = %+v, want code %q field %q", got.Error, tt.code, tt.field)
			}
		})
	}
	t.Run("not configured", func(t *testing.T) {
		h := httpapi.New(httpapi.Config{DB: c.db, APIToken: token, Logger: quietLogger()})
		if rec := get(h, "/compliance", token); rec.Code != http.StatusServiceUnavailable {
			t.Fatalf("status = %d, want 503", rec.Code)
		}
	})
}

func TestDashboardRoute(t *testing.T) {
	h := httpapi.New(httpapi.Config{APIToken: token, Logger: quietLogger()})
	rec := get(h, "/dashboard", "")
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200 without a token", rec.Code)
	}
	if got := rec.Header().Get("Content-Type"); !strings.HasPrefix(got, "text/html") {
		t.Errorf("Content-Type = %q, want text/html", got)
	}
	if got := rec.Header().Get("Content-Security-Policy"); !strings.Contains(got, "default-src 'none'") {
		t.Errorf("Content-Security-Policy = %q, want default-src 'none'", got)
	}
	if req := httptest.NewRequest(http.MethodPost, "/dashboard", nil); true {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusMethodNotAllowed {
			t.Errorf("POST /dashboard status = %d, want 405", rec.Code)
		}
	}
}
