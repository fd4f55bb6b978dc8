package match

// RoundRobin is the baseline most POS systems use: clients, in id order, are
// dealt in turn to the active associates of their home store (in id order),
// skipping associates that are full; when the home store has nobody with
// room, they are dealt in turn over every active associate with room in the
// chain. Fit plays no part. Returns the errors of Assign.
func RoundRobin(p Problem) (Result, error) {
	in, err := prepare(p)
	if err != nil {
		return Result{}, err
	}
	left := make([]int64, len(in.assocs)) // room left; -1 unlimited
	var all []int
	for i, a := range in.assocs {
		switch {
		case !a.Active:
		case a.Capacity == 0:
			left[i] = -1
			all = append(all, i)
		default:
			left[i] = int64(max(0, a.Capacity-a.Load))
			all = append(all, i)
		}
	}
	take := func(list []int, cursor *int) int {
		for range list {
			a := list[*cursor%len(list)]
			*cursor++
			if left[a] != 0 {
				if left[a] > 0 {
					left[a]--
				}
				return a
			}
		}
		return -1
	}
	to := make([]int32, len(in.clients))
	cursors := map[string]*int{}
	global := 0
	for ci, c := range in.clients {
		s := in.stores[c.HomeStoreID]
		cur := cursors[s.id]
		if cur == nil {
			cur = new(int)
			cursors[s.id] = cur
		}
		a := -1
		if len(s.eligible) > 0 {
			a = take(s.eligible, cur)
		}
		if a < 0 && len(all) > 0 {
			a = take(all, &global)
		}
		to[ci] = int32(a)
	}
	return in.result(to), nil
}

// WholeBook is the other common POS baseline: each home store's orphaned
// clients all go to one associate, the active associate of that store with
// the most room (no limit counts as most; ties to the lowest id), regardless
// of capacity or fit. A store without an active associate hands its clients
// to the chain's active associate with the most room. Returns the errors of
// Assign.
func WholeBook(p Problem) (Result, error) {
	in, err := prepare(p)
	if err != nil {
		return Result{}, err
	}
	room := func(i int) int {
		a := in.assocs[i]
		if a.Capacity == 0 {
			return int(^uint(0) >> 1)
		}
		return a.Capacity - a.Load
	}
	best := func(cands func(func(int))) int {
		b := -1
		cands(func(i int) {
			if in.assocs[i].Active && (b < 0 || room(i) > room(b)) {
				b = i
			}
		})
		return b
	}
	chain := best(func(yield func(int)) {
		for i := range in.assocs {
			yield(i)
		}
	})
	byStore := map[string][]int{}
	for i, a := range in.assocs {
		byStore[a.StoreID] = append(byStore[a.StoreID], i)
	}
	to := make([]int32, len(in.clients))
	pick := map[string]int{}
	for ci, c := range in.clients {
		a, ok := pick[c.HomeStoreID]
		if !ok {
			a = best(func(yield func(int)) {
				for _, i := range byStore[c.HomeStoreID] {
					yield(i)
				}
			})
			if a < 0 {
				a = chain
			}
			pick[c.HomeStoreID] = a
		}
		to[ci] = int32(a)
	}
	return in.result(to), nil
}
