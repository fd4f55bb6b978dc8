package today

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
)

// ContactRef is the Ref of the contact history entry of a task's outcome:
// one entry per task.
func ContactRef(taskID string) string { return "task:" + taskID }

// LogOutcome records outcome (loupe.Outcomes) with note on task taskID,
// logged by by (an associate id, or "admin"; the history names the list's
// associate, whose call it was). The first outcome of a task stands: a
// second call changes nothing and answers the stored task. The outcome's
// effects follow the stored one, each idempotent, so a call retried after
// a crash completes them: the client's contact history gets one personal
// entry (a contact when loupe.IsContactOutcome, which ends new_client and
// counts for the cap), do_not_contact stops personal outreach
// (DoNotContactAt) and wrong_number stops the use of the phone the client
// has now (WrongPhone) until the POS sends another.
//
// Returns an EINVALID *loupe.Error naming outcome or note, an ENOTFOUND
// one for a task that is not on a list, or the storage error.
func (s *Service) LogOutcome(ctx context.Context, taskID, outcome, note, by string) (TaskView, error) {
	day, associateID, customerID, err := ParseTaskID(taskID)
	if err != nil {
		return TaskView{}, err
	}
	if !slices.Contains(loupe.Outcomes, outcome) {
		return TaskView{}, loupe.Invalidf("outcome", "outcome must be one of reached, left_message, no_answer, texted, emailed, visited, wrong_number, do_not_contact, rsvp_yes, rsvp_no")
	}
	if len(note) > maxNote {
		return TaskView{}, loupe.Invalidf("note", "note must be at most %d bytes", maxNote)
	}
	p, err := s.place(ctx, associateID)
	if err != nil {
		if loupe.ErrorCode(err) == loupe.ENOTFOUND {
			return TaskView{}, loupe.Errorf(loupe.ENOTFOUND, "task not found")
		}
		return TaskView{}, err
	}
	t, won, err := s.Store.SetOutcome(ctx, associateID, day, taskID, outcome, by, s.now().UTC())
	if errors.Is(err, loupe.ErrNotFound) {
		return TaskView{}, loupe.Errorf(loupe.ENOTFOUND, "task not found")
	}
	if err != nil {
		return TaskView{}, fmt.Errorf("log outcome of task %s: %w", taskID, err)
	}
	if !won && t.Outcome != outcome {
		note = "" // another outcome stood: this call's note is not about it
	}
	if err := s.apply(ctx, associateID, day, t, note); err != nil {
		return TaskView{}, err
	}
	if won {
		s.log().InfoContext(ctx, "task outcome logged", "task_id", taskID, "associate_id", associateID,
			"customer_id", customerID, "outcome", t.Outcome, "by", t.OutcomeBy)
	}
	cs, err := s.customers(ctx, []string{customerID})
	if err != nil {
		return TaskView{}, err
	}
	c, ok := cs[customerID]
	if !ok {
		return TaskView{TaskID: t.TaskID, CustomerID: t.CustomerID, Reason: t.Reason, Outcome: ptr(t.Outcome),
			OutcomeAt: ptr(t.OutcomeAt.UTC())}, nil
	}
	return s.view(ctx, p, day, t, c), nil
}

// apply applies the stored outcome of t, a task of associateID's list of
// day, then marks it applied: its history entry (by the list's associate,
// whose call it was, whoever logged it), then do_not_contact or
// wrong_number on the profile. Each step is idempotent: Today applies an
// outcome a crash left unapplied (without its note, which only the POST
// carried).
func (s *Service) apply(ctx context.Context, associateID, day string, t Task, note string) error {
	if t.Applied {
		return nil
	}
	if err := s.effects(ctx, associateID, t, note); err != nil {
		return err
	}
	if err := s.Store.MarkApplied(ctx, associateID, day, t.TaskID); err != nil {
		return fmt.Errorf("outcome of task %s: %w", t.TaskID, err)
	}
	return nil
}

// effects writes the stored outcome of t to the client's history and
// profile.
func (s *Service) effects(ctx context.Context, associateID string, t Task, note string) error {
	err := loupe.RecordContact(ctx, s.Records, loupe.Contact{CustomerID: t.CustomerID, At: t.OutcomeAt,
		Channel: loupe.ChannelPersonal, Touchpoint: t.Reason, Outcome: t.Outcome, By: associateID,
		Status: "logged", Note: note, Ref: ContactRef(t.TaskID)})
	if err != nil {
		return fmt.Errorf("contact history of task %s: %w", t.TaskID, err)
	}
	var set func(c loupe.Customer) (loupe.Customer, bool)
	switch t.Outcome {
	case loupe.OutcomeDoNotContact:
		set = func(c loupe.Customer) (loupe.Customer, bool) {
			if !c.DoNotContactAt.IsZero() {
				return c, false
			}
			c.DoNotContactAt = t.OutcomeAt
			return c, true
		}
	case loupe.OutcomeWrongNumber:
		set = func(c loupe.Customer) (loupe.Customer, bool) {
			if c.Phone == "" || c.WrongPhone == c.Phone {
				return c, false
			}
			c.WrongPhone = c.Phone
			return c, true
		}
	default:
		return nil
	}
	err = s.Records.UpdateCustomer(ctx, t.CustomerID, func(c *loupe.Customer, _ time.Time) (loupe.Customer, bool, error) {
		if c == nil {
			return loupe.Customer{}, false, nil
		}
		out, changed := set(*c)
		return out, changed, nil
	})
	if err != nil {
		return fmt.Errorf("%s of task %s: %w", t.Outcome, t.TaskID, err)
	}
	return nil
}
