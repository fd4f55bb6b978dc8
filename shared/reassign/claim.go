package reassign

import (
	"context"
	"errors"
	"fmt"

	"github.com/loupehq/loupe/shared/loupe"
)

// Claim moves client customerID of batch batchID to associateID, who knows the
// client, and records the claim (claimed, claimed_by, claimed_at). Claiming
// again for the same associate changes nothing. A client already claimed by
// someone else is an ECONFLICT unless override is set (a manager or admin
// reassigning it; the caller decides who may). It returns the updated
// assignment. The client becomes new_client on the claimer's Today list
// (loupe.MoveCustomer) unless the claimer has a personal contact with the
// client in its history (loupe.MoveKnownCustomer).
//
// Returns an ENOTFOUND *loupe.Error for an unknown batch; an EINVALID one
// naming associate_id when the associate is unknown or not active, or naming
// customer_id when the client is not in the batch or no longer exists; an
// ECONFLICT one while the batch is still being applied or when the client's
// owner changed during the claim; and storage errors.
func (s *Service) Claim(ctx context.Context, batchID, customerID, associateID string, override bool) (Assignment, error) {
	s.norm()
	b, err := s.Batches.GetReassignment(ctx, batchID)
	if errors.Is(err, loupe.ErrNotFound) {
		return Assignment{}, loupe.Errorf(loupe.ENOTFOUND, "reassignment %s not found", batchID)
	}
	if err != nil {
		return Assignment{}, fmt.Errorf("claim in %s: %w", batchID, err)
	}
	if customerID == "" {
		return Assignment{}, loupe.Invalidf("customer_id", "customer_id is required")
	}
	if associateID == "" {
		return Assignment{}, loupe.Invalidf("associate_id", "associate_id is required")
	}
	as, err := s.Batches.ReassignmentAssignments(ctx, batchID)
	if err != nil {
		return Assignment{}, fmt.Errorf("claim in %s: %w", batchID, err)
	}
	var a Assignment
	found := false
	for _, x := range as {
		if x.CustomerID == customerID {
			a, found = x, true
			break
		}
	}
	if !found {
		return Assignment{}, loupe.Invalidf("customer_id", "customer %s is not in reassignment %s", customerID, batchID)
	}
	assoc, err := s.DB.GetAssociate(ctx, associateID)
	switch {
	case errors.Is(err, loupe.ErrNotFound):
		return Assignment{}, loupe.Invalidf("associate_id", "associate %s does not exist", associateID)
	case err != nil:
		return Assignment{}, fmt.Errorf("claim in %s: %w", batchID, err)
	case !assoc.Active():
		return Assignment{}, loupe.Invalidf("associate_id", "associate %s is not active", associateID)
	}
	if b.Status != StatusDone {
		return Assignment{}, loupe.Errorf(loupe.ECONFLICT, "reassignment %s is still being applied; try again shortly", batchID)
	}
	c, err := s.DB.GetCustomer(ctx, customerID)
	switch {
	case errors.Is(err, loupe.ErrNotFound):
		return Assignment{}, loupe.Invalidf("customer_id", "customer %s no longer exists", customerID)
	case err != nil:
		return Assignment{}, fmt.Errorf("claim in %s: %w", batchID, err)
	}
	if a.Claimed && a.ClaimedBy == associateID && c.AssociateID == associateID {
		return a, nil
	}
	if a.Claimed && a.ClaimedBy != associateID && !override {
		return Assignment{}, loupe.Errorf(loupe.ECONFLICT, "customer %s was already claimed by %s; a manager may reassign it with override", customerID, a.ClaimedBy)
	}
	move := loupe.MoveCustomerTo
	if known, err := s.knows(ctx, associateID, customerID); err != nil {
		return Assignment{}, fmt.Errorf("claim in %s: %w", batchID, err)
	} else if known {
		move = loupe.MoveKnownCustomerTo // not new_client on the claimer's Today list
	}
	// An unclaimed client the reassignment placed is taken from the
	// associate it was placed with, in the conditional move itself: of two
	// claims racing, the second finds the owner changed (409), and a
	// client someone moved since is a manager's to override.
	from := c.AssociateID
	if !override && !a.Claimed && a.State == StateMoved && a.ToAssociateID != "" {
		from = a.ToAssociateID
	}
	if err := move(ctx, s.DB, customerID, from, associateID, s.Now()); err != nil {
		if errors.Is(err, loupe.ErrConflict) {
			return Assignment{}, loupe.Errorf(loupe.ECONFLICT, "customer %s changed owner during the claim; try again", customerID)
		}
		return Assignment{}, fmt.Errorf("claim in %s: %w", batchID, err)
	}
	a.Claimed, a.ClaimedBy, a.ClaimedByName, a.ClaimedAt = true, associateID, assoc.Name, s.Now().UTC()
	if err := s.Batches.SaveReassignmentAssignment(ctx, batchID, a); err != nil {
		return Assignment{}, fmt.Errorf("claim in %s: %w", batchID, err)
	}
	s.Logger.InfoContext(ctx, "client claimed", "batch_id", batchID, "customer_id", customerID, "associate_id", associateID)
	return a, nil
}

// knows reports whether associateID has a logged personal contact with
// customerID (an outcome that is a contact, loupe.Contact.Counts).
func (s *Service) knows(ctx context.Context, associateID, customerID string) (bool, error) {
	cs, err := s.DB.ContactsByCustomer(ctx, customerID, 0)
	if err != nil {
		return false, err
	}
	for _, c := range cs {
		if c.Channel == loupe.ChannelPersonal && c.By == associateID && c.Counts() {
			return true, nil
		}
	}
	return false, nil
}
