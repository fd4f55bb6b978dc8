package match

import (
	"math"
	"slices"
	"strings"
)

// Assign places every client of p with an active associate that has room,
// minimising the objective described in the package documentation. Clients
// that nobody can take are listed in Result.Unassigned. Returns an EINVALID
// *loupe.Error when an id is empty or repeated or a capacity or load is
// negative.
func Assign(p Problem) (Result, error) {
	in, err := prepare(p)
	if err != nil {
		return Result{}, err
	}
	to := make([]int32, len(in.clients)) // associate index, -1 unassigned
	for _, comp := range in.components() {
		in.solveComponent(comp, to)
	}
	return in.result(to), nil
}

// components splits the stores into independent groups: stores that send or
// take clients across stores are solved together, every other store alone.
func (in *instance) components() [][]*storeInfo {
	var overflow, spare, rest []*storeInfo
	for _, s := range in.sortedStores() {
		switch {
		case len(s.clients) == 0 && len(s.eligible) == 0:
		case s.overflow():
			overflow = append(overflow, s)
		case s.spare() && len(s.eligible) > 0:
			spare = append(spare, s)
		default:
			rest = append(rest, s)
		}
	}
	var out [][]*storeInfo
	if len(overflow) > 0 && len(spare) > 0 {
		joint := append(slices.Clone(overflow), spare...)
		slices.SortFunc(joint, func(a, b *storeInfo) int { return strings.Compare(a.id, b.id) })
		out = append(out, joint)
	} else {
		for _, s := range overflow {
			out = append(out, []*storeInfo{s})
		}
		for _, s := range spare {
			out = append(out, []*storeInfo{s})
		}
	}
	for _, s := range rest {
		out = append(out, []*storeInfo{s})
	}
	return out
}

type class struct {
	store   *storeInfo
	cats    []string // the client categories that some candidate has as a strength
	clients []int
	cross   bool // may go to another store
}

type hub struct {
	strengths []string
	assocs    []int // associate indices
}

// solveComponent assigns the clients of the stores in comp, writing the
// associate index (or -1) of each client into to.
func (in *instance) solveComponent(comp []*storeInfo, to []int32) {
	// Cross-store targets: eligible associates of stores with room to spare.
	var targets []int
	hasOverflow := false
	for _, s := range comp {
		if s.overflow() {
			hasOverflow = true
		} else {
			targets = append(targets, s.eligible...)
		}
	}
	if !hasOverflow {
		targets = nil
	}
	slices.Sort(targets)
	var hubs []*hub
	hubOf := map[string]*hub{}
	crossU := map[string]bool{}
	for _, a := range targets {
		st := in.assocs[a].Strengths
		key := strings.Join(st, ",")
		h := hubOf[key]
		if h == nil {
			h = &hub{strengths: st}
			hubOf[key] = h
			hubs = append(hubs, h)
		}
		h.assocs = append(h.assocs, a)
		for _, c := range st {
			crossU[c] = true
		}
	}

	// Classes: clients of one store with the same relevant categories.
	var classes []*class
	var supply int64
	for _, s := range comp {
		u := map[string]bool{}
		for _, a := range s.eligible {
			for _, c := range in.assocs[a].Strengths {
				u[c] = true
			}
		}
		cross := s.overflow() && len(targets) > 0
		if cross {
			for c := range crossU {
				u[c] = true
			}
		}
		byKey := map[string]*class{}
		var cats []string
		for _, ci := range s.clients {
			cats = cats[:0]
			for _, c := range in.clients[ci].Categories {
				if u[c] {
					cats = append(cats, c)
				}
			}
			key := strings.Join(cats, ",")
			k := byKey[key]
			if k == nil {
				k = &class{store: s, cats: slices.Clone(cats), cross: cross}
				byKey[key] = k
				classes = append(classes, k)
			}
			k.clients = append(k.clients, ci)
			supply++
		}
	}
	if supply == 0 {
		return
	}

	// Nodes: 0 source, then classes, hubs, associates.
	var assocs []int
	for _, s := range comp {
		assocs = append(assocs, s.eligible...)
	}
	slices.Sort(assocs)
	node := make(map[int]int, len(assocs))
	base := 1 + len(classes) + len(hubs)
	for i, a := range assocs {
		node[a] = base + i
	}
	g := newNetwork(base + len(assocs))
	for i, a := range assocs {
		ad := in.assocs[a]
		e := &g.sink[base+i]
		e.present, e.convex = true, true
		e.load, e.capEff, e.weight = int64(ad.Load), in.capEff[a], in.cfg.LoadWeight
		if ad.Capacity > 0 {
			e.limit = int64(ad.Capacity - ad.Load)
		} else {
			e.limit = supply
		}
	}
	type arcRef struct {
		arc, assoc int
	}
	direct := make([][]arcRef, len(classes))
	hubArc := make([][]int, len(classes)) // per class, per hub
	for ci, k := range classes {
		v := 1 + ci
		n := int64(len(k.clients))
		g.addArc(0, v, n, 0)
		for _, a := range k.store.eligible {
			f, _ := in.fit(k.cats, in.assocs[a].Strengths)
			direct[ci] = append(direct[ci], arcRef{g.addArc(v, node[a], n, in.fitMax-f), a})
		}
		if k.cross {
			hubArc[ci] = make([]int, len(hubs))
			for hi, h := range hubs {
				f, _ := in.fit(k.cats, h.strengths)
				hubArc[ci][hi] = g.addArc(v, 1+len(classes)+hi, n, in.bigM+in.fitMax-f)
			}
		}
		if k.store.overflow() {
			e := &g.sink[v]
			e.present, e.limit, e.unit = true, n, in.unassig+in.fitMax
		}
	}
	for hi, h := range hubs {
		for _, a := range h.assocs {
			g.addArc(1+len(classes)+hi, node[a], supply, 0)
		}
	}

	g.solve()

	// Read the flow back: per class, counts per associate.
	counts := make([]map[int]int64, len(classes))
	for ci := range classes {
		counts[ci] = map[int]int64{}
		for _, r := range direct[ci] {
			if f := g.flowOn(r.arc); f > 0 {
				counts[ci][r.assoc] += f
			}
		}
	}
	for hi := range hubs {
		// Split the hub's flow over its associates in id order; every
		// associate of a hub fits a class equally, so any split is optimal.
		type portion struct {
			assoc int
			left  int64
		}
		var outs []portion
		for a := g.head[1+len(classes)+hi]; a >= 0; a = g.next[a] {
			if a%2 == 0 { // forward arc hub→associate
				if f := g.flowOn(int(a)); f > 0 {
					outs = append(outs, portion{assocOfNode(assocs, base, int(g.to[a])), f})
				}
			}
		}
		slices.SortFunc(outs, func(x, y portion) int { return x.assoc - y.assoc })
		j := 0
		for ci := range classes {
			if hubArc[ci] == nil {
				continue
			}
			f := g.flowOn(hubArc[ci][hi])
			for f > 0 {
				k := min(f, outs[j].left)
				counts[ci][outs[j].assoc] += k
				outs[j].left -= k
				f -= k
				if outs[j].left == 0 {
					j++
				}
			}
		}
	}
	for ci, k := range classes {
		keys := make([]int, 0, len(counts[ci]))
		for a := range counts[ci] {
			keys = append(keys, a)
		}
		slices.Sort(keys)
		i := 0
		for _, a := range keys {
			for n := counts[ci][a]; n > 0; n-- {
				to[k.clients[i]] = int32(a)
				i++
			}
		}
		for ; i < len(k.clients); i++ {
			to[k.clients[i]] = -1
		}
	}
}

// crossTargets lists, in id order, the eligible associates of the stores
// with room to spare: the associates that may take clients from another store.
func (in *instance) crossTargets() []int {
	if in.targets == nil {
		in.targets = []int{}
		for _, s := range in.sortedStores() {
			if s.spare() && !s.overflow() {
				in.targets = append(in.targets, s.eligible...)
			}
		}
		slices.Sort(in.targets)
	}
	return in.targets
}

func assocOfNode(assocs []int, base, v int) int { return assocs[v-base] }

// result turns the associate index of each client into a Result with scores
// and reasons.
func (in *instance) result(to []int32) Result {
	book := make([]int64, len(in.assocs))
	for _, a := range to {
		if a >= 0 {
			book[a]++
		}
	}
	var r Result
	for ci, a := range to {
		c := in.clients[ci]
		if a < 0 {
			reason := ReasonNoCapacity
			if !in.anyActive {
				reason = ReasonNoActiveAssociate
			}
			r.Unassigned = append(r.Unassigned, Unassigned{ClientID: c.ID, Reason: reason})
			continue
		}
		r.Assignments = append(r.Assignments, in.assignment(ci, int(a), book))
	}
	return r
}

// assignment builds the scored, reasoned assignment of client ci to a.
func (in *instance) assignment(ci, a int, book []int64) Assignment {
	c, ad := in.clients[ci], in.assocs[a]
	common := shared(c.Categories, ad.Strengths)
	reasons := make([]string, 0, len(common)+2)
	for _, cat := range common {
		reasons = append(reasons, ReasonPreferencePrefix+cat)
	}
	home := in.stores[c.HomeStoreID]
	same := ad.StoreID == c.HomeStoreID
	var candidates []int
	switch {
	case same:
		reasons = append(reasons, ReasonSameStore)
		candidates = home.eligible
	case home.active == 0:
		reasons = append(reasons, ReasonOtherStoreNoActive)
	default:
		reasons = append(reasons, ReasonOtherStoreNoCapacity)
	}
	if !same {
		candidates = in.crossTargets()
	}
	mine, _ := in.fit(c.Categories, ad.Strengths)
	for _, b := range candidates {
		if b == a {
			continue
		}
		if f, _ := in.fit(c.Categories, in.assocs[b].Strengths); f >= mine {
			reasons = append(reasons, ReasonLoadBalance)
			break
		}
	}
	coverage := 0.0
	if len(c.Categories) > 0 {
		coverage = float64(len(common)) / float64(len(c.Categories))
	}
	score := 0.7 * coverage
	if same {
		score += 0.2
	}
	score += 0.1 * max(0, 1-float64(int64(ad.Load)+book[a])/float64(in.capEff[a]))
	return Assignment{
		ClientID:    c.ID,
		AssociateID: ad.ID,
		Score:       math.Round(score*1000) / 1000,
		Reasons:     reasons,
	}
}
