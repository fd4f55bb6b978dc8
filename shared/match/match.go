// Package match assigns orphaned clients to associates. It is a pure
// algorithm: no storage, no clock, no logging. The same Problem, in any input
// order, always yields the same Result.
//
// The model, in priority order:
//
//  1. A client stays in the home store whenever the store has an active
//     associate with room. Only the clients a store cannot hold go to another
//     store (reason other_store:no_capacity or other_store:no_active_associate),
//     and only to stores with room to spare after their own clients.
//
//  2. Capacity is never exceeded and a terminated associate never receives a
//     client. When nobody anywhere has room, the client is returned in
//     Result.Unassigned with a reason.
//
//  3. Among the allowed associates, Assign minimises
//
//     Σ_clients −fit(client, associate) + Σ_associates Σ_k load(k)
//
//     where fit = MatchWeight + OverlapWeight·|shared categories| when the
//     client's categories and the associate's strengths share at least one
//     category (0 otherwise), and load(k) = LoadWeight·(k/capacity)², rounded,
//     is the cost of the associate's book growing to k clients. Marginal load
//     costs rise with the book, so load is spread; fit dominates until an
//     associate nears capacity.
//
// The optimum is exact: clients with the same home store and the same
// categories (restricted to strengths that matter) are interchangeable, so
// they are aggregated into classes and the problem becomes a small min-cost
// flow with convex arc costs, solved by successive shortest paths. Stores
// that exchange clients are solved jointly up to Config.ExactLimit clients and
// in two exact stages above it (measured gap in docs/matching.md).
package match

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/loupehq/loupe/shared/loupe"
)

// Reasons attached to assignments and unassigned clients.
const (
	ReasonSameStore            = "same_store"
	ReasonOtherStoreNoCapacity = "other_store:no_capacity"
	ReasonOtherStoreNoActive   = "other_store:no_active_associate"
	ReasonLoadBalance          = "load_balance"
	ReasonPreferencePrefix     = "preference:"         // followed by the category
	ReasonNoCapacity           = "no_capacity"         // unassigned: every active associate is full
	ReasonNoActiveAssociate    = "no_active_associate" // unassigned: nobody is active
)

// Client is a client to place.
type Client struct {
	ID          string
	HomeStoreID string
	// Categories are the client's preferences together with the categories
	// of the client's purchases. Duplicates and order do not matter.
	Categories []string
}

// Associate is a candidate owner of clients.
type Associate struct {
	ID        string
	StoreID   string
	Strengths []string
	Capacity  int  // most clients the book may hold; 0: no limit
	Load      int  // clients already in the book
	Active    bool // false for a terminated associate
}

// Config tunes the objective. Zero fields take the documented defaults.
type Config struct {
	// MatchWeight is the value of a client sharing at least one category
	// with the associate. Default 1000.
	MatchWeight int64
	// OverlapWeight is the value of each shared category. Default 100.
	OverlapWeight int64
	// LoadWeight scales the load cost: an associate's book growing to k
	// clients costs LoadWeight·(k/capacity)². Default 1000, so the last slot
	// below capacity costs about as much as a preference match is worth.
	LoadWeight int64
	// NominalCapacity is the capacity that the load of an associate with no
	// limit (Capacity 0) is measured against. Default 0: the even share of
	// the associate's store, ceil((clients of the store + current books of
	// its active associates with room) / their number).
	NominalCapacity int
	// LoadSteps grades the load ratio: the marginal load cost changes every
	// 1/LoadSteps of capacity. Default 50. Coarser grading makes the costs of
	// associates coincide more often, so the solver moves more clients per
	// search; finer grading spreads load more smoothly.
	LoadSteps int64
	// ExactLimit bounds the joint solve. Stores that exchange clients
	// (stores that cannot hold their own clients and stores with room to
	// spare) are solved as one exact problem when they hold at most
	// ExactLimit clients together; above it, in two exact stages (each
	// store's own clients first, then the clients that did not fit over the
	// stores with room left), which is much faster at chain scale and within
	// a measured 0.01 % of the optimum (docs/matching.md). Default 10,000;
	// -1 always uses two stages.
	ExactLimit int
}

func (c Config) normalised() Config {
	if c.MatchWeight <= 0 {
		c.MatchWeight = 1000
	}
	if c.OverlapWeight <= 0 {
		c.OverlapWeight = 100
	}
	if c.LoadWeight <= 0 {
		c.LoadWeight = 1000
	}
	if c.ExactLimit == 0 {
		c.ExactLimit = 10000
	}
	if c.LoadSteps <= 0 {
		c.LoadSteps = 50
	}
	return c
}

// Problem is one matching run.
type Problem struct {
	Clients    []Client
	Associates []Associate
	Config     Config
}

// Assignment places one client with one associate.
type Assignment struct {
	ClientID    string
	AssociateID string
	// Score in [0, 1]: 0.7·(share of the client's categories the associate
	// covers) + 0.2·(same store) + 0.1·(1 − resulting book/capacity, floored
	// at 0), rounded to three decimals.
	Score float64
	// Reasons, in this order: preference:<category> for each shared category
	// (sorted), same_store or other_store:<why>, and load_balance when another
	// allowed associate fit the client at least as well, so load decided.
	Reasons []string
}

// Unassigned is a client nobody could take.
type Unassigned struct {
	ClientID string
	Reason   string // ReasonNoCapacity or ReasonNoActiveAssociate
}

// Result is the outcome of a run. Assignments are sorted by client id.
type Result struct {
	Assignments []Assignment
	Unassigned  []Unassigned
}

// instance is a normalised, validated problem with derived figures.
type instance struct {
	ctx       context.Context
	cfg       Config
	clients   []Client    // sorted by id, categories sorted and unique
	assocs    []Associate // sorted by id, strengths sorted and unique
	stores    map[string]*storeInfo
	fitMax    int64
	bigM      int64 // cost of sending one client to another store
	unassig   int64 // cost of leaving one client unassigned
	capEff    []int64
	anyActive bool
	targets   []int // see crossTargets
}

type storeInfo struct {
	id       string
	clients  []int // indices into clients
	eligible []int // indices of active associates with room
	active   int   // number of active associates
	room     int64 // total room of eligible associates; -1: unlimited
}

func (s *storeInfo) overflow() bool {
	return s.room >= 0 && int64(len(s.clients)) > s.room
}

func (s *storeInfo) spare() bool {
	return s.room < 0 || s.room > int64(len(s.clients))
}

func normCats(in []string) []string {
	out := slices.Clone(in)
	slices.Sort(out)
	return slices.Compact(out)
}

// prepare validates and normalises p. Returns an EINVALID *loupe.Error for an
// empty or duplicate id or a negative capacity or load.
// MaxClients is the most clients one problem may place (and the largest
// book it accepts): beyond it Assign refuses the problem with EINVALID
// rather than run for minutes.
const MaxClients = 10_000_000

func prepare(p Problem) (*instance, error) {
	if len(p.Clients) > MaxClients {
		return nil, loupe.Invalidf("clients", "%d clients to place, more than %d", len(p.Clients), MaxClients)
	}
	in := &instance{cfg: p.Config.normalised(), stores: map[string]*storeInfo{}}
	in.clients = make([]Client, len(p.Clients))
	for i, c := range p.Clients {
		if c.ID == "" {
			return nil, loupe.Invalidf("clients.id", "client %d has no id", i)
		}
		c.Categories = normCats(c.Categories)
		in.clients[i] = c
	}
	slices.SortFunc(in.clients, func(a, b Client) int { return strings.Compare(a.ID, b.ID) })
	for i := 1; i < len(in.clients); i++ {
		if in.clients[i].ID == in.clients[i-1].ID {
			return nil, loupe.Invalidf("clients.id", "duplicate client %s", in.clients[i].ID)
		}
	}
	in.assocs = make([]Associate, len(p.Associates))
	for i, a := range p.Associates {
		if a.ID == "" {
			return nil, loupe.Invalidf("associates.id", "associate %d has no id", i)
		}
		if a.Capacity < 0 || a.Load < 0 {
			return nil, loupe.Invalidf("associates.capacity", "associate %s has a negative capacity or load", a.ID)
		}
		if a.Capacity > loupe.MaxCapacity || a.Load > MaxClients {
			return nil, loupe.Invalidf("associates.capacity", "associate %s has a capacity over %d or a book over %d", a.ID, loupe.MaxCapacity, MaxClients)
		}
		a.Strengths = normCats(a.Strengths)
		in.assocs[i] = a
	}
	slices.SortFunc(in.assocs, func(a, b Associate) int { return strings.Compare(a.ID, b.ID) })
	for i := 1; i < len(in.assocs); i++ {
		if in.assocs[i].ID == in.assocs[i-1].ID {
			return nil, loupe.Invalidf("associates.id", "duplicate associate %s", in.assocs[i].ID)
		}
	}
	store := func(id string) *storeInfo {
		s := in.stores[id]
		if s == nil {
			s = &storeInfo{id: id}
			in.stores[id] = s
		}
		return s
	}
	maxCats := 0
	for i, c := range in.clients {
		store(c.HomeStoreID).clients = append(store(c.HomeStoreID).clients, i)
		maxCats = max(maxCats, len(c.Categories))
	}
	for i, a := range in.assocs {
		s := store(a.StoreID)
		if !a.Active {
			continue
		}
		in.anyActive = true
		s.active++
		if a.Capacity == 0 {
			s.room = -1
			s.eligible = append(s.eligible, i)
		} else if a.Load < a.Capacity {
			if s.room >= 0 {
				s.room += int64(a.Capacity - a.Load)
			}
			s.eligible = append(s.eligible, i)
		}
	}
	in.capEff = make([]int64, len(in.assocs))
	for i, a := range in.assocs {
		if a.Capacity > 0 {
			in.capEff[i] = int64(a.Capacity)
			continue
		}
		if in.cfg.NominalCapacity > 0 {
			in.capEff[i] = int64(in.cfg.NominalCapacity)
			continue
		}
		s := in.stores[a.StoreID]
		total := int64(len(s.clients))
		for _, j := range s.eligible {
			total += int64(in.assocs[j].Load)
		}
		in.capEff[i] = max(1, (total+int64(len(s.eligible))-1)/int64(max(1, len(s.eligible))))
	}
	in.fitMax = in.cfg.MatchWeight + in.cfg.OverlapWeight*int64(maxCats)
	// Moving one client home from another store saves bigM, gains at most
	// fitMax in fit and costs at most LoadWeight (a home slot below
	// capacity), so bigM > fitMax + LoadWeight keeps every client home that
	// can be.
	in.bigM = in.fitMax + in.cfg.LoadWeight + 1
	in.unassig = 1 << 52
	return in, nil
}

// fit is the fit value of categories cats against strengths and the number
// of shared categories.
func (in *instance) fit(cats, strengths []string) (int64, int) {
	n := overlap(cats, strengths)
	if n == 0 {
		return 0, 0
	}
	return in.cfg.MatchWeight + in.cfg.OverlapWeight*int64(n), n
}

// overlap counts the common elements of two sorted, unique slices.
func overlap(a, b []string) int {
	n, i, j := 0, 0, 0
	for i < len(a) && j < len(b) {
		switch cmp.Compare(a[i], b[j]) {
		case 0:
			n++
			i++
			j++
		case -1:
			i++
		default:
			j++
		}
	}
	return n
}

func shared(a, b []string) []string {
	var out []string
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch cmp.Compare(a[i], b[j]) {
		case 0:
			out = append(out, a[i])
			i++
			j++
		case -1:
			i++
		default:
			j++
		}
	}
	return out
}

func (in *instance) sortedStores() []*storeInfo {
	out := make([]*storeInfo, 0, len(in.stores))
	for _, s := range in.stores {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b *storeInfo) int { return strings.Compare(a.id, b.id) })
	return out
}
