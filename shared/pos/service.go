package pos

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
)

// Result statuses.
const (
	StatusAccepted  = "accepted"
	StatusDuplicate = "duplicate"
)

// MaxFutureSkew is how far ahead of the server clock an event's occurred_at may
// be. A later one is rejected: stored with a far-future stamp it would block
// every genuine update after it.
const MaxFutureSkew = time.Hour

// Result is the outcome of applying one event.
type Result struct {
	ID     string // the event id
	Type   string // the event type
	Status string // StatusAccepted or StatusDuplicate
	// Outdated is true for an accepted event that changed nothing: an upsert
	// older than the stored record, or an insert of a record already stored.
	Outdated bool
}

// Records is the part of the data port (loupe.DB) the POS service uses: the
// upserts and inserts events carry, the reads that decide them, and the event
// ledger. *embedded.DB and *dynamo.DB implement it (asserted in this package's
// tests); the methods behave as loupe.DB documents them.
type Records interface {
	// PutStore upserts a store. Returns an error wrapping loupe.ErrStale if the
	// stored one is newer.
	PutStore(ctx context.Context, s loupe.Store) error
	// GetStore returns a store or an error wrapping loupe.ErrNotFound.
	GetStore(ctx context.Context, storeID string) (loupe.Store, error)
	// PutAssociate upserts an associate, status included. Returns an error
	// wrapping loupe.ErrStale if the stored one is newer.
	PutAssociate(ctx context.Context, a loupe.Associate) error
	// TerminateAssociate sets status terminated and TerminatedAt=at, stamping
	// UpdatedAt=occurredAt (an unknown associate becomes a terminated
	// tombstone). Returns an error wrapping loupe.ErrStale if the stored
	// record is newer.
	TerminateAssociate(ctx context.Context, associateID string, at, occurredAt time.Time) error
	// GetAssociate returns an associate or an error wrapping loupe.ErrNotFound.
	GetAssociate(ctx context.Context, associateID string) (loupe.Associate, error)
	// PutCustomer applies a POS upsert, keeping the fields Loupe owns. Returns
	// an error wrapping loupe.ErrStale if the stored record is newer.
	PutCustomer(ctx context.Context, c loupe.Customer) error
	// GetCustomer returns a customer or an error wrapping loupe.ErrNotFound.
	GetCustomer(ctx context.Context, customerID string) (loupe.Customer, error)
	// PutRepair inserts a repair take-in. Returns an error wrapping
	// loupe.ErrExists (nothing written) when the repair id is already stored.
	PutRepair(ctx context.Context, r loupe.Repair) error
	// PutPurchase inserts a purchase. Returns an error wrapping
	// loupe.ErrExists when it is already stored.
	PutPurchase(ctx context.Context, p loupe.Purchase) error
	// MarkEvent records that POS event id was applied: true when this call
	// recorded it, false for a duplicate. Returns the storage error.
	MarkEvent(ctx context.Context, eventID string, at time.Time) (bool, error)
	// EventSeen reports whether POS event id was already recorded. Returns the
	// storage error.
	EventSeen(ctx context.Context, eventID string) (bool, error)
}

// Service applies POS events to the database. The zero Now means time.Now.
type Service struct {
	DB  Records
	Now loupe.Clock
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Apply decodes, validates and applies one event body. An event id already
// recorded answers StatusDuplicate and applies nothing; an invalid event writes
// nothing. Out-of-order upserts are accepted without overwriting newer data.
// The event id is recorded after the write, so a failure in between is safe to
// retry.
//
// Returns an EINVALID *loupe.Error naming the field for a malformed or invalid
// event (see Decode, plus "occurred_at" more than MaxFutureSkew ahead), and a
// wrapped database error otherwise.
func (s *Service) Apply(ctx context.Context, body []byte) (Result, error) {
	ev, err := DecodeEnvelope(body)
	if err != nil {
		return Result{}, err
	}
	res := Result{ID: ev.ID, Type: ev.Type, Status: StatusAccepted}
	seen, err := s.DB.EventSeen(ctx, ev.ID)
	if err != nil {
		return Result{}, fmt.Errorf("check event %s: %w", ev.ID, err)
	}
	if seen {
		res.Status = StatusDuplicate
		return res, nil
	}
	if ev.OccurredAt.After(s.now().Add(MaxFutureSkew)) {
		return Result{}, loupe.Invalidf("occurred_at", "occurred_at is more than %s ahead of the server clock", MaxFutureSkew)
	}
	p, err := DecodeData(ev)
	if err != nil {
		return Result{}, err
	}
	if r, ok := p.(loupe.Repair); ok {
		// Read before any write, so an unreadable store fails the event whole.
		if p, err = s.withLocalDay(ctx, r); err != nil {
			return Result{}, err
		}
	}

	switch v := p.(type) {
	case loupe.Store:
		err = s.UpsertStore(ctx, v)
	case loupe.Associate:
		err = s.UpsertAssociate(ctx, v)
	case Termination:
		err = s.TerminateAssociate(ctx, v.AssociateID, v.TerminatedAt, ev.OccurredAt)
	case loupe.Customer:
		err = s.UpsertCustomer(ctx, v)
	case loupe.Repair:
		err = s.CreateRepair(ctx, v)
	case loupe.Purchase:
		err = s.CreatePurchase(ctx, v)
	default:
		return Result{}, fmt.Errorf("apply event %s: unexpected payload %T", ev.ID, p)
	}
	switch {
	case errors.Is(err, loupe.ErrStale), errors.Is(err, loupe.ErrExists):
		res.Outdated = true
	case err != nil:
		return Result{}, fmt.Errorf("apply event %s: %w", ev.ID, err)
	}

	first, err := s.DB.MarkEvent(ctx, ev.ID, s.now())
	if err != nil {
		return Result{}, fmt.Errorf("mark event %s: %w", ev.ID, err)
	}
	if !first {
		res.Status = StatusDuplicate
	}
	return res, nil
}

// UpsertStore validates and upserts a store; UpdatedAt orders concurrent
// upserts. Returns an EINVALID *loupe.Error naming the field (without a
// "data." prefix), an error wrapping loupe.ErrStale when the stored store is
// newer (nothing written), or a wrapped database error.
func (s *Service) UpsertStore(ctx context.Context, st loupe.Store) error {
	if err := st.Validate(); err != nil {
		return err
	}
	if err := s.DB.PutStore(ctx, st); err != nil {
		return fmt.Errorf("put store %s: %w", st.StoreID, err)
	}
	return nil
}

// UpsertAssociate validates and upserts an associate. Status "" keeps the
// stored status (and TerminatedAt); a new associate without a status starts
// active. Status terminated on an active associate sets TerminatedAt to
// UpdatedAt; status active clears it. Returns an EINVALID *loupe.Error naming
// the field, an error wrapping loupe.ErrStale when the stored associate is
// newer (nothing written), or a wrapped database error.
func (s *Service) UpsertAssociate(ctx context.Context, a loupe.Associate) error {
	probe := a
	if probe.Status == "" {
		probe.Status = loupe.StatusActive
	}
	if err := probe.Validate(); err != nil {
		return err
	}
	old, err := s.DB.GetAssociate(ctx, a.AssociateID)
	switch {
	case errors.Is(err, loupe.ErrNotFound):
		old = loupe.Associate{}
	case err != nil:
		return fmt.Errorf("get associate %s: %w", a.AssociateID, err)
	}
	switch a.Status {
	case "":
		if old.Status != "" {
			a.Status, a.TerminatedAt = old.Status, old.TerminatedAt
		} else {
			a.Status = loupe.StatusActive
		}
	case loupe.StatusTerminated:
		if old.Status == loupe.StatusTerminated && !old.TerminatedAt.IsZero() {
			a.TerminatedAt = old.TerminatedAt
		} else if a.TerminatedAt.IsZero() {
			a.TerminatedAt = a.UpdatedAt
		}
	case loupe.StatusActive:
		a.TerminatedAt = time.Time{}
	}
	if err := s.DB.PutAssociate(ctx, a); err != nil {
		return fmt.Errorf("put associate %s: %w", a.AssociateID, err)
	}
	return nil
}

// TerminateAssociate marks an associate terminated at at, stamped occurredAt
// (an unknown associate becomes a terminated tombstone). Returns an EINVALID
// *loupe.Error for a bad id, an error wrapping loupe.ErrStale when the stored
// associate is newer, or a wrapped database error.
func (s *Service) TerminateAssociate(ctx context.Context, associateID string, at, occurredAt time.Time) error {
	if !loupe.ValidID(associateID) {
		return loupe.Invalidf("associate_id", "associate_id must be 1-%d printable characters without spaces, '#' or '/'", loupe.MaxIDLength)
	}
	if at.IsZero() {
		at = occurredAt
	}
	if err := s.DB.TerminateAssociate(ctx, associateID, at, occurredAt); err != nil {
		return fmt.Errorf("terminate associate %s: %w", associateID, err)
	}
	return nil
}

// UpsertCustomer validates and upserts a customer's POS fields; Loupe-owned
// fields are kept as loupe.DB.PutCustomer documents (an empty Email keeps the
// stored one). The owner is kept when c.AssociateID is "", and also when it
// names a terminated associate while the stored customer has another owner (a
// POS that has not caught up must not undo a reassignment). Returns an EINVALID
// *loupe.Error naming the field, an error wrapping loupe.ErrStale when the
// stored customer is newer (nothing written), or a wrapped database error.
func (s *Service) UpsertCustomer(ctx context.Context, c loupe.Customer) error {
	if c.Email != "" {
		c.Email = loupe.NormalizeEmail(c.Email)
	}
	if err := c.Validate(); err != nil {
		return err
	}
	c.EmailSource, c.EmailCapturedAt, c.EmailStatus = "", time.Time{}, ""
	old, err := s.DB.GetCustomer(ctx, c.CustomerID)
	switch {
	case errors.Is(err, loupe.ErrNotFound):
	case err != nil:
		return fmt.Errorf("get customer %s: %w", c.CustomerID, err)
	case c.AssociateID == "":
		c.AssociateID = old.AssociateID
	case c.AssociateID != old.AssociateID && old.AssociateID != "":
		a, err := s.DB.GetAssociate(ctx, c.AssociateID)
		switch {
		case err == nil && !a.Active():
			c.AssociateID = old.AssociateID
		case err != nil && !errors.Is(err, loupe.ErrNotFound):
			return fmt.Errorf("get associate %s: %w", c.AssociateID, err)
		}
	}
	if err := s.DB.PutCustomer(ctx, c); err != nil {
		return fmt.Errorf("put customer %s: %w", c.CustomerID, err)
	}
	return nil
}

// CreateRepair validates and inserts a repair take-in, setting LocalDay from
// the store's time zone (UTC when the store is unknown). CustomerEmail is kept
// as typed, even empty or malformed. Returns an EINVALID *loupe.Error naming the
// field, an error wrapping loupe.ErrExists when the repair is already stored
// (nothing written), or a wrapped database error.
func (s *Service) CreateRepair(ctx context.Context, r loupe.Repair) error {
	if err := r.Validate(); err != nil {
		return err
	}
	if r.LocalDay == "" {
		var err error
		if r, err = s.withLocalDay(ctx, r); err != nil {
			return err
		}
	}
	if err := s.DB.PutRepair(ctx, r); err != nil {
		return fmt.Errorf("put repair %s: %w", r.RepairID, err)
	}
	return nil
}

func (s *Service) withLocalDay(ctx context.Context, r loupe.Repair) (loupe.Repair, error) {
	var loc *time.Location
	st, err := s.DB.GetStore(ctx, r.StoreID)
	switch {
	case errors.Is(err, loupe.ErrNotFound):
	case err != nil:
		return r, fmt.Errorf("get store %s: %w", r.StoreID, err)
	default:
		loc, _ = st.Location() // a stored store has a valid zone; UTC otherwise
	}
	r.LocalDay = loupe.LocalDayIn(r.TakenInAt, loc)
	return r, nil
}

// CreatePurchase validates and inserts a purchase. Returns an EINVALID
// *loupe.Error naming the field, an error wrapping loupe.ErrExists when the
// purchase is already stored (nothing written), or a wrapped database error.
func (s *Service) CreatePurchase(ctx context.Context, p loupe.Purchase) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if err := s.DB.PutPurchase(ctx, p); err != nil {
		return fmt.Errorf("put purchase %s: %w", p.PurchaseID, err)
	}
	return nil
}
