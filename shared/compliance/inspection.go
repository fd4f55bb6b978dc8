package compliance

import (
	"context"
	"fmt"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
)

// DefaultInspectionDays is the length of an inspection started without a to.
const DefaultInspectionDays = 14

// MaxInspectionDays is the longest inspection a store may run.
const MaxInspectionDays = 31

// Inspection is a store's inspection window: every morning of it, the store's
// manager receives the previous day's take-ins without an email. From and To
// are store-local days "YYYY-MM-DD", both inclusive. It is kept apart from the
// store record, so a store.upserted from the POS never wipes it.
type Inspection struct {
	StoreID   string    `json:"store_id"`
	From      string    `json:"from"`
	To        string    `json:"to"`
	UpdatedAt time.Time `json:"updated_at"` // when it was last set
}

// Covers reports whether store-local day ("YYYY-MM-DD") falls within the window.
func (in Inspection) Covers(day string) bool { return in.From <= day && day <= in.To }

// InspectionStore keeps inspection windows and the ledger of morning mails
// sent. It is implemented by MemStore, package embedded and package dynamo;
// compliancetest.RunInspections is its contract suite. Safe for concurrent use.
type InspectionStore interface {
	// SetInspection stores in, replacing the store's earlier window; setting
	// the same window again changes nothing. The morning ledger is kept.
	// Returns the storage error.
	SetInspection(ctx context.Context, in Inspection) error
	// DeleteInspection ends storeID's inspection; a no-op without one. The
	// morning ledger is kept. Returns the storage error.
	DeleteInspection(ctx context.Context, storeID string) error
	// Inspection returns storeID's inspection, or an error wrapping
	// loupe.ErrNotFound when it has none.
	Inspection(ctx context.Context, storeID string) (Inspection, error)
	// Inspections returns every stored inspection ordered by StoreID.
	// Returns the storage error.
	Inspections(ctx context.Context) ([]Inspection, error)
	// ClaimMorning records, with a conditional write, that the morning mail
	// of storeID for day is being sent. It returns true when this call
	// recorded it and false when it was already recorded (sent, or being sent
	// by another run). Returns the storage error.
	ClaimMorning(ctx context.Context, storeID, day string, at time.Time) (bool, error)
	// ReleaseMorning forgets a claim whose mail was certainly not sent, so a
	// later run tries again. A no-op without a claim. Returns the storage error.
	ReleaseMorning(ctx context.Context, storeID, day string) error
}

// InspectionWindow resolves a requested window against today, the store's
// local date: from defaults to today, to to from + DefaultInspectionDays - 1.
// Returns an EINVALID *loupe.Error naming "from" or "to" when a day is not
// YYYY-MM-DD, "to" when to is before from or the window is longer than
// MaxInspectionDays.
func InspectionWindow(from, to, today string) (string, string, error) {
	if from == "" {
		from = today
	}
	f, err := time.Parse(time.DateOnly, from)
	if err != nil || len(from) != 10 {
		return "", "", loupe.Invalidf("from", "from must be a day YYYY-MM-DD")
	}
	l := f.AddDate(0, 0, DefaultInspectionDays-1)
	if to != "" {
		if l, err = time.Parse(time.DateOnly, to); err != nil || len(to) != 10 {
			return "", "", loupe.Invalidf("to", "to must be a day YYYY-MM-DD")
		}
	}
	if l.Before(f) {
		return "", "", loupe.Invalidf("to", "to must not be before from")
	}
	if n := int(l.Sub(f).Hours()/24) + 1; n > MaxInspectionDays {
		return "", "", loupe.Invalidf("to", "the inspection is %d days; at most %d", n, MaxInspectionDays)
	}
	return f.Format(time.DateOnly), l.Format(time.DateOnly), nil
}

// inspections returns the inspection store or an EUNAVAILABLE *loupe.Error.
func (s *Service) inspections() (InspectionStore, error) {
	if s.Inspections == nil {
		return nil, loupe.Errorf(loupe.EUNAVAILABLE, "inspections are not configured")
	}
	return s.Inspections, nil
}

// store returns storeID's record, or an ENOTFOUND *loupe.Error naming it.
func (s *Service) store(ctx context.Context, storeID string) (loupe.Store, error) {
	if !loupe.ValidID(storeID) {
		return loupe.Store{}, loupe.Invalidf("store_id", "store_id must be a valid id")
	}
	st, err := s.Stores.GetStore(ctx, storeID)
	if isNotFound(err) {
		return loupe.Store{}, fmt.Errorf("store %s: %w", storeID, &loupe.Error{Code: loupe.ENOTFOUND, Message: "store " + storeID + " not found"})
	}
	if err != nil {
		return loupe.Store{}, fmt.Errorf("get store %s: %w", storeID, err)
	}
	return st, nil
}

// StartInspection sets storeID's inspection window (InspectionWindow: from
// defaults to the store's local today, to to from + 13 days) and returns it.
// Starting again replaces the window; mornings already mailed are not mailed
// again. Returns an EINVALID *loupe.Error naming the field, an ENOTFOUND one
// for an unknown store, EUNAVAILABLE without an InspectionStore, or the
// storage error.
func (s *Service) StartInspection(ctx context.Context, storeID, from, to string) (Inspection, error) {
	is, err := s.inspections()
	if err != nil {
		return Inspection{}, err
	}
	st, err := s.store(ctx, storeID)
	if err != nil {
		return Inspection{}, err
	}
	now := s.Now()
	from, to, err = InspectionWindow(from, to, loupe.LocalDayIn(now, location(st.Timezone)))
	if err != nil {
		return Inspection{}, err
	}
	in := Inspection{StoreID: storeID, From: from, To: to, UpdatedAt: now.UTC()}
	if err := is.SetInspection(ctx, in); err != nil {
		return Inspection{}, fmt.Errorf("start inspection of store %s: %w", storeID, err)
	}
	s.log().InfoContext(ctx, "inspection set", "store_id", storeID, "from", from, "to", to)
	return in, nil
}

// StopInspection ends storeID's inspection (a no-op without one). Returns an
// ENOTFOUND *loupe.Error for an unknown store, EUNAVAILABLE without an
// InspectionStore, or the storage error.
func (s *Service) StopInspection(ctx context.Context, storeID string) error {
	is, err := s.inspections()
	if err != nil {
		return err
	}
	if _, err := s.store(ctx, storeID); err != nil {
		return err
	}
	if err := is.DeleteInspection(ctx, storeID); err != nil {
		return fmt.Errorf("stop inspection of store %s: %w", storeID, err)
	}
	s.log().InfoContext(ctx, "inspection stopped", "store_id", storeID)
	return nil
}

// Inspection returns storeID's inspection. Returns an ENOTFOUND *loupe.Error
// for an unknown store or a store without inspection (the messages differ),
// EUNAVAILABLE without an InspectionStore, or the storage error.
func (s *Service) Inspection(ctx context.Context, storeID string) (Inspection, error) {
	is, err := s.inspections()
	if err != nil {
		return Inspection{}, err
	}
	if _, err := s.store(ctx, storeID); err != nil {
		return Inspection{}, err
	}
	in, err := is.Inspection(ctx, storeID)
	if isNotFound(err) {
		return Inspection{}, fmt.Errorf("inspection of store %s: %w", storeID, &loupe.Error{Code: loupe.ENOTFOUND, Message: "store " + storeID + " has no inspection"})
	}
	if err != nil {
		return Inspection{}, fmt.Errorf("inspection of store %s: %w", storeID, err)
	}
	return in, nil
}
