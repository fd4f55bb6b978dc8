package compliance

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
)

// MemStore is an in-memory Store for tests and local experiments. It keeps the
// same semantics as the persistent adapters: per (day, store) sets of repair
// ids, so recording again counts nothing twice. The zero value is ready to use.
type MemStore struct {
	mu   sync.Mutex
	days map[string]map[string]*memDay // date -> store id -> aggregate
	insp memInspections
}

var _ Store = (*MemStore)(nil)

type memDay struct {
	taken    map[string]struct{} // repair ids
	captured map[string]struct{} // repair ids with email
	listed   map[string]struct{} // repair ids in missing
	counts   map[string]Count    // by associate, kept in step with the sets
	missing  []Missing           // at most MaxMissingPerDay, in arrival order
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
		d = &memDay{taken: map[string]struct{}{}, captured: map[string]struct{}{}, listed: map[string]struct{}{}, counts: map[string]Count{}}
		byStore[t.StoreID] = d
	}
	c := d.counts[t.AssociateID]
	if _, ok := d.taken[t.RepairID]; !ok {
		d.taken[t.RepairID] = struct{}{}
		c.TakeIns++
	}
	if _, ok := d.captured[t.RepairID]; t.Captured && !ok {
		d.captured[t.RepairID] = struct{}{}
		c.WithEmail++
	}
	d.counts[t.AssociateID] = c
	if _, ok := d.listed[t.RepairID]; !t.Captured && !ok && len(d.missing) < MaxMissingPerDay {
		d.listed[t.RepairID] = struct{}{}
		d.missing = append(d.missing, Missing{RepairID: t.RepairID, AssociateID: t.AssociateID, CustomerID: t.CustomerID,
			TakenInAt: t.TakenInAt, Reason: t.Reason, Suggestion: t.Suggestion})
	}
	return nil
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

// ReportDays implements Store.
func (m *MemStore) ReportDays(ctx context.Context, from, to, storeID string, missingPerStore int) ([]Day, error) {
	days, err := m.Days(ctx, from, to, storeID)
	if err != nil {
		return nil, err
	}
	return KeepNewestMissing(days, missingPerStore), nil
}

func (md *memDay) day(storeID, date string) Day {
	return Day{StoreID: storeID, Date: date, Associates: maps.Clone(md.counts), Missing: slices.Clone(md.missing)}
}

// Scrub implements Store.
func (m *MemStore) Scrub(ctx context.Context, storeID, day, repairID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	d := m.days[day][storeID]
	if d == nil {
		return nil
	}
	for i := range d.missing {
		if d.missing[i].RepairID == repairID {
			d.missing[i].CustomerID, d.missing[i].Suggestion = "", ""
		}
	}
	return nil
}

// memInspections is MemStore's part for inspections.
type memInspections struct {
	windows map[string]Inspection // by store id
	claims  map[string]time.Time  // "<store>/<day>" -> claimed at
}

var _ InspectionStore = (*MemStore)(nil)

// SetInspection implements InspectionStore.
func (m *MemStore) SetInspection(ctx context.Context, in Inspection) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.insp.windows == nil {
		m.insp.windows = map[string]Inspection{}
	}
	in.UpdatedAt = in.UpdatedAt.UTC()
	m.insp.windows[in.StoreID] = in
	return nil
}

// DeleteInspection implements InspectionStore.
func (m *MemStore) DeleteInspection(ctx context.Context, storeID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.insp.windows, storeID)
	return nil
}

// Inspection implements InspectionStore. Returns an error wrapping
// loupe.ErrNotFound when storeID has none.
func (m *MemStore) Inspection(ctx context.Context, storeID string) (Inspection, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	in, ok := m.insp.windows[storeID]
	if !ok {
		return Inspection{}, fmt.Errorf("inspection of store %s: %w", storeID, loupe.ErrNotFound)
	}
	return in, nil
}

// Inspections implements InspectionStore.
func (m *MemStore) Inspections(ctx context.Context) ([]Inspection, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := slices.Collect(maps.Values(m.insp.windows))
	sort.Slice(out, func(i, j int) bool { return out[i].StoreID < out[j].StoreID })
	return out, nil
}

// ClaimMorning implements InspectionStore.
func (m *MemStore) ClaimMorning(ctx context.Context, storeID, day string, at time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := storeID + "/" + day
	if _, ok := m.insp.claims[k]; ok {
		return false, nil
	}
	if m.insp.claims == nil {
		m.insp.claims = map[string]time.Time{}
	}
	m.insp.claims[k] = at
	return true, nil
}

// ReleaseMorning implements InspectionStore.
func (m *MemStore) ReleaseMorning(ctx context.Context, storeID, day string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.insp.claims, storeID+"/"+day)
	return nil
}
