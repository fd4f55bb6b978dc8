package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/dynamo"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/testkit/smsvoicetest"
	"github.com/loupehq/loupe/shared/touch"
)

// textPlace is a store zone with a client number there: the scenario runs
// on the real clock, so it takes a place where it is now between 09:00 and
// 20:00 (inside every zone's hours, with an hour to spare).
type textPlace struct{ zone, country, phone, address string }

var textPlaces = []textPlace{
	{"America/New_York", "US", "+12125550142", "700 Fifth Avenue, New York, NY 10019"},
	{"America/Los_Angeles", "US", "+12135550142", "1 Rodeo Drive, Beverly Hills, CA 90210"},
	{"Europe/London", "GB", "+442079460142", "1 Bond Street, London W1S 1AA"},
	{"Asia/Tokyo", "JP", "+81312345678", "1-1 Ginza, Chuo-ku, Tokyo 104-0061"},
	{"Australia/Sydney", "AU", "+61291234567", "1 Martin Place, Sydney NSW 2000"},
}

// placeNow returns a textPlace whose local time now is 09:00-20:00.
func placeNow(t *testing.T, now time.Time) (textPlace, *time.Location) {
	for _, p := range textPlaces {
		loc, err := time.LoadLocation(p.zone)
		if err != nil {
			t.Fatal(err)
		}
		if h := now.In(loc).Hour(); h >= 9 && h < 20 {
			return p, loc
		}
	}
	t.Fatalf("no place of the scenario is inside its hours at %s", now.UTC())
	return textPlace{}, nil
}

// TestTextScenario drives texts through the real bootstraps: a client with
// a phone, sms consent and no email gets the birthday by text from the
// planning function through the send queue and the sender into the End
// User Messaging stand-in, once although the schedule fires twice; the
// delivery event (the configuration set's SNS record) marks it delivered
// in the history; a STOP with trailing words on the two-way topic denies
// sms for both clients of the number, answers once although SNS delivers
// it twice, and the next day's birthdays of the other client and of one
// added after the STOP with an older consent are not texted.
func TestTextScenario(t *testing.T) {
	sms := smsvoicetest.Start(t)
	const loupeNumber = "+18005550100"
	s := newStack(t, map[string]map[string]string{"*": {
		"AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2": sms.URL,
		"LOUPE_SMS_ORIGINATION_IDENTITY":         loupeNumber,
		"LOUPE_SMS_MANAGED_OPTOUTS":              "true",
	}})
	defer s.report()
	for _, id := range []string{touchID, "SenderFunction", "SmsInboundFunction", "SmsEventsFunction"} {
		if !s.has(id) {
			s.requireLater(t, id)
			return
		}
	}
	now := time.Now()
	place, loc := placeNow(t, now)
	in := func(days int) time.Time { return now.In(loc).AddDate(0, 0, days) }
	event := posEvents(t, "evt-sms")
	ctx := context.Background()
	db := dynamo.New(s.ddb, s.table)

	s.begin("text_records")
	s.pos(event("store.upserted", map[string]any{"store_id": "s-t", "name": "Maison Tessier", "timezone": place.zone,
		"country": place.country, "postal_address": place.address, "phone": loupeNumber}), http.StatusAccepted)
	s.pos(event("associate.upserted", map[string]any{"associate_id": "a-t", "store_id": "s-t", "name": "Associate T"}), http.StatusAccepted)
	// Two clients share the number (a couple): c-t1's birthday is planned
	// today, c-t2's tomorrow.
	for id, days := range map[string]int{"c-t1": 7, "c-t2": 8} {
		s.pos(event("customer.upserted", map[string]any{"customer_id": id, "home_store_id": "s-t", "first_name": "Client",
			"phone": place.phone, "birthday": "1990-" + in(days).Format("01-02"), "associate_id": "a-t"}), http.StatusAccepted)
		s.pos(event("consent.changed", map[string]any{"customer_id": id, "channel": "sms", "status": "granted",
			"at": now.Add(-time.Hour).UTC().Format(time.RFC3339), "source": "paper",
			"evidence": "I agree to receive texts from Maison Tessier. Msg & data rates may apply. Reply STOP to opt out."}), http.StatusAccepted)
	}
	s.settle()

	texts := func(kind string) []smsvoicetest.Message {
		var out []smsvoicetest.Message
		for _, m := range sms.Sent() {
			if m.DestinationPhoneNumber == place.phone && (kind == "" || m.MessageType == kind) {
				out = append(out, m)
			}
		}
		return out
	}

	s.begin("text_birthday")
	y, mo, d := now.In(loc).Date()
	at := time.Date(y, mo, d, 6, 5, 0, 0, loc).UTC().Format(time.RFC3339)
	s.invoke(t, touchID, `{"scheduled_time":"`+at+`"}`)
	s.settle()
	s.invoke(t, touchID, `{"scheduled_time":"`+at+`"}`) // the schedule fires twice
	s.settle()
	got := texts("PROMOTIONAL")
	if len(got) != 1 {
		t.Fatalf("birthday texts to the client: %d, want 1 (%+v)", len(got), sms.Sent())
	}
	text := got[0]
	wantKey := fmt.Sprintf("tp/c-t1/birthday/%d", in(7).Year())
	switch {
	case !strings.HasPrefix(text.MessageBody, "Maison Tessier"):
		t.Errorf("body does not open with the store's name: %q", text.MessageBody)
	case !strings.HasSuffix(text.MessageBody, "Reply STOP to opt out"):
		t.Errorf("promotional body does not end with the opt-out line: %q", text.MessageBody)
	case text.OriginationIdentity != loupeNumber || text.ConfigurationSetName != smsConfigurationSet:
		t.Errorf("from %s in %s, want %s in %s", text.OriginationIdentity, text.ConfigurationSetName, loupeNumber, smsConfigurationSet)
	case text.Context["ledger_key"] != wantKey:
		t.Errorf("Context = %v, want ledger_key %s", text.Context, wantKey)
	}

	s.begin("text_delivered")
	record, _ := json.Marshal(map[string]any{"eventType": "TEXT_DELIVERED", "eventVersion": "1.0",
		"eventTimestamp": time.Now().UnixMilli(), "isFinal": true, "originationPhoneNumber": loupeNumber,
		"destinationPhoneNumber": place.phone, "messageId": text.MessageID, "messageType": "PROMOTIONAL",
		"messageStatus": "DELIVERED", "messageStatusDescription": "Message has been accepted by phone",
		"totalMessageParts": 1, "context": text.Context})
	if n := s.notify("SmsEventsTopic", string(record)); n != 1 {
		t.Fatalf("SmsEventsTopic reached %d functions, want 1", n)
	}
	s.notify("SmsEventsTopic", string(record)) // SNS delivers twice
	hist, err := db.ContactsByCustomer(ctx, "c-t1", 0)
	if err != nil {
		t.Fatal(err)
	}
	delivered := false
	for _, c := range hist {
		delivered = delivered || (c.Channel == "sms" && c.Touchpoint == "birthday" && c.Status == "delivered")
	}
	if !delivered {
		t.Errorf("contact history of c-t1 = %+v, want the birthday text delivered", hist)
	}

	s.begin("text_stop")
	stop, _ := json.Marshal(map[string]any{"originationNumber": place.phone, "destinationNumber": loupeNumber,
		"messageKeyword": "KEYWORD_123456789012", "messageBody": "Stop please, thank you", "inboundMessageId": "in-e2e-1",
		"previousPublishedMessageId": text.MessageID})
	if n := s.notify("SmsInboundTopic", string(stop)); n != 1 {
		t.Fatalf("SmsInboundTopic reached %d functions, want 1", n)
	}
	s.notify("SmsInboundTopic", string(stop)) // delivered twice
	for _, id := range []string{"c-t1", "c-t2"} {
		c, err := db.GetCustomer(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if k := c.Consents["sms"]; k.Status != loupe.ConsentDenied {
			t.Errorf("%s sms consent after STOP = %+v, want denied", id, k)
		}
	}
	if replies := texts("TRANSACTIONAL"); len(replies) != 1 || !strings.HasPrefix(replies[0].MessageBody, "Maison Tessier") ||
		replies[0].OriginationIdentity != loupeNumber {
		t.Errorf("replies to the STOP = %+v, want one confirmation from %s naming the store", replies, loupeNumber)
	}

	s.begin("text_after_stop")
	// A client the POS sends after the STOP, with the same number and a
	// consent given on paper before it: the STOP kept by number covers them.
	s.pos(event("customer.upserted", map[string]any{"customer_id": "c-t3", "home_store_id": "s-t", "first_name": "Client",
		"phone": place.phone, "birthday": "1991-" + in(8).Format("01-02"), "associate_id": "a-t"}), http.StatusAccepted)
	s.pos(event("consent.changed", map[string]any{"customer_id": "c-t3", "channel": "sms", "status": "granted",
		"at": now.Add(-30 * time.Minute).UTC().Format(time.RFC3339), "source": "paper",
		"evidence": "I agree to receive texts from Maison Tessier. Reply STOP to opt out."}), http.StatusAccepted)
	s.settle()
	s.invoke(t, touchID, fmt.Sprintf(`{"loupe_date":%q}`, in(1).Format(time.DateOnly)))
	s.settle()
	if n := len(texts("PROMOTIONAL")); n != 1 {
		t.Errorf("texts after the STOP: %d promotional in all, want still 1 (neither c-t2's nor c-t3's birthday is texted)", n)
	}
	k := touch.Key{CustomerID: "c-t3", Occasion: touch.Birthday, Year: in(8).Year()}
	if e, err := db.Ledger().Get(ctx, k); err != nil || e.State != touch.StateSkipped || e.Reason != touch.SkipNumberOptedOut {
		t.Errorf("c-t3's birthday = %+v, %v; want skipped %s (the STOP kept by number)", e, err, touch.SkipNumberOptedOut)
	}
	// ... and c-t3's own consent now shows it, so later touchpoints are
	// planned on another channel.
	if c, err := db.GetCustomer(ctx, "c-t3"); err != nil || c.Consents["sms"].Status != loupe.ConsentDenied {
		t.Errorf("c-t3 sms consent after the skipped text = %+v, %v; want denied", c.Consents["sms"], err)
	}
}
