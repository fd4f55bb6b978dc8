package today

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/touch"
)

// Send is the planner's personal channel (touch.Channel for
// contact.Personal): a touchpoint that goes as a Today task is put on the
// client's associate's lists as a due item from its planned day, for
// dueDays days (an invitation until its event, at most 14 days). It is
// keyed by the touchpoint's ledger key, so a second Send changes nothing.
// The planner decided it under consent and the cap, so the lists do not
// hold it back for the cap again. Returns an error wrapping
// mail.ErrRejected when the client has no active associate (nobody's list
// to put it on), or the storage error.
func (s *Service) Send(ctx context.Context, t touch.Touch) (string, error) {
	if t.Associate == nil || t.Associate.AssociateID == "" {
		return "", fmt.Errorf("touchpoint %s: the client has no active associate: %w", t.Key, mail.ErrRejected)
	}
	from := t.Planned
	if from == (touch.Day{}) {
		from = touch.DayOf(s.now().UTC())
	}
	until := from.AddDays(dueDays - 1)
	reason, _, _ := strings.Cut(t.Occasion, ":") // "thank_you:<purchase>" is thank_you
	switch {
	case strings.HasPrefix(t.Occasion, touch.EventPrefix):
		reason = ReasonEventInvite + ":" + strings.TrimPrefix(t.Occasion, touch.EventPrefix)
		until = from.AddDays(13)
		if t.Campaign != nil && t.Campaign.EventDate != (touch.Day{}) && t.Campaign.EventDate.Before(until) {
			until = t.Campaign.EventDate
		}
	case reason == "repair_reminder":
		reason = ReasonRepairReady
	}
	if until.Before(from) {
		until = from
	}
	d := Due{AssociateID: t.Associate.AssociateID, CustomerID: t.CustomerID, Reason: reason, Ref: t.Key.String(),
		From: from.String(), Until: until.String(), Planned: true}
	if err := s.Store.PutDue(ctx, d); err != nil {
		return "", fmt.Errorf("due task %s: %w", d.Ref, err)
	}
	return "today:" + d.Ref, nil
}

// Purchased puts the thank_you of purchase p on the selling associate's
// lists from thankYouAfter days after it (store-local) for thankYouDays
// days (CONTRACT section 1: a Today task 2 days after a purchase), keyed
// by touch.PurchaseKey so a replayed purchase puts it once. A purchase
// without an associate, or whose window has passed (an old purchase
// loaded late), puts nothing. Returns the storage error.
func (s *Service) Purchased(ctx context.Context, p loupe.Purchase) error {
	if p.AssociateID == "" || p.PurchasedAt.IsZero() ||
		s.now().Sub(p.PurchasedAt) > time.Duration(thankYouAfter+thankYouDays+1)*24*time.Hour {
		return nil // no thank-you, or its window is over in every zone: no store read
	}
	loc := time.UTC
	st, err := s.Records.GetStore(ctx, p.StoreID)
	switch {
	case err == nil:
		if l, lerr := st.Location(); lerr == nil {
			loc = l
		}
	case !errors.Is(err, loupe.ErrNotFound):
		return fmt.Errorf("store %s: %w", p.StoreID, err)
	}
	d, ok := ThankYou(p, loc, s.now())
	if !ok {
		return nil
	}
	if err := s.Store.PutDue(ctx, d); err != nil {
		return fmt.Errorf("thank_you of purchase %s: %w", p.PurchaseID, err)
	}
	return nil
}

// ThankYou returns the due item of purchase p's thank_you, for a store in
// zone loc: the selling associate's lists from thankYouAfter days after the
// purchase (store-local) for thankYouDays days, keyed by
// touch.PurchaseKey. ok is false without an associate or a time, or when
// the window ended before now (an old purchase loaded late).
func ThankYou(p loupe.Purchase, loc *time.Location, now time.Time) (d Due, ok bool) {
	if p.AssociateID == "" || p.PurchasedAt.IsZero() {
		return Due{}, false
	}
	from := touch.DayOf(p.PurchasedAt.In(loc)).AddDays(thankYouAfter)
	until := from.AddDays(thankYouDays - 1)
	if until.Before(touch.DayOf(now.In(loc))) {
		return Due{}, false
	}
	return Due{AssociateID: p.AssociateID, CustomerID: p.CustomerID, Reason: ReasonThankYou,
		Ref: touch.PurchaseKey(p.CustomerID, ReasonThankYou, p.PurchaseID).String(), From: from.String(), Until: until.String()}, true
}
