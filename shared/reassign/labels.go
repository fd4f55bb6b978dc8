package reassign

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
)

// Directory is what Describe reads: the batch's store and the departed
// associates. Records, *embedded.DB and *dynamo.DB implement it.
type Directory interface {
	// GetStore returns a store or an error wrapping loupe.ErrNotFound.
	GetStore(ctx context.Context, storeID string) (loupe.Store, error)
	// GetAssociate returns an associate or an error wrapping loupe.ErrNotFound.
	GetAssociate(ctx context.Context, associateID string) (loupe.Associate, error)
}

// Labels are the words a review is shown with instead of ids: the batch's
// store (its name and time zone) and the names of the associates the clients
// came from. The zero Labels shows ids and UTC times.
type Labels struct {
	Store    loupe.Store       // the batch's store; zero when it has none or it is unknown
	Departed map[string]string // names of the departed associates by id; an id absent when unknown
}

// MaxDepartedLookups bounds the associate reads of Describe: a termination
// batch has one departed associate, a backfill batch one per former owner
// of its clients; past this many the rest are shown by id.
const MaxDepartedLookups = 50

// Describe reads r's Labels: one store read, and one associate read per
// distinct departed associate (the batch's and every assignment's
// from_associate_id, at most MaxDepartedLookups). A store or associate that
// does not exist is left out. Returns the storage error.
func Describe(ctx context.Context, d Directory, r Review) (Labels, error) {
	var l Labels
	if r.StoreID != "" {
		st, err := d.GetStore(ctx, r.StoreID)
		switch {
		case err == nil:
			l.Store = st
		case !errors.Is(err, loupe.ErrNotFound):
			return Labels{}, fmt.Errorf("describe reassignment %s: %w", r.ID, err)
		}
	}
	names, err := departedNames(ctx, d, r)
	if err != nil {
		return Labels{}, err
	}
	l.Departed = names
	return l, nil
}

// departedNames reads the names of r's departed associates, as Describe does.
func departedNames(ctx context.Context, d Directory, r Review) (map[string]string, error) {
	names := map[string]string{}
	seen := map[string]bool{}
	ids := []string{r.AssociateID}
	for _, a := range r.Assignments {
		ids = append(ids, a.FromAssociateID)
	}
	for _, id := range ids {
		if id == "" || seen[id] || len(seen) >= MaxDepartedLookups {
			continue
		}
		seen[id] = true
		a, err := d.GetAssociate(ctx, id)
		switch {
		case err == nil:
			if a.Name != "" {
				names[id] = a.Name
			}
		case !errors.Is(err, loupe.ErrNotFound):
			return nil, fmt.Errorf("describe reassignment %s: %w", r.ID, err)
		}
	}
	return names, nil
}

// Location returns the store's time zone, UTC when it has none or an unknown one.
func (l Labels) Location() *time.Location {
	if l.Store.Timezone == "" {
		return time.UTC
	}
	loc, err := l.Store.Location()
	if err != nil {
		return time.UTC
	}
	return loc
}

// LocalTimeLayout is how the review shows an instant: the store's local
// time with its zone, "Wed 2 Dec 2026, 9:24 AM EST".
const LocalTimeLayout = "Mon 2 Jan 2006, 3:04 PM MST"

// Local returns t in the store's zone as LocalTimeLayout; "" for the zero time.
func (l Labels) Local(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(l.Location()).Format(LocalTimeLayout)
}

// StoreName returns the store's name, else "store <id>", else "".
func (l Labels) StoreName(storeID string) string {
	if l.Store.Name != "" && (storeID == "" || l.Store.StoreID == storeID) {
		return l.Store.Name
	}
	if storeID == "" {
		return ""
	}
	return "store " + storeID
}

// DepartedName returns the name of departed associate id, else "associate
// <id>", else "" (a client that had no associate).
func (l Labels) DepartedName(id string) string {
	if n := l.Departed[id]; n != "" {
		return n
	}
	if id == "" {
		return ""
	}
	return "associate " + id
}

// Subject says in words whose clients b reassigns: "clients of Ann Lee", or
// for a backfill batch "orphaned clients of Fifth Ave".
func (l Labels) Subject(b Batch) string {
	if b.AssociateID == "" {
		if n := l.StoreName(b.StoreID); n != "" {
			return "orphaned clients of " + n
		}
		return "orphaned clients"
	}
	return "clients of " + l.DepartedName(b.AssociateID)
}
