package touch

import (
	"context"
	"fmt"

	"github.com/loupehq/loupe/shared/mail"
)

// Elsewhere is the Channel of a process that plans touchpoints on a channel
// another process delivers: in AWS the touchpoints and dashboard-api
// functions choose sms (the channel is open, Planner.Open) while only the
// sender function holds the End User Messaging client. Its Send never
// delivers: it returns an error wrapping mail.ErrTemporary, which leaves
// the touchpoint claimed for the process that can.
type Elsewhere string

var _ Channel = Elsewhere("")

// Send refuses t for now (mail.ErrTemporary): the channel is delivered by
// another process.
func (e Elsewhere) Send(_ context.Context, t Touch) (string, error) {
	return "", fmt.Errorf("touchpoint %s: %w: channel %s is delivered by another process", t.Key.MailKey(), mail.ErrTemporary, string(e))
}
