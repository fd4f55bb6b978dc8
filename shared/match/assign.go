package match

import (
	"context"
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
	return AssignContext(context.Background(), p)
}

// AssignContext is Assign, stopping when ctx ends: it then returns ctx's
// error and no result.
func AssignContext(ctx context.Context, p Problem) (Result, error) {
	in, err := prepare(p)
	if err != nil {
		return Result{}, err
	}
	in.ctx = ctx
	to := make([]int32, len(in.clients)) // associate index, -1 unassigned
	extra := make([]int64, len(in.assocs))
	for _, comp := range in.components() {
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		in.solveComponent(comp, to, extra)
	}
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	return in.result(to), nil
}

// components splits the stores into independent groups: stores that send or
// take clients across stores are solved together, every other store alone.
func (in *instance) components() [][]*storeInfo {
	var overflow, spare, rest []*storeInfo
	for _, s := range in.sortedStores() {
		switch {
		case len(s.clients) == 0:
		case s.overflow():
			overflow = append(overflow, s)
		case s.spare() && len(s.eligible) > 0:
			spare = append(spare, s)
		default:
			rest = append(rest, s)
		}
	}
	var out [][]*storeInfo
	if len(overflow) > 0 && len(in.crossTargets()) > 0 {
		// Spare stores without clients of their own take part too.
		joint := slices.Clone(overflow)
		for _, s := range in.sortedStores() {
			if s.spare() && !s.overflow() && len(s.eligible) > 0 {
				joint = append(joint, s)
			}
		}
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

// group is the clients of one home store in one solve, with where they may go.
type group struct {
	store   *storeInfo
	clients []int // client indices, in id order
	home    bool  // may go to the eligible associates of the home store
	cross   bool  // may go to the cross-store targets
	// spill, when set, gives the cost per client of leaving the solve
	// without an associate (unassigned, or left for the cross-store stage).
	spill func(cats []string) int64
}

type class struct {
	g       *group
	cats    []string // the client categories that some candidate has as a strength
	clients []int
}

type hub struct {
	strengths []string
	assocs    []int // associate indices
}

// solveComponent assigns the clients of the stores in comp, writing the
// associate index (or -1) of each client into to.
func (in *instance) solveComponent(comp []*storeInfo, to []int32, extra []int64) {
	hasOverflow, clients := false, 0
	for _, s := range comp {
		hasOverflow = hasOverflow || s.overflow()
		clients += len(s.clients)
	}
	if clients <= in.cfg.ExactLimit || !hasOverflow || len(comp) == 1 {
		groups := make([]*group, 0, len(comp))
		for _, s := range comp {
			g := &group{store: s, clients: s.clients, home: true}
			if s.overflow() {
				g.cross = len(comp) > 1
				g.spill = func([]string) int64 { return in.unassig }
			}
			groups = append(groups, g)
		}
		var targets []int
		if len(comp) > 1 {
			targets = in.crossTargets()
		}
		in.solve(groups, targets, extra, to)
		return
	}
	// Two stages. First every store alone: its clients fill its own room;
	// a client that does not fit spills at the cost of going to another
	// store, less the best fit it could find there.
	hubs := in.hubs(in.crossTargets())
	for _, s := range comp {
		g := &group{store: s, clients: s.clients, home: true}
		if s.overflow() {
			g.spill = func(cats []string) int64 {
				best := int64(0)
				for _, h := range hubs {
					f, _ := in.fit(cats, h.strengths)
					best = max(best, f)
				}
				return in.bigM - best
			}
		}
		in.solve([]*group{g}, nil, extra, to)
	}
	// Then the spilled clients over the stores with room to spare, whose
	// books now include their own clients.
	var groups []*group
	for _, s := range comp {
		if !s.overflow() {
			continue
		}
		g := &group{store: s, cross: true, spill: func([]string) int64 { return in.unassig }}
		for _, ci := range s.clients {
			if to[ci] < 0 {
				g.clients = append(g.clients, ci)
			}
		}
		groups = append(groups, g)
	}
	in.solve(groups, in.crossTargets(), extra, to)
}

// hubs groups associates by strengths: every associate of a hub fits every
// client equally.
func (in *instance) hubs(targets []int) []*hub {
	var hubs []*hub
	hubOf := map[string]*hub{}
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
	}
	return hubs
}

// solve assigns the clients of groups exactly, as one min-cost flow, writing
// the associate index (or -1 for a spilled client) of each into to and
// adding the assigned clients to extra, the per-associate count of clients
// given in earlier solves.
func (in *instance) solve(groups []*group, targets []int, extra []int64, to []int32) {
	hubs := in.hubs(targets)
	crossU := map[string]bool{}
	for _, h := range hubs {
		for _, c := range h.strengths {
			crossU[c] = true
		}
	}
	// Classes: clients of one group with the same relevant categories.
	var classes []*class
	var supply int64
	for _, gr := range groups {
		u := map[string]bool{}
		if gr.home {
			for _, a := range gr.store.eligible {
				for _, c := range in.assocs[a].Strengths {
					u[c] = true
				}
			}
		}
		if gr.cross {
			for c := range crossU {
				u[c] = true
			}
		}
		byKey := map[string]*class{}
		var cats []string
		for _, ci := range gr.clients {
			cats = cats[:0]
			for _, c := range in.clients[ci].Categories {
				if u[c] {
					cats = append(cats, c)
				}
			}
			key := strings.Join(cats, ",")
			k := byKey[key]
			if k == nil {
				k = &class{g: gr, cats: slices.Clone(cats)}
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
	for _, gr := range groups {
		if gr.home {
			assocs = append(assocs, gr.store.eligible...)
		}
	}
	assocs = append(assocs, targets...)
	slices.Sort(assocs)
	assocs = slices.Compact(assocs)
	node := make(map[int]int, len(assocs))
	base := 1 + len(classes) + len(hubs)
	for i, a := range assocs {
		node[a] = base + i
	}
	g := newNetwork(base + len(assocs))
	g.ctx = in.ctx
	for i, a := range assocs {
		ad := in.assocs[a]
		e := &g.sink[base+i]
		e.present, e.convex = true, true
		e.load, e.capEff, e.weight, e.steps = int64(ad.Load)+extra[a], in.capEff[a], in.cfg.LoadWeight, in.cfg.LoadSteps
		// No associate can take more than the clients being placed: a huge
		// capacity (or none) is that many, which bounds every loop over a
		// sink edge by the problem's size.
		e.limit = supply
		if ad.Capacity > 0 {
			e.limit = min(max(0, int64(ad.Capacity)-e.load), supply)
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
		if k.g.home {
			for _, a := range k.g.store.eligible {
				f, _ := in.fit(k.cats, in.assocs[a].Strengths)
				direct[ci] = append(direct[ci], arcRef{g.addArc(v, node[a], n, in.fitMax-f), a})
			}
		}
		if k.g.cross {
			hubArc[ci] = make([]int, len(hubs))
			for hi, h := range hubs {
				f, _ := in.fit(k.cats, h.strengths)
				hubArc[ci][hi] = g.addArc(v, 1+len(classes)+hi, n, in.bigM+in.fitMax-f)
			}
		}
		if k.g.spill != nil {
			e := &g.sink[v]
			e.present, e.limit, e.unit = true, n, k.g.spill(k.cats)+in.fitMax
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
					outs = append(outs, portion{assocs[int(g.to[a])-base], f})
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
			extra[a] += counts[ci][a]
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
