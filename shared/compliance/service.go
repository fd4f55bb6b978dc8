package compliance

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/loupehq/loupe/shared/emailcheck"
	"github.com/loupehq/loupe/shared/loupe"
)

// StoreDirectory gives the chain's stores (names, time zones, own addresses).
// loupe.DB implements it.
type StoreDirectory interface {
	// GetStore returns a store or an error wrapping loupe.ErrNotFound.
	GetStore(ctx context.Context, storeID string) (loupe.Store, error)
	// ListStores returns every store ordered by StoreID.
	ListStores(ctx context.Context) ([]loupe.Store, error)
}

// AssociateDirectory gives associates' names and addresses. loupe.DB implements it.
type AssociateDirectory interface {
	// ListAssociates returns one store's associates, or the chain's when storeID is "".
	ListAssociates(ctx context.Context, storeID string) ([]loupe.Associate, error)
}

// CustomerEmails fills a customer's profile with an email captured at a take-in.
// loupe.DB implements it.
type CustomerEmails interface {
	// UpdateCustomer is loupe.DB's: the profile is filled by
	// loupe.SetCustomerEmail (only when the stored email is older than the
	// take-in, or empty).
	loupe.CustomerUpdater
}

// CustomerNames gives the names of the clients on a report's missing list.
// loupe.DB implements it.
type CustomerNames interface {
	// GetCustomer returns a customer or an error wrapping loupe.ErrNotFound.
	GetCustomer(ctx context.Context, customerID string) (loupe.Customer, error)
}

// Service is the compliance domain: HandleChange records take-ins, Report
// answers GET /compliance, StartInspection and RunMorning run a store's
// inspection window. Store, Stores, Associates and Now are required;
// Customers (profile fill), Names and Inspections are optional.
type Service struct {
	Store      Store              // the aggregates
	Stores     StoreDirectory     // store names, zones, countries, own addresses
	Associates AssociateDirectory // associate names and addresses
	Customers  CustomerEmails     // profile fill; nil disables it
	// Names names the clients of a report's missing list (customer_name).
	// nil: Customers when it reads customers too (loupe.DB does), else
	// the list has no names.
	Names CustomerNames
	// Erased says when a customer was erased (loupe.DB's ErasedAt): a
	// take-in dated before its customer's erasure and delivered after it (a
	// late stream record) is recorded without the customer id and
	// suggestion. nil: not checked.
	Erased interface {
		ErasedAt(ctx context.Context, customerID string) (time.Time, error)
	}
	Now loupe.Clock // the current time
	// Consent overrides ConsentRule per country (ISO 3166 alpha-2, upper case),
	// e.g. {"CA": ConsentOptOut} once implied consent is recorded. nil: defaults.
	// It does not gate the profile fill; senders read it through ConsentFor to
	// decide whether a repair-sourced address may get marketing mail.
	Consent map[string]string
	// AllowedDomains are lower-case email domains accepted as real although the
	// email check would judge them placeholders (a chain's own test domains; the
	// demo chain's reserved example.com addresses). nil: none.
	AllowedDomains map[string]bool
	// Inspections keeps inspection windows and the morning-mail ledger.
	// nil: the inspection methods return EUNAVAILABLE.
	Inspections InspectionStore
	// MailFrom sends the morning mail of a store without from_email. "": such
	// a store gets none (logged).
	MailFrom string
	// BaseURL is the public base URL of links in mail (LOUPE_BASE_URL):
	// the inspection mail links the staff app's compliance screen. "": no
	// link.
	BaseURL string
	Log     *slog.Logger // nil: slog.Default()
}

// names returns Names, else Customers when it is a CustomerNames, else nil.
func (s *Service) names() CustomerNames {
	if s.Names != nil {
		return s.Names
	}
	if n, ok := s.Customers.(CustomerNames); ok {
		return n
	}
	return nil
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

// ConsentFor returns the consent rule in force for a country: the Consent
// override when present, ConsentRule otherwise.
func (s *Service) ConsentFor(country string) string {
	if r, ok := s.Consent[strings.ToUpper(country)]; ok {
		return r
	}
	return ConsentRule(country)
}

// HandleChange is the loupe.ChangeHandler for compliance. For a repair INSERT it
// judges the written-down email against the store's own addresses, records the
// take-in on its store-local day (Repair.LocalDay, or the day of TakenInAt in
// the store's zone when that is empty), and, when the email is captured, fills
// the customer's profile (source "repair", at TakenInAt) in every country.
// Consent does not gate the fill: whether a repair-sourced address may receive
// marketing mail is decided at send time from EmailSource and the consent rule
// of the store's country (ConsentFor / ConsentRule), so an opt-in country's
// address serves service mail only. Every other change is ignored. It is
// idempotent: a replayed change records nothing new and the fill is a
// conditional write. An unknown store counts in UTC with no own addresses; an
// unknown customer skips the fill. Returns the lookup or storage error, after
// which the change should be delivered again.
func (s *Service) HandleChange(ctx context.Context, c loupe.Change) error {
	_, err := s.ApplyChange(ctx, c)
	return err
}

// Outcome is what ApplyChange did: the take-ins it recorded and, of those,
// the ones whose email counts as captured. A re-delivered take-in counts again
// here (the store's figures count it once).
type Outcome struct {
	TakeIns, Captured int
}

// Add adds o2 to o.
func (o *Outcome) Add(o2 Outcome) {
	o.TakeIns += o2.TakeIns
	o.Captured += o2.Captured
}

// CaptureRate returns the percentage of take-ins captured, and false when
// there were none.
func (o Outcome) CaptureRate() (float64, bool) {
	if o.TakeIns == 0 {
		return 0, false
	}
	return 100 * float64(o.Captured) / float64(o.TakeIns), true
}

// ApplyChange is HandleChange reporting what it recorded: a take-in once the
// store has accepted it, whatever the profile fill then does. Errors as
// HandleChange; a failed change reports nothing recorded unless the take-in
// was, so a retry counts it again.
func (s *Service) ApplyChange(ctx context.Context, c loupe.Change) (Outcome, error) {
	if c.Entity != loupe.EntityRepair || c.Op != loupe.OpInsert || c.NewRepair == nil {
		return Outcome{}, nil
	}
	r := *c.NewRepair
	store, err := s.Stores.GetStore(ctx, r.StoreID)
	known := err == nil
	if err != nil && !isNotFound(err) {
		return Outcome{}, fmt.Errorf("compliance of repair %s: get store %s: %w", r.RepairID, r.StoreID, err)
	}
	var own []string
	loc := time.UTC
	if known {
		own = append(own, store.FromEmail, store.ManagerEmail)
		loc = location(store.Timezone)
		assocs, err := s.Associates.ListAssociates(ctx, r.StoreID)
		if err != nil {
			return Outcome{}, fmt.Errorf("compliance of repair %s: list associates of %s: %w", r.RepairID, r.StoreID, err)
		}
		for _, a := range assocs {
			own = append(own, a.Email)
		}
	}
	day := r.LocalDay
	if day == "" {
		day = loupe.LocalDayIn(r.TakenInAt, loc)
	}
	res := emailcheck.CheckWith(r.CustomerEmail, s.AllowedDomains, own...)
	t := TakeIn{RepairID: r.RepairID, StoreID: r.StoreID, AssociateID: r.AssociateID, CustomerID: r.CustomerID,
		Day: day, TakenInAt: r.TakenInAt, Captured: res.Captured, Reason: res.Reason, Suggestion: res.Suggestion}
	if !res.Captured && r.CustomerID != "" && s.Erased != nil {
		// Only a missing entry names the customer: one read, for misses only.
		at, err := s.Erased.ErasedAt(ctx, r.CustomerID)
		if err != nil {
			return Outcome{}, fmt.Errorf("compliance of repair %s: erasure of %s: %w", r.RepairID, r.CustomerID, err)
		}
		if !at.IsZero() && !r.TakenInAt.After(at) {
			t.CustomerID, t.Suggestion = "", ""
		}
	}
	if err := s.Store.Record(ctx, t); err != nil {
		return Outcome{}, fmt.Errorf("compliance of repair %s: %w", r.RepairID, err)
	}
	out := Outcome{TakeIns: 1}
	if res.Captured {
		out.Captured = 1
	}
	if !res.Captured || s.Customers == nil {
		return out, nil
	}
	wrote, err := loupe.SetCustomerEmail(ctx, s.Customers, r.CustomerID, res.Email, loupe.EmailSourceRepair, r.TakenInAt)
	switch {
	case isNotFound(err):
		s.log().InfoContext(ctx, "repair email not filled: unknown customer", "repair_id", r.RepairID, "customer_id", r.CustomerID)
		return out, nil
	case err != nil:
		return out, fmt.Errorf("compliance of repair %s: set email of customer %s: %w", r.RepairID, r.CustomerID, err)
	}
	s.log().DebugContext(ctx, "repair email fill", "repair_id", r.RepairID, "customer_id", r.CustomerID, "written", wrote)
	return out, nil
}

// isNotFound reports whether err means "no such record".
func isNotFound(err error) bool {
	return errors.Is(err, loupe.ErrNotFound) || loupe.ErrorCode(err) == loupe.ENOTFOUND
}

// Forget is compliance's part of a customer's erasure (a loupe.Forgetter):
// ForgetRepairs of the erased customer's repairs.
func (s *Service) Forget(ctx context.Context, e loupe.Erasure) error {
	return s.ForgetRepairs(ctx, e.Repairs)
}

// ForgetRepairs is compliance's part of a customer's erasure: it scrubs the
// customer id and any suggested address from the missing-list entries of
// repairs (the customer's take-ins, read before they are deleted). Counts are
// kept. Idempotent. Returns the first lookup or storage error.
func (s *Service) ForgetRepairs(ctx context.Context, repairs []loupe.Repair) error {
	for _, r := range repairs {
		day := r.LocalDay
		if day == "" {
			loc := time.UTC
			store, err := s.Stores.GetStore(ctx, r.StoreID)
			switch {
			case err == nil:
				loc = location(store.Timezone)
			case !isNotFound(err):
				return fmt.Errorf("forget repair %s: get store %s: %w", r.RepairID, r.StoreID, err)
			}
			day = loupe.LocalDayIn(r.TakenInAt, loc)
		}
		if err := s.Store.Scrub(ctx, r.StoreID, day, r.RepairID); err != nil {
			return fmt.Errorf("forget repair %s: %w", r.RepairID, err)
		}
	}
	return nil
}
