package compliance

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"
)

// MemStore is an in-memory Store for tests and local experiments. It keeps the
// same shape as the persistent adapters: per (day, store) sets of repair ids by
// associate, so counting is idempotent. The zero value is ready to use.
type MemStore struct {
	mu   sync.Mutex
	days map[string]map[string]*memDay // date -> store id -> aggregate
}

var _ Store = (*MemStore)(nil)

type memDay struct {
	taken     map[string]map[string]struct{} // associate -> repair ids
	withEmail map[string]map[string]struct{} // associate -> repair ids with email
	missing   map[string]Missing             // repair id -> entry, at most MaxMissingPerDay
}

// Record implements Store. Returns an EINVALID *loupe.Error for an invalid t.
func (m *MemStore) Record(ctx context.Context, t TakeIn) error {
	if err := t.Validate(); err != nil {
		return fmt.Errorf("record take-in %s: %w", t.RepairID, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.days == nil {
		m.days = make(map[string]map[string]*memDay)
	}
	byStore := m.days[t.Day]
	if byStore == nil {
		byStore = make(map[string]*memDay)
		m.days[t.Day] = byStore
	}
	d := byStore[t.StoreID]
	if d == nil {
		d = &memDay{taken: map[string]map[string]struct{}{}, withEmail: map[string]map[string]struct{}{}, missing: map[string]Missing{}}
		byStore[t.StoreID] = d
	}
	addToSet(d.taken, t.AssociateID, t.RepairID)
	if t.Captured {
		addToSet(d.withEmail, t.AssociateID, t.RepairID)
		return nil
	}
	if _, ok := d.missing[t.RepairID]; ok || len(d.missing) < MaxMissingPerDay {
		d.missing[t.RepairID] = Missing{RepairID: t.RepairID, AssociateID: t.AssociateID, CustomerID: t.CustomerID,
			TakenInAt: t.TakenInAt, Reason: t.Reason, Suggestion: t.Suggestion}
	}
	return nil
}

func addToSet(sets map[string]map[string]struct{}, key, id string) {
	s := sets[key]
	if s == nil {
		s = make(map[string]struct{})
		sets[key] = s
	}
	s[id] = struct{}{}
}

// Days implements Store. Its cost is one aggregate per store-day of the window.
// Returns an error when from or to is not a day.
func (m *MemStore) Days(ctx context.Context, from, to, storeID string) ([]Day, error) {
	f, err := time.Parse(time.DateOnly, from)
	if err != nil {
		return nil, fmt.Errorf("days from %q: %w", from, err)
	}
	l, err := time.Parse(time.DateOnly, to)
	if err != nil {
		return nil, fmt.Errorf("days to %q: %w", to, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Day
	for d := f; !d.After(l); d = d.AddDate(0, 0, 1) {
		date := d.Format(time.DateOnly)
		byStore := m.days[date]
		if storeID != "" {
			if md := byStore[storeID]; md != nil {
				out = append(out, md.day(storeID, date))
			}
			continue
		}
		for id, md := range byStore {
			out = append(out, md.day(id, date))
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].StoreID != out[j].StoreID {
			return out[i].StoreID < out[j].StoreID
		}
		return out[i].Date < out[j].Date
	})
	return out, nil
}

func (md *memDay) day(storeID, date string) Day {
	d := Day{StoreID: storeID, Date: date, Associates: make(map[string]Count, len(md.taken))}
	for a, ids := range md.taken {
		d.Associates[a] = Count{TakeIns: len(ids), WithEmail: len(md.withEmail[a])}
	}
	if len(md.missing) > 0 {
		d.Missing = make([]Missing, 0, len(md.missing))
		for _, e := range md.missing {
			d.Missing = append(d.Missing, e)
		}
	}
	return d
}
