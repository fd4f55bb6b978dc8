package reassign

import (
	"context"
	"errors"
	"fmt"

	"github.com/loupehq/loupe/shared/loupe"
)

// ErasedName stands in a review list for the name of a client who was erased.
const ErasedName = "(erased client)"

// Forget is reassignment's part of a customer's erasure (a loupe.Forgetter):
// in every batch, the client's assignment keeps its ids, state and claim (the
// batch's counts stay true) but its name becomes ErasedName and its reasons,
// which name the client's preferences, are dropped. The review list, its CSV
// and its print page then show nothing of the client. Cost: one read of the
// batch headers and one key read per batch, one write per batch holding the
// client. Idempotent. Returns the first storage error.
func (s *Service) Forget(ctx context.Context, e loupe.Erasure) error {
	batches, err := s.Batches.ListReassignments(ctx)
	if err != nil {
		return fmt.Errorf("forget %s in reassignments: %w", e.CustomerID, err)
	}
	for _, b := range batches {
		if err := s.forgetIn(ctx, b.ID, e.CustomerID); err != nil {
			return err
		}
	}
	return nil
}

// forgetIn scrubs customerID's assignment of batch id, if any.
func (s *Service) forgetIn(ctx context.Context, id, customerID string) error {
	a, err := s.Batches.ReassignmentAssignment(ctx, id, customerID)
	if errors.Is(err, loupe.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("forget %s in reassignment %s: %w", customerID, id, err)
	}
	if a.CustomerName == ErasedName && len(a.Reasons) == 0 {
		return nil
	}
	a.CustomerName, a.Reasons = ErasedName, nil
	if err := s.Batches.SaveReassignmentAssignment(ctx, id, a); err != nil && !errors.Is(err, loupe.ErrNotFound) {
		return fmt.Errorf("forget %s in reassignment %s: %w", customerID, id, err)
	}
	return nil
}
