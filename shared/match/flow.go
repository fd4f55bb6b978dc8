package match

import (
	"context"
	"math"
)

// network is a min-cost flow network specialised for assignment: a source
// (node 0) feeds class nodes, classes feed associates directly or through hub
// nodes, and flow leaves the network through sink edges. A sink edge belongs
// to one node and has either a constant unit cost (a class leaving clients
// unassigned) or a convex one (an associate: the marginal cost of one more
// client grows with the associate's resulting book). Arcs leaving the sink and
// arcs entering the source are never on a shortest source-to-sink path, so
// they are not stored.
//
// The solver is primal-dual successive shortest paths: Dijkstra on reduced
// costs with node potentials, then a blocking flow (Dinic) on the arcs of
// zero reduced cost, repeated until the supply is exhausted. With all
// original costs non-negative and convex sink edges this yields a min-cost
// flow: it is exact for integer costs.
type network struct {
	ctx  context.Context // nil: never cancelled
	head []int32         // first arc of each node, -1 when none
	next []int32         // next arc of the same tail
	to   []int32
	cap  []int64 // residual capacity
	cost []int64
	sink []sinkEdge
	pot  []int64

	// scratch
	dist  []int64
	level []int32
	iter  []int32
	heap  []heapItem
	queue []int32
}

// sinkEdge is a node's edge to the sink.
type sinkEdge struct {
	present bool
	flow    int64
	limit   int64 // most units it carries
	convex  bool
	unit    int64 // constant cost per unit when !convex
	load    int64 // book size before this solve
	capEff  int64 // capacity that the load ratio is measured against
	weight  int64
	steps   int64
}

const infCost = math.MaxInt64 / 4

// loadCost is the marginal cost of an associate's book growing to k clients:
// weight·(r)², rounded to the nearest integer, where r is k/capEff rounded up
// to the next multiple of 1/steps. It is non-decreasing in k, so the total
// load cost of a book is convex; grading the ratio makes the costs of
// associates with different capacities coincide, which lets the solver move
// many clients per shortest-path search.
func loadCost(weight, steps, k, capEff int64) int64 {
	if capEff < 1 {
		capEff = 1
	}
	step := (k*steps + capEff - 1) / capEff
	f := float64(weight) * float64(step) * float64(step) / float64(steps*steps)
	if f > 1<<50 {
		return 1 << 50
	}
	return int64(math.Round(f))
}

// marginal is the cost of the next unit on the edge.
func (e *sinkEdge) marginal() int64 {
	if !e.convex {
		return e.unit
	}
	return loadCost(e.weight, e.steps, e.load+e.flow+1, e.capEff)
}

// run is how many next units cost the same as the next one (at least 1).
func (e *sinkEdge) run() int64 {
	left := e.limit - e.flow
	if !e.convex || left <= 1 {
		return left
	}
	m := e.marginal()
	n := int64(1)
	for n < left && loadCost(e.weight, e.steps, e.load+e.flow+n+1, e.capEff) == m {
		n++
	}
	return n
}

func newNetwork(nodes int) *network {
	g := &network{
		head: make([]int32, nodes),
		sink: make([]sinkEdge, nodes),
		pot:  make([]int64, nodes),
	}
	for i := range g.head {
		g.head[i] = -1
	}
	return g
}

// addArc adds an arc u→v and its residual reverse, returning the forward arc.
func (g *network) addArc(u, v int, capacity, cost int64) int {
	id := len(g.to)
	g.to = append(g.to, int32(v), int32(u))
	g.cap = append(g.cap, capacity, 0)
	g.cost = append(g.cost, cost, -cost)
	g.next = append(g.next, g.head[u], g.head[v])
	g.head[u] = int32(id)
	g.head[v] = int32(id + 1)
	return id
}

// flowOn is the flow on a forward arc.
func (g *network) flowOn(arc int) int64 { return g.cap[arc^1] }

type heapItem struct {
	d int64
	v int32
}

func (g *network) push(it heapItem) {
	h := append(g.heap, it)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if h[p].d < it.d || (h[p].d == it.d && h[p].v <= it.v) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = it
	g.heap = h
}

func (g *network) pop() heapItem {
	h := g.heap
	top := h[0]
	last := h[len(h)-1]
	h = h[:len(h)-1]
	i := 0
	for {
		c := 2*i + 1
		if c >= len(h) {
			break
		}
		if c+1 < len(h) && (h[c+1].d < h[c].d || (h[c+1].d == h[c].d && h[c+1].v < h[c].v)) {
			c++
		}
		if last.d < h[c].d || (last.d == h[c].d && last.v <= h[c].v) {
			break
		}
		h[i] = h[c]
		i = c
	}
	if len(h) > 0 {
		h[i] = last
	}
	g.heap = h
	return top
}

// dijkstra computes reduced distances from the source and updates the
// potentials. It returns false when no unit can reach the sink.
func (g *network) dijkstra() bool {
	n := len(g.head)
	if g.dist == nil {
		g.dist = make([]int64, n)
	}
	for i := range g.dist {
		g.dist[i] = infCost
	}
	sinkDist := int64(infCost)
	g.heap = g.heap[:0]
	g.dist[0] = 0
	g.push(heapItem{0, 0})
	for len(g.heap) > 0 {
		it := g.pop()
		u := it.v
		if it.d > g.dist[u] {
			continue
		}
		if it.d >= sinkDist {
			break
		}
		pu := g.pot[u]
		if e := &g.sink[u]; e.present && e.flow < e.limit {
			if d := it.d + e.marginal() + pu; d < sinkDist {
				sinkDist = d
			}
		}
		for a := g.head[u]; a >= 0; a = g.next[a] {
			if g.cap[a] <= 0 {
				continue
			}
			v := g.to[a]
			d := it.d + g.cost[a] + pu - g.pot[v]
			if d < g.dist[v] {
				g.dist[v] = d
				g.push(heapItem{d, v})
			}
		}
	}
	if sinkDist >= infCost {
		return false
	}
	// The sink's potential stays 0: sink-edge reduced costs are
	// marginal + pot[u], which the update keeps non-negative.
	for v := range g.pot {
		d := g.dist[v]
		if d > sinkDist {
			d = sinkDist
		}
		g.pot[v] += d - sinkDist
	}
	return true
}

// admissible reports whether arc a has zero reduced cost and room.
func (g *network) admissible(u int32, a int32) bool {
	return g.cap[a] > 0 && g.cost[a]+g.pot[u]-g.pot[g.to[a]] == 0
}

func (g *network) sinkAdmissible(u int32) bool {
	e := &g.sink[u]
	return e.present && e.flow < e.limit && e.marginal()+g.pot[u] == 0
}

// bfs levels the nodes reachable from the source on admissible arcs and
// reports whether any of them has an admissible sink edge.
func (g *network) bfs() bool {
	n := len(g.head)
	if g.level == nil {
		g.level = make([]int32, n)
		g.iter = make([]int32, n)
	}
	for i := range g.level {
		g.level[i] = -1
	}
	g.queue = append(g.queue[:0], 0)
	g.level[0] = 0
	found := false
	for i := 0; i < len(g.queue); i++ {
		u := g.queue[i]
		if g.sinkAdmissible(u) {
			found = true
		}
		for a := g.head[u]; a >= 0; a = g.next[a] {
			v := g.to[a]
			if g.level[v] < 0 && g.admissible(u, a) {
				g.level[v] = g.level[u] + 1
				g.queue = append(g.queue, v)
			}
		}
	}
	return found
}

// dfs pushes up to f units from u to the sink on admissible arcs of
// increasing level and returns how many it pushed.
func (g *network) dfs(u int32, f int64) int64 {
	pushed := int64(0)
	for f > 0 && g.sinkAdmissible(u) {
		e := &g.sink[u]
		k := min(f, e.run())
		e.flow += k
		pushed += k
		f -= k
	}
	for ; f > 0 && g.iter[u] >= 0; g.iter[u] = g.next[g.iter[u]] {
		a := g.iter[u]
		v := g.to[a]
		if g.level[v] != g.level[u]+1 || !g.admissible(u, a) {
			continue
		}
		k := g.dfs(v, min(f, g.cap[a]))
		if k > 0 {
			g.cap[a] -= k
			g.cap[a^1] += k
			pushed += k
			f -= k
			if f == 0 {
				break
			}
		}
	}
	return pushed
}

// solve routes as much of the source's supply as possible at minimum cost.
func (g *network) solve() {
	for (g.ctx == nil || g.ctx.Err() == nil) && g.dijkstra() {
		for g.bfs() {
			copy(g.iter, g.head)
			if g.dfs(0, infCost) == 0 {
				break
			}
		}
	}
}
