package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/embedded"
	"github.com/loupehq/loupe/shared/httpapi"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/testkit/storetest"
	"github.com/loupehq/loupe/shared/touch"
)

// touchAPI is a chain of one New York store s1 with two clients: c1 (birthday
// November 25, mailed on the 18th) and c2 (no email), behind the API with a
// planner on the embedded ledger. Now is 2026-11-20.
func touchAPI(t *testing.T) (http.Handler, *embedded.DB) {
	t.Helper()
	db := openDB(t)
	ctx := context.Background()
	if err := loupe.PutStore(ctx, db, storetest.Store("s1")); err != nil {
		t.Fatal(err)
	}
	c1 := storetest.Customer("c1", "s1", "")
	c1.Birthday = loupe.Date{Year: 1980, Month: time.November, Day: 25}
	c2 := storetest.Customer("c2", "s1", "")
	c2.Email, c2.EmailSource = "", ""
	for _, c := range []loupe.Customer{c1, c2} {
		if err := loupe.PutCustomer(ctx, db, c); err != nil {
			t.Fatalf("put %s: %v", c.CustomerID, err)
		}
	}
	ledger := db.Ledger()
	p := &touch.Planner{DB: db, Ledger: ledger, Campaigns: ledger, Now: clock, Log: quietLogger(),
		UnsubscribeURL: func(id string) string { return signer.URL("http://loupe.test", id) }}
	if _, err := p.RunDay(ctx, touch.Day{Year: 2026, Month: time.November, Day: 18}, &mail.Fake{}); err != nil {
		t.Fatalf("run day: %v", err)
	}
	return httpapi.New(httpapi.Config{DB: db, APIToken: token, Touch: p, Campaigns: ledger, Now: clock, Logger: quietLogger()}), db
}

const campaignJSON = `{"campaign_id":"gala-2026","name":"Holiday gala","event_date":"2026-12-10","send_date":"2026-11-26",` +
	`"store_ids":["s1"],"subject":"Save the date","body_html":"<p>Join us</p>"}`

func TestPostCampaign(t *testing.T) {
	h, db := touchAPI(t)
	tests := []struct {
		name       string
		bearer     string
		body       string
		wantStatus int
		wantField  string
	}{
		{"no token", "", campaignJSON, http.StatusUnauthorized, ""},
		{"created", token, campaignJSON, http.StatusCreated, ""},
		{"identical again", token, campaignJSON, http.StatusCreated, ""},
		{"same id, other content", token, strings.Replace(campaignJSON, "Holiday gala", "Spring gala", 1), http.StatusConflict, ""},
		{"missing name", token, strings.Replace(campaignJSON, `"name":"Holiday gala",`, "", 1), http.StatusBadRequest, "name"},
		{"bad event date", token, strings.Replace(campaignJSON, "2026-12-10", "10/12/2026", 1), http.StatusBadRequest, "event_date"},
		{"send after event", token, strings.Replace(campaignJSON, "2026-11-26", "2026-12-11", 1), http.StatusBadRequest, "send_date"},
		{"bad id", token, strings.Replace(campaignJSON, "gala-2026", "gala 2026", 1), http.StatusBadRequest, "campaign_id"},
		{"unknown store", token, strings.Replace(campaignJSON, `["s1"]`, `["s1","nowhere"]`, 1), http.StatusBadRequest, "store_ids"},
		{"unknown field", token, strings.Replace(campaignJSON, `"name"`, `"title":"x","name"`, 1), http.StatusBadRequest, ""},
		{"marketing call", token, strings.Replace(campaignJSON, `"name"`, `"channels":["voice","email"],"name"`, 1), http.StatusBadRequest, "channels"},
		{"no sender for any channel", token, strings.Replace(campaignJSON, `"name"`, `"channels":["sms","mail"],"name"`, 1), http.StatusBadRequest, "channels"},
		{"no channel", token, strings.Replace(campaignJSON, `"name"`, `"channels":[],"name"`, 1), http.StatusBadRequest, "channels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(h, http.MethodPost, "/campaigns", tt.bearer, "application/json", tt.body)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status: got %d, want %d (body %s)", rec.Code, tt.wantStatus, rec.Body)
			}
			if tt.wantStatus == http.StatusCreated {
				var got touch.Campaign
				if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
					t.Fatalf("decode: %v", err)
				}
				if got.CampaignID != "gala-2026" || got.SendDate.String() != "2026-11-26" || len(got.StoreIDs) != 1 {
					t.Errorf("campaign: got %+v, want gala-2026 sent 2026-11-26 to s1", got)
				}
				return
			}
			var e struct {
				Error struct{ Code, Field string } `json:"error"`
			}
			json.Unmarshal(rec.Body.Bytes(), &e)
			if e.Error.Field != tt.wantField {
				t.Errorf("field: got %q, want %q (body %s)", e.Error.Field, tt.wantField, rec.Body)
			}
		})
	}
	got, err := db.Ledger().GetCampaign(context.Background(), "gala-2026")
	if err != nil || got.Name != "Holiday gala" {
		t.Errorf("stored campaign: got %+v, %v; want the first one kept", got, err)
	}
}

func TestGetCoverage(t *testing.T) {
	h, _ := touchAPI(t)
	tests := []struct {
		name       string
		target     string
		bearer     string
		wantStatus int
		wantStores int
	}{
		{"no token", "/coverage", "", http.StatusUnauthorized, 0},
		{"every store", "/coverage", token, http.StatusOK, 1},
		{"one store", "/coverage?store_id=s1", token, http.StatusOK, 1},
		{"unknown store", "/coverage?store_id=nowhere", token, http.StatusNotFound, 0},
		{"malformed store", "/coverage?store_id=a%20b", token, http.StatusBadRequest, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(h, http.MethodGet, tt.target, tt.bearer, "", "")
			if rec.Code != tt.wantStatus {
				t.Fatalf("status: got %d, want %d (body %s)", rec.Code, tt.wantStatus, rec.Body)
			}
			if rec.Code != http.StatusOK {
				return
			}
			var got struct {
				Stores []touch.StoreCoverage `json:"stores"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if len(got.Stores) != tt.wantStores {
				t.Fatalf("stores: got %d, want %d", len(got.Stores), tt.wantStores)
			}
			s := got.Stores[0]
			if s.StoreID != "s1" || s.Emailable != 1 || s.Sent != 1 || s.TouchedFiveOrMore != 0 {
				t.Errorf("coverage: got %+v, want s1 with 1 emailable and 1 sent in 30 days", s)
			}
			if len(s.ByChannel) != 4 || s.ByChannel["email"] != (touch.ChannelCoverage{Reachable: 1, Sent: 1}) || s.ByChannel["personal"].Reachable != 2 {
				t.Errorf("by_channel: got %+v, want email 1 reachable and 1 sent, personal 2 reachable", s.ByChannel)
			}
		})
	}
}

func TestTouchRoutesUnconfigured(t *testing.T) {
	h := httpapi.New(httpapi.Config{DB: openDB(t), APIToken: token, Now: clock, Logger: quietLogger()})
	for _, tt := range []struct{ name, method, target, body string }{
		{"post campaign", http.MethodPost, "/campaigns", campaignJSON},
		{"coverage", http.MethodGet, "/coverage", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(h, tt.method, tt.target, token, "application/json", tt.body)
			if got, want := rec.Code, http.StatusServiceUnavailable; got != want {
				t.Errorf("status: got %d, want %d (body %s)", got, want, rec.Body)
			}
		})
	}
}

func TestGetPreview(t *testing.T) {
	h, _ := touchAPI(t)
	tests := []struct {
		name, target, bearer string
		wantStatus           int
		wantType, wantBody   string
	}{
		{"no token", "/customers/c1/preview?occasion=birthday", "", http.StatusUnauthorized, "", ""},
		{"html", "/customers/c1/preview?occasion=birthday", token, http.StatusOK, "text/html; charset=utf-8", "Your birthday is coming up on Wednesday, November 25"},
		{"text", "/customers/c1/preview?occasion=christmas&format=text", token, http.StatusOK, "text/plain; charset=utf-8", "Unsubscribe: http://loupe.test/u/"},
		{"json", "/customers/c1/preview?occasion=birthday&format=json", token, http.StatusOK, "application/json", `"X-Loupe-Touchpoint":"birthday"`},
		{"no occasion", "/customers/c1/preview", token, http.StatusBadRequest, "application/json", `"field":"occasion"`},
		{"unknown occasion", "/customers/c1/preview?occasion=halloween", token, http.StatusBadRequest, "application/json", `"field":"occasion"`},
		{"bad format", "/customers/c1/preview?occasion=birthday&format=pdf", token, http.StatusBadRequest, "application/json", `"field":"format"`},
		{"unknown client", "/customers/nobody/preview?occasion=birthday", token, http.StatusNotFound, "application/json", `"error"`},
		{"unknown campaign", "/customers/c1/preview?occasion=event:nope", token, http.StatusNotFound, "application/json", `"error"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(h, http.MethodGet, tt.target, tt.bearer, "", "")
			if rec.Code != tt.wantStatus {
				t.Fatalf("status: got %d, want %d (body %s)", rec.Code, tt.wantStatus, rec.Body)
			}
			if tt.wantType == "" {
				return
			}
			if got := rec.Header().Get("Content-Type"); got != tt.wantType {
				t.Errorf("Content-Type: got %q, want %q", got, tt.wantType)
			}
			if !strings.Contains(rec.Body.String(), tt.wantBody) {
				t.Errorf("body %.400s does not contain %q", rec.Body, tt.wantBody)
			}
		})
	}
}
