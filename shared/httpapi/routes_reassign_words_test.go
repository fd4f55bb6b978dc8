package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/loupehq/loupe/shared/reassign"
)

// TestReassignmentWords: GET /reassignments/{id} keeps the contract's fields
// and adds the words the page shows: the store's name and zone, the batch's
// store-local time, the departed associate's name, and per client the
// reasons in words (parallel to reasons), the state in words and, once
// claimed, who claimed and when in the store's time.
func TestReassignmentWords(t *testing.T) {
	h, _, id := reassignFixture(t, 6)
	req := httptest.NewRequest(http.MethodPost, "/reassignments/"+id+"/claims", strings.NewReader(`{"customer_id":"c0001","associate_id":"a2"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("claim = %d: %s", rec.Code, rec.Body)
	}

	rec = staffGet(h, "/reassignments/"+id)
	if rec.Code != http.StatusOK {
		t.Fatalf("detail = %d: %s", rec.Code, rec.Body)
	}
	var raw map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "associate_id", "created_at", "assignments", "store_name", "created_at_local"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("detail lacks %q", k)
		}
	}
	var d struct {
		AssociateName  string `json:"associate_name"`
		StoreName      string `json:"store_name"`
		Timezone       string `json:"timezone"`
		CreatedAtLocal string `json:"created_at_local"`
		Assignments    []struct {
			CustomerID        string   `json:"customer_id"`
			FromAssociateID   string   `json:"from_associate_id"`
			FromAssociateName string   `json:"from_associate_name"`
			Reasons           []string `json:"reasons"`
			ReasonTexts       []string `json:"reason_texts"`
			State             string   `json:"state"`
			StateText         string   `json:"state_text"`
			Claimed           bool     `json:"claimed"`
			ClaimedByName     string   `json:"claimed_by_name"`
			ClaimedAtLocal    string   `json:"claimed_at_local"`
		} `json:"assignments"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	if d.AssociateName != "Ann Departed" || d.StoreName != "Fifth Ave" || d.Timezone != "America/New_York" ||
		d.CreatedAtLocal != "Sat 21 Nov 2026, 4:30 AM EST" {
		t.Errorf("detail words = %q %q %q %q", d.AssociateName, d.StoreName, d.Timezone, d.CreatedAtLocal)
	}
	if len(d.Assignments) != 6 {
		t.Fatalf("assignments = %d, want 6", len(d.Assignments))
	}
	for _, a := range d.Assignments {
		var want []string
		for _, r := range a.Reasons {
			want = append(want, reassign.ReasonText(r))
		}
		if len(a.Reasons) == 0 || !slices.Equal(a.ReasonTexts, want) {
			t.Errorf("%s: reason_texts %q for reasons %q", a.CustomerID, a.ReasonTexts, a.Reasons)
		}
		for _, txt := range a.ReasonTexts {
			if strings.ContainsAny(txt, "_:") && !strings.HasPrefix(txt, "Another store:") && !strings.HasPrefix(txt, "Not placed:") {
				t.Errorf("%s: reason text %q reads like a code", a.CustomerID, txt)
			}
		}
		if a.FromAssociateID != "a1" || a.FromAssociateName != "Ann Departed" || a.State != "moved" || a.StateText != "Moved" {
			t.Errorf("%s: from %q %q, state %q %q", a.CustomerID, a.FromAssociateID, a.FromAssociateName, a.State, a.StateText)
		}
		if claimed := a.CustomerID == "c0001"; claimed != a.Claimed ||
			claimed && (a.ClaimedByName != "Beatrice Bridal-Specialist" || a.ClaimedAtLocal != "Sat 21 Nov 2026, 4:30 AM EST") {
			t.Errorf("%s: claimed %v by %q at %q", a.CustomerID, a.Claimed, a.ClaimedByName, a.ClaimedAtLocal)
		}
	}
}
