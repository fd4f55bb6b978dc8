package match

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Size describes a generated instance.
type Size struct {
	Clients    int
	Associates int
	Stores     int
}

// Sizes used by the tests, the benchmarks and docs/matching.md.
var (
	// Typical is one associate's departure: 2,000 clients, 20 associates
	// in 2 stores.
	Typical = Size{Clients: 2000, Associates: 20, Stores: 2}
	// Backfill is a chain-wide backfill: 50,000 clients, 2,000 associates
	// in 200 stores.
	Backfill = Size{Clients: 50000, Associates: 2000, Stores: 200}
)

// Categories are the merchandise categories the generator uses, with
// relative popularity.
var genCategories = []struct {
	slug   string
	weight float64
}{
	{"bridal", 18}, {"diamonds", 16}, {"gold", 12}, {"watches", 10},
	{"colored_gemstones", 8}, {"custom_design", 8}, {"mens", 8},
	{"pearls", 7}, {"silver", 7}, {"estate", 6},
}

// Generate returns a realistic, reproducible Problem of the given size: the
// same seed and size always give the same problem. Stores differ in size
// (the first holds the most clients); associates are dealt evenly over the
// stores with 2-3 strengths each; about 6 % are terminated; about 15 % have
// no capacity limit and the others a capacity of 150-350 with a book already
// 30-80 % full. With 50 or more stores every 50th store has no active
// associate, so its clients must go to other stores.
func Generate(seed uint64, sz Size) Problem {
	r := rand.New(rand.NewPCG(seed, 0x10a9e))
	var total float64
	for _, c := range genCategories {
		total += c.weight
	}
	pickCat := func() string {
		x := r.Float64() * total
		for _, c := range genCategories {
			if x < c.weight {
				return c.slug
			}
			x -= c.weight
		}
		return genCategories[len(genCategories)-1].slug
	}
	pickCats := func(n int) []string {
		var out []string
		for len(out) < n {
			c := pickCat()
			dup := false
			for _, o := range out {
				dup = dup || o == c
			}
			if !dup {
				out = append(out, c)
			}
		}
		return out
	}
	stores := max(1, sz.Stores)
	storeID := func(i int) string { return fmt.Sprintf("s%04d", i+1) }
	// Store sizes fall off like 1/sqrt(rank).
	cum := make([]float64, stores)
	acc := 0.0
	for i := range cum {
		acc += 1 / math.Sqrt(float64(i+1))
		cum[i] = acc
	}
	var p Problem
	for i := range sz.Associates {
		s := i % stores
		a := Associate{
			ID:        fmt.Sprintf("a%05d", i+1),
			StoreID:   storeID(s),
			Strengths: pickCats(2 + r.IntN(2)),
			Active:    r.Float64() >= 0.06,
		}
		if stores >= 50 && s%50 == 49 {
			a.Active = false
		}
		if r.Float64() < 0.15 {
			a.Load = 50 + r.IntN(150)
		} else {
			a.Capacity = 150 + r.IntN(201)
			a.Load = int(float64(a.Capacity) * (0.3 + 0.5*r.Float64()))
		}
		p.Associates = append(p.Associates, a)
	}
	for i := range sz.Clients {
		x := r.Float64() * acc
		s := 0
		for s < stores-1 && cum[s] < x {
			s++
		}
		c := Client{ID: fmt.Sprintf("c%06d", i+1), HomeStoreID: storeID(s)}
		if r.Float64() >= 0.1 {
			c.Categories = pickCats(1 + r.IntN(3))
		}
		for range r.IntN(3) { // purchase categories
			c.Categories = append(c.Categories, pickCat())
		}
		p.Clients = append(p.Clients, c)
	}
	return p
}
