package touch_test

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/touch"
)

// fakeDB is a small in-memory touch.Reader that counts what it reads.
type fakeDB struct {
	mu         sync.Mutex
	stores     map[string]loupe.Store
	associates map[string]loupe.Associate
	customers  map[string]loupe.Customer

	scans     int // ScanCustomers calls
	monthDays int // CustomersByMonthDay calls
	read      int // customer records returned
}

func newFakeDB() *fakeDB {
	return &fakeDB{stores: map[string]loupe.Store{}, associates: map[string]loupe.Associate{}, customers: map[string]loupe.Customer{}}
}

func (f *fakeDB) put(c loupe.Customer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.customers[c.CustomerID] = c
}

func (f *fakeDB) GetStore(ctx context.Context, id string) (loupe.Store, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.stores[id]
	if !ok {
		return s, fmt.Errorf("store %s: %w", id, loupe.ErrNotFound)
	}
	return s, nil
}

func (f *fakeDB) ListStores(ctx context.Context) ([]loupe.Store, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []loupe.Store
	for _, s := range f.stores {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].StoreID < out[j].StoreID })
	return out, nil
}

func (f *fakeDB) GetAssociate(ctx context.Context, id string) (loupe.Associate, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.associates[id]
	if !ok {
		return a, fmt.Errorf("associate %s: %w", id, loupe.ErrNotFound)
	}
	return a, nil
}

func (f *fakeDB) ListAssociates(ctx context.Context, storeID string) ([]loupe.Associate, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []loupe.Associate
	for _, a := range f.associates {
		if storeID == "" || a.StoreID == storeID {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].AssociateID < out[j].AssociateID })
	return out, nil
}

func (f *fakeDB) GetCustomer(ctx context.Context, id string) (loupe.Customer, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.customers[id]
	if !ok {
		return c, fmt.Errorf("customer %s: %w", id, loupe.ErrNotFound)
	}
	return c, nil
}

func (f *fakeDB) sorted(keep func(loupe.Customer) bool) []loupe.Customer {
	var out []loupe.Customer
	for _, c := range f.customers {
		if keep(c) {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CustomerID < out[j].CustomerID })
	f.read += len(out)
	return out
}

func (f *fakeDB) CustomersByMonthDay(ctx context.Context, field, md string) ([]loupe.Customer, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.monthDays++
	return f.sorted(func(c loupe.Customer) bool {
		if field == "birthday" {
			return c.Birthday.MonthDay() == md
		}
		return c.Anniversary.MonthDay() == md
	}), nil
}

func (f *fakeDB) ScanCustomers(ctx context.Context, storeID string, fn func(loupe.Customer) error) error {
	f.mu.Lock()
	f.scans++
	cs := f.sorted(func(c loupe.Customer) bool { return storeID == "" || c.HomeStoreID == storeID })
	f.mu.Unlock()
	for _, c := range cs {
		if err := fn(c); err != nil {
			return err
		}
	}
	return nil
}

var testStores = []loupe.Store{
	{StoreID: "nyc", Name: "Loupe Fifth Avenue", Timezone: "America/New_York", Country: "US", PostalAddress: "712 Fifth Avenue, New York", FromEmail: "nyc@loupe.example.com"},
	{StoreID: "lon", Name: "Loupe Bond Street", Timezone: "Europe/London", Country: "GB", PostalAddress: "1 Bond Street, London", FromEmail: "lon@loupe.example.com"},
	{StoreID: "mex", Name: "Loupe Polanco", Timezone: "America/Mexico_City", Country: "MX", PostalAddress: "Masaryk 1, CDMX", FromEmail: "mex@loupe.example.com"},
}

// customer returns an emailable client of store with the given dates.
func customer(id, store string, birthday, anniversary loupe.Date) loupe.Customer {
	return loupe.Customer{
		CustomerID: id, HomeStoreID: store, FirstName: "First" + id, LastName: "Last",
		Email: id + "@client.example.com", Birthday: birthday, Anniversary: anniversary,
		AssociateID: "a-" + store, EmailSource: loupe.EmailSourcePOS, EmailStatus: loupe.EmailOK,
	}
}

func chainDB() *fakeDB {
	db := newFakeDB()
	for _, s := range testStores {
		db.stores[s.StoreID] = s
		db.associates["a-"+s.StoreID] = loupe.Associate{AssociateID: "a-" + s.StoreID, StoreID: s.StoreID, Name: "Ada <Lovelace>", Status: loupe.StatusActive}
	}
	return db
}

func newPlanner(db touch.Reader, ledger touch.Ledger, campaigns touch.Campaigns) *touch.Planner {
	return &touch.Planner{
		DB: db, Ledger: ledger, Campaigns: campaigns,
		UnsubscribeURL: func(id string) string { return "https://loupe.example.com/u/tok-" + id },
		Now:            func() time.Time { return time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC) },
		RecoverAfter:   -1,
		Log:            slog.New(slog.DiscardHandler),
	}
}

// countingSender records every Send call, duplicates included, before
// handing it to the wrapped Sender.
type countingSender struct {
	mu    sync.Mutex
	next  mail.Sender
	calls []mail.Message
	fail  func(m mail.Message) error
}

func (s *countingSender) Send(ctx context.Context, m mail.Message) (string, error) {
	s.mu.Lock()
	fail := s.fail
	s.mu.Unlock()
	if fail != nil {
		if err := fail(m); err != nil {
			return "", err
		}
	}
	s.mu.Lock()
	s.calls = append(s.calls, m)
	s.mu.Unlock()
	return s.next.Send(ctx, m)
}

func day(s string) touch.Day {
	d, err := touch.ParseDay(s)
	if err != nil {
		panic(err)
	}
	return d
}

func date(s string) loupe.Date {
	d, err := loupe.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}
