package compliance_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/loupehq/loupe/shared/compliance"
	"github.com/loupehq/loupe/shared/loupe"
)

// names is a hand-written CustomerNames fake counting its reads.
type names struct {
	mu     sync.Mutex
	byID   map[string]loupe.Customer
	reads  map[string]int
	failOn string
}

func (n *names) GetCustomer(_ context.Context, id string) (loupe.Customer, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.reads[id]++
	if id == n.failOn {
		return loupe.Customer{}, errors.New("table unavailable")
	}
	if c, ok := n.byID[id]; ok {
		return c, nil
	}
	return loupe.Customer{}, fmt.Errorf("get customer %s: %w", id, loupe.ErrNotFound)
}

// TestReportNamesMissing: each missing entry carries the client's name from
// the profile (one read per client listed), none for a client without a
// profile, and each store its time zone; a storage error fails the report.
func TestReportNamesMissing(t *testing.T) {
	dir := chain()
	n := &names{reads: map[string]int{}, byID: map[string]loupe.Customer{
		"c2": {CustomerID: "c2", FirstName: "Dana", LastName: "Reyes"},
		"c4": {CustomerID: "c4", FirstName: "Eli"},
		"c7": {CustomerID: "c7", LastName: "Okafor"},
	}}
	svc := newService(dir, ts("2026-11-14T18:00:00Z"))
	svc.Names = n
	handleAll(t, svc, takeIns)
	rep, err := svc.Report(context.Background(), "", "", "")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"r2": "Dana Reyes", "r4": "Eli", "r7": "Okafor", "r3": "", "r10": ""}
	zones := map[string]string{"s1": "America/New_York", "s2": "Europe/London"}
	for _, s := range rep.Stores {
		if s.Timezone != zones[s.StoreID] {
			t.Errorf("store %s timezone = %q, want %q", s.StoreID, s.Timezone, zones[s.StoreID])
		}
		for _, m := range s.Missing {
			if got := m.CustomerName; got != want[m.RepairID] {
				t.Errorf("%s customer_name = %q, want %q", m.RepairID, got, want[m.RepairID])
			}
			if n.reads[m.CustomerID] != 1 {
				t.Errorf("%s read %d times, want once", m.CustomerID, n.reads[m.CustomerID])
			}
		}
	}

	n.failOn = "c4"
	if _, err := svc.Report(context.Background(), "", "", ""); err == nil {
		t.Errorf("a failing customer read gave no error")
	}

	// Without Names the report has no names and reads nothing.
	svc.Names = nil
	rep, err = svc.Report(context.Background(), "", "", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range rep.Stores {
		for _, m := range s.Missing {
			if m.CustomerName != "" {
				t.Errorf("%s named %q without Names", m.RepairID, m.CustomerName)
			}
		}
	}
}

var _ compliance.CustomerNames = (*names)(nil)
