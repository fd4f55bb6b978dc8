package today

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/touch"
)

// Progress is a store's team over one week (GET /stores/{id}/progress): per
// active associate, the tasks their lists held and the ones worked.
type Progress struct {
	StoreID    string         `json:"store_id"`
	StoreName  string         `json:"store_name"`
	From       string         `json:"from"` // the Monday of the week, store-local
	To         string         `json:"to"`   // the day asked (today by default)
	Associates []TeamProgress `json:"associates"`
}

// TeamProgress is one associate's week.
type TeamProgress struct {
	AssociateID string  `json:"associate_id"`
	Name        string  `json:"name"`
	Listed      int     `json:"listed"`  // tasks on their lists
	Worked      int     `json:"worked"`  // tasks with an outcome
	Reached     int     `json:"reached"` // outcomes that are contacts (loupe.IsContactOutcome)
	Days        []Tally `json:"days"`
}

// Tally is one list's figures.
type Tally struct {
	Date   string `json:"date"`
	Listed int    `json:"listed"`
	Worked int    `json:"worked"`
}

// Progress returns the week of storeID's active associates: Monday to date
// (store-local; "" for today). Returns an EINVALID *loupe.Error naming
// date, an ENOTFOUND one for an unknown store, or the storage error.
func (s *Service) Progress(ctx context.Context, storeID, date string) (Progress, error) {
	st, err := s.Records.GetStore(ctx, storeID)
	if errors.Is(err, loupe.ErrNotFound) {
		return Progress{}, loupe.Errorf(loupe.ENOTFOUND, "store %s not found", storeID)
	}
	if err != nil {
		return Progress{}, fmt.Errorf("store %s: %w", storeID, err)
	}
	loc, err := st.Location()
	if err != nil {
		loc = time.UTC
	}
	to := touch.DayOf(s.now().In(loc))
	if date != "" {
		if to, err = touch.ParseDay(date); err != nil {
			return Progress{}, loupe.Invalidf("date", "date must be YYYY-MM-DD")
		}
	}
	back := (int(to.Time(time.UTC).Weekday()) + 6) % 7 // days since Monday
	from := to.AddDays(-back)
	var days []string
	for d := from; !to.Before(d); d = d.AddDays(1) {
		days = append(days, d.String())
	}
	as, err := s.Records.ListAssociates(ctx, storeID)
	if err != nil {
		return Progress{}, fmt.Errorf("associates of %s: %w", storeID, err)
	}
	out := Progress{StoreID: storeID, StoreName: st.Name, From: from.String(), To: to.String(), Associates: []TeamProgress{}}
	for _, a := range as {
		if !a.Active() {
			continue
		}
		lists, err := s.Store.GetLists(ctx, a.AssociateID, days)
		if err != nil {
			return Progress{}, fmt.Errorf("lists of %s: %w", a.AssociateID, err)
		}
		tp := TeamProgress{AssociateID: a.AssociateID, Name: a.Name, Days: []Tally{}}
		for _, l := range lists {
			t := Tally{Date: l.Day, Listed: len(l.Tasks)}
			for _, task := range l.Tasks {
				if task.Outcome != "" {
					t.Worked++
					if loupe.IsContactOutcome(task.Outcome) {
						tp.Reached++
					}
				}
			}
			tp.Listed += t.Listed
			tp.Worked += t.Worked
			tp.Days = append(tp.Days, t)
		}
		out.Associates = append(out.Associates, tp)
	}
	return out, nil
}
