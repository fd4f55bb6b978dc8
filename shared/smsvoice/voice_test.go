package smsvoice_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2/types"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/smsvoice"
	"github.com/loupehq/loupe/shared/testkit/smsvoicetest"
	"github.com/loupehq/loupe/shared/textin"
	"github.com/loupehq/loupe/shared/textmsg"
	"github.com/loupehq/loupe/shared/touch"
)

func reply(kind string) textin.Reply {
	return textin.Reply{
		Key: "sms-reply/in-1/" + kind, To: "+12125550142", From: "+18005550100",
		Body: "Éclat: You're unsubscribed and will get no more texts. Reply START to resume.",
		Kind: kind, StoreID: "s1", CustomerID: "c1", At: time.Date(2026, 5, 9, 18, 0, 0, 0, time.UTC),
	}
}

func TestReplyOnTheWire(t *testing.T) {
	srv := smsvoicetest.Start(t)
	c := newClock()
	s := smsvoice.New(srv.Client(t), config(c))
	for i, kind := range []string{textin.KindStopConfirmation, textin.KindHelpReply} {
		r := reply(kind)
		id, err := s.Reply(context.Background(), r)
		if err != nil {
			t.Fatalf("Reply %s: %v", kind, err)
		}
		sent := srv.Sent()
		if len(sent) != i+1 || sent[i].MessageID != id {
			t.Fatalf("stand-in got %+v, want text %d with id %s", sent, i+1, id)
		}
		got := sent[i]
		if got.DestinationPhoneNumber != r.To || got.OriginationIdentity != r.From || got.MessageBody != r.Body {
			t.Errorf("to %q from %q body %q, want %q %q %q", got.DestinationPhoneNumber, got.OriginationIdentity, got.MessageBody, r.To, r.From, r.Body)
		}
		if got.MessageType != "TRANSACTIONAL" || got.ConfigurationSetName != "loupe-sms" {
			t.Errorf("MessageType %q ConfigurationSetName %q, want TRANSACTIONAL loupe-sms", got.MessageType, got.ConfigurationSetName)
		}
		if len(got.Context) != 1 || got.Context[smsvoice.ContextReplyKind] != kind {
			t.Errorf("Context = %v, want {reply_kind: %s}", got.Context, kind)
		}
		if got.TimeToLive == nil || *got.TimeToLive != 7200 {
			t.Errorf("TimeToLive = %v, want 7200", got.TimeToLive)
		}
	}
	// The second reply waited for its pacing slot (10 a second), shared
	// with the touchpoint texts.
	if _, err := s.Send(context.Background(), touchpoint("s1", touch.Birthday, "+12125550100")); err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{100 * time.Millisecond, 100 * time.Millisecond}
	if got := c.Waits(); !equal(got, want) {
		t.Errorf("waits = %v, want %v", got, want)
	}
}

func TestReplyThrottledThenSent(t *testing.T) {
	srv := smsvoicetest.Start(t)
	var logs bytes.Buffer
	cfg := config(newClock())
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	s := smsvoice.New(srv.Client(t), cfg)
	srv.Throttle(2)
	r := reply(textin.KindHelpReply)
	if _, err := s.Reply(context.Background(), r); err != nil {
		t.Fatalf("Reply after 2 throttles: %v", err)
	}
	if got := srv.Calls(); got != 3 {
		t.Errorf("calls = %d, want 3", got)
	}
	if !strings.Contains(logs.String(), "sms reply throttled") {
		t.Errorf("no retry logged: %s", logs.String())
	}
	for _, secret := range []string{r.To, r.From, "Éclat", "unsubscribed"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("log holds %q: %s", secret, logs.String())
		}
	}
}

func TestReplyRejected(t *testing.T) {
	srv := smsvoicetest.Start(t)
	s := smsvoice.New(srv.Client(t), config(newClock()))
	srv.OptOut("+12125550199")
	mod := func(f func(*textin.Reply)) textin.Reply {
		r := reply(textin.KindStopConfirmation)
		f(&r)
		return r
	}
	tests := []struct {
		name  string
		r     textin.Reply
		field string // "" for AWS's refusal
	}{
		{"no to", mod(func(r *textin.Reply) { r.To = "" }), "to"},
		{"no from", mod(func(r *textin.Reply) { r.From = " " }), "from"},
		{"no body", mod(func(r *textin.Reply) { r.Body = "" }), "body"},
		{"unknown kind", mod(func(r *textin.Reply) { r.Kind = "touchpoint" }), "kind"},
		{"body over 2 segments", mod(func(r *textin.Reply) { r.Body = strings.Repeat("a", 307) }), "body"},
		{"opted out", mod(func(r *textin.Reply) { r.To = "+12125550199" }), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Reply(context.Background(), tt.r)
			if !errors.Is(err, mail.ErrRejected) {
				t.Fatalf("err = %v, want mail.ErrRejected", err)
			}
			var le *loupe.Error
			if tt.field != "" && (!errors.As(err, &le) || le.Field != tt.field) {
				t.Errorf("err = %v, want an EINVALID on %s", err, tt.field)
			}
		})
	}
	if srv.Calls() != 1 {
		t.Errorf("calls = %d, want only the opted-out one", srv.Calls())
	}
}

func repairTouch(occasion, locale, storeLocale string) touch.Touch {
	return touch.Touch{
		Entry:    touch.Entry{Key: touch.RepairKey("c1", occasion, "r7"), StoreID: "s1", Channel: "voice"},
		Customer: loupe.Customer{CustomerID: "c1", FirstName: "Ana", Phone: "+12125550100", Locale: locale, PreferredChannel: "voice"},
		Store:    loupe.Store{StoreID: "s1", Name: "Éclat", Phone: "+12125550199", Locale: storeLocale},
		Date:     touch.Day{Year: 2026, Month: time.May, Day: 9},
	}
}

func TestVoiceOnTheWire(t *testing.T) {
	srv := smsvoicetest.Start(t)
	c := newClock()
	v := smsvoice.NewVoice(srv.Client(t), config(c))
	tests := []struct {
		name              string
		t                 touch.Touch
		identity, voiceID string
	}{
		{"repair ready, client's locale", repairTouch(textmsg.RepairReady, "fr-FR", "en-US"), "+18005550100", "LEA"},
		{"repair reminder, store's locale", repairTouch(textmsg.RepairReminder, "", "en-GB"), "+18005550100", "AMY"},
		{"no locale: en-US", repairTouch(textmsg.RepairReady, "", ""), "+18005550100", "JOANNA"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := v.Send(context.Background(), tt.t)
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			calls := srv.Voice()
			if len(calls) != i+1 || calls[i].MessageID != id {
				t.Fatalf("stand-in got %+v, want call %d with id %s", calls, i+1, id)
			}
			got := calls[i]
			want, _ := textmsg.ComposeVoice(tt.t)
			if got.MessageBody != want.SSML || got.MessageBodyTextType != "SSML" {
				t.Errorf("body %q (%s), want the SSML %q", got.MessageBody, got.MessageBodyTextType, want.SSML)
			}
			if got.VoiceID != tt.voiceID {
				t.Errorf("VoiceId = %q, want %q", got.VoiceID, tt.voiceID)
			}
			if got.DestinationPhoneNumber != tt.t.Customer.Phone || got.OriginationIdentity != tt.identity {
				t.Errorf("to %q from %q", got.DestinationPhoneNumber, got.OriginationIdentity)
			}
			if got.ConfigurationSetName != "loupe-sms" || len(got.Context) != 1 || got.Context[smsvoice.ContextLedgerKey] != tt.t.Key.MailKey() {
				t.Errorf("ConfigurationSetName %q Context %v", got.ConfigurationSetName, got.Context)
			}
			if got.TimeToLive == nil || *got.TimeToLive != 7200 {
				t.Errorf("TimeToLive = %v, want 7200", got.TimeToLive)
			}
		})
	}
	if len(srv.Sent()) != 0 {
		t.Errorf("a call went as a text")
	}
}

func TestVoiceNeverMarketing(t *testing.T) {
	srv := smsvoicetest.Start(t)
	v := smsvoice.NewVoice(srv.Client(t), config(newClock()))
	event := repairTouch(textmsg.RepairReady, "", "")
	event.Key = touch.Key{CustomerID: "c1", Occasion: touch.EventPrefix + "gala", Year: 2026}
	event.Campaign = &touch.Campaign{CampaignID: "gala", Name: "Gala"}
	for _, occ := range []string{touch.Birthday, touch.Anniversary, touch.Christmas, "thank_you:p1", "bridal_30:p1"} {
		t.Run(occ, func(t *testing.T) {
			tp := repairTouch(textmsg.RepairReady, "", "")
			tp.Key = touch.Key{CustomerID: "c1", Occasion: occ, Year: 2026}
			if _, err := v.Send(context.Background(), tp); !errors.Is(err, mail.ErrRejected) {
				t.Errorf("err = %v, want mail.ErrRejected", err)
			}
		})
	}
	if _, err := v.Send(context.Background(), event); !errors.Is(err, mail.ErrRejected) {
		t.Errorf("event: err = %v, want mail.ErrRejected", err)
	}
	if srv.VoiceCalls() != 0 {
		t.Errorf("a marketing call reached AWS (%d calls)", srv.VoiceCalls())
	}
}

func TestVoiceRejected(t *testing.T) {
	srv := smsvoicetest.Start(t)
	v := smsvoice.NewVoice(srv.Client(t), config(newClock()))
	srv.OptOut("+12125550188")
	optedOut := repairTouch(textmsg.RepairReady, "", "")
	optedOut.Customer.Phone = "+12125550188"
	noPhone := repairTouch(textmsg.RepairReady, "", "")
	noPhone.Customer.Phone = ""
	noStorePhone := repairTouch(textmsg.RepairReady, "", "")
	noStorePhone.Store.Phone = ""
	tests := []struct {
		name  string
		t     touch.Touch
		calls int
	}{
		{"opted out", optedOut, 1},
		{"no phone", noPhone, 0},
		{"store without a phone", noStorePhone, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := srv.VoiceCalls()
			if _, err := v.Send(context.Background(), tt.t); !errors.Is(err, mail.ErrRejected) {
				t.Fatalf("err = %v, want mail.ErrRejected", err)
			}
			if got := srv.VoiceCalls() - before; got != tt.calls {
				t.Errorf("calls = %d, want %d", got, tt.calls)
			}
		})
	}
}

func TestVoiceThrottledThenSent(t *testing.T) {
	srv := smsvoicetest.Start(t)
	c := newClock()
	var logs bytes.Buffer
	cfg := config(c)
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	v := smsvoice.NewVoice(srv.Client(t), cfg)
	srv.Throttle(2)
	tp := repairTouch(textmsg.RepairReady, "", "")
	if _, err := v.Send(context.Background(), tp); err != nil {
		t.Fatalf("Send after 2 throttles: %v", err)
	}
	if got, want := srv.VoiceCalls(), 3; got != want {
		t.Errorf("calls = %d, want %d", got, want)
	}
	if got, want := c.Waits(), []time.Duration{50 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond}; !equal(got, want) {
		t.Errorf("waits = %v, want %v", got, want)
	}
	for _, secret := range []string{tp.Customer.Phone, tp.Store.Phone, "Ana", "repair is ready"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("log holds %q: %s", secret, logs.String())
		}
	}

	cfg.MaxAttempts = 2
	v = smsvoice.NewVoice(srv.Client(t), cfg)
	srv.Throttle(5)
	if _, err := v.Send(context.Background(), tp); !errors.Is(err, mail.ErrTemporary) || errors.Is(err, mail.ErrRejected) {
		t.Errorf("throttled past the attempts: err = %v, want mail.ErrTemporary", err)
	}
}

func TestVoiceFor(t *testing.T) {
	tests := []struct {
		customer, store string
		want            types.VoiceId
	}{
		{"en-US", "fr-FR", types.VoiceIdJoanna},
		{"en-GB", "", types.VoiceIdAmy},
		{"fr-FR", "", types.VoiceIdLea},
		{"de-DE", "", types.VoiceIdVicki},
		{"es-ES", "", types.VoiceIdLucia},
		{"es-MX", "", types.VoiceIdMia},
		{"it-IT", "", types.VoiceIdBianca},
		{"fr-CA", "", types.VoiceIdLea},
		{"es_ar", "", types.VoiceIdLucia},
		{"en-gb", "", types.VoiceIdAmy},
		{"pt-BR", "de-DE", types.VoiceIdVicki},
		{"", "it-IT", types.VoiceIdBianca},
		{"ja-JP", "", types.VoiceIdJoanna},
		{"", "", types.VoiceIdJoanna},
	}
	for _, tt := range tests {
		got := smsvoice.VoiceFor(loupe.Customer{Locale: tt.customer}, loupe.Store{Locale: tt.store})
		if got != tt.want {
			t.Errorf("VoiceFor(%q, store %q) = %s, want %s", tt.customer, tt.store, got, tt.want)
		}
	}
}

func TestNoVoiceIdentityLeavesItClaimed(t *testing.T) {
	srv := smsvoicetest.Start(t)
	cfg := config(newClock())
	cfg.OriginationIdentity = ""
	v := smsvoice.NewVoice(srv.Client(t), cfg)
	if _, err := v.Send(context.Background(), repairTouch(textmsg.RepairReady, "", "")); !errors.Is(err, mail.ErrTemporary) {
		t.Fatalf("err = %v, want mail.ErrTemporary", err)
	}
	if srv.VoiceCalls() != 0 {
		t.Errorf("called AWS without an origination identity")
	}
}
