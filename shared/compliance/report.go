package compliance

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
)

// DefaultWindowDays is the length of the window when the query gives no from.
const DefaultWindowDays = 14

// MaxWindowDays is the longest window a report covers.
const MaxWindowDays = 92

// MaxMissingPerStore bounds a store's missing list in a report: the newest
// ones are kept. take_ins - with_email is the full count.
const MaxMissingPerStore = 100

// Report is the body of GET /compliance (CONTRACT section 3).
type Report struct {
	From   string        `json:"from"`
	To     string        `json:"to"`
	Totals Totals        `json:"totals"`
	Stores []StoreReport `json:"stores"` // ordered by store_id
}

// Totals are the chain's figures for the window.
type Totals struct {
	TakeIns   int     `json:"take_ins"`
	WithEmail int     `json:"with_email"`
	Rate      float64 `json:"rate"` // with_email / take_ins rounded to 4 decimals; 0 without take-ins
}

// StoreReport is one store's figures for the window.
type StoreReport struct {
	StoreID    string            `json:"store_id"`
	Name       string            `json:"name"`
	Timezone   string            `json:"timezone,omitempty"` // the store's IANA zone, for local times of the missing list; absent without a store record
	TakeIns    int               `json:"take_ins"`
	WithEmail  int               `json:"with_email"`
	Rate       float64           `json:"rate"`
	Associates []AssociateReport `json:"associates"` // best to worst: rate desc, take_ins desc, associate_id
	Days       []DayReport       `json:"days"`       // every day of the window, oldest first, zeros included
	Missing    []Missing         `json:"missing"`    // newest first; at most MaxMissingPerStore (and MaxMissingPerDay a day)
}

// AssociateReport is one associate's figures in one store for the window.
type AssociateReport struct {
	AssociateID string  `json:"associate_id"`
	Name        string  `json:"name"`
	TakeIns     int     `json:"take_ins"`
	WithEmail   int     `json:"with_email"`
	Rate        float64 `json:"rate"`
}

// DayReport is one store's figures on one store-local day.
type DayReport struct {
	Date      string `json:"date"`
	TakeIns   int    `json:"take_ins"`
	WithEmail int    `json:"with_email"`
}

// Rate returns withEmail/takeIns rounded to 4 decimals, 0 when takeIns is 0.
func Rate(withEmail, takeIns int) float64 {
	if takeIns <= 0 {
		return 0
	}
	return math.Round(float64(withEmail)/float64(takeIns)*10000) / 10000
}

// Window resolves the query's from and to ("YYYY-MM-DD" or "") against today,
// the store-local date the window ends on by default. No from and no to: the
// DefaultWindowDays days ending today. Only to: the DefaultWindowDays days
// ending on to. Only from: from through today. Returns an EINVALID
// *loupe.Error naming "from" or "to" for a malformed day, "from" when from is
// after to or the window is longer than MaxWindowDays.
func Window(from, to, today string) (string, string, error) {
	var f, l time.Time
	var err error
	if to == "" {
		to = today
	}
	if l, err = time.Parse(time.DateOnly, to); err != nil || len(to) != 10 {
		return "", "", loupe.Invalidf("to", "to must be a day YYYY-MM-DD")
	}
	if from == "" {
		f = l.AddDate(0, 0, -(DefaultWindowDays - 1))
	} else if f, err = time.Parse(time.DateOnly, from); err != nil || len(from) != 10 {
		return "", "", loupe.Invalidf("from", "from must be a day YYYY-MM-DD")
	}
	if f.After(l) {
		return "", "", loupe.Invalidf("from", "from must not be after to")
	}
	if n := int(l.Sub(f).Hours()/24) + 1; n > MaxWindowDays {
		return "", "", loupe.Invalidf("from", "the window is %d days; at most %d", n, MaxWindowDays)
	}
	return f.Format(time.DateOnly), l.Format(time.DateOnly), nil
}

// today returns the latest store-local date among stores at now: the default
// window ends on the day the chain's easternmost store has reached, so no
// store's take-ins of its current day are left out. UTC without stores.
func today(now time.Time, stores []loupe.Store) string {
	best := now.UTC().Format(time.DateOnly)
	if len(stores) > 0 {
		best = ""
	}
	for _, st := range stores {
		if d := loupe.LocalDayIn(now, location(st.Timezone)); d > best {
			best = d
		}
	}
	return best
}

// Report returns the compliance figures for days from..to ("YYYY-MM-DD"; "" for
// the defaults of Window) of one store, or of the chain when storeID is "".
// The default window ends today in the store's zone (the latest local date
// among the chain's stores for a chain report). Stores with take-ins but no
// store record are reported with an empty name. Returns an EINVALID
// *loupe.Error naming the query field, an error wrapping loupe.ErrNotFound for
// an unknown storeID, or the storage error.
func (s *Service) Report(ctx context.Context, from, to, storeID string) (Report, error) {
	var stores []loupe.Store
	if storeID != "" {
		st, err := s.Stores.GetStore(ctx, storeID)
		if err != nil {
			if isNotFound(err) {
				return Report{}, fmt.Errorf("compliance of store %s: %w", storeID, loupe.ErrNotFound)
			}
			return Report{}, fmt.Errorf("compliance get store %s: %w", storeID, err)
		}
		stores = []loupe.Store{st}
	} else {
		var err error
		if stores, err = s.Stores.ListStores(ctx); err != nil {
			return Report{}, fmt.Errorf("compliance list stores: %w", err)
		}
	}
	from, to, err := Window(from, to, today(s.Now(), stores))
	if err != nil {
		return Report{}, err
	}
	days, err := s.Store.ReportDays(ctx, from, to, storeID, MaxMissingPerStore)
	if err != nil {
		return Report{}, fmt.Errorf("compliance days %s..%s: %w", from, to, err)
	}
	assocs, err := s.Associates.ListAssociates(ctx, storeID)
	if err != nil {
		return Report{}, fmt.Errorf("compliance list associates: %w", err)
	}
	names := make(map[string]string, len(assocs))
	for _, a := range assocs {
		names[a.AssociateID] = a.Name
	}
	if storeID != "" && unnamed(days, names) {
		// An associate may have moved stores since: look the rest up chain-wide once.
		all, err := s.Associates.ListAssociates(ctx, "")
		if err != nil {
			return Report{}, fmt.Errorf("compliance list associates: %w", err)
		}
		for _, a := range all {
			names[a.AssociateID] = a.Name
		}
	}
	rep := build(from, to, stores, days, names)
	if err := s.nameMissing(ctx, rep); err != nil {
		return Report{}, err
	}
	return rep, nil
}

// nameLookups bounds the customer reads nameMissing makes at once.
const nameLookups = 16

// nameMissing fills CustomerName on rep's missing lists from the customers'
// profiles (Service.Names): one read per distinct customer listed (at most
// MaxMissingPerStore a store), nameLookups at a time. A customer that is
// gone keeps no name. Without Names it does nothing. Returns the first
// storage error.
func (s *Service) nameMissing(ctx context.Context, rep Report) error {
	names := s.names()
	if names == nil {
		return nil
	}
	byID := map[string]string{}
	for _, sr := range rep.Stores {
		for _, m := range sr.Missing {
			if m.CustomerID != "" {
				byID[m.CustomerID] = ""
			}
		}
	}
	if len(byID) == 0 {
		return nil
	}
	ids := make(chan string, len(byID))
	for id := range byID {
		ids <- id
	}
	close(ids)
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	for range min(nameLookups, len(byID)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range ids {
				c, err := names.GetCustomer(ctx, id)
				mu.Lock()
				switch {
				case err == nil:
					byID[id] = strings.TrimSpace(c.FirstName + " " + c.LastName)
				case !isNotFound(err) && firstErr == nil:
					firstErr = fmt.Errorf("compliance name of customer %s: %w", id, err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	for _, sr := range rep.Stores {
		for i := range sr.Missing {
			sr.Missing[i].CustomerName = byID[sr.Missing[i].CustomerID]
		}
	}
	return nil
}

// unnamed reports whether an associate of days is missing from names.
func unnamed(days []Day, names map[string]string) bool {
	for _, d := range days {
		for id := range d.Associates {
			if _, ok := names[id]; !ok {
				return true
			}
		}
	}
	return false
}

// build assembles the report from the aggregates.
func build(from, to string, stores []loupe.Store, days []Day, names map[string]string) Report {
	dates := dateRange(from, to)
	dateIndex := make(map[string]int, len(dates))
	for i, d := range dates {
		dateIndex[d] = i
	}
	type acc struct {
		rep     StoreReport
		byAssoc map[string]*Count
	}
	accs := make(map[string]*acc, len(stores))
	nMissing := make(map[string]int, len(stores))
	for _, d := range days {
		nMissing[d.StoreID] += len(d.Missing)
	}
	get := func(id, name string) *acc {
		a := accs[id]
		if a == nil {
			a = &acc{rep: StoreReport{StoreID: id, Name: name, Days: make([]DayReport, len(dates)),
				Missing: make([]Missing, 0, nMissing[id])}, byAssoc: map[string]*Count{}}
			for i, date := range dates {
				a.rep.Days[i].Date = date
			}
			accs[id] = a
		}
		return a
	}
	for _, st := range stores {
		get(st.StoreID, st.Name).rep.Timezone = st.Timezone
	}
	for _, d := range days {
		i, ok := dateIndex[d.Date]
		if !ok {
			continue // outside the window: an adapter's slip, not ours to count
		}
		a := get(d.StoreID, "")
		dc := &a.rep.Days[i]
		for id, c := range d.Associates {
			ac := a.byAssoc[id]
			if ac == nil {
				ac = &Count{}
				a.byAssoc[id] = ac
			}
			ac.TakeIns += c.TakeIns
			ac.WithEmail += c.WithEmail
			dc.TakeIns += c.TakeIns
			dc.WithEmail += c.WithEmail
		}
		a.rep.Missing = append(a.rep.Missing, d.Missing...)
	}
	rep := Report{From: from, To: to, Stores: make([]StoreReport, 0, len(accs))}
	for _, a := range accs {
		sr := a.rep
		for _, d := range sr.Days {
			sr.TakeIns += d.TakeIns
			sr.WithEmail += d.WithEmail
		}
		sr.Rate = Rate(sr.WithEmail, sr.TakeIns)
		sr.Associates = make([]AssociateReport, 0, len(a.byAssoc))
		for id, c := range a.byAssoc {
			sr.Associates = append(sr.Associates, AssociateReport{AssociateID: id, Name: names[id],
				TakeIns: c.TakeIns, WithEmail: c.WithEmail, Rate: Rate(c.WithEmail, c.TakeIns)})
		}
		sort.Slice(sr.Associates, func(i, j int) bool {
			x, y := sr.Associates[i], sr.Associates[j]
			if x.Rate != y.Rate {
				return x.Rate > y.Rate
			}
			if x.TakeIns != y.TakeIns {
				return x.TakeIns > y.TakeIns
			}
			return x.AssociateID < y.AssociateID
		})
		slices.SortFunc(sr.Missing, func(x, y Missing) int { // newest first
			if c := y.TakenInAt.Compare(x.TakenInAt); c != 0 {
				return c
			}
			return strings.Compare(y.RepairID, x.RepairID)
		})
		if len(sr.Missing) > MaxMissingPerStore {
			sr.Missing = slices.Clip(sr.Missing[:MaxMissingPerStore])
		}
		rep.Totals.TakeIns += sr.TakeIns
		rep.Totals.WithEmail += sr.WithEmail
		rep.Stores = append(rep.Stores, sr)
	}
	rep.Totals.Rate = Rate(rep.Totals.WithEmail, rep.Totals.TakeIns)
	sort.Slice(rep.Stores, func(i, j int) bool { return rep.Stores[i].StoreID < rep.Stores[j].StoreID })
	return rep
}

// zones caches time zones by name: time.LoadLocation reads the tz database
// on every call.
var zones sync.Map // string -> *time.Location

// location returns the zone named name, UTC when unknown.
func location(name string) *time.Location {
	if l, ok := zones.Load(name); ok {
		return l.(*time.Location)
	}
	l, err := loupe.Store{Timezone: name}.Location()
	if err != nil {
		l = time.UTC
	}
	zones.Store(name, l)
	return l
}

// dateRange lists the days from..to inclusive; both are valid days.
func dateRange(from, to string) []string {
	f, _ := time.Parse(time.DateOnly, from)
	l, _ := time.Parse(time.DateOnly, to)
	var out []string
	for d := f; !d.After(l); d = d.AddDate(0, 0, 1) {
		out = append(out, d.Format(time.DateOnly))
	}
	return out
}

// Only returns the report of the stores keep accepts (a manager's), with the
// totals of those stores alone.
func (r Report) Only(keep func(storeID string) bool) Report {
	out := Report{From: r.From, To: r.To, Stores: []StoreReport{}}
	for _, sr := range r.Stores {
		if keep(sr.StoreID) {
			out.Stores = append(out.Stores, sr)
			out.Totals.TakeIns += sr.TakeIns
			out.Totals.WithEmail += sr.WithEmail
		}
	}
	out.Totals.Rate = Rate(out.Totals.WithEmail, out.Totals.TakeIns)
	return out
}
