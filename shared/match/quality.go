package match

import (
	"fmt"
	"math"

	"github.com/loupehq/loupe/shared/loupe"
)

// Report measures the quality of a Result. Rates are percentages (0-100).
type Report struct {
	Clients    int
	Assigned   int
	Unassigned int
	// PrefMatchRate is the share of assigned clients with at least one
	// category whose associate shares at least one of them.
	PrefMatchRate float64
	// SameStoreRate is the share of assigned clients kept in their home store.
	SameStoreRate float64
	// MaxLoadRatio is the highest resulting book/capacity over active
	// associates (capacity 0 is measured against the effective capacity
	// described at Config.NominalCapacity).
	MaxLoadRatio float64
	// BookStdDev and BookSpread (max − min) describe the resulting book sizes
	// of the active associates.
	BookStdDev float64
	BookSpread int
	// CapacityViolations counts associates given clients beyond capacity.
	CapacityViolations int
	// TerminatedAssigned counts clients given to inactive associates.
	TerminatedAssigned int
	// Unknown counts assignments naming an unknown client or associate.
	Unknown int
}

// Quality measures r against p. It returns the zero Report when p is invalid.
func Quality(p Problem, r Result) Report {
	in, err := prepare(p)
	if err != nil {
		return Report{}
	}
	clientIdx, assocIdx := in.index()
	rep := Report{Clients: len(in.clients), Unassigned: len(r.Unassigned)}
	added := make([]int, len(in.assocs))
	matchable, matched, same := 0, 0, 0
	for _, as := range r.Assignments {
		ci, ok1 := clientIdx[as.ClientID]
		ai, ok2 := assocIdx[as.AssociateID]
		if !ok1 || !ok2 {
			rep.Unknown++
			continue
		}
		rep.Assigned++
		c, a := in.clients[ci], in.assocs[ai]
		added[ai]++
		if !a.Active {
			rep.TerminatedAssigned++
		}
		if len(c.Categories) > 0 {
			matchable++
			if overlap(c.Categories, a.Strengths) > 0 {
				matched++
			}
		}
		if a.StoreID == c.HomeStoreID {
			same++
		}
	}
	if matchable > 0 {
		rep.PrefMatchRate = 100 * float64(matched) / float64(matchable)
	}
	if rep.Assigned > 0 {
		rep.SameStoreRate = 100 * float64(same) / float64(rep.Assigned)
	}
	var books []float64
	lo, hi := math.MaxInt, 0
	for i, a := range in.assocs {
		if added[i] > 0 && a.Capacity > 0 && a.Load+added[i] > a.Capacity {
			rep.CapacityViolations++
		}
		if !a.Active {
			continue
		}
		b := a.Load + added[i]
		books = append(books, float64(b))
		lo, hi = min(lo, b), max(hi, b)
		rep.MaxLoadRatio = max(rep.MaxLoadRatio, float64(b)/float64(in.capEff[i]))
	}
	if len(books) > 0 {
		rep.BookSpread = hi - lo
		mean := 0.0
		for _, b := range books {
			mean += b
		}
		mean /= float64(len(books))
		v := 0.0
		for _, b := range books {
			v += (b - mean) * (b - mean)
		}
		rep.BookStdDev = math.Sqrt(v / float64(len(books)))
	}
	return rep
}

func (in *instance) index() (map[string]int, map[string]int) {
	ci := make(map[string]int, len(in.clients))
	for i, c := range in.clients {
		ci[c.ID] = i
	}
	ai := make(map[string]int, len(in.assocs))
	for i, a := range in.assocs {
		ai[a.ID] = i
	}
	return ci, ai
}

// Objective returns the value of r under the objective that Assign
// minimises (lower is better): −fit for each assignment, the convex load
// cost of each book's growth, a penalty larger than any fit and load saving
// for each client sent to another store, and a larger one for each client
// left unassigned. Returns an EINVALID *loupe.Error when p is invalid or r
// names an unknown client or associate or leaves a client out.
func Objective(p Problem, r Result) (int64, error) {
	in, err := prepare(p)
	if err != nil {
		return 0, err
	}
	clientIdx, assocIdx := in.index()
	seen := make([]bool, len(in.clients))
	added := make([]int64, len(in.assocs))
	var total int64
	for _, as := range r.Assignments {
		ci, ok := clientIdx[as.ClientID]
		if !ok {
			return 0, loupe.Invalidf("client_id", "unknown client %s", as.ClientID)
		}
		ai, ok := assocIdx[as.AssociateID]
		if !ok {
			return 0, loupe.Invalidf("associate_id", "unknown associate %s", as.AssociateID)
		}
		if seen[ci] {
			return 0, loupe.Invalidf("client_id", "client %s assigned twice", as.ClientID)
		}
		seen[ci] = true
		f, _ := in.fit(in.clients[ci].Categories, in.assocs[ai].Strengths)
		total -= f
		if in.assocs[ai].StoreID != in.clients[ci].HomeStoreID {
			total += in.bigM
		}
		added[ai]++
	}
	for _, u := range r.Unassigned {
		ci, ok := clientIdx[u.ClientID]
		if !ok {
			return 0, loupe.Invalidf("client_id", "unknown client %s", u.ClientID)
		}
		if seen[ci] {
			return 0, loupe.Invalidf("client_id", "client %s listed twice", u.ClientID)
		}
		seen[ci] = true
		total += in.unassig
	}
	for i, ok := range seen {
		if !ok {
			return 0, loupe.Invalidf("client_id", "client %s missing from the result", in.clients[i].ID)
		}
	}
	for i, n := range added {
		load := int64(in.assocs[i].Load)
		for k := load + 1; k <= load+n; k++ {
			total += loadCost(in.cfg.LoadWeight, in.cfg.LoadSteps, k, in.capEff[i])
		}
	}
	return total, nil
}

// String formats the report on one line.
func (r Report) String() string {
	return fmt.Sprintf("assigned=%d unassigned=%d pref_match=%.1f%% same_store=%.1f%% max_load_ratio=%.3f book_stddev=%.1f book_spread=%d violations=%d terminated=%d",
		r.Assigned, r.Unassigned, r.PrefMatchRate, r.SameStoreRate, r.MaxLoadRatio, r.BookStdDev, r.BookSpread, r.CapacityViolations, r.TerminatedAssigned)
}
