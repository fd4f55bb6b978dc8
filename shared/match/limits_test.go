package match_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/match"
)

// TestHugeCapacityIsBounded: a capacity at the contract's limit places a
// book without looping over the capacity (a capacity of 1e12 from a CSV
// once spun for minutes), and a larger one is refused.
func TestHugeCapacityIsBounded(t *testing.T) {
	p := match.Problem{Associates: []match.Associate{
		{ID: "a1", StoreID: "s1", Capacity: loupe.MaxCapacity, Load: 3, Active: true, Strengths: []string{"pearls"}},
		{ID: "a2", StoreID: "s1", Capacity: loupe.MaxCapacity - 1, Load: 5, Active: true},
	}}
	for i := range 200 {
		p.Clients = append(p.Clients, match.Client{ID: fmt.Sprintf("c%03d", i), HomeStoreID: "s1", Categories: []string{"pearls"}})
	}
	res, err := match.Assign(p)
	if err != nil || len(res.Assignments) != 200 {
		t.Fatalf("Assign: %d placed, %v; want 200", len(res.Assignments), err)
	}
	p.Associates[0].Capacity = loupe.MaxCapacity + 1
	if _, err := match.Assign(p); loupe.ErrorCode(err) != loupe.EINVALID {
		t.Fatalf("capacity over the limit: %v, want EINVALID", err)
	}
}

// TestAssignStopsWithItsContext: a cancelled context ends the run with its
// error and no result.
func TestAssignStopsWithItsContext(t *testing.T) {
	p := match.Generate(1, match.Size{Stores: 3, Associates: 24, Clients: 2000})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := match.AssignContext(ctx, p); !errors.Is(err, context.Canceled) {
		t.Fatalf("AssignContext on a cancelled context: %v, want context.Canceled", err)
	}
}
