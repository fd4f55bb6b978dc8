package smsvoicetest_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2/types"

	"github.com/loupehq/loupe/shared/testkit/smsvoicetest"
)

// noRetry makes the SDK send each call once, so the stand-in's counts are
// the test's.
func noRetry(o *pinpointsmsvoicev2.Options) { o.Retryer = aws.NopRetryer{} }

func TestStandInWithTheSDK(t *testing.T) {
	srv := smsvoicetest.Start(t)
	c := srv.Client(t)
	ctx := context.Background()
	in := func(to string) *pinpointsmsvoicev2.SendTextMessageInput {
		return &pinpointsmsvoicev2.SendTextMessageInput{
			DestinationPhoneNumber: aws.String(to),
			OriginationIdentity:    aws.String("+18005550100"),
			MessageBody:            aws.String("Éclat: hello"),
			MessageType:            types.MessageTypeTransactional,
			ConfigurationSetName:   aws.String("loupe"),
			Context:                map[string]string{"ledger_key": "tp/c1/birthday/2026"},
			TimeToLive:             aws.Int32(3600),
			DryRun:                 true,
		}
	}

	out, err := c.SendTextMessage(ctx, in("+12125550100"), noRetry)
	if err != nil {
		t.Fatalf("SendTextMessage: %v", err)
	}
	sent := srv.Sent()
	if len(sent) != 1 || aws.ToString(out.MessageId) != sent[0].MessageID {
		t.Fatalf("sent %+v, answer id %q", sent, aws.ToString(out.MessageId))
	}
	got := sent[0]
	if got.DestinationPhoneNumber != "+12125550100" || got.OriginationIdentity != "+18005550100" ||
		got.MessageBody != "Éclat: hello" || got.MessageType != "TRANSACTIONAL" || got.ConfigurationSetName != "loupe" ||
		got.Context["ledger_key"] != "tp/c1/birthday/2026" || got.TimeToLive == nil || *got.TimeToLive != 3600 || !got.DryRun {
		t.Errorf("recorded %+v", got)
	}

	srv.Throttle(2)
	for i := range 2 {
		var te *types.ThrottlingException
		if _, err := c.SendTextMessage(ctx, in("+12125550100"), noRetry); !errors.As(err, &te) {
			t.Fatalf("call %d: err = %v, want ThrottlingException", i, err)
		}
	}
	if _, err := c.SendTextMessage(ctx, in("+12125550100"), noRetry); err != nil {
		t.Fatalf("after the throttling: %v", err)
	}

	srv.OptOut("+12125550199")
	var ce *types.ConflictException
	if _, err := c.SendTextMessage(ctx, in("+12125550199"), noRetry); !errors.As(err, &ce) ||
		ce.Reason != types.ConflictExceptionReasonDestinationPhoneNumberOptedOut {
		t.Errorf("opted out: err = %v, want ConflictException DESTINATION_PHONE_NUMBER_OPTED_OUT", err)
	}

	srv.Invalid("+12125550198")
	for _, to := range []string{"+12125550198", "2125550100"} {
		var ve *types.ValidationException
		if _, err := c.SendTextMessage(ctx, in(to), noRetry); !errors.As(err, &ve) ||
			ve.Reason != types.ValidationExceptionReasonInvalidParameter || len(ve.Fields) != 1 ||
			aws.ToString(ve.Fields[0].Name) != "DestinationPhoneNumber" {
			t.Errorf("%s: err = %v, want ValidationException INVALID_PARAMETER on DestinationPhoneNumber", to, err)
		}
	}

	if got, want := srv.Calls(), 7; got != want {
		t.Errorf("calls = %d, want %d", got, want)
	}
	if got, want := len(srv.Sent()), 2; got != want {
		t.Errorf("accepted = %d, want %d", got, want)
	}
}

func TestStandInVoiceWithTheSDK(t *testing.T) {
	srv := smsvoicetest.Start(t)
	c := srv.Client(t)
	ctx := context.Background()
	in := func(to, body string, voice types.VoiceId) *pinpointsmsvoicev2.SendVoiceMessageInput {
		return &pinpointsmsvoicev2.SendVoiceMessageInput{
			DestinationPhoneNumber: aws.String(to),
			OriginationIdentity:    aws.String("+18005550100"),
			MessageBody:            aws.String(body),
			MessageBodyTextType:    types.VoiceMessageBodyTextTypeSsml,
			VoiceId:                voice,
			ConfigurationSetName:   aws.String("loupe"),
			Context:                map[string]string{"ledger_key": "tp/c1/repair_ready:r7/0"},
			TimeToLive:             aws.Int32(3600),
		}
	}
	const ssml = "<speak><s>Éclat.</s><s>Your repair is ready to collect.</s></speak>"

	out, err := c.SendVoiceMessage(ctx, in("+12125550100", ssml, types.VoiceIdJoanna), noRetry)
	if err != nil {
		t.Fatalf("SendVoiceMessage: %v", err)
	}
	calls := srv.Voice()
	if len(calls) != 1 || aws.ToString(out.MessageId) != calls[0].MessageID {
		t.Fatalf("calls %+v, answer id %q", calls, aws.ToString(out.MessageId))
	}
	got := calls[0]
	if got.DestinationPhoneNumber != "+12125550100" || got.OriginationIdentity != "+18005550100" || got.MessageBody != ssml ||
		got.MessageBodyTextType != "SSML" || got.VoiceID != "JOANNA" || got.ConfigurationSetName != "loupe" ||
		got.Context["ledger_key"] != "tp/c1/repair_ready:r7/0" || got.TimeToLive == nil || *got.TimeToLive != 3600 || got.DryRun {
		t.Errorf("recorded %+v", got)
	}
	if len(srv.Sent()) != 0 || srv.Calls() != 0 {
		t.Errorf("a call was recorded as a text")
	}

	refused := []struct {
		name  string
		in    *pinpointsmsvoicev2.SendVoiceMessageInput
		field string
	}{
		{"SSML not well-formed", in("+12125550100", "<speak>Éclat & co</speak>", types.VoiceIdJoanna), "MessageBody"},
		{"SSML without speak", in("+12125550100", "<p>Éclat</p>", types.VoiceIdJoanna), "MessageBody"},
		{"unknown voice", in("+12125550100", ssml, types.VoiceId("NOBODY")), "VoiceId"},
		{"not E.164", in("2125550100", ssml, types.VoiceIdJoanna), "DestinationPhoneNumber"},
	}
	for _, tt := range refused {
		var ve *types.ValidationException
		if _, err := c.SendVoiceMessage(ctx, tt.in, noRetry); !errors.As(err, &ve) || len(ve.Fields) != 1 ||
			aws.ToString(ve.Fields[0].Name) != tt.field {
			t.Errorf("%s: err = %v, want ValidationException on %s", tt.name, err, tt.field)
		}
	}

	srv.Throttle(1)
	var te *types.ThrottlingException
	if _, err := c.SendVoiceMessage(ctx, in("+12125550100", ssml, types.VoiceIdJoanna), noRetry); !errors.As(err, &te) {
		t.Errorf("throttled: err = %v, want ThrottlingException", err)
	}
	srv.OptOut("+12125550199")
	var ce *types.ConflictException
	if _, err := c.SendVoiceMessage(ctx, in("+12125550199", ssml, types.VoiceIdJoanna), noRetry); !errors.As(err, &ce) ||
		ce.Reason != types.ConflictExceptionReasonDestinationPhoneNumberOptedOut {
		t.Errorf("opted out: err = %v, want ConflictException DESTINATION_PHONE_NUMBER_OPTED_OUT", err)
	}
	if got, want := srv.VoiceCalls(), 7; got != want {
		t.Errorf("voice calls = %d, want %d", got, want)
	}
	if got, want := len(srv.Voice()), 1; got != want {
		t.Errorf("accepted = %d, want %d", got, want)
	}
}
