package httpapi

import (
	"net/http"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
)

// getCustomer answers GET /customers/{customer_id} with the customer's profile
// (loupe.Customer as JSON), 404 when unknown.
func (s *server) getCustomer(w http.ResponseWriter, r *http.Request) error {
	c, err := s.customer(r)
	if err != nil {
		return err
	}
	c.Stamps = nil // the order of POS writes is the store's business, not the profile's
	writeJSON(w, http.StatusOK, profileOf(c))
	return nil
}

// profile is the JSON of GET /customers/{id}: the stored record with a
// consent for every channel ("unknown" where none was given, or an sms or
// voice consent given for another phone number) and last_contact_at (null
// before the first contact).
type profile struct {
	loupe.Customer
	Consents      map[string]loupe.Consent `json:"consents"`
	LastContactAt *time.Time               `json:"last_contact_at"`
}

func profileOf(c loupe.Customer) profile {
	p := profile{Customer: c, Consents: make(map[string]loupe.Consent, len(loupe.ConsentChannels))}
	if !c.LastContactAt.IsZero() {
		p.LastContactAt = &c.LastContactAt
	}
	for _, ch := range loupe.ConsentChannels {
		p.Consents[ch] = c.ConsentOf(ch)
	}
	return p
}

// maxContacts is the most entries GET /customers/{id}/contacts returns.
const maxContacts = 500

// getContacts serves GET /customers/{customer_id}/contacts: the client's
// contact history, newest first, at most maxContacts entries. 404 when the
// client is unknown.
func (s *server) getContacts(w http.ResponseWriter, r *http.Request) error {
	c, err := s.customer(r)
	if err != nil {
		return err
	}
	cs, err := s.DB.ContactsByCustomer(r.Context(), c.CustomerID, maxContacts)
	if err != nil {
		return err
	}
	if cs == nil {
		cs = []loupe.Contact{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"contacts": cs})
	return nil
}

// customer reads the customer of the route's {customer_id} when the signed-in
// person may see the client (staff.Person.MayReadCustomer: their book, a
// client of their store on their Today list or a review list, or a store
// they manage): 404
// naming it when unknown, 403 otherwise, 503 without a database.
func (s *server) customer(r *http.Request) (loupe.Customer, error) {
	c, err := s.findCustomer(r)
	if err != nil {
		return c, err
	}
	err = person(r).MayReadCustomer(c, func() (bool, error) {
		if ok, err := s.onTodayList(r, c); err != nil || ok {
			return ok, err
		}
		return s.onReviewList(r, c)
	})
	return c, err
}

// onReviewList reports whether c is waiting on a review list of its home
// store (an unclaimed client of a reassignment batch of that store), which
// its associates may claim from. A claimed client is in its new owner's book
// only.
func (s *server) onReviewList(r *http.Request, c loupe.Customer) (bool, error) {
	if s.Reassign == nil {
		return false, nil
	}
	bs, err := s.Reassign.List(r.Context())
	if err != nil {
		return false, err
	}
	for _, b := range bs {
		if b.StoreID != c.HomeStoreID {
			continue
		}
		rv, err := s.Reassign.Get(r.Context(), b.ID)
		if err != nil {
			return false, err
		}
		for _, a := range rv.Assignments {
			if a.CustomerID == c.CustomerID && !a.Claimed {
				return true, nil
			}
		}
	}
	return false, nil
}

// findCustomer reads the customer of the route's {customer_id}: 404 naming
// it when unknown, 503 without a database.
func (s *server) findCustomer(r *http.Request) (loupe.Customer, error) {
	if s.DB == nil {
		return loupe.Customer{}, loupe.Errorf(loupe.EUNAVAILABLE, "no database configured")
	}
	id := r.PathValue("customer_id")
	if !loupe.ValidID(id) {
		return loupe.Customer{}, loupe.Errorf(loupe.ENOTFOUND, "customer not found")
	}
	c, err := s.DB.GetCustomer(r.Context(), id)
	if loupe.ErrorCode(err) == loupe.ENOTFOUND {
		return loupe.Customer{}, loupe.Errorf(loupe.ENOTFOUND, "customer %s not found", id)
	}
	return c, err
}
