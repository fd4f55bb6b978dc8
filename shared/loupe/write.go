package loupe

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// The whole-record writes: an import row or a seed, every field carried and
// stamped (UpdatedAt, "") (CONTRACT section 2: import rows without updated_at
// count as older than any event). Each is one Update* call, so the rules of
// MergeStore and its siblings hold for them as for a webhook event.

// PutStore writes s as a whole record. Returns the storage error.
func PutStore(ctx context.Context, db StoreUpdater, s Store) error {
	return db.UpdateStore(ctx, s.StoreID, func(stored *Store) (Store, bool, error) {
		out, changed := MergeStore(stored, s, Update{Fields: StoreFields, Stamp: StampOf(s.UpdatedAt, "")})
		return out, changed, nil
	})
}

// AssociateUpdate is the Update of a whole-record associate write: every
// field, except status and terminated_at when a.Status is "" (the stored
// status stays; a new associate starts active).
func AssociateUpdate(a Associate) Update {
	u := Update{Fields: AssociateFields, Stamp: StampOf(a.UpdatedAt, "")}
	if a.Status == "" {
		u = u.Without("status").Without("terminated_at")
	}
	return u
}

// PutAssociate writes a as a whole record (AssociateUpdate). Returns the
// storage error.
func PutAssociate(ctx context.Context, db AssociateUpdater, a Associate) error {
	return db.UpdateAssociate(ctx, a.AssociateID, func(stored *Associate) (Associate, bool, error) {
		out, changed := MergeAssociate(stored, a, AssociateUpdate(a))
		return out, changed, nil
	})
}

// TerminateAssociate terminates associate id at at (taking effect at once),
// as an associate.terminated stamped (occurredAt, "") would. An unknown
// associate becomes a terminated tombstone. Returns the storage error.
func TerminateAssociate(ctx context.Context, db AssociateUpdater, id string, at, occurredAt time.Time) error {
	return db.UpdateAssociate(ctx, id, func(stored *Associate) (Associate, bool, error) {
		out, changed := Terminate(stored, id, at, StampOf(occurredAt, ""), later(at, occurredAt))
		return out, changed, nil
	})
}

// CustomerUpdate is the Update of a whole-record customer write: every
// field, except an empty email (a POS or file without the address keeps the
// one Loupe captured).
func CustomerUpdate(c Customer) Update {
	u := Update{Fields: CustomerFields, Stamp: StampOf(c.UpdatedAt, "")}
	if c.Email == "" {
		u = u.Without("email")
	}
	return u
}

// PutCustomer writes c as a whole record (CustomerUpdate). A customer erased
// at or after c.UpdatedAt is not written. It keeps the stored purchase
// totals and does not count purchases: its callers (the demo seed, tests)
// store none before the customer; the POS's events and import rows create
// customers through pos.Service, which counts them. Returns the storage
// error.
func PutCustomer(ctx context.Context, db CustomerUpdater, c Customer) error {
	return db.UpdateCustomer(ctx, c.CustomerID, func(stored *Customer, erasedAt time.Time) (Customer, bool, error) {
		if !erasedAt.IsZero() && !c.UpdatedAt.After(erasedAt) {
			return Customer{}, false, nil
		}
		out, changed := MergeCustomer(stored, c, CustomerUpdate(c))
		return out, changed, nil
	})
}

// SetCustomerEmail records an email captured outside the POS by CaptureEmail.
// It reports whether it wrote; returns an error wrapping ErrNotFound for an
// unknown customer, or the storage error.
func SetCustomerEmail(ctx context.Context, db CustomerUpdater, id, email, source string, at time.Time) (bool, error) {
	var wrote bool
	err := db.UpdateCustomer(ctx, id, func(stored *Customer, _ time.Time) (Customer, bool, error) {
		if stored == nil {
			return Customer{}, false, ErrNotFound
		}
		out, changed := CaptureEmail(*stored, email, source, at)
		wrote = changed
		return out, changed, nil
	})
	if err != nil {
		return false, fmt.Errorf("set email of customer %s: %w", id, err)
	}
	return wrote, nil
}

// MoveCustomerTo moves customer id from associate from to associate to at
// at, by MoveCustomer: the client is new to to's book. Moving to the
// current owner writes nothing. Returns an error wrapping ErrConflict when
// the owner is neither from nor to, one wrapping ErrNotFound for an unknown
// customer, or the storage error.
func MoveCustomerTo(ctx context.Context, db CustomerUpdater, id, from, to string, at time.Time) error {
	return moveCustomerTo(ctx, db, id, from, to, at, MoveCustomer)
}

// MoveKnownCustomerTo is MoveCustomerTo for a client the new associate
// already knows (a claim by someone who had a personal contact with the
// client): by MoveKnownCustomer, so the client is not new to the book.
func MoveKnownCustomerTo(ctx context.Context, db CustomerUpdater, id, from, to string, at time.Time) error {
	return moveCustomerTo(ctx, db, id, from, to, at, MoveKnownCustomer)
}

func moveCustomerTo(ctx context.Context, db CustomerUpdater, id, from, to string, at time.Time,
	move func(c Customer, from, to string, at time.Time) (Customer, bool, error)) error {
	err := db.UpdateCustomer(ctx, id, func(stored *Customer, _ time.Time) (Customer, bool, error) {
		if stored == nil {
			return Customer{}, false, ErrNotFound
		}
		return move(*stored, from, to, at)
	})
	if err != nil {
		return fmt.Errorf("move customer %s: %w", id, err)
	}
	return nil
}

// ContactWriter is the part of DB RecordContact writes through.
type ContactWriter interface {
	CustomerUpdater
	GetCustomer(ctx context.Context, customerID string) (Customer, error)
	PutContact(ctx context.Context, c Contact) error
	DeleteContact(ctx context.Context, customerID, ref string) error
}

// RecordContact adds c to the customer's contact history and moves the
// customer's LastContactAt (and, for ChannelPersonal,
// LastPersonalContactAt) forward to c.At; every step is idempotent, so a
// repeated call (same Ref) changes nothing. A customer that does not exist
// (erased) records nothing and returns nil.
//
// Against an erasure running at the same time: the profile is updated
// first (a customer already gone stops here), the entry is put, and the
// profile is read again; when it is gone by then the entry is deleted.
// An erasure deletes the profile before the history (DB.EraseCustomer),
// so whichever order the steps interleave in, no entry outlives it.
// Returns the storage error.
func RecordContact(ctx context.Context, db ContactWriter, c Contact) error {
	found := false
	err := db.UpdateCustomer(ctx, c.CustomerID, func(stored *Customer, _ time.Time) (Customer, bool, error) {
		found = stored != nil
		if stored == nil {
			return Customer{}, false, nil
		}
		out, changed := NoteContact(*stored, c)
		return out, changed, nil
	})
	if err != nil || !found {
		return err
	}
	if err := db.PutContact(ctx, c); err != nil && !errors.Is(err, ErrExists) {
		return err
	}
	if _, err := db.GetCustomer(ctx, c.CustomerID); errors.Is(err, ErrNotFound) {
		return db.DeleteContact(ctx, c.CustomerID, c.Ref)
	} else if err != nil {
		return err
	}
	return nil
}

// NoteContact returns cu with its last contact times moved forward to c.At,
// and whether they moved. An entry that is not a contact (Contact.Counts:
// a logged no_answer) moves nothing.
func NoteContact(cu Customer, c Contact) (Customer, bool) {
	if !c.Counts() {
		return cu, false
	}
	changed := false
	if c.At.After(cu.LastContactAt) {
		cu.LastContactAt, changed = c.At, true
	}
	if c.Channel == ChannelPersonal && c.At.After(cu.LastPersonalContactAt) {
		cu.LastPersonalContactAt, changed = c.At, true
	}
	return cu, changed
}

// PurchaseCounter is the part of DB CountPurchases reads and writes through.
type PurchaseCounter interface {
	CustomerUpdater
	PurchasesByCustomer(ctx context.Context, customerID string) ([]Purchase, error)
}

// CountPurchases sets the purchase totals of customer id (Purchases,
// PurchaseCents) to the count and the sum of the purchases stored for it,
// in one UpdateCustomer that writes only when they changed. The purchases
// are read inside the update, after the customer: a write that lost to
// another writer decides again on a fresh read of both, so two purchases of
// one client counted at the same time both end up counted, and counting
// again (a replay) changes nothing. A customer that does not exist (not yet
// created, or erased) writes nothing and returns nil.
//
// It is called after every purchase is put (inserted or already there: the
// delivery that inserted it may have stopped before counting). A customer
// is created with the totals of the purchases already stored
// (TallyPurchases inside the creating write, then CountPurchasesOfNew):
// purchases may arrive before their client; see pos.Service. Returns the
// storage error.
func CountPurchases(ctx context.Context, db PurchaseCounter, customerID string) error {
	err := db.UpdateCustomer(ctx, customerID, func(stored *Customer, _ time.Time) (Customer, bool, error) {
		if stored == nil {
			return Customer{}, false, nil
		}
		ps, err := db.PurchasesByCustomer(ctx, customerID)
		if err != nil {
			return Customer{}, false, err
		}
		out, changed := TallyPurchases(*stored, ps)
		return out, changed, nil
	})
	if err != nil {
		return fmt.Errorf("count purchases of customer %s: %w", customerID, err)
	}
	return nil
}

// CountPurchasesOfNew finishes the totals of a customer just created:
// created is the customer as the creating write stored it, its totals
// taken by TallyPurchases from the purchases read inside that write. A
// purchase put between that read and the write found no customer to
// count on; so the purchases are read again, and when they no longer
// match created's totals, CountPurchases runs. One read when nothing
// arrived meanwhile (purchases are only ever added, or erased with the
// customer). Returns the storage error.
func CountPurchasesOfNew(ctx context.Context, db PurchaseCounter, created Customer) error {
	ps, err := db.PurchasesByCustomer(ctx, created.CustomerID)
	if err != nil {
		return fmt.Errorf("count purchases of customer %s: %w", created.CustomerID, err)
	}
	if _, changed := TallyPurchases(created, ps); !changed {
		return nil
	}
	return CountPurchases(ctx, db, created.CustomerID)
}

// TallyPurchases returns c with Purchases and PurchaseCents set to the
// count and the sum of TotalCents of ps (the client's stored purchases),
// and whether they changed.
func TallyPurchases(c Customer, ps []Purchase) (Customer, bool) {
	var cents int64
	for _, p := range ps {
		cents += p.TotalCents
	}
	if c.Purchases == len(ps) && c.PurchaseCents == cents {
		return c, false
	}
	c.Purchases, c.PurchaseCents = len(ps), cents
	return c, true
}
