// Package postest provides an in-memory loupe.DB for tests of code that applies
// POS events (pos, httpapi, csvimport). It follows the loupe.DB rules that
// matter to those callers (ErrStale, ErrExists, ErrNotFound, Loupe-owned
// customer fields, event claims) and counts writes, so a test can
// assert that a rejected event wrote nothing. The storetest contract suite runs
// against it (memdb_test.go) as against the real adapters, and so does the
// signintest suite of loupe.SignInStore; it does not implement
// loupe.Privacy.
package postest

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
)

// MemDB is an in-memory loupe.DB. The zero value is not usable; call NewMemDB.
type MemDB struct {
	mu         sync.Mutex
	writes     int
	stores     map[string]loupe.Store
	associates map[string]loupe.Associate
	customers  map[string]loupe.Customer
	versions   map[string]int // customer id -> writes, for UpdateCustomer
	repairs    map[string]loupe.Repair
	purchases  map[string]loupe.Purchase
	contacts   map[string]map[string]loupe.Contact // customer -> ref -> entry
	events     map[string]string                   // event id -> body hash
	codes      map[string]signInCode               // sign-in code hash -> code
	mails      map[string]int                      // SignInHour NUL SignInRateKey -> link mails

	// Fail, when set, is returned by every method (to test error paths).
	Fail error
}

var (
	_ loupe.DB          = (*MemDB)(nil)
	_ loupe.SignInStore = (*MemDB)(nil)
)

// NewMemDB returns an empty MemDB.
func NewMemDB() *MemDB {
	return &MemDB{
		stores:     map[string]loupe.Store{},
		associates: map[string]loupe.Associate{},
		customers:  map[string]loupe.Customer{},
		versions:   map[string]int{},
		repairs:    map[string]loupe.Repair{},
		purchases:  map[string]loupe.Purchase{},
		contacts:   map[string]map[string]loupe.Contact{},
		events:     map[string]string{},
		codes:      map[string]signInCode{},
		mails:      map[string]int{},
	}
}

// Writes returns how many writes changed something (claims included).
func (m *MemDB) Writes() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.writes
}

func notFound(kind, id string) error { return fmt.Errorf("%s %s: %w", kind, id, loupe.ErrNotFound) }

// UpdateStore implements loupe.DB under the MemDB's lock.
func (m *MemDB) UpdateStore(_ context.Context, id string, fn func(*loupe.Store) (loupe.Store, bool, error)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Fail != nil {
		return m.Fail
	}
	var stored *loupe.Store
	if old, ok := m.stores[id]; ok {
		stored = &old
	}
	s, write, err := fn(stored)
	if err != nil || !write {
		return err
	}
	s.StoreID = id
	m.stores[id] = s
	m.writes++
	return nil
}

// GetStore implements loupe.DB.
func (m *MemDB) GetStore(_ context.Context, id string) (loupe.Store, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Fail != nil {
		return loupe.Store{}, m.Fail
	}
	s, ok := m.stores[id]
	if !ok {
		return loupe.Store{}, notFound("store", id)
	}
	return s, nil
}

// ListStores implements loupe.DB.
func (m *MemDB) ListStores(context.Context) ([]loupe.Store, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Fail != nil {
		return nil, m.Fail
	}
	out := make([]loupe.Store, 0, len(m.stores))
	for _, s := range m.stores {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].StoreID < out[j].StoreID })
	return out, nil
}

// UpdateAssociate implements loupe.DB under the MemDB's lock.
func (m *MemDB) UpdateAssociate(_ context.Context, id string, fn func(*loupe.Associate) (loupe.Associate, bool, error)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Fail != nil {
		return m.Fail
	}
	var stored *loupe.Associate
	if old, ok := m.associates[id]; ok {
		stored = &old
	}
	a, write, err := fn(stored)
	if err != nil || !write {
		return err
	}
	a.AssociateID = id
	m.associates[id] = a
	m.writes++
	return nil
}

// GetAssociate implements loupe.DB.
func (m *MemDB) GetAssociate(_ context.Context, id string) (loupe.Associate, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Fail != nil {
		return loupe.Associate{}, m.Fail
	}
	a, ok := m.associates[id]
	if !ok {
		return loupe.Associate{}, notFound("associate", id)
	}
	return a, nil
}

// ListAssociates implements loupe.DB.
func (m *MemDB) ListAssociates(_ context.Context, storeID string) ([]loupe.Associate, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Fail != nil {
		return nil, m.Fail
	}
	var out []loupe.Associate
	for _, a := range m.associates {
		if storeID == "" || a.StoreID == storeID {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].AssociateID < out[j].AssociateID })
	return out, nil
}

// UpdateCustomer implements loupe.DB as the DynamoDB adapter does: it
// reads the customer and its version under the MemDB's lock, calls fn
// without it (fn may read the MemDB, as loupe.CountPurchases does), and
// writes only when the version is still the one read, else decides again
// on a fresh read. No customer is ever erased.
func (m *MemDB) UpdateCustomer(_ context.Context, id string, fn func(*loupe.Customer, time.Time) (loupe.Customer, bool, error)) error {
	for {
		m.mu.Lock()
		if m.Fail != nil {
			m.mu.Unlock()
			return m.Fail
		}
		var stored *loupe.Customer
		if old, ok := m.customers[id]; ok {
			stored = &old
		}
		version := m.versions[id]
		m.mu.Unlock()
		c, write, err := fn(stored, time.Time{})
		if err != nil || !write {
			return err
		}
		m.mu.Lock()
		if m.versions[id] != version {
			m.mu.Unlock()
			continue // another writer won: decide again
		}
		c.CustomerID = id
		m.customers[id] = c
		m.versions[id]++
		m.writes++
		m.mu.Unlock()
		return nil
	}
}

// ErasedAt implements loupe.DB: a MemDB erases nobody.
func (m *MemDB) ErasedAt(context.Context, string) (time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return time.Time{}, m.Fail
}

// GetCustomer implements loupe.DB.
func (m *MemDB) GetCustomer(_ context.Context, id string) (loupe.Customer, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Fail != nil {
		return loupe.Customer{}, m.Fail
	}
	c, ok := m.customers[id]
	if !ok {
		return loupe.Customer{}, notFound("customer", id)
	}
	return c, nil
}

func (m *MemDB) sortedCustomers(keep func(loupe.Customer) bool) []loupe.Customer {
	var out []loupe.Customer
	for _, c := range m.customers {
		if keep(c) {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CustomerID < out[j].CustomerID })
	return out
}

// CustomersByAssociate implements loupe.DB.
func (m *MemDB) CustomersByAssociate(_ context.Context, associateID string) ([]loupe.Customer, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Fail != nil {
		return nil, m.Fail
	}
	return m.sortedCustomers(func(c loupe.Customer) bool { return c.AssociateID == associateID }), nil
}

// CustomersByMonthDay implements loupe.DB. Returns an EINVALID *loupe.Error
// for a field other than "birthday" or "anniversary", or Fail.
func (m *MemDB) CustomersByMonthDay(_ context.Context, field, monthDay string) ([]loupe.Customer, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Fail != nil {
		return nil, m.Fail
	}
	if field != "birthday" && field != "anniversary" {
		return nil, loupe.Invalidf("field", "no month-day index on %q", field)
	}
	return m.sortedCustomers(func(c loupe.Customer) bool {
		d := c.Birthday
		if field == "anniversary" {
			d = c.Anniversary
		}
		return !d.IsZero() && d.MonthDay() == monthDay
	}), nil
}

// CustomersByPhone implements loupe.DB.
func (m *MemDB) CustomersByPhone(_ context.Context, phone string) ([]loupe.Customer, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Fail != nil {
		return nil, m.Fail
	}
	if phone == "" {
		return nil, nil
	}
	return m.sortedCustomers(func(c loupe.Customer) bool { return c.Phone == phone }), nil
}

// ScanCustomers implements loupe.DB.
func (m *MemDB) ScanCustomers(_ context.Context, storeID string, fn func(loupe.Customer) error) error {
	m.mu.Lock()
	if m.Fail != nil {
		m.mu.Unlock()
		return m.Fail
	}
	cs := m.sortedCustomers(func(c loupe.Customer) bool { return storeID == "" || c.HomeStoreID == storeID })
	m.mu.Unlock()
	for _, c := range cs {
		if err := fn(c); err != nil {
			return err
		}
	}
	return nil
}

// PutRepair implements loupe.DB.
func (m *MemDB) PutRepair(_ context.Context, r loupe.Repair) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Fail != nil {
		return m.Fail
	}
	if _, ok := m.repairs[r.RepairID]; ok {
		return loupe.ErrExists
	}
	m.repairs[r.RepairID] = r
	m.writes++
	return nil
}

// GetRepair implements loupe.DB.
func (m *MemDB) GetRepair(_ context.Context, id string) (loupe.Repair, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Fail != nil {
		return loupe.Repair{}, m.Fail
	}
	r, ok := m.repairs[id]
	if !ok {
		return loupe.Repair{}, notFound("repair", id)
	}
	return r, nil
}

// RepairsByStoreDay implements loupe.DB.
func (m *MemDB) RepairsByStoreDay(_ context.Context, storeID, day string) ([]loupe.Repair, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Fail != nil {
		return nil, m.Fail
	}
	var out []loupe.Repair
	for _, r := range m.repairs {
		if r.StoreID == storeID && r.LocalDay == day {
			out = append(out, r)
		}
	}
	sortRepairs(out)
	return out, nil
}

// RepairsByCustomer implements loupe.DB.
func (m *MemDB) RepairsByCustomer(_ context.Context, customerID string) ([]loupe.Repair, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Fail != nil {
		return nil, m.Fail
	}
	var out []loupe.Repair
	for _, r := range m.repairs {
		if r.CustomerID == customerID {
			out = append(out, r)
		}
	}
	sortRepairs(out)
	return out, nil
}

// sortRepairs orders take-ins by TakenInAt then RepairID.
func sortRepairs(rs []loupe.Repair) {
	sort.Slice(rs, func(i, j int) bool {
		if !rs[i].TakenInAt.Equal(rs[j].TakenInAt) {
			return rs[i].TakenInAt.Before(rs[j].TakenInAt)
		}
		return rs[i].RepairID < rs[j].RepairID
	})
}

// PutPurchase implements loupe.DB.
func (m *MemDB) PutPurchase(_ context.Context, p loupe.Purchase) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Fail != nil {
		return m.Fail
	}
	if _, ok := m.purchases[p.PurchaseID]; ok {
		return loupe.ErrExists
	}
	m.purchases[p.PurchaseID] = p
	m.writes++
	return nil
}

// PurchasesByCustomer implements loupe.DB.
func (m *MemDB) PurchasesByCustomer(_ context.Context, customerID string) ([]loupe.Purchase, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Fail != nil {
		return nil, m.Fail
	}
	var out []loupe.Purchase
	for _, p := range m.purchases {
		if p.CustomerID == customerID {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PurchasedAt.Before(out[j].PurchasedAt) })
	return out, nil
}

// ClaimEvent implements loupe.DB.
func (m *MemDB) ClaimEvent(_ context.Context, id, hash string, _ time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Fail != nil {
		return false, m.Fail
	}
	if h, ok := m.events[id]; ok {
		if h != hash {
			return false, fmt.Errorf("claim event %s: %w", id, loupe.ErrConflict)
		}
		return false, nil
	}
	m.events[id] = hash
	m.writes++
	return true, nil
}

// PutContact implements loupe.DB.
func (m *MemDB) PutContact(_ context.Context, c loupe.Contact) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Fail != nil {
		return m.Fail
	}
	if _, ok := m.contacts[c.CustomerID][c.Ref]; ok {
		return loupe.ErrExists
	}
	if m.contacts[c.CustomerID] == nil {
		m.contacts[c.CustomerID] = map[string]loupe.Contact{}
	}
	m.contacts[c.CustomerID][c.Ref] = c
	m.writes++
	return nil
}

// SetContactStatus implements loupe.DB under the MemDB's lock.
func (m *MemDB) SetContactStatus(_ context.Context, customerID, ref, status string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Fail != nil {
		return false, m.Fail
	}
	if err := loupe.ValidContactStatus(status); err != nil {
		return false, err
	}
	c, ok := m.contacts[customerID][ref]
	if !ok {
		return false, fmt.Errorf("contact %s of %s: %w", ref, customerID, loupe.ErrNotFound)
	}
	if !loupe.AdvancesContactStatus(c.Status, status) {
		return false, nil
	}
	c.Status = status
	m.contacts[customerID][ref] = c
	m.writes++
	return true, nil
}

// ContactsByCustomer implements loupe.DB.
func (m *MemDB) ContactsByCustomer(_ context.Context, customerID string, limit int) ([]loupe.Contact, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Fail != nil {
		return nil, m.Fail
	}
	var out []loupe.Contact
	for _, c := range m.contacts[customerID] {
		out = append(out, c)
	}
	return loupe.NewestContacts(out, limit), nil
}

// DeleteContact implements loupe.DB.
func (m *MemDB) DeleteContact(_ context.Context, customerID, ref string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Fail != nil {
		return m.Fail
	}
	delete(m.contacts[customerID], ref)
	return nil
}
