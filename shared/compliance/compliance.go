// Package compliance measures repair email capture: for every repair take-in it
// judges the email the associate wrote down (package emailcheck), adds the
// take-in to an aggregate per store and store-local day, fills the customer's
// profile where consent rules allow, and reports the capture rate per store,
// associate and day for GET /compliance and the dashboard page.
//
// The aggregates are kept by a Store (the port declared here); reading a window
// costs one aggregate per store and day, whatever the number of take-ins. The
// item layout adapters implement is in docs/compliance.md.
package compliance

import (
	"context"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
)

// MaxMissingPerDay bounds the take-ins without email listed per store-day; the
// ones past it are still counted (take_ins - with_email) but not listed.
const MaxMissingPerDay = 50

// TakeIn is one repair take-in as compliance records it.
type TakeIn struct {
	RepairID    string
	StoreID     string
	AssociateID string
	CustomerID  string
	Day         string    // store-local day "YYYY-MM-DD" of TakenInAt
	TakenInAt   time.Time // as the POS sent it
	Captured    bool      // the email counts as captured (emailcheck.Result.Captured)
	Reason      string    // emailcheck reason when not captured
	Suggestion  string    // emailcheck suggestion for a typo, "" otherwise
}

// Validate checks what a Store needs. Returns an EINVALID *loupe.Error naming
// the first bad field.
func (t TakeIn) Validate() error {
	for _, f := range [][2]string{{"repair_id", t.RepairID}, {"store_id", t.StoreID}, {"associate_id", t.AssociateID}} {
		if !loupe.ValidID(f[1]) {
			return loupe.Invalidf(f[0], "%s must be a valid id", f[0])
		}
	}
	if _, err := loupe.ParseDay(t.Day); err != nil {
		return loupe.Invalidf("day", "day must be YYYY-MM-DD")
	}
	return nil
}

// Count is a number of take-ins and how many of them had an email captured.
type Count struct {
	TakeIns   int
	WithEmail int
}

// Missing is one take-in without a captured email, as listed to the manager.
// Reason and Suggestion are an additive extension of CONTRACT section 3.
// CustomerName is filled by Report only (a Store never keeps it).
type Missing struct {
	RepairID     string    `json:"repair_id"`
	AssociateID  string    `json:"associate_id"`
	CustomerID   string    `json:"customer_id"`
	CustomerName string    `json:"customer_name,omitempty"` // the client's name as the profile has it now; absent when unknown or erased
	TakenInAt    time.Time `json:"taken_in_at"`
	Reason       string    `json:"reason"`               // emailcheck reason: empty, malformed, placeholder, store_address, typo
	Suggestion   string    `json:"suggestion,omitempty"` // corrected address for a typo
}

// Day is the aggregate of one store on one store-local day.
type Day struct {
	StoreID    string
	Date       string           // "YYYY-MM-DD"
	Associates map[string]Count // by associate id; only associates with take-ins
	Missing    []Missing        // at most MaxMissingPerDay take-ins without email, in any order
}

// Store keeps the per (store, day) aggregates. It is implemented by package
// embedded (bbolt) and package dynamo; package compliancetest holds the
// contract suite every implementation must pass. Safe for concurrent use.
type Store interface {
	// Record adds t to the aggregate of (t.StoreID, t.Day). It is idempotent on
	// t.RepairID: recording a take-in again changes nothing, so a re-delivered
	// change is harmless. A take-in without email is listed in Missing unless
	// the day already lists MaxMissingPerDay others; it is counted either way.
	// Returns an EINVALID *loupe.Error when t fails Validate, or the storage error.
	Record(ctx context.Context, t TakeIn) error
	// Days returns the aggregates of days from..to inclusive ("YYYY-MM-DD") of
	// one store, or of every store when storeID is "", ordered by StoreID then
	// Date. Store-days without take-ins may be absent. It reads one aggregate per
	// store-day, never the take-ins. Returns the storage error on failure.
	Days(ctx context.Context, from, to, storeID string) ([]Day, error)
	// ReportDays is Days for a report, whose cost must not follow the number
	// of take-ins: the same days and counts, but Missing is filled only on
	// each store's newest days of the window, newest first, until at least
	// missingPerStore entries are listed; older days carry none. Together the
	// returned days list each store's newest missingPerStore listed take-ins
	// (all of them when fewer). Returns the storage error on failure.
	ReportDays(ctx context.Context, from, to, storeID string, missingPerStore int) ([]Day, error)
	// Scrub erases the customer from a listed take-in without email: the
	// missing entry of repairID on (storeID, day) loses its CustomerID and
	// Suggestion (the suggestion is an email address); counts are kept. It is
	// a no-op when the take-in is not listed. Customer erasure calls it for
	// each of the customer's repairs. Returns the storage error on failure.
	Scrub(ctx context.Context, storeID, day, repairID string) error
}

// KeepNewestMissing trims days (ordered by StoreID then Date) to what
// ReportDays returns: per store, the Missing lists of its newest days until
// at least perStore entries are kept; older days lose theirs. Adapters that
// cannot skip reading the lists use it. It modifies days in place and returns it.
func KeepNewestMissing(days []Day, perStore int) []Day {
	kept := map[string]int{}
	for i := len(days) - 1; i >= 0; i-- {
		d := &days[i]
		if kept[d.StoreID] >= perStore {
			d.Missing = nil
			continue
		}
		kept[d.StoreID] += len(d.Missing)
	}
	return days
}
