package smsvoice_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2/types"

	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/smsvoice"
	"github.com/loupehq/loupe/shared/testkit/smsvoicetest"
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
		if !errors.Is(got, mail.ErrTemporary) || !errors.Is(got, touch.ErrMaybeSent) || api.calls != 1 {
			t.Errorf("%s: Send = %v after %d calls, want mail.ErrTemporary and touch.ErrMaybeSent after 1", name, got, api.calls)
		}
	}
	api := &acceptedThenLost{err: &types.ThrottlingException{Message: new(string)}}
	s := smsvoice.New(api, config(newClock()))
	if _, err := s.Send(context.Background(), touchpoint("s1", touch.Birthday, "+12125550100")); !errors.Is(err, mail.ErrTemporary) || api.calls != 8 {
		t.Errorf("throttled: Send = %v after %d calls, want mail.ErrTemporary after 8 (MaxAttempts)", err, api.calls)
	}
}

// TestTextKeepsInsideTheHours: the TimeToLive is at most the time left of
// the recipient's allowed hours (AWS drops a text rather than hand it over
// after 21:00), and with less than MinWindow left nothing is sent: the
// error wraps touch.ErrNotNow.
func TestTextKeepsInsideTheHours(t *testing.T) {
	srv := smsvoicetest.Start(t)
	c := newClock()
	s := smsvoice.New(srv.Client(t), config(c)) // TimeToLive 2 h
	for _, tt := range []struct {
		left    time.Duration
		wantTTL int32
	}{{3 * time.Hour, 7200}, {30 * time.Minute, 1800}} {
		tp := touchpoint("s1", touch.Birthday, "+12125550100")
		tp.Key.CustomerID = fmt.Sprint("c", tt.wantTTL)
		tp.Until = c.Now().Add(tt.left)
		if _, err := s.Send(context.Background(), tp); err != nil {
			t.Fatalf("Send with %s left: %v", tt.left, err)
		}
		got := srv.Sent()[len(srv.Sent())-1]
		// The pacing wait (0.1 s at 10 parts/s) may take a second off.
		if got.TimeToLive == nil || *got.TimeToLive > tt.wantTTL || *got.TimeToLive < tt.wantTTL-1 {
			t.Errorf("%s left: TimeToLive = %v, want %d", tt.left, got.TimeToLive, tt.wantTTL)
		}
	}
	calls := srv.Calls()
	tp := touchpoint("s1", touch.Birthday, "+12125550100")
	tp.Until = c.Now().Add(smsvoice.MinWindow - time.Minute)
	if _, err := s.Send(context.Background(), tp); !errors.Is(err, touch.ErrNotNow) || errors.Is(err, mail.ErrRejected) {
		t.Errorf("Send with 9 min left = %v, want touch.ErrNotNow", err)
	}
	if srv.Calls() != calls {
		t.Errorf("a call was made with 9 min of the hours left")
	}
}
