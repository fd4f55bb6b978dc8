package lambdawire

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/loupehq/loupe/shared/contact"
	"github.com/loupehq/loupe/shared/dynamo"
	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/touch"
	"github.com/loupehq/loupe/shared/wire"
)

// TestSMSOpenWhereConfigured: with an origination identity every function
// plans sms as open (the sender delivers), without one none does; the
// planning functions' channel never sends.
func TestSMSOpenWhereConfigured(t *testing.T) {
	db := dynamo.New(nil, "t")
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if ServicesOn(db, wire.Config{}, nil, logger).Planner.Open(contact.SMS) {
		t.Error("sms open without an origination identity")
	}
	for _, cfg := range []wire.Config{{SMSIdentity: "+12125550100"}, {SMSStoreIdentities: map[string]string{"s-1": "pool-1"}}} {
		svc := ServicesOn(db, cfg, nil, logger)
		if !svc.Planner.Open(contact.SMS) {
			t.Errorf("%+v: sms not open", cfg)
		}
		_, err := svc.Planner.Channels[contact.SMS].Send(context.Background(), touch.Touch{})
		if !errors.Is(err, mail.ErrTemporary) {
			t.Errorf("planning function's sms Send = %v, want mail.ErrTemporary (left for the sender)", err)
		}
	}
}

func TestTextsConfigSharesTheRate(t *testing.T) {
	c := TextsConfig(wire.Config{SMSMessagesPerSecond: 3, SMSIdentity: "+18005550100"}, 2, nil)
	if c.MessagesPerSecond != 1.5 || c.OriginationIdentity != "+18005550100" {
		t.Errorf("TextsConfig = %+v, want 1.5 parts/s per instance from the identity", c)
	}
	if c := TextsConfig(wire.Config{}, 2, nil); c.MessagesPerSecond != 0.5 {
		t.Errorf("default rate per instance = %v, want 0.5 (1 MPS, 10DLC, over 2)", c.MessagesPerSecond)
	}
}
