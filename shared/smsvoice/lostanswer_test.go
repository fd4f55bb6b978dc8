package smsvoice_test

import (
	"context"
	"errors"
	"net"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2/types"

	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/smsvoice"
	"github.com/loupehq/loupe/shared/touch"
)

// acceptedThenLost takes every text and answers with err: AWS may have
// sent the text although the caller never heard back.
type acceptedThenLost struct {
	calls int
	err   error
}

func (a *acceptedThenLost) SendTextMessage(context.Context, *pinpointsmsvoicev2.SendTextMessageInput, ...func(*pinpointsmsvoicev2.Options)) (*pinpointsmsvoicev2.SendTextMessageOutput, error) {
	a.calls++
	return nil, a.err
}

// TestNoRetryAfterALostAnswer: a timeout or a server fault may follow a text
// AWS took, so the Sender does not call again at once (that would text the
// client twice); the touchpoint stays claimed (mail.ErrTemporary). Only a
// throttling answer, which says nothing was sent, is retried.
func TestNoRetryAfterALostAnswer(t *testing.T) {
	for name, err := range map[string]error{
		"timeout":      &net.OpError{Op: "read", Net: "tcp", Err: errors.New("i/o timeout")},
		"server fault": &types.InternalServerException{Message: new(string)},
	} {
		api := &acceptedThenLost{err: err}
		s := smsvoice.New(api, config(newClock()))
		_, got := s.Send(context.Background(), touchpoint("s1", touch.Birthday, "+12125550100"))
		if !errors.Is(got, mail.ErrTemporary) || api.calls != 1 {
			t.Errorf("%s: Send = %v after %d calls, want mail.ErrTemporary after 1", name, got, api.calls)
		}
	}
	api := &acceptedThenLost{err: &types.ThrottlingException{Message: new(string)}}
	s := smsvoice.New(api, config(newClock()))
	if _, err := s.Send(context.Background(), touchpoint("s1", touch.Birthday, "+12125550100")); !errors.Is(err, mail.ErrTemporary) || api.calls != 8 {
		t.Errorf("throttled: Send = %v after %d calls, want mail.ErrTemporary after 8 (MaxAttempts)", err, api.calls)
	}
}
