package today

import (
	"context"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
)

// Task reasons (CONTRACT section 3, GET /me/today), in priority order.
// An event invitation's reason is ReasonEventInvite + ":" + campaign id.
const (
	ReasonNewClient   = "new_client"
	ReasonBirthday    = "birthday"
	ReasonAnniversary = "anniversary"
	ReasonEventInvite = "event_invite"
	ReasonThankYou    = "thank_you"
	ReasonRepairReady = "repair_ready"
	ReasonReconnect   = "reconnect"
)

// Task is one client on an associate's list of one day. It holds ids and
// codes only, no personal data: the client's name, phone and the detail
// are read from the profile when the list is shown (Service.Today).
type Task struct {
	// TaskID is TaskID(day, associate, customer): the same client on the
	// same list always has the same id.
	TaskID     string `json:"task_id"`
	CustomerID string `json:"customer_id"`
	// Reason is a Reason* constant ("event_invite:<campaign_id>").
	Reason string `json:"reason"`
	// Ref is what the reason refers to: the occasion's date ("2026-12-09"
	// for a birthday), the campaign id, the purchase or repair key.
	Ref string `json:"ref,omitempty"`
	// Outcome is the first outcome logged (loupe.Outcomes), "" before.
	Outcome   string    `json:"outcome,omitempty"`
	OutcomeAt time.Time `json:"outcome_at,omitzero"`
	OutcomeBy string    `json:"outcome_by,omitempty"` // the associate id that logged it, or "admin"
	// Applied: the outcome's effects (its history entry, do_not_contact,
	// wrong_number) are done (Store.MarkApplied); a read finding an outcome
	// not applied, after a crash between the two, applies it again.
	Applied bool `json:"applied,omitempty"`
}

// List is an associate's outreach list of one store-local day: made once,
// at the first read of the day, and fixed from then on.
type List struct {
	AssociateID string    `json:"associate_id"`
	StoreID     string    `json:"store_id"`
	Day         string    `json:"day"` // store-local YYYY-MM-DD
	CreatedAt   time.Time `json:"created_at"`
	Tasks       []Task    `json:"tasks"`
	// Marked: every listed client's ListedAt was moved to CreatedAt (the
	// rotation; a read finding it false does it again, idempotently).
	Marked bool `json:"marked,omitempty"`
}

// Due is a task that another part of Loupe put on an associate's list
// ahead of time: an event invitation (the planner's personal channel, or
// a campaign with call_list), a thank-you after a purchase, a repair ready
// with no other channel. It shows on the associate's lists of the days
// From..Until (store-local, inclusive) until a list holds it with an
// outcome, or the window ends.
type Due struct {
	AssociateID string `json:"associate_id"`
	CustomerID  string `json:"customer_id"`
	Reason      string `json:"reason"`
	// Ref identifies the due item for its associate (the touchpoint's
	// ledger key): putting the same Ref again changes nothing.
	Ref   string `json:"ref"`
	From  string `json:"from"`  // YYYY-MM-DD
	Until string `json:"until"` // YYYY-MM-DD, >= From
	// Planned: the planner decided it under the contact policy (consent,
	// the fatigue cap): the list does not hold it back for the cap again
	// (an invitation whose message just went is one contact with its call).
	Planned bool `json:"planned,omitempty"`
}

// Store keeps the lists and the due items. Package embedded and package
// dynamo implement it; package todaytest is its contract suite. Every
// method is safe for concurrent use, and every write is idempotent under
// races (two processes making the same day's list, two outcomes logged at
// once).
type Store interface {
	// GetList returns associateID's list of day, or an error wrapping
	// loupe.ErrNotFound when none was made.
	GetList(ctx context.Context, associateID, day string) (List, error)
	// GetLists returns associateID's lists of days (those that exist, in
	// the order of days): a week's progress in one read.
	GetLists(ctx context.Context, associateID string, days []string) ([]List, error)
	// CreateList stores l when l.AssociateID has no list of l.Day and
	// reports true; otherwise it stores nothing and reports false (the
	// caller reads the stored one: of two racing makers, one wins).
	CreateList(ctx context.Context, l List) (bool, error)
	// MarkList sets Marked on a stored list (nothing when it is set, or
	// when there is no such list).
	MarkList(ctx context.Context, associateID, day string) error
	// SetOutcome records outcome, at and by on task taskID of the list,
	// unless the task has an outcome already: the first one stands. It
	// returns the task as stored after the call and whether this call set
	// it. Returns an error wrapping loupe.ErrNotFound for no such list or
	// no such task on it.
	SetOutcome(ctx context.Context, associateID, day, taskID, outcome, by string, at time.Time) (Task, bool, error)
	// MarkApplied sets Applied on task taskID of the list (nothing when it
	// is set, or when there is no such list or task).
	MarkApplied(ctx context.Context, associateID, day, taskID string) error
	// PutDue stores d unless d.AssociateID has a due item with d.Ref
	// (then nothing changes).
	PutDue(ctx context.Context, d Due) error
	// DueOn returns associateID's due items whose From..Until holds day,
	// ordered by From then Ref.
	DueOn(ctx context.Context, associateID, day string) ([]Due, error)
}

// Book is what the list reads of the records: an associate's book in
// turn order and by occasion, from indexes kept with the customer records
// (never a scan of the book or the chain). *embedded.DB and *dynamo.DB
// implement it.
type Book interface {
	// BookByTurn returns up to limit clients of associateID's book in
	// loupe.Customer.TurnKey order (then by customer id), starting after
	// cursor ("" from the start), and the cursor of the next page ("" when
	// the book has no more).
	BookByTurn(ctx context.Context, associateID, cursor string, limit int) ([]loupe.Customer, string, error)
	// BookByMonthDay returns the clients of associateID's book whose field
	// ("birthday" or "anniversary") falls on monthDay "MM-DD", ordered by
	// customer id.
	BookByMonthDay(ctx context.Context, associateID, field, monthDay string) ([]loupe.Customer, error)
	// GetCustomers returns the customers of ids that exist, in the order of
	// ids (an erased or unknown id is left out): one batch read.
	GetCustomers(ctx context.Context, ids []string) ([]loupe.Customer, error)
}
