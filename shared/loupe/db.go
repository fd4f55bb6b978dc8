package loupe

import (
	"context"
	"time"
)

// DB is the data port every Loupe adapter implements (package embedded on one
// machine, package dynamo in AWS). One contract suite, package storetest, runs
// against each implementation.
//
// Stores, associates and customers are written only through Update*: the
// adapter reads the record, calls fn and writes what fn returns, as one atomic
// step (a transaction on one machine, a write conditioned on the version read
// in DynamoDB, retried under contention), so a decision made on the record
// read is never applied over a record that changed in between. fn may be
// called more than once and must not have effects of its own; it may read
// other records through the DB (CountPurchases reads the purchases), and
// then sees what was committed before it was called. When it reports false
// nothing is written, and its error is returned as is. The domain's
// rules (per-field order, moves, captures) are functions over these: see
// MergeCustomer, PutCustomer, MoveCustomer and their siblings. Get* return an
// error wrapping ErrNotFound for a missing record. All methods are safe for
// concurrent use.
type DB interface {
	StoreUpdater
	// GetStore returns a store or ErrNotFound.
	GetStore(ctx context.Context, storeID string) (Store, error)
	// ListStores returns every store ordered by StoreID.
	ListStores(ctx context.Context) ([]Store, error)

	AssociateUpdater
	// GetAssociate returns an associate or ErrNotFound.
	GetAssociate(ctx context.Context, associateID string) (Associate, error)
	// ListAssociates returns the associates of one store, or of the chain when
	// storeID is "", ordered by AssociateID.
	ListAssociates(ctx context.Context, storeID string) ([]Associate, error)
	// SignInRecords returns the records a person signing in with email is
	// known by (CONTRACT section 3, "Persons and roles"): the associates
	// whose Email and the stores whose ManagerEmail equal email, compared
	// trimmed and case-insensitively (SignInKey), each list ordered by id.
	// It reads an index kept with the records, never the whole table.
	// Terminated associates are returned too: the caller checks Status. In
	// DynamoDB the index is eventually consistent, so a record written a
	// moment ago may take a moment to appear (or to leave the old address).
	// An email that is empty after trimming returns none. Returns the
	// storage error.
	SignInRecords(ctx context.Context, email string) (associates []Associate, stores []Store, err error)

	CustomerUpdater
	// GetCustomer returns a customer or ErrNotFound.
	GetCustomer(ctx context.Context, customerID string) (Customer, error)
	// CustomersByAssociate returns an associate's book ordered by CustomerID.
	CustomersByAssociate(ctx context.Context, associateID string) ([]Customer, error)
	// CustomersByMonthDay returns the customers whose birthday (field "birthday")
	// or anniversary (field "anniversary") falls on monthDay "MM-DD", ordered by
	// CustomerID. It reads an index, never the whole table.
	CustomersByMonthDay(ctx context.Context, field, monthDay string) ([]Customer, error)
	// CustomersByPhone returns the customers whose Phone is phone (E.164,
	// compared as is), ordered by CustomerID: the clients an inbound text
	// from that number speaks for. It reads an index kept with the
	// records, never the whole table; in DynamoDB the index is eventually
	// consistent, so a phone written a moment ago may take a moment to
	// appear (or to leave the old number). An erased customer is not
	// listed. An empty phone returns none. Returns the storage error.
	CustomersByPhone(ctx context.Context, phone string) ([]Customer, error)
	// ScanCustomers calls fn for every customer, or for one home store's customers
	// when storeID is not "", in CustomerID order; it stops at fn's first error
	// and returns it.
	ScanCustomers(ctx context.Context, storeID string, fn func(Customer) error) error
	// ErasedAt returns when customer id was last erased, the zero time when
	// never.
	ErasedAt(ctx context.Context, customerID string) (time.Time, error)

	// PutRepair inserts a repair take-in. Returns ErrExists (nothing written, no
	// Change) when the repair id is already stored. An insert yields a Change.
	PutRepair(ctx context.Context, r Repair) error
	// GetRepair returns a repair or ErrNotFound.
	GetRepair(ctx context.Context, repairID string) (Repair, error)
	// RepairsByStoreDay returns a store's take-ins on store-local day "YYYY-MM-DD"
	// (the caller computes the day in the store's zone), ordered by TakenInAt then RepairID.
	RepairsByStoreDay(ctx context.Context, storeID, day string) ([]Repair, error)
	// RepairsByCustomer returns the take-ins naming customerID, ordered by
	// TakenInAt then RepairID (none for a customer without repairs). It
	// reads an index kept with the repairs, never the whole table; in
	// DynamoDB the index is eventually consistent, so a take-in put a moment
	// ago may take a moment to appear. An erasure leaves a customer's
	// repairs (their addresses and item blanked), so they are still listed.
	// Returns the storage error.
	RepairsByCustomer(ctx context.Context, customerID string) ([]Repair, error)

	// PutPurchase inserts a purchase. Returns ErrExists when already stored.
	PutPurchase(ctx context.Context, p Purchase) error
	// PurchasesByCustomer returns a customer's purchases ordered by
	// PurchasedAt, every purchase put before the call included (a
	// consistent read: CountPurchases relies on it).
	PurchasesByCustomer(ctx context.Context, customerID string) ([]Purchase, error)

	// PutContact inserts an entry of a customer's contact history. Returns
	// ErrExists (nothing written) when the customer has an entry with the
	// same Ref. An erasure deletes the customer's profile, then every entry
	// of its history (RecordContact relies on that order).
	PutContact(ctx context.Context, c Contact) error
	// DeleteContact deletes the entry of a customer's history with Ref ref
	// (nothing when there is none). Returns the storage error.
	DeleteContact(ctx context.Context, customerID, ref string) error
	// SetContactStatus moves the status of the entry of customerID's
	// history with Ref ref to status, a delivery status
	// (ContactStatusRank), when it ranks above the stored one
	// (AdvancesContactStatus), in one conditional write: duplicate,
	// out-of-order and racing deliveries leave the highest rank, and the
	// first final status stands. It reports whether this call changed the
	// entry (false when the stored status is as high already). Returns an
	// EINVALID *Error for a status without a rank, an error wrapping
	// ErrNotFound when the customer has no such entry (not written yet,
	// or erased: nothing is created), or the storage error.
	SetContactStatus(ctx context.Context, customerID, ref, status string) (bool, error)
	// ContactsByCustomer returns a customer's contact history, newest first
	// (then by Ref), at most limit entries (limit <= 0: all).
	ContactsByCustomer(ctx context.Context, customerID string, limit int) ([]Contact, error)
	// ClaimEvent binds POS event id to hash (of its body) at its first
	// delivery, in one conditional write. It returns true when this call made
	// the claim and false when the id was claimed before with the same hash
	// (a duplicate, or a retry of a delivery that was interrupted: applying
	// the event again is the caller's idempotent work). Returns an error
	// wrapping ErrConflict, and claims nothing, when the id was claimed with
	// another hash.
	ClaimEvent(ctx context.Context, eventID, hash string, at time.Time) (bool, error)
}

// StoreUpdater is DB.UpdateStore.
type StoreUpdater interface {
	// UpdateStore reads store id (nil when unknown), calls fn and writes its
	// result when fn reports true, atomically (see DB).
	UpdateStore(ctx context.Context, storeID string, fn func(stored *Store) (Store, bool, error)) error
}

// AssociateUpdater is DB.UpdateAssociate. Every write that changes an
// associate yields a Change.
type AssociateUpdater interface {
	// UpdateAssociate is UpdateStore for an associate.
	UpdateAssociate(ctx context.Context, associateID string, fn func(stored *Associate) (Associate, bool, error)) error
}

// CustomerUpdater is DB.UpdateCustomer.
type CustomerUpdater interface {
	// UpdateCustomer is UpdateStore for a customer; fn also receives when the
	// customer id was last erased (the zero time when never), read in the
	// same atomic step.
	UpdateCustomer(ctx context.Context, customerID string, fn func(stored *Customer, erasedAt time.Time) (Customer, bool, error)) error
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
