// Package reassign places the clients of a departed associate with the
// best-suited active associates, records the result as a reviewable batch,
// moves the clients with conditional writes, and mails the list to the store's
// manager. Staff can then claim the clients they know.
//
// One way in per trigger: the staff-stream Lambda (AWS) and the embedded
// change feed (loupe serve) both call Service.HandleChange, or ApplyChange,
// which also reports the Outcome (clients moved, batches completed) a caller
// counts; `loupe orphans` calls Service.Orphans and Service.ReassignOrphans
// (ReassignOrphansOutcome with the Outcome).
//
// # Batch lifecycle
//
//	planning -> pending -> done
//
// The batch id derives from the associate id and its TerminatedAt, and the
// header is created with a conditional write, so a replayed termination finds
// the batch instead of making a second one. "planning": the header exists, the
// plan may be incomplete and nobody has moved; a redelivery plans again.
// "pending": the plan is stored and is being applied; a redelivery applies the
// stored plan again (moves are idempotent) rather than planning anew. "done":
// every client was moved, skipped or left unassigned; the review mail goes out
// once and the batch accepts claims.
//
// Reads per termination (see docs/reassignment.md): one book query for the
// departed associate, one chain associate listing, one book query per active
// associate of the stores the clients belong to (every active associate of
// the chain only when those stores cannot hold the clients), one purchase
// query per client, one store read and one read of the departed associate
// for the review mail.
package reassign

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/match"
)

// Batch statuses.
const (
	StatusPlanning  = "planning"  // header written, plan not yet complete, nobody moved
	StatusPending   = "pending"   // plan stored, moves under way
	StatusDone      = "done"      // every assignment applied; claims accepted
	StatusAbandoned = "abandoned" // a backfill batch whose planning was interrupted; nobody moved
)

// Batch sources.
const (
	SourceTermination = "termination" // an associate went from active to terminated
	SourceBackfill    = "backfill"    // `loupe orphans --reassign`
)

// Assignment states.
const (
	StatePlanned      = "planned"                // not yet applied
	StateMoved        = "moved"                  // the client now belongs to ToAssociateID
	StateOwnerChanged = "skipped: owner changed" // a POS update moved the client meanwhile
	StateGone         = "skipped: customer gone" // the customer was erased meanwhile
	StateUnassigned   = "unassigned"             // nobody had room; the client stays orphaned
)

// Batch is the header of one reassignment: whose book, when, how many clients.
type Batch struct {
	ID          string    `json:"id"`
	AssociateID string    `json:"associate_id"` // the departed associate; "" for a backfill batch (a store's orphans)
	StoreID     string    `json:"store_id"`     // the departed associate's store, or the backfill's; "" when unknown
	CreatedAt   time.Time `json:"created_at"`
	Clients     int       `json:"clients"`
	Status      string    `json:"status"` // StatusPlanning, StatusPending, StatusDone, StatusAbandoned
	Source      string    `json:"source"` // SourceTermination or SourceBackfill
	Mailed      bool      `json:"mailed"` // the review mail was handed to the Sender
}

// Assignment is one client of a batch: where the engine placed it and why, and
// whether someone claimed it since.
type Assignment struct {
	CustomerID      string    `json:"customer_id"`
	CustomerName    string    `json:"customer_name"`
	HomeStoreID     string    `json:"home_store_id"`
	FromAssociateID string    `json:"from_associate_id"`
	ToAssociateID   string    `json:"to_associate_id"` // "" when unassigned
	ToAssociateName string    `json:"to_associate_name"`
	Score           float64   `json:"score"`
	Reasons         []string  `json:"reasons"`
	State           string    `json:"state"` // StatePlanned, StateMoved, ...
	Claimed         bool      `json:"claimed"`
	ClaimedBy       string    `json:"claimed_by,omitempty"`
	ClaimedByName   string    `json:"claimed_by_name,omitempty"`
	ClaimedAt       time.Time `json:"claimed_at,omitzero"`
}

// Review is a batch with its assignments ordered by customer id.
type Review struct {
	Batch
	Assignments []Assignment
}

// Store is the port where batches live. Package embedded and package dynamo
// implement it; package reassigntest is its contract suite.
type Store interface {
	// CreateReassignment stores a new batch header. Returns an error wrapping
	// loupe.ErrExists (nothing written) when a batch with that id exists.
	CreateReassignment(ctx context.Context, b Batch) error
	// SaveReassignment overwrites an existing batch header. Returns an error
	// wrapping loupe.ErrNotFound when there is none.
	SaveReassignment(ctx context.Context, b Batch) error
	// GetReassignment returns a batch header or an error wrapping loupe.ErrNotFound.
	GetReassignment(ctx context.Context, id string) (Batch, error)
	// ListReassignments returns every batch header, newest CreatedAt first
	// (ties: greater id first).
	ListReassignments(ctx context.Context) ([]Batch, error)
	// PutReassignmentAssignments writes (overwrites) assignments of batch id.
	// Returns an error wrapping loupe.ErrNotFound when the batch does not exist.
	PutReassignmentAssignments(ctx context.Context, id string, as []Assignment) error
	// SaveReassignmentAssignment overwrites one existing assignment. Returns an
	// error wrapping loupe.ErrNotFound when the batch has no assignment for
	// a.CustomerID. An assignment stored with CustomerName ErasedName stays
	// erased: the write keeps ErasedName and no reasons (a claim or an apply
	// that read the client before its erasure cannot bring the name back).
	SaveReassignmentAssignment(ctx context.Context, id string, a Assignment) error
	// ReassignmentAssignments returns the assignments of batch id ordered by
	// CustomerID (empty for an unknown batch).
	ReassignmentAssignments(ctx context.Context, id string) ([]Assignment, error)
	// ReassignmentAssignment returns the assignment of customerID in batch
	// id, or an error wrapping loupe.ErrNotFound when there is none.
	ReassignmentAssignment(ctx context.Context, id, customerID string) (Assignment, error)
}

// Records is the part of the data port (loupe.DB) reassign uses: the
// associates and books it reads, the stores it mails, the purchases that add
// categories, and the one write it makes, MoveCustomer. *embedded.DB and
// *dynamo.DB implement it (asserted in this package's tests); the methods
// behave as loupe.DB documents them.
type Records interface {
	// GetStore returns a store or an error wrapping loupe.ErrNotFound.
	GetStore(ctx context.Context, storeID string) (loupe.Store, error)
	// GetAssociate returns an associate or an error wrapping loupe.ErrNotFound.
	GetAssociate(ctx context.Context, associateID string) (loupe.Associate, error)
	// ListAssociates returns the associates of one store, or of the chain when
	// storeID is "", ordered by AssociateID. Returns the storage error.
	ListAssociates(ctx context.Context, storeID string) ([]loupe.Associate, error)
	// GetCustomer returns a customer or an error wrapping loupe.ErrNotFound.
	GetCustomer(ctx context.Context, customerID string) (loupe.Customer, error)
	// CustomersByAssociate returns an associate's book ordered by CustomerID.
	// Returns the storage error.
	CustomersByAssociate(ctx context.Context, associateID string) ([]loupe.Customer, error)
	// ScanCustomers calls fn for every customer, or for one home store's
	// customers when storeID is not "", in CustomerID order; it stops at fn's
	// first error and returns it, else the storage error.
	ScanCustomers(ctx context.Context, storeID string, fn func(loupe.Customer) error) error
	// UpdateCustomer is loupe.DB's; moves go through loupe.MoveCustomerTo,
	// dated at the service's clock.
	loupe.CustomerUpdater
	// PurchasesByCustomer returns a customer's purchases ordered by
	// PurchasedAt. Returns the storage error.
	PurchasesByCustomer(ctx context.Context, customerID string) ([]loupe.Purchase, error)
	// ContactsByCustomer returns a client's contact history, newest first
	// (a claim asks whether the claimer has called the client before).
	ContactsByCustomer(ctx context.Context, customerID string, limit int) ([]loupe.Contact, error)
}

// Outcome is what one call did: the clients it moved and the ids of the batches it completed.
type Outcome struct {
	Moved   int      // clients this call moved (a replayed termination moves 0)
	Batches []string // ids of batches this call completed
}

// Add adds o2 to o: the moves are summed and o2's batch ids not yet in o are
// appended, so a batch is counted once.
func (o *Outcome) Add(o2 Outcome) {
	o.Moved += o2.Moved
	for _, id := range o2.Batches {
		o.completed(id)
	}
}

// completed records that batch id was brought to done, once.
func (o *Outcome) completed(id string) {
	for _, x := range o.Batches {
		if x == id {
			return
		}
	}
	o.Batches = append(o.Batches, id)
}

// Config tunes the service. Zero values are normalised by New.
type Config struct {
	// Match tunes the engine (docs/matching.md); zero fields take its defaults.
	Match match.Config
	// From is the sender of the review mail when the store has no from_email.
	// Empty: such a store gets no review mail (logged).
	From string
	// BaseURL, when set ("https://loupe.example.com"), adds a link to the
	// staff app's review screen (ReviewURL) in the review mail.
	BaseURL string
	// Logger receives ids and counts, never names or emails. Nil: slog.Default().
	Logger *slog.Logger
}

// Service reassigns the clients of departed associates. Fields are set by the
// caller; Mail may be nil (no review mail).
type Service struct {
	DB      Records
	Batches Store
	Mail    mail.Sender
	// Reviews, when set, takes each review mail by its batch id instead of
	// Mail (ReviewQueue); the process that drains it calls SendReview.
	Reviews ReviewQueue
	Now     loupe.Clock
	Config
}

// New returns a Service with Config's zero values normalised and Now
// defaulting to time.Now.
func New(db Records, batches Store, sender mail.Sender, now loupe.Clock, cfg Config) *Service {
	s := &Service{DB: db, Batches: batches, Mail: sender, Now: now, Config: cfg}
	s.norm()
	return s
}

func (s *Service) norm() {
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Logger == nil {
		s.Logger = slog.Default()
	}
}

// BatchID returns the id of the batch reassigning a's book: the associate id and
// the instant of the termination (TerminatedAt, else UpdatedAt), so the same
// termination always names the same batch. It never ends in ".csv".
func BatchID(a loupe.Associate) string {
	at := a.TerminatedAt
	if at.IsZero() {
		at = a.UpdatedAt
	}
	return a.AssociateID + "-" + stamp(at)
}

func stamp(t time.Time) string { return t.UTC().Format("20060102T150405.999999999Z") }

// HandleChange is the loupe.ChangeHandler of the staff stream: it calls
// ApplyChange and drops the outcome. Returns ApplyChange's error, which means
// "deliver again".
func (s *Service) HandleChange(ctx context.Context, c loupe.Change) error {
	_, err := s.ApplyChange(ctx, c)
	return err
}

// ApplyChange handles one change of the staff stream: for an associate whose
// new image is terminated and whose old image is missing or active, it runs
// Reassign. Every other change is ignored (zero Outcome, nil), and so is a
// termination whose associate is active again by now. It returns the clients
// this call moved and the batches it completed (a replayed termination moves 0
// and completes none). Returns Reassign's error, which means "deliver again",
// together with what was done before it.
func (s *Service) ApplyChange(ctx context.Context, c loupe.Change) (Outcome, error) {
	s.norm()
	var out Outcome
	if c.Entity != loupe.EntityAssociate || c.NewAssociate == nil || c.NewAssociate.Status != loupe.StatusTerminated {
		return out, nil
	}
	if c.OldAssociate != nil && !c.OldAssociate.Active() {
		return out, nil
	}
	_, err := s.reassign(ctx, c.NewAssociate.AssociateID, &out)
	if loupe.ErrorCode(err) == loupe.EINVALID {
		// Reactivated before delivery: nothing to do, and retrying will not help.
		s.Logger.InfoContext(ctx, "reassign skipped", "associate_id", c.NewAssociate.AssociateID, "why", loupe.ErrorMessage(err))
		return out, nil
	}
	return out, err
}

// Reassign reassigns the book of terminated associate associateID and returns
// its batch (the zero Batch when the book is empty and no batch exists). A
// batch that already exists is completed, not planned again. Returns an
// EINVALID *loupe.Error naming associate_id when the associate is active, an
// error wrapping loupe.ErrNotFound when it is unknown, and storage errors
// (then calling again resumes where it stopped).
func (s *Service) Reassign(ctx context.Context, associateID string) (Batch, error) {
	s.norm()
	return s.reassign(ctx, associateID, &Outcome{})
}

// reassign is Reassign, adding what it does to out.
func (s *Service) reassign(ctx context.Context, associateID string, out *Outcome) (Batch, error) {
	a, err := s.DB.GetAssociate(ctx, associateID)
	if err != nil {
		return Batch{}, fmt.Errorf("reassign %s: %w", associateID, err)
	}
	if a.Active() {
		return Batch{}, loupe.Invalidf("associate_id", "associate %s is active", associateID)
	}
	id := BatchID(a)
	b, err := s.Batches.GetReassignment(ctx, id)
	switch {
	case err == nil:
		return s.resume(ctx, b, out)
	case !errors.Is(err, loupe.ErrNotFound):
		return Batch{}, fmt.Errorf("reassign %s: %w", associateID, err)
	}
	book, err := s.DB.CustomersByAssociate(ctx, associateID)
	if err != nil {
		return Batch{}, fmt.Errorf("reassign %s: book: %w", associateID, err)
	}
	if len(book) == 0 {
		s.Logger.InfoContext(ctx, "reassign: empty book", "associate_id", associateID)
		return Batch{}, nil
	}
	b = Batch{ID: id, AssociateID: associateID, StoreID: a.StoreID, CreatedAt: s.Now().UTC(),
		Status: StatusPlanning, Source: SourceTermination}
	if err := s.Batches.CreateReassignment(ctx, b); err != nil {
		if errors.Is(err, loupe.ErrExists) {
			got, gerr := s.Batches.GetReassignment(ctx, id)
			if gerr != nil {
				return Batch{}, fmt.Errorf("reassign %s: %w", associateID, gerr)
			}
			return s.resume(ctx, got, out)
		}
		return Batch{}, fmt.Errorf("reassign %s: create batch: %w", associateID, err)
	}
	return s.planAndApply(ctx, b, book, nil, out)
}

// resume completes an existing batch: plan again while planning (nobody moved
// yet), apply the stored plan while pending, mail once when done. What it does
// is added to out.
func (s *Service) resume(ctx context.Context, b Batch, out *Outcome) (Batch, error) {
	switch b.Status {
	case StatusPlanning:
		if b.Source != SourceTermination {
			b.Status = StatusAbandoned
			if err := s.Batches.SaveReassignment(ctx, b); err != nil {
				return b, fmt.Errorf("abandon batch %s: %w", b.ID, err)
			}
			return b, nil
		}
		book, err := s.DB.CustomersByAssociate(ctx, b.AssociateID)
		if err != nil {
			return b, fmt.Errorf("batch %s: book: %w", b.ID, err)
		}
		return s.planAndApply(ctx, b, book, nil, out)
	case StatusPending:
		return s.apply(ctx, b, out)
	case StatusDone:
		return b, s.mailOnce(ctx, &b)
	default:
		return b, nil
	}
}

// planAndApply plans clients (who belong to b.AssociateID), stores the plan,
// marks the batch pending and applies it. loads, when not nil, gives every
// associate's current book size (the backfill counts them while scanning).
// What it does is added to out.
func (s *Service) planAndApply(ctx context.Context, b Batch, clients []loupe.Customer, loads map[string]int, out *Outcome) (Batch, error) {
	plan, err := s.plan(ctx, b.AssociateID, clients, loads)
	if err != nil {
		return b, fmt.Errorf("batch %s: plan: %w", b.ID, err)
	}
	if err := s.Batches.PutReassignmentAssignments(ctx, b.ID, plan); err != nil {
		return b, fmt.Errorf("batch %s: store plan: %w", b.ID, err)
	}
	b.Status, b.Clients = StatusPending, len(plan)
	if err := s.Batches.SaveReassignment(ctx, b); err != nil {
		return b, fmt.Errorf("batch %s: %w", b.ID, err)
	}
	return s.apply(ctx, b, out)
}

// apply moves every planned client of b with a conditional write from the
// departed associate, records each outcome, marks b done and mails the review.
// It adds to out every client whose move it recorded and b once it has stored
// b done with the review not yet mailed.
func (s *Service) apply(ctx context.Context, b Batch, out *Outcome) (Batch, error) {
	as, err := s.Batches.ReassignmentAssignments(ctx, b.ID)
	if err != nil {
		return b, fmt.Errorf("batch %s: %w", b.ID, err)
	}
	moved, skipped := 0, 0
	for _, a := range as {
		if a.State != StatePlanned {
			continue
		}
		if err := ctx.Err(); err != nil {
			return b, fmt.Errorf("batch %s: %w", b.ID, err)
		}
		err := loupe.MoveCustomerTo(ctx, s.DB, a.CustomerID, a.FromAssociateID, a.ToAssociateID, s.Now())
		switch {
		case err == nil:
			a.State = StateMoved
			moved++
		case errors.Is(err, loupe.ErrConflict):
			a.State = StateOwnerChanged
			skipped++
		case errors.Is(err, loupe.ErrNotFound):
			// Erased since the plan was written: its name goes too (Forget
			// may have run before the plan was stored).
			a.State, a.CustomerName, a.Reasons = StateGone, ErasedName, nil
			skipped++
		default:
			return b, fmt.Errorf("batch %s: %w", b.ID, err)
		}
		if err := s.Batches.SaveReassignmentAssignment(ctx, b.ID, a); err != nil {
			return b, fmt.Errorf("batch %s: record %s: %w", b.ID, a.CustomerID, err)
		}
		if a.State == StateMoved {
			out.Moved++
		}
	}
	b.Status = StatusDone
	if err := s.Batches.SaveReassignment(ctx, b); err != nil {
		return b, fmt.Errorf("batch %s: %w", b.ID, err)
	}
	if !b.Mailed {
		out.completed(b.ID)
	}
	s.Logger.InfoContext(ctx, "reassignment applied", "batch_id", b.ID, "associate_id", b.AssociateID,
		"clients", b.Clients, "moved", moved, "skipped", skipped)
	return b, s.mailOnce(ctx, &b)
}

// plan runs the engine for clients owned by departed.
func (s *Service) plan(ctx context.Context, departed string, clients []loupe.Customer, loads map[string]int) ([]Assignment, error) {
	all, err := s.DB.ListAssociates(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("list associates: %w", err)
	}
	var active []loupe.Associate
	for _, a := range all {
		if a.Active() && a.AssociateID != departed {
			active = append(active, a)
		}
	}
	cands, err := s.candidates(ctx, active, clients, loads)
	if err != nil {
		return nil, err
	}
	names := make(map[string]string, len(active))
	for _, a := range active {
		names[a.AssociateID] = a.Name
	}
	p := match.Problem{Associates: cands, Config: s.Match}
	byID := make(map[string]loupe.Customer, len(clients))
	for _, c := range clients {
		cats, err := s.categories(ctx, c)
		if err != nil {
			return nil, err
		}
		byID[c.CustomerID] = c
		p.Clients = append(p.Clients, match.Client{ID: c.CustomerID, HomeStoreID: c.HomeStoreID, Categories: cats})
	}
	res, err := match.AssignContext(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("match: %w", err)
	}
	out := make([]Assignment, 0, len(clients))
	for _, m := range res.Assignments {
		c := byID[m.ClientID]
		out = append(out, Assignment{
			CustomerID: c.CustomerID, CustomerName: customerName(c), HomeStoreID: c.HomeStoreID,
			FromAssociateID: c.AssociateID, ToAssociateID: m.AssociateID, ToAssociateName: names[m.AssociateID],
			Score: m.Score, Reasons: m.Reasons, State: StatePlanned,
		})
	}
	for _, u := range res.Unassigned {
		c := byID[u.ClientID]
		out = append(out, Assignment{
			CustomerID: c.CustomerID, CustomerName: customerName(c), HomeStoreID: c.HomeStoreID,
			FromAssociateID: c.AssociateID, Reasons: []string{u.Reason}, State: StateUnassigned,
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CustomerID < out[j].CustomerID })
	return out, nil
}

// candidates returns the engine's associates with their current loads. With
// loads given it uses them for every active associate. Otherwise it reads the
// books of the active associates of the clients' home stores only, and the
// books of the whole chain only when some home store cannot hold its clients
// (only then can the engine send a client to another store).
func (s *Service) candidates(ctx context.Context, active []loupe.Associate, clients []loupe.Customer, loads map[string]int) ([]match.Associate, error) {
	toMatch := func(a loupe.Associate, load int) match.Associate {
		return match.Associate{ID: a.AssociateID, StoreID: a.StoreID, Strengths: a.Strengths,
			Capacity: a.Capacity, Load: load, Active: true}
	}
	if loads != nil {
		out := make([]match.Associate, 0, len(active))
		for _, a := range active {
			out = append(out, toMatch(a, loads[a.AssociateID]))
		}
		return out, nil
	}
	need := map[string]int{}
	for _, c := range clients {
		need[c.HomeStoreID]++
	}
	bookSize := func(id string) (int, error) {
		book, err := s.DB.CustomersByAssociate(ctx, id)
		if err != nil {
			return 0, fmt.Errorf("book of %s: %w", id, err)
		}
		return len(book), nil
	}
	room := map[string]int{} // spare capacity per store; -1: unlimited
	local := []match.Associate{}
	for _, a := range active {
		if _, ok := need[a.StoreID]; !ok {
			continue
		}
		n, err := bookSize(a.AssociateID)
		if err != nil {
			return nil, err
		}
		local = append(local, toMatch(a, n))
		switch {
		case room[a.StoreID] < 0:
		case a.Capacity == 0:
			room[a.StoreID] = -1
		default:
			room[a.StoreID] += max(0, a.Capacity-n)
		}
	}
	enough := true
	for st, n := range need {
		if r := room[st]; r >= 0 && r < n {
			enough = false
		}
	}
	if enough {
		return local, nil
	}
	out := local
	for _, a := range active {
		if _, ok := need[a.StoreID]; ok {
			continue
		}
		n, err := bookSize(a.AssociateID)
		if err != nil {
			return nil, err
		}
		out = append(out, toMatch(a, n))
	}
	return out, nil
}

// categories returns c's preferences together with its purchase categories.
func (s *Service) categories(ctx context.Context, c loupe.Customer) ([]string, error) {
	ps, err := s.DB.PurchasesByCustomer(ctx, c.CustomerID)
	if err != nil {
		return nil, fmt.Errorf("purchases of %s: %w", c.CustomerID, err)
	}
	cats := append([]string(nil), c.Preferences...)
	for _, p := range ps {
		cats = append(cats, p.Categories...)
	}
	sort.Strings(cats)
	out := cats[:0]
	for i, x := range cats {
		if i == 0 || x != cats[i-1] {
			out = append(out, x)
		}
	}
	return out, nil
}

func customerName(c loupe.Customer) string {
	return strings.TrimSpace(c.FirstName + " " + c.LastName)
}

// List returns every batch header, newest first. Returns the storage error.
func (s *Service) List(ctx context.Context) ([]Batch, error) {
	bs, err := s.Batches.ListReassignments(ctx)
	if err != nil {
		return nil, fmt.Errorf("list reassignments: %w", err)
	}
	return bs, nil
}

// Get returns batch id with its assignments. Returns an ENOTFOUND
// *loupe.Error when there is no such batch, or the storage error.
func (s *Service) Get(ctx context.Context, id string) (Review, error) {
	b, err := s.Batches.GetReassignment(ctx, id)
	if errors.Is(err, loupe.ErrNotFound) {
		return Review{}, loupe.Errorf(loupe.ENOTFOUND, "reassignment %s not found", id)
	}
	if err != nil {
		return Review{}, fmt.Errorf("get reassignment %s: %w", id, err)
	}
	as, err := s.Batches.ReassignmentAssignments(ctx, id)
	if err != nil {
		return Review{}, fmt.Errorf("get reassignment %s: %w", id, err)
	}
	return Review{Batch: b, Assignments: as}, nil
}
