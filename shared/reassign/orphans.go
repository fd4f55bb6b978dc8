package reassign

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
)

// Why a client is orphaned.
const (
	OrphanTerminated = "terminated" // the owner is a terminated associate
	OrphanUnknown    = "unknown"    // the owner id names no associate
	OrphanUnowned    = "unowned"    // the client has no owner at all
)

// Orphan is a client whose owner is terminated, unknown or missing.
type Orphan struct {
	CustomerID  string `json:"customer_id"`
	Name        string `json:"name"`
	HomeStoreID string `json:"home_store_id"`
	AssociateID string `json:"associate_id"` // the former owner; "" when unowned
	Reason      string `json:"reason"`       // OrphanTerminated, OrphanUnknown or OrphanUnowned
}

// Orphans returns every orphaned client ordered by customer id. It reads every
// associate once and scans every customer once (in DynamoDB: a full table
// scan, about one read unit per 4 KB of table; see docs/reassignment.md).
// Returns the storage error.
func (s *Service) Orphans(ctx context.Context) ([]Orphan, error) {
	orphans, _, _, err := s.scanOrphans(ctx)
	return orphans, err
}

// scanOrphans also returns the orphans' records and every associate's book size.
func (s *Service) scanOrphans(ctx context.Context) ([]Orphan, map[string][]loupe.Customer, map[string]int, error) {
	all, err := s.DB.ListAssociates(ctx, "")
	if err != nil {
		return nil, nil, nil, fmt.Errorf("orphans: list associates: %w", err)
	}
	status := make(map[string]bool, len(all)) // id -> active
	for _, a := range all {
		status[a.AssociateID] = a.Active()
	}
	var out []Orphan
	groups := map[string][]loupe.Customer{}
	loads := map[string]int{}
	err = s.DB.ScanCustomers(ctx, "", func(c loupe.Customer) error {
		loads[c.AssociateID]++
		active, known := status[c.AssociateID]
		o := Orphan{CustomerID: c.CustomerID, Name: customerName(c), HomeStoreID: c.HomeStoreID, AssociateID: c.AssociateID}
		switch {
		case c.AssociateID == "":
			o.Reason = OrphanUnowned
		case !known:
			o.Reason = OrphanUnknown
		case !active:
			o.Reason = OrphanTerminated
		default:
			return nil
		}
		out = append(out, o)
		groups[c.AssociateID] = append(groups[c.AssociateID], c)
		return nil
	})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("orphans: scan customers: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CustomerID < out[j].CustomerID })
	return out, groups, loads, nil
}

// ReassignOrphans reassigns every orphaned client as a termination would:
// one batch per home store (id "orphans-<store id>-<store-local day>", with
// "-2", "-3" for later runs the same day), whose review goes to that store's
// manager, planned one after the other with book sizes kept up to date, so
// capacities hold across batches. It first completes batches an earlier run
// left pending. It returns the ids of the batches it created, in store
// order. Returns the first storage error; running it again resumes.
func (s *Service) ReassignOrphans(ctx context.Context) ([]string, error) {
	s.norm()
	return s.reassignOrphans(ctx, &Outcome{})
}

// ReassignOrphansOutcome does what ReassignOrphans does and returns the
// clients this call moved and the ids of the batches it completed: the
// batches it created and those of an earlier run it completed. Returns the
// first storage error (or the context's) together with what was done before
// it; running it again resumes.
func (s *Service) ReassignOrphansOutcome(ctx context.Context) (Outcome, error) {
	s.norm()
	var out Outcome
	_, err := s.reassignOrphans(ctx, &out)
	return out, err
}

// reassignOrphans is ReassignOrphans, adding what it does to out.
func (s *Service) reassignOrphans(ctx context.Context, out *Outcome) ([]string, error) {
	prev, err := s.Batches.ListReassignments(ctx)
	if err != nil {
		return nil, fmt.Errorf("reassign orphans: %w", err)
	}
	for _, b := range prev {
		if b.Status == StatusPlanning || b.Status == StatusPending {
			if _, err := s.resume(ctx, b, out); err != nil {
				return nil, fmt.Errorf("reassign orphans: resume %s: %w", b.ID, err)
			}
		}
	}
	_, groups, loads, err := s.scanOrphans(ctx)
	if err != nil {
		return nil, fmt.Errorf("reassign orphans: %w", err)
	}
	byStore := map[string][]loupe.Customer{}
	for _, cs := range groups {
		for _, c := range cs {
			byStore[c.HomeStoreID] = append(byStore[c.HomeStoreID], c)
		}
	}
	stores := make([]string, 0, len(byStore))
	for id := range byStore {
		stores = append(stores, id)
	}
	sort.Strings(stores)
	now := s.Now().UTC()
	var ids []string
	for _, store := range stores {
		clients := byStore[store]
		sort.Slice(clients, func(i, j int) bool { return clients[i].CustomerID < clients[j].CustomerID })
		b, err := s.createStoreBatch(ctx, store, now)
		if err != nil {
			return ids, fmt.Errorf("reassign orphans: %w", err)
		}
		done, err := s.planAndApply(ctx, b, clients, loads, out)
		if err != nil {
			return ids, fmt.Errorf("reassign orphans: %w", err)
		}
		ids = append(ids, done.ID)
		as, err := s.Batches.ReassignmentAssignments(ctx, done.ID)
		if err != nil {
			return ids, fmt.Errorf("reassign orphans: %w", err)
		}
		for _, a := range as {
			if a.State == StateMoved {
				loads[a.ToAssociateID]++
				loads[a.FromAssociateID]--
			}
		}
	}
	return ids, nil
}

// maxBatchesPerDay bounds the "-N" suffixes createStoreBatch tries.
const maxBatchesPerDay = 1000

// createStoreBatch creates the backfill batch of store's orphans:
// "orphans-<store>-<day>" in the store's time zone (UTC when unknown), or
// the first free "-N" after it.
func (s *Service) createStoreBatch(ctx context.Context, store string, now time.Time) (Batch, error) {
	day := now
	if st, err := s.DB.GetStore(ctx, store); err == nil {
		if loc, err := st.Location(); err == nil {
			day = now.In(loc)
		}
	} else if !errors.Is(err, loupe.ErrNotFound) {
		return Batch{}, fmt.Errorf("store %s: %w", store, err)
	}
	base := "orphans-" + store + "-" + day.Format("2006-01-02")
	for n := 1; n <= maxBatchesPerDay; n++ {
		b := Batch{ID: base, StoreID: store, CreatedAt: now, Status: StatusPlanning, Source: SourceBackfill}
		if n > 1 {
			b.ID = fmt.Sprintf("%s-%d", base, n)
		}
		err := s.Batches.CreateReassignment(ctx, b)
		if err == nil {
			return b, nil
		}
		if !errors.Is(err, loupe.ErrExists) {
			return Batch{}, fmt.Errorf("create %s: %w", b.ID, err)
		}
	}
	return Batch{}, fmt.Errorf("store %s: %d backfill batches today already", store, maxBatchesPerDay)
}
