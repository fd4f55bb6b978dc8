package loupe

import (
	"context"
	"time"
)

// DB is the data port every Loupe adapter implements (package embedded on one
// machine, package dynamo in AWS). One contract suite, package storetest, runs
// against each implementation.
//
// Upserts from the POS carry the event's occurred_at in UpdatedAt: an upsert
// older than the stored record writes nothing and returns ErrStale; an equal one
// is applied again (idempotent). Get* return an error wrapping ErrNotFound for a
// missing record. All methods are safe for concurrent use.
type DB interface {
	// PutStore upserts a store. Returns ErrStale if the stored one is newer.
	PutStore(ctx context.Context, s Store) error
	// GetStore returns a store or ErrNotFound.
	GetStore(ctx context.Context, storeID string) (Store, error)
	// ListStores returns every store ordered by StoreID.
	ListStores(ctx context.Context) ([]Store, error)

	// PutAssociate upserts an associate, status included. Returns ErrStale if the
	// stored one is newer. Every write that changes the record yields a Change.
	PutAssociate(ctx context.Context, a Associate) error
	// TerminateAssociate sets status terminated and TerminatedAt=at, stamping
	// UpdatedAt=occurredAt. An unknown associate is recorded as a terminated
	// tombstone (so an older upsert cannot resurrect it). Returns ErrStale if the
	// stored record is newer; terminating a terminated associate changes nothing
	// and yields no Change.
	TerminateAssociate(ctx context.Context, associateID string, at, occurredAt time.Time) error
	// GetAssociate returns an associate or ErrNotFound.
	GetAssociate(ctx context.Context, associateID string) (Associate, error)
	// ListAssociates returns the associates of one store, or of the chain when
	// storeID is "", ordered by AssociateID.
	ListAssociates(ctx context.Context, storeID string) ([]Associate, error)

	// PutCustomer applies a POS upsert. It overwrites the POS fields but keeps what
	// Loupe owns: EmailStatus always; Email/EmailSource/EmailCapturedAt unless c
	// carries an email (then source is pos and captured-at is c.UpdatedAt). A new
	// customer starts with EmailStatus ok. Returns ErrStale if the stored record is newer.
	PutCustomer(ctx context.Context, c Customer) error
	// GetCustomer returns a customer or ErrNotFound.
	GetCustomer(ctx context.Context, customerID string) (Customer, error)
	// CustomersByAssociate returns an associate's book ordered by CustomerID.
	CustomersByAssociate(ctx context.Context, associateID string) ([]Customer, error)
	// CustomersByMonthDay returns the customers whose birthday (field "birthday")
	// or anniversary (field "anniversary") falls on monthDay "MM-DD", ordered by
	// CustomerID. It reads an index, never the whole table.
	CustomersByMonthDay(ctx context.Context, field, monthDay string) ([]Customer, error)
	// ScanCustomers calls fn for every customer, or for one home store's customers
	// when storeID is not "", in CustomerID order; it stops at fn's first error
	// and returns it.
	ScanCustomers(ctx context.Context, storeID string, fn func(Customer) error) error
	// SetCustomerEmail records an email captured outside the POS (source, at). It
	// writes only when the customer exists and its current email is older than at
	// or empty; it returns (false, nil) when the stored email is newer, and
	// ErrNotFound for an unknown customer.
	SetCustomerEmail(ctx context.Context, customerID, email, source string, at time.Time) (bool, error)
	// MoveCustomer sets the customer's associate to to, only if it is still from.
	// Returns ErrConflict when the owner is no longer from (nothing written), and
	// ErrNotFound for an unknown customer. Moving to the current owner is a no-op.
	MoveCustomer(ctx context.Context, customerID, from, to string) error

	// PutRepair inserts a repair take-in. Returns ErrExists (nothing written, no
	// Change) when the repair id is already stored. An insert yields a Change.
	PutRepair(ctx context.Context, r Repair) error
	// GetRepair returns a repair or ErrNotFound.
	GetRepair(ctx context.Context, repairID string) (Repair, error)
	// RepairsByStoreDay returns a store's take-ins on store-local day "YYYY-MM-DD"
	// (the caller computes the day in the store's zone), ordered by TakenInAt then RepairID.
	RepairsByStoreDay(ctx context.Context, storeID, day string) ([]Repair, error)

	// PutPurchase inserts a purchase. Returns ErrExists when already stored.
	PutPurchase(ctx context.Context, p Purchase) error
	// PurchasesByCustomer returns a customer's purchases ordered by PurchasedAt.
	PurchasesByCustomer(ctx context.Context, customerID string) ([]Purchase, error)

	// MarkEvent records that POS event id was applied. It returns true when this
	// call recorded it and false when it was already recorded (a duplicate).
	MarkEvent(ctx context.Context, eventID string, at time.Time) (bool, error)
	// EventSeen reports whether POS event id was already recorded.
	EventSeen(ctx context.Context, eventID string) (bool, error)
}

// Entity kinds carried by a Change.
const (
	EntityAssociate = "associate"
	EntityRepair    = "repair"
)

// Change operations, as DynamoDB Streams names them.
const (
	OpInsert = "INSERT"
	OpModify = "MODIFY"
	OpRemove = "REMOVE"
)

// Change is one committed write to an associate or a repair take-in, with its
// images before and after. Locally the embedded store's change feed produces it;
// in AWS the stream decoder builds it from a DynamoDB stream record. Both hand it
// to the same domain function.
type Change struct {
	Seq    string // ordering key: the stream SequenceNumber, or the local sequence
	Entity string // EntityAssociate or EntityRepair
	Op     string // OpInsert, OpModify or OpRemove

	OldAssociate, NewAssociate *Associate // set when Entity is EntityAssociate
	OldRepair, NewRepair       *Repair    // set when Entity is EntityRepair
}

// ChangeHandler handles one change. Handlers must be idempotent: a change is
// delivered at least once. A returned error means "deliver again later".
type ChangeHandler func(ctx context.Context, c Change) error

// Clock returns the current time; injected wherever domain code needs "now".
type Clock func() time.Time
