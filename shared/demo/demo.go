// Package demo generates a deterministic, realistic demo chain (stores in
// several time zones, associates, about 5,000 clients, three weeks of repair
// take-ins and one recently terminated associate with a book of clients) and
// seeds it into a loupe.DB.
//
// The same now gives the same chain on every run: the generator uses a
// fixed-seed math/rand/v2 source and no clock of its own. Every email address
// is on a reserved example domain (example.com, example.net, example.org),
// except the deliberate placeholders and typos on repair take-ins that the
// compliance report is meant to catch.
package demo

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/today"
)

// Chain is a generated demo chain. Associates hold every associate as active;
// Terminated names the one Seed terminates after the clients are in place, at
// TerminatedAt.
type Chain struct {
	Stores     []loupe.Store
	Associates []loupe.Associate
	Customers  []loupe.Customer
	Repairs    []loupe.Repair
	// Purchases are two years of sales, and one sale by every active
	// associate of the first store two days before now (a thank_you on
	// their Today list).
	Purchases    []loupe.Purchase
	Terminated   string    // associate id terminated by Seed
	TerminatedAt time.Time // when that associate left
}

// Summary counts what Seed wrote.
type Summary struct {
	Stores, Associates, Customers, Repairs, Purchases int
	// TerminatedAssociateID is the associate terminated at the end of seeding,
	// and OrphanedClients the size of their book.
	TerminatedAssociateID string
	OrphanedClients       int
	// RepairsWithEmail counts take-ins whose customer_email is present and well formed.
	RepairsWithEmail int
}

type storeSpec struct {
	id, name, tz, country, address, domain string
	phonePrefix                            string
	associates, customers                  int
	weight                                 int // share of repair take-ins
}

var storeSpecs = []storeSpec{
	{"nyc", "Loupe Fifth Avenue", "America/New_York", "US",
		"712 Fifth Avenue, New York, NY 10019, United States", "example.com", "+1212555", 10, 2200, 5},
	{"chi", "Loupe Oak Street", "America/Chicago", "US",
		"100 E Oak Street, Chicago, IL 60611, United States", "example.com", "+1312555", 8, 1600, 3},
	{"lon", "Loupe Bond Street", "Europe/London", "GB",
		"25 New Bond Street, London W1S 2RL, United Kingdom", "example.co.uk", "+44207946", 7, 1200, 3},
}

// terminatedBook is the size of the terminated associate's book.
const terminatedBook = 300

// seed makes the generator deterministic; changing it changes the demo chain.
const seed1, seed2 = 0x10_4e_c0_de, 0x5eed_2026

// Generate returns the demo chain as of now: repair take-ins fall in the 21
// days before now, the terminated associate left two days before now, and
// every UpdatedAt is before now. It never fails and is deterministic in now.
func Generate(now time.Time) Chain {
	now = now.UTC()
	rng := rand.New(rand.NewPCG(seed1, seed2))
	g := &gen{rng: rng, now: now}
	var ch Chain
	stamp := now.Add(-30 * 24 * time.Hour).Truncate(time.Second)

	// Stores and associates.
	byStore := map[string][]int{} // store id -> indexes into ch.Associates
	usedNames := map[string]bool{}
	for _, sp := range storeSpecs {
		ch.Stores = append(ch.Stores, loupe.Store{
			StoreID:       sp.id,
			Name:          sp.name,
			Timezone:      sp.tz,
			Country:       sp.country,
			PostalAddress: sp.address,
			FromEmail:     sp.id + "@stores.example.com",
			ManagerEmail:  "manager." + sp.id + "@stores.example.com",
			UpdatedAt:     stamp,
		})
		for i := 0; i < sp.associates; i++ {
			var first, last string
			for {
				first, last = g.pick(firstNames), g.pick(lastNames)
				if !usedNames[first+" "+last] {
					usedNames[first+" "+last] = true
					break
				}
			}
			id := fmt.Sprintf("%s-a%02d", sp.id, i+1)
			n := 1 + rng.IntN(3)
			byStore[sp.id] = append(byStore[sp.id], len(ch.Associates))
			ch.Associates = append(ch.Associates, loupe.Associate{
				AssociateID: id,
				StoreID:     sp.id,
				Name:        first + " " + last,
				Email:       emailLocal(first) + "." + emailLocal(last) + "@staff.example.com",
				Strengths:   g.categories(n),
				Status:      loupe.StatusActive,
				UpdatedAt:   stamp,
			})
		}
	}
	// The terminated associate: the third of the first store.
	termIdx := byStore[storeSpecs[0].id][2]
	ch.Terminated = ch.Associates[termIdx].AssociateID
	ch.TerminatedAt = now.Add(-2 * 24 * time.Hour).Truncate(time.Minute)

	active := map[string][]int{} // store id -> associates that stay
	for _, sp := range storeSpecs {
		for _, i := range byStore[sp.id] {
			if i != termIdx {
				active[sp.id] = append(active[sp.id], i)
			}
		}
	}

	// Customers, spread over their home store's associates.
	book := make([]int, len(ch.Associates))
	custByStore := map[string][]int{}
	n := 0
	for _, sp := range storeSpecs {
		for i := 0; i < sp.customers; i++ {
			n++
			// The same draw for every client keeps the sequence stable; every
			// seventh client of the first store belongs to the leaver until their
			// book is full.
			owner := active[sp.id][rng.IntN(len(active[sp.id]))]
			if sp.id == storeSpecs[0].id && i%7 == 3 && book[termIdx] < terminatedBook {
				owner = termIdx
			}
			book[owner]++
			c := g.customer(fmt.Sprintf("c%05d", n), sp, ch.Associates[owner].AssociateID)
			custByStore[sp.id] = append(custByStore[sp.id], len(ch.Customers))
			ch.Customers = append(ch.Customers, c)
		}
	}
	// Capacities: about a third unlimited (0), the rest with room to spare so a
	// reassignment of the terminated associate's book can succeed.
	for i := range ch.Associates {
		if i == termIdx || rng.IntN(3) == 0 {
			continue
		}
		ch.Associates[i].Capacity = (book[i]*13/10 + 9) / 10 * 10
	}

	// Repair take-ins over the 21 days before now, during store hours. Each
	// associate has a capture habit, so the compliance report has a spread.
	capture := make([]float64, len(ch.Associates))
	for i := range capture {
		capture[i] = 0.55 + 0.43*rng.Float64()
	}
	weights := 0
	for _, sp := range storeSpecs {
		weights += sp.weight
	}
	const repairs = 360
	for i := 0; i < repairs; i++ {
		w := rng.IntN(weights)
		var sp storeSpec
		for _, s := range storeSpecs {
			if w < s.weight {
				sp = s
				break
			}
			w -= s.weight
		}
		loc, _ := time.LoadLocation(sp.tz)
		// A fixed number of draws per take-in, so the sequence does not depend
		// on the time of day of now.
		day := now.In(loc).AddDate(0, 0, -rng.IntN(21))
		at := time.Date(day.Year(), day.Month(), day.Day(), 10+rng.IntN(9), rng.IntN(60), rng.IntN(60), 0, loc)
		if !at.Before(now) {
			at = at.AddDate(0, 0, -1)
		}
		staff := byStore[sp.id]
		if !at.Before(ch.TerminatedAt) {
			staff = active[sp.id]
		}
		assoc := staff[rng.IntN(len(staff))]
		cs := custByStore[sp.id]
		c := ch.Customers[cs[rng.IntN(len(cs))]]
		email := g.repairEmail(c, capture[assoc])
		ch.Repairs = append(ch.Repairs, loupe.Repair{
			RepairID:      fmt.Sprintf("r%05d", i+1),
			StoreID:       sp.id,
			AssociateID:   ch.Associates[assoc].AssociateID,
			CustomerID:    c.CustomerID,
			CustomerEmail: email,
			Item:          g.pick(repairItems),
			TakenInAt:     at.UTC(),
			LocalDay:      loupe.LocalDayIn(at, loc),
		})
	}
	ch.today(now)
	return ch
}

// today adds what makes the first store's Today lists real (issue 17),
// from a source of its own so the chain above stays as it was: every
// active associate of the first store gets a client whose birthday and
// one whose anniversary fall in the coming week, and a sale two days
// before now; and a quarter of the chain's clients get one or two
// purchases over the last two years.
func (ch *Chain) today(now time.Time) {
	rng := rand.New(rand.NewPCG(seed1^0x70da7, seed2))
	books := map[string][]int{}
	for i, c := range ch.Customers {
		books[c.AssociateID] = append(books[c.AssociateID], i)
	}
	stores := map[string]loupe.Store{}
	for _, s := range ch.Stores {
		stores[s.StoreID] = s
	}
	n := 0
	buy := func(c loupe.Customer, seller string, at time.Time) {
		n++
		cats := c.Preferences
		if len(cats) > 1 {
			cats = cats[:1+rng.IntN(len(cats))]
		}
		ch.Purchases = append(ch.Purchases, loupe.Purchase{PurchaseID: fmt.Sprintf("p%05d", n), StoreID: c.HomeStoreID,
			AssociateID: seller, CustomerID: c.CustomerID, TotalCents: int64(5_000 + rng.IntN(400_000)),
			Categories: slices.Clone(cats), PurchasedAt: at.UTC()})
	}
	first := ch.Stores[0]
	loc, _ := time.LoadLocation(first.Timezone)
	for _, a := range ch.Associates {
		// Clients without an email: no message reaches them, so the
		// associate's own call matters most, and no Christmas mail of the
		// demo's first hourly run puts them inside the fatigue cap.
		var book []int
		for _, i := range books[a.AssociateID] {
			if ch.Customers[i].Email == "" {
				book = append(book, i)
			}
		}
		if a.StoreID != first.StoreID || a.AssociateID == ch.Terminated || len(book) < 3 {
			continue
		}
		soon := func(days int) loupe.Date {
			d := now.In(loc).AddDate(0, 0, days)
			return loupe.Date{Year: 1960 + rng.IntN(45), Month: d.Month(), Day: d.Day()}
		}
		ch.Customers[book[0]].Birthday = soon(1 + rng.IntN(5))
		ch.Customers[book[1]].Anniversary = soon(2 + rng.IntN(4))
		day := now.In(loc).AddDate(0, 0, -2)
		buy(ch.Customers[book[2]], a.AssociateID, time.Date(day.Year(), day.Month(), day.Day(), 11+rng.IntN(6), rng.IntN(60), 0, 0, loc))
	}
	for _, c := range ch.Customers {
		if rng.IntN(4) != 0 || c.AssociateID == "" {
			continue
		}
		for range 1 + rng.IntN(2) {
			buy(c, c.AssociateID, now.Add(-time.Duration(3+rng.IntN(727))*24*time.Hour).Truncate(time.Minute))
		}
	}
}

type gen struct {
	rng *rand.Rand
	now time.Time
}

func (g *gen) pick(s []string) string { return s[g.rng.IntN(len(s))] }

// chance reports true with probability p.
func (g *gen) chance(p float64) bool { return g.rng.Float64() < p }

// categories returns n distinct categories in the canonical order.
func (g *gen) categories(n int) []string {
	perm := g.rng.Perm(len(categories))[:n]
	out := make([]string, 0, n)
	for i, c := range categories {
		for _, p := range perm {
			if p == i {
				out = append(out, c)
			}
		}
	}
	return out
}

var clientDomains = []string{"example.com", "example.net", "example.org"}

func (g *gen) customer(id string, sp storeSpec, owner string) loupe.Customer {
	rng := g.rng
	first, last := g.pick(firstNames), g.pick(lastNames)
	c := loupe.Customer{
		CustomerID:  id,
		HomeStoreID: sp.id,
		FirstName:   first,
		LastName:    last,
		AssociateID: owner,
		Preferences: g.categories(1 + rng.IntN(3)),
		UpdatedAt:   g.now.Add(-time.Duration(24+rng.IntN(700*24)) * time.Hour).Truncate(time.Second),
	}
	if !g.chance(0.08) {
		domain := clientDomains[rng.IntN(len(clientDomains))]
		if sp.country == "GB" && g.chance(0.5) {
			domain = "example.co.uk"
		}
		local := emailLocal(first) + "." + emailLocal(last)
		if g.chance(0.4) {
			local += fmt.Sprint(rng.IntN(100))
		}
		// The id suffix keeps addresses unique across the chain.
		c.Email = local + "." + strings.TrimLeft(id[1:], "0") + "@" + domain
	}
	if !g.chance(0.1) {
		// Fictional ranges: 555-01xx in North America, 020 7946 0xxx in London.
		if sp.country == "GB" {
			c.Phone = fmt.Sprintf("%s0%03d", sp.phonePrefix, rng.IntN(1000))
		} else {
			c.Phone = fmt.Sprintf("%s01%02d", sp.phonePrefix, rng.IntN(100))
		}
	}
	if !g.chance(0.12) {
		c.Birthday = g.date(1945, 2004, 0.2)
	}
	if g.chance(0.35) {
		c.Anniversary = g.date(1975, 2025, 0.3)
	}
	c.EmailOptOut = g.chance(0.03)
	return c
}

// date returns a random calendar day between the years [from, to), without a
// year with probability noYear; about one in 150 is February 29.
func (g *gen) date(from, to int, noYear float64) loupe.Date {
	rng := g.rng
	if rng.IntN(150) == 0 {
		// Feb 29: with a leap year, or with no year.
		if g.chance(noYear + 0.3) {
			return loupe.Date{Month: time.February, Day: 29}
		}
		y := from + rng.IntN(to-from)
		y -= y % 4
		if y%100 == 0 && y%400 != 0 {
			y -= 4
		}
		return loupe.Date{Year: y, Month: time.February, Day: 29}
	}
	y := from + rng.IntN(to-from)
	t := time.Date(y, time.January, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(365))
	d := loupe.Date{Year: t.Year(), Month: t.Month(), Day: t.Day()}
	if d.Month == time.February && d.Day == 29 {
		d.Day = 28
	}
	if g.chance(noYear) {
		d.Year = 0
	}
	return d
}

// repairEmail returns what the associate typed as the customer's email on a
// take-in: mostly the right address (with probability capture), otherwise
// nothing, a placeholder or a typo.
func (g *gen) repairEmail(c loupe.Customer, capture float64) string {
	if c.Email != "" && g.chance(capture) {
		return c.Email
	}
	local := emailLocal(c.FirstName) + "." + emailLocal(c.LastName)
	switch r := g.rng.IntN(10); {
	case r < 5:
		return ""
	case r < 7:
		return "none@none.com"
	case r < 8:
		return local + "@gmial.com"
	case r < 9:
		return local + "@exmaple.com"
	default:
		return local + "@example" // missing top-level domain: malformed
	}
}

var fold = strings.NewReplacer(
	"á", "a", "à", "a", "ä", "a", "é", "e", "è", "e", "ë", "e", "í", "i", "ó", "o", "ö", "o",
	"ú", "u", "ü", "u", "ñ", "n", "ç", "c", "'", "", " ", "",
)

// emailLocal returns name folded to lower-case ASCII for an email local part.
func emailLocal(name string) string {
	return fold.Replace(strings.ToLower(name))
}

// Writer is what Seed needs of a loupe.DB.
type Writer interface {
	loupe.StoreUpdater
	loupe.AssociateUpdater
	loupe.CustomerUpdater
	PutRepair(ctx context.Context, r loupe.Repair) error
	loupe.PurchaseCounter
	PutPurchase(ctx context.Context, p loupe.Purchase) error
	// PutDue puts a task on an associate's Today lists (today.Store).
	PutDue(ctx context.Context, d today.Due) error
}

// Seed writes the demo chain generated for now into db: stores, associates,
// customers, repairs, and finally terminates one associate so the change feed
// sees the termination. Repairs already stored are skipped (ErrExists), so
// seeding twice is harmless. Returns the first write error, wrapped with the
// entity id.
func Seed(ctx context.Context, db Writer, now time.Time) (Summary, error) {
	ch := Generate(now)
	var sum Summary
	for _, s := range ch.Stores {
		if err := loupe.PutStore(ctx, db, s); err != nil {
			return sum, fmt.Errorf("seed store %s: %w", s.StoreID, err)
		}
		sum.Stores++
	}
	for _, a := range ch.Associates {
		if err := loupe.PutAssociate(ctx, db, a); err != nil {
			return sum, fmt.Errorf("seed associate %s: %w", a.AssociateID, err)
		}
		sum.Associates++
	}
	if err := putCustomers(ctx, db, ch.Customers); err != nil {
		return sum, err
	}
	for _, c := range ch.Customers {
		sum.Customers++
		if c.AssociateID == ch.Terminated {
			sum.OrphanedClients++
		}
	}
	for _, r := range ch.Repairs {
		if err := db.PutRepair(ctx, r); err != nil && !errors.Is(err, loupe.ErrExists) {
			return sum, fmt.Errorf("seed repair %s: %w", r.RepairID, err)
		}
		sum.Repairs++
		if r.CustomerEmail != "" && loupe.ValidEmail(r.CustomerEmail) {
			sum.RepairsWithEmail++
		}
	}
	if err := seedPurchases(ctx, db, ch, now); err != nil {
		return sum, err
	}
	sum.Purchases = len(ch.Purchases)
	if err := loupe.TerminateAssociate(ctx, db, ch.Terminated, ch.TerminatedAt, ch.TerminatedAt); err != nil {
		return sum, fmt.Errorf("seed termination of %s: %w", ch.Terminated, err)
	}
	sum.TerminatedAssociateID = ch.Terminated
	return sum, nil
}

// seedPurchases stores ch's purchases, counts each buyer's totals
// (loupe.CountPurchases) and puts the thank_you of a recent one on its
// seller's Today lists (today.ThankYou), as a purchase from the POS would.
func seedPurchases(ctx context.Context, db Writer, ch Chain, now time.Time) error {
	zones := map[string]*time.Location{}
	for _, s := range ch.Stores {
		zones[s.StoreID], _ = time.LoadLocation(s.Timezone)
	}
	buyers := map[string]bool{}
	for _, p := range ch.Purchases {
		if err := db.PutPurchase(ctx, p); err != nil && !errors.Is(err, loupe.ErrExists) {
			return fmt.Errorf("seed purchase %s: %w", p.PurchaseID, err)
		}
		buyers[p.CustomerID] = true
		if d, ok := today.ThankYou(p, zones[p.StoreID], now); ok {
			if err := db.PutDue(ctx, d); err != nil {
				return fmt.Errorf("seed thank_you of purchase %s: %w", p.PurchaseID, err)
			}
		}
	}
	for _, id := range slices.Sorted(maps.Keys(buyers)) {
		if err := loupe.CountPurchases(ctx, db, id); err != nil {
			return fmt.Errorf("seed purchases: %w", err)
		}
	}
	return nil
}

// seedWorkers is how many customers Seed writes at once. Customers yield no
// change-feed entries and each has its own id, so write order does not matter;
// a store that coalesces concurrent commits (bbolt's Batch) gets fewer fsyncs.
const seedWorkers = 8

// putCustomers writes cs with seedWorkers goroutines and returns the first error.
func putCustomers(ctx context.Context, db Writer, cs []loupe.Customer) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan loupe.Customer)
	var wg sync.WaitGroup
	for range seedWorkers {
		wg.Go(func() {
			for c := range next {
				if err := loupe.PutCustomer(ctx, db, c); err != nil {
					cancel(fmt.Errorf("seed customer %s: %w", c.CustomerID, err))
				}
			}
		})
	}
feed:
	for _, c := range cs {
		select {
		case next <- c:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	return nil
}

// EmailDomains returns the reserved domains of the demo's client emails. The
// email check judges example.com addresses placeholders (nobody receives mail
// there), so a demo data directory accepts these as real to show a realistic
// capture rate.
func EmailDomains() []string {
	return append(append([]string(nil), clientDomains...), "example.co.uk")
}
