package httpapi

import (
	"context"
	"reflect"

	"github.com/loupehq/loupe/shared/compliance"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/pos"
	"github.com/loupehq/loupe/shared/reassign"
	"github.com/loupehq/loupe/shared/today"
	"github.com/loupehq/loupe/shared/touch"
)

// The ports below list only what the routes call; the wiring hands in the
// domain services (or, in tests, small fakes). Each is asserted against its
// implementation in this package's tests.

// Records is the part of the data store the routes read directly: the
// customer profile of GET /customers/{customer_id} and the stores POST
// /campaigns names. *embedded.DB and *dynamo.DB implement it.
type Records interface {
	// GetCustomer returns a customer or an error wrapping loupe.ErrNotFound.
	GetCustomer(ctx context.Context, customerID string) (loupe.Customer, error)
	// GetStore returns a store or an error wrapping loupe.ErrNotFound.
	GetStore(ctx context.Context, storeID string) (loupe.Store, error)
	// ContactsByCustomer returns a client's contact history, newest first.
	ContactsByCustomer(ctx context.Context, customerID string, limit int) ([]loupe.Contact, error)
	// GetAssociate returns an associate or an error wrapping
	// loupe.ErrNotFound (the claims of a review list).
	GetAssociate(ctx context.Context, associateID string) (loupe.Associate, error)
	// CustomersByAssociate returns a book ordered by customer id (GET
	// /customers?associate_id=).
	CustomersByAssociate(ctx context.Context, associateID string) ([]loupe.Customer, error)
	// ScanCustomers calls fn for a home store's clients in customer id
	// order (GET /customers?store_id=).
	ScanCustomers(ctx context.Context, storeID string, fn func(loupe.Customer) error) error
	// PurchasesByCustomer returns a client's purchases, oldest first.
	PurchasesByCustomer(ctx context.Context, customerID string) ([]loupe.Purchase, error)
	// RepairsByCustomer returns a client's repair take-ins, oldest first
	// (GET /customers/{customer_id}/repairs).
	RepairsByCustomer(ctx context.Context, customerID string) ([]loupe.Repair, error)
}

// Events applies POS webhook events (POST /pos/events). *pos.Service
// implements it.
type Events interface {
	// Apply decodes, validates and applies one event body, answering
	// pos.StatusAccepted, StatusDuplicate or StatusIgnored, with the
	// event's id and type set whenever the envelope was read. Returns an
	// EINVALID *loupe.Error naming the field for an invalid event, an
	// ECONFLICT one for an id reused with another body, and a wrapped
	// storage error otherwise.
	Apply(ctx context.Context, body []byte) (pos.Result, error)
}

// Compliance serves GET /compliance and the /stores/{store_id}/inspection
// routes. *compliance.Service implements it.
type Compliance interface {
	// Report returns the email-capture report of days from..to ("" for the
	// defaults) for one store, or the chain when storeID is "". Returns an
	// EINVALID *loupe.Error naming the query field, an error wrapping
	// loupe.ErrNotFound for an unknown store, or the storage error.
	Report(ctx context.Context, from, to, storeID string) (compliance.Report, error)
	// StartInspection stores an inspection of storeID from..to ("" for the
	// defaults). Returns an EINVALID *loupe.Error naming the field, an
	// ENOTFOUND one for an unknown store, EUNAVAILABLE without an inspection
	// store, or the storage error.
	StartInspection(ctx context.Context, storeID, from, to string) (compliance.Inspection, error)
	// Inspection returns storeID's inspection. Returns an ENOTFOUND
	// *loupe.Error for an unknown store or a store without one, EUNAVAILABLE
	// without an inspection store, or the storage error.
	Inspection(ctx context.Context, storeID string) (compliance.Inspection, error)
	// StopInspection ends storeID's inspection (nil when it had none).
	// Returns an ENOTFOUND *loupe.Error for an unknown store, EUNAVAILABLE
	// without an inspection store, or the storage error.
	StopInspection(ctx context.Context, storeID string) error
}

// Reassignments serves the /reassignments routes. *reassign.Service
// implements it.
type Reassignments interface {
	// List returns every batch header, newest first, or the storage error.
	List(ctx context.Context) ([]reassign.Batch, error)
	// Get returns batch id with its assignments. Returns an ENOTFOUND
	// *loupe.Error when there is no such batch, or the storage error.
	Get(ctx context.Context, id string) (reassign.Review, error)
	// Claim moves a client of a batch to associateID and records the claim;
	// a client claimed by someone else only with override. Returns
	// ENOTFOUND, EINVALID (naming associate_id or customer_id) or ECONFLICT
	// *loupe.Error values, or the storage error.
	Claim(ctx context.Context, batchID, customerID, associateID string, override bool) (reassign.Assignment, error)
}

// Touchpoints serves GET /coverage and GET /customers/{customer_id}/preview.
// *touch.Planner implements it.
type Touchpoints interface {
	// Preview returns the mail customerID would get for occasion at its next
	// date, without claiming or sending. Returns an error wrapping
	// loupe.ErrNotFound for an unknown customer, store or campaign, an
	// EINVALID *loupe.Error for an unknown occasion or a customer without that
	// date, or the storage error.
	Preview(ctx context.Context, customerID, occasion string) (mail.Message, error)
	// Coverage returns the touchpoint coverage of one store, or of every store
	// when storeID is "". Returns an error wrapping loupe.ErrNotFound for an
	// unknown store, or the storage error.
	Coverage(ctx context.Context, storeID string) ([]touch.StoreCoverage, error)
	// Open reports whether the deployment can send on channel (a campaign
	// whose channels it can send on none of is refused).
	Open(channel string) bool
}

// Today serves the Today list routes. *today.Service implements it.
type Today interface {
	// Associate returns an associate record (whose list a person asks
	// for), or an ENOTFOUND *loupe.Error.
	Associate(ctx context.Context, associateID string) (loupe.Associate, error)
	// Today returns the associate's list of a store-local day ("": today),
	// made at the day's first read. Returns EINVALID naming date, or the
	// storage error.
	Today(ctx context.Context, associateID, date string) (today.View, error)
	// LogOutcome records a task's outcome (the first stands). Returns
	// EINVALID naming outcome or note, ENOTFOUND for no such task, or the
	// storage error.
	LogOutcome(ctx context.Context, taskID, outcome, note, by string) (today.TaskView, error)
	// Progress returns a store's team over the week to date. Returns
	// EINVALID naming date, ENOTFOUND for an unknown store.
	Progress(ctx context.Context, storeID, date string) (today.Progress, error)
	// OnList reports whether customerID is on associateID's list of today
	// (without making it).
	OnList(ctx context.Context, associateID, customerID string) (bool, error)
}

// Campaigns stores the campaigns of POST /campaigns. touch.Campaigns
// implementations (the embedded and DynamoDB ledgers) implement it.
type Campaigns interface {
	// PutCampaign stores c. Storing an equal campaign again is a no-op; a
	// different campaign under an existing id returns an error wrapping
	// loupe.ErrExists (nothing written).
	PutCampaign(ctx context.Context, c touch.Campaign) error
}

// Unsubscriber verifies the tokens of /u/{token}. *unsub.Signer implements
// it.
type Unsubscriber interface {
	// Verify returns the customer id token was made for. Returns an error
	// (ENOTFOUND from *unsub.Signer) for a forged or malformed token.
	Verify(token string) (string, error)
}

// present returns v, or the nil T when v holds a nil pointer or func (a typed
// nil, such as a *compliance.Service that was never built), so that a missing
// dependency answers 503 instead of panicking.
func present[T any](v T) T {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() {
		return v
	}
	switch rv.Kind() {
	case reflect.Pointer, reflect.Func:
		if rv.IsNil() {
			var zero T
			return zero
		}
	}
	return v
}
