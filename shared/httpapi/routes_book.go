package httpapi

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
)

// Book routes (CONTRACT section 3), for the staff app's client screens:
//
//	GET /customers?associate_id=ID|store_id=ID[&q=TEXT][&cursor=C][&limit=N]   a book or a store's clients
//	GET /customers/{customer_id}/purchases                                  a client's purchases, newest first

// bookEntry is one client of GET /customers.
type bookEntry struct {
	CustomerID    string        `json:"customer_id"`
	Name          string        `json:"name"`
	AssociateID   string        `json:"associate_id"`
	HomeStoreID   string        `json:"home_store_id"`
	LastContactAt *time.Time    `json:"last_contact_at"`
	NextOccasion  *nextOccasion `json:"next_occasion"`
}

// nextOccasion is a client's coming birthday or anniversary.
type nextOccasion struct {
	Touchpoint string `json:"touchpoint"` // birthday or anniversary
	Date       string `json:"date"`       // YYYY-MM-DD, within the next year
}

// errPageFull stops a store's scan once a page is read.
var errPageFull = errors.New("page full")

// Page sizes of GET /customers.
const (
	defaultBookPage = 50
	maxBookPage     = 200
)

// listCustomers answers GET /customers: the clients of a book
// (associate_id: the associate themselves, a manager of their store, an
// admin) or of a home store (store_id: its managers, admins), ordered by
// customer id, filtered by q (a case-insensitive part of the name, the
// email or the phone), at most limit a page from after cursor (the last
// customer id of the page before).
func (s *server) listCustomers(w http.ResponseWriter, r *http.Request) error {
	if s.DB == nil {
		return loupe.Errorf(loupe.EUNAVAILABLE, "no database configured")
	}
	q := r.URL.Query()
	assoc, store := q.Get("associate_id"), q.Get("store_id")
	if (assoc == "") == (store == "") {
		return loupe.Invalidf("associate_id", "give associate_id or store_id (one of them)")
	}
	limit := defaultBookPage
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxBookPage {
			return loupe.Invalidf("limit", "limit must be a whole number from 1 to %d", maxBookPage)
		}
		limit = n
	}
	cursor := q.Get("cursor")
	p := person(r)
	var cs []loupe.Customer
	if assoc != "" {
		if !loupe.ValidID(assoc) {
			return loupe.Invalidf("associate_id", "associate_id is not a valid id")
		}
		a, err := s.DB.GetAssociate(r.Context(), assoc)
		if loupe.ErrorCode(err) == loupe.ENOTFOUND && !p.Admin {
			return loupe.Errorf(loupe.EFORBIDDEN, "this is not your list") // as for another store's: no probing for ids
		}
		if err != nil && loupe.ErrorCode(err) != loupe.ENOTFOUND {
			return err
		}
		if err == nil {
			if err := p.MayWorkListOf(a); err != nil {
				return err
			}
		}
		if cs, err = s.DB.CustomersByAssociate(r.Context(), assoc); err != nil {
			return err
		}
	} else {
		if !loupe.ValidID(store) {
			return loupe.Invalidf("store_id", "store_id is not a valid id")
		}
		if err := p.MayManage(store); err != nil {
			return err
		}
		// The scan is in customer id order: it stops once the page and the
		// one client after it (the next cursor) are read.
		needle := strings.ToLower(strings.TrimSpace(q.Get("q")))
		err := s.DB.ScanCustomers(r.Context(), store, func(c loupe.Customer) error {
			if c.CustomerID <= cursor || needle != "" && !matches(c, needle) {
				return nil
			}
			cs = append(cs, c)
			if len(cs) > limit {
				return errPageFull
			}
			return nil
		})
		if err != nil && !errors.Is(err, errPageFull) {
			return err
		}
	}
	needle := strings.ToLower(strings.TrimSpace(q.Get("q")))
	now := s.Now()
	out := make([]bookEntry, 0, limit)
	next := ""
	for _, c := range cs {
		if c.CustomerID <= cursor || needle != "" && !matches(c, needle) {
			continue
		}
		if len(out) == limit {
			next = out[len(out)-1].CustomerID
			break
		}
		out = append(out, bookEntryOf(c, now))
	}
	var nc *string
	if next != "" {
		nc = &next
	}
	writeJSON(w, http.StatusOK, map[string]any{"customers": out, "next_cursor": nc})
	return nil
}

func customerName(c loupe.Customer) string { return strings.TrimSpace(c.FirstName + " " + c.LastName) }

// matches reports whether needle (lower case) is part of c's name, email or
// phone.
func matches(c loupe.Customer, needle string) bool {
	for _, f := range []string{customerName(c), c.Email, c.Phone} {
		if strings.Contains(strings.ToLower(f), needle) {
			return true
		}
	}
	return false
}

func bookEntryOf(c loupe.Customer, now time.Time) bookEntry {
	e := bookEntry{CustomerID: c.CustomerID, Name: customerName(c), AssociateID: c.AssociateID, HomeStoreID: c.HomeStoreID}
	if !c.LastContactAt.IsZero() {
		at := c.LastContactAt.UTC()
		e.LastContactAt = &at
	}
	var best *nextOccasion
	for _, o := range []struct {
		touchpoint string
		date       loupe.Date
	}{{"birthday", c.Birthday}, {"anniversary", c.Anniversary}} {
		if o.date.IsZero() {
			continue
		}
		d := nextDate(now.UTC(), int(o.date.Month), o.date.Day)
		if best == nil || d < best.Date {
			best = &nextOccasion{Touchpoint: o.touchpoint, Date: d}
		}
	}
	e.NextOccasion = best
	return e
}

// nextDate returns the first day on or after now (UTC) that is month/day,
// a 29 February falling on 28 February in a year without one.
func nextDate(now time.Time, month, day int) string {
	for y := now.Year(); ; y++ {
		d := day
		if month == 2 && day == 29 && time.Date(y, 3, 0, 0, 0, 0, 0, time.UTC).Day() != 29 {
			d = 28
		}
		t := time.Date(y, time.Month(month), d, 0, 0, 0, 0, time.UTC)
		if !t.Before(time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)) {
			return t.Format(time.DateOnly)
		}
	}
}

// getPurchases answers GET /customers/{customer_id}/purchases: the client's
// purchases, newest first, for whoever may read the client.
func (s *server) getPurchases(w http.ResponseWriter, r *http.Request) error {
	c, err := s.customer(r)
	if err != nil {
		return err
	}
	ps, err := s.DB.PurchasesByCustomer(r.Context(), c.CustomerID)
	if err != nil {
		return err
	}
	slices.Reverse(ps)
	if ps == nil {
		ps = []loupe.Purchase{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"purchases": ps})
	return nil
}
