package demo_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/demo"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/today"
)

var now = time.Date(2026, time.November, 20, 15, 4, 5, 0, time.UTC)

func TestGenerateDeterministic(t *testing.T) {
	a, b := demo.Generate(now), demo.Generate(now)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two runs with the same now differ")
	}
	// Another time of day shifts timestamps, not who is who.
	c := demo.Generate(now.Add(7 * time.Hour))
	for i := range a.Customers {
		if got, want := c.Customers[i].Email, a.Customers[i].Email; got != want {
			t.Fatalf("customer %d email: got %q, want %q", i, got, want)
		}
	}
	for i := range a.Repairs {
		if got, want := c.Repairs[i].CustomerID, a.Repairs[i].CustomerID; got != want {
			t.Fatalf("repair %d customer: got %q, want %q", i, got, want)
		}
	}
}

func exampleDomain(email string) bool {
	for _, d := range []string{"@example.com", "@example.net", "@example.org", "@example.co.uk", ".example.com"} {
		if strings.HasSuffix(email, d) {
			return true
		}
	}
	return false
}

func TestGenerateShape(t *testing.T) {
	ch := demo.Generate(now)
	zones, countries := map[string]bool{}, map[string]bool{}
	stores := map[string]loupe.Store{}
	for _, s := range ch.Stores {
		if err := s.Validate(); err != nil {
			t.Errorf("store %s: %v", s.StoreID, err)
		}
		for _, e := range []string{s.FromEmail, s.ManagerEmail} {
			if !exampleDomain(e) {
				t.Errorf("store %s email %q not on an example domain", s.StoreID, e)
			}
		}
		zones[s.Timezone], countries[s.Country] = true, true
		stores[s.StoreID] = s
	}
	if len(ch.Stores) < 3 || len(zones) < 2 || len(countries) < 2 {
		t.Errorf("stores %d zones %d countries %d, want >=3, >=2, >=2", len(ch.Stores), len(zones), len(countries))
	}
	assocStore := map[string]string{}
	unlimited := 0
	for _, a := range ch.Associates {
		if err := a.Validate(); err != nil {
			t.Errorf("associate %s: %v", a.AssociateID, err)
		}
		if len(a.Strengths) == 0 {
			t.Errorf("associate %s has no strengths", a.AssociateID)
		}
		if a.Capacity == 0 {
			unlimited++
		}
		assocStore[a.AssociateID] = a.StoreID
	}
	if n := len(ch.Associates); n < 20 || n > 30 {
		t.Errorf("associates: got %d, want about 25", n)
	}
	if unlimited == 0 || unlimited == len(ch.Associates) {
		t.Errorf("unlimited capacities: got %d of %d, want some", unlimited, len(ch.Associates))
	}

	var noEmail, optOut, noYear, feb29, anniv, book int
	emails := map[string]bool{}
	for _, c := range ch.Customers {
		if err := c.Validate(); err != nil {
			t.Fatalf("customer %s: %v", c.CustomerID, err)
		}
		if got, want := assocStore[c.AssociateID], c.HomeStoreID; got != want {
			t.Fatalf("customer %s owner store: got %q, want %q", c.CustomerID, got, want)
		}
		switch {
		case c.Email == "":
			noEmail++
		case !exampleDomain(c.Email):
			t.Fatalf("customer %s email %q not on an example domain", c.CustomerID, c.Email)
		case emails[c.Email]:
			t.Fatalf("customer %s email %q is not unique", c.CustomerID, c.Email)
		}
		emails[c.Email] = true
		if c.EmailOptOut {
			optOut++
		}
		if !c.Birthday.IsZero() && c.Birthday.Year == 0 {
			noYear++
		}
		if c.Birthday.MonthDay() == "02-29" || c.Anniversary.MonthDay() == "02-29" {
			feb29++
		}
		if !c.Anniversary.IsZero() {
			anniv++
		}
		if c.AssociateID == ch.Terminated {
			book++
		}
		if n := len(c.Preferences); n < 1 || n > 3 {
			t.Fatalf("customer %s preferences: got %d, want 1-3", c.CustomerID, n)
		}
	}
	if n := len(ch.Customers); n < 4500 || n > 5500 {
		t.Errorf("customers: got %d, want about 5000", n)
	}
	for name, n := range map[string]int{"without email": noEmail, "opted out": optOut, "birthday without year": noYear,
		"feb 29": feb29, "with anniversary": anniv} {
		if n == 0 {
			t.Errorf("customers %s: got 0, want some", name)
		}
	}
	if book != 300 {
		t.Errorf("terminated associate's book: got %d, want 300", book)
	}

	var empty, placeholder, typo int
	for _, r := range ch.Repairs {
		if err := r.Validate(); err != nil {
			t.Fatalf("repair %s: %v", r.RepairID, err)
		}
		if !r.TakenInAt.Before(now) || r.TakenInAt.Before(now.AddDate(0, 0, -22)) {
			t.Errorf("repair %s taken in at %v, want within 21 days before %v", r.RepairID, r.TakenInAt, now)
		}
		loc, _ := stores[r.StoreID].Location()
		if got, want := r.LocalDay, loupe.LocalDayIn(r.TakenInAt, loc); got != want {
			t.Errorf("repair %s local day: got %s, want %s", r.RepairID, got, want)
		}
		if got, want := assocStore[r.AssociateID], r.StoreID; got != want {
			t.Errorf("repair %s associate store: got %s, want %s", r.RepairID, got, want)
		}
		if r.AssociateID == ch.Terminated && !r.TakenInAt.Before(ch.TerminatedAt) {
			t.Errorf("repair %s taken in by %s after they left", r.RepairID, r.AssociateID)
		}
		switch {
		case r.CustomerEmail == "":
			empty++
		case r.CustomerEmail == "none@none.com":
			placeholder++
		case strings.HasSuffix(r.CustomerEmail, "@gmial.com"):
			typo++
		}
	}
	if n := len(ch.Repairs); n < 200 || n > 600 {
		t.Errorf("repairs: got %d, want a few hundred", n)
	}
	if empty == 0 || placeholder == 0 || typo == 0 {
		t.Errorf("repairs empty %d, placeholder %d, typo %d: want some of each", empty, placeholder, typo)
	}
}

// recorder is a demo.Writer that keeps what it was given.
type recorder struct {
	stores, associates, customers, repairs int
	purchases                              int
	dues                                   []today.Due
	terminated                             []string
	repairIDs                              map[string]bool
	failOn                                 string
	mu                                     sync.Mutex
}

func (r *recorder) UpdateStore(ctx context.Context, id string, fn func(*loupe.Store) (loupe.Store, bool, error)) error {
	r.stores++
	return nil
}
func (r *recorder) UpdateAssociate(ctx context.Context, id string, fn func(*loupe.Associate) (loupe.Associate, bool, error)) error {
	a, _, _ := fn(nil)
	if a.Status == loupe.StatusTerminated {
		r.terminated = append(r.terminated, id)
	} else {
		r.associates++
	}
	return nil
}
func (r *recorder) UpdateCustomer(ctx context.Context, id string, fn func(*loupe.Customer, time.Time) (loupe.Customer, bool, error)) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if id == r.failOn {
		return errors.New("disk full")
	}
	r.customers++
	return nil
}
func (r *recorder) PutRepair(ctx context.Context, rp loupe.Repair) error {
	if r.repairIDs[rp.RepairID] {
		return loupe.ErrExists
	}
	r.repairIDs[rp.RepairID] = true
	r.repairs++
	return nil
}

func (r *recorder) PutPurchase(ctx context.Context, p loupe.Purchase) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.purchases++
	return nil
}
func (r *recorder) PurchasesByCustomer(context.Context, string) ([]loupe.Purchase, error) {
	return nil, nil
}
func (r *recorder) PutDue(ctx context.Context, d today.Due) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dues = append(r.dues, d)
	return nil
}

func TestSeed(t *testing.T) {
	rec := &recorder{repairIDs: map[string]bool{}}
	sum, err := demo.Seed(context.Background(), rec, now)
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	ch := demo.Generate(now)
	want := demo.Summary{Stores: len(ch.Stores), Associates: len(ch.Associates), Customers: len(ch.Customers),
		Repairs: len(ch.Repairs), Purchases: len(ch.Purchases), TerminatedAssociateID: ch.Terminated, OrphanedClients: 300, RepairsWithEmail: sum.RepairsWithEmail}
	if sum != want {
		t.Errorf("summary: got %+v, want %+v", sum, want)
	}
	// Every active associate of the first store has a sale of two days ago
	// on its Today list.
	sellers := map[string]bool{}
	for _, d := range rec.dues {
		if d.Reason != today.ReasonThankYou {
			t.Errorf("due %+v", d)
		}
		sellers[d.AssociateID] = true
	}
	for _, a := range ch.Associates {
		if a.StoreID == ch.Stores[0].StoreID && a.AssociateID != ch.Terminated && !sellers[a.AssociateID] {
			t.Errorf("associate %s has no thank_you task", a.AssociateID)
		}
	}
	if rec.purchases != len(ch.Purchases) || len(ch.Purchases) < 500 {
		t.Errorf("purchases %d of %d", rec.purchases, len(ch.Purchases))
	}
	if got, want := rec.terminated, []string{ch.Terminated}; !reflect.DeepEqual(got, want) {
		t.Errorf("terminated: got %v, want %v", got, want)
	}
	// Seeding again skips the repairs already there.
	if _, err := demo.Seed(context.Background(), rec, now); err != nil {
		t.Fatalf("second seed: %v", err)
	}

	failing := &recorder{repairIDs: map[string]bool{}, failOn: "c00042"}
	if _, err := demo.Seed(context.Background(), failing, now); err == nil || !strings.Contains(err.Error(), "c00042") {
		t.Errorf("seed with failing write: got %v, want an error naming c00042", err)
	}
}
