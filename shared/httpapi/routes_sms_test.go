package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/httpapi"
	"github.com/loupehq/loupe/shared/linktoken"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/phone"
	"github.com/loupehq/loupe/shared/textin"
	"github.com/loupehq/loupe/shared/wire"
)

var _ httpapi.InboundTexts = (*textin.Service)(nil)

// The numbers of the inbound-text cases: the client's and the store's.
const (
	smsClient = "+12125550142"
	smsStore  = "+18005550100"
)

// sentReplies is a textin.Replier that keeps the replies it is handed.
type sentReplies struct {
	mu  sync.Mutex
	got []textin.Reply
}

func (s *sentReplies) Reply(_ context.Context, r textin.Reply) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, r)
	return fmt.Sprintf("reply-%d", len(s.got)), nil
}

func (s *sentReplies) all() []textin.Reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]textin.Reply(nil), s.got...)
}

// smsChain is one store (s1, phone smsStore) with associate ada, manager
// max, and clients c1 and c2 sharing smsClient (sms granted) and c3 on
// another number, served as the wiring serves them with managed opt-outs.
type smsChain struct {
	h       http.Handler
	db      loupe.DB
	replies *sentReplies
	tokens  map[string]string // person -> bearer
}

func newSMSChain(t *testing.T) *smsChain {
	t.Helper()
	ctx := context.Background()
	db := openDB(t)
	clock := func() time.Time { return rolesNow }
	signer, err := linktoken.New(clock, []byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	c := &smsChain{db: db, replies: &sentReplies{}, tokens: map[string]string{"admin": rolesAPIToken, "nobody": ""}}
	svc := wire.Build(wire.Config{UnsubscribeSecret: strings.Repeat("u", 24), BaseURL: "https://loupe.example.com",
		AdminEmails: map[string]bool{"boss@chain.example": true}, SMSManagedOptOuts: true},
		wire.Ports{Records: db, Compliance: db.Compliance(), Ledger: db.Ledger(), Mail: &mail.Fake{}, Phones: phone.Normalize,
			Replies: c.replies, StaffTokens: signer, SignInTokens: signer, Now: clock, Logger: quietLogger()})
	n := 0
	apply := func(typ, data string) {
		t.Helper()
		n++
		body := fmt.Sprintf(`{"id":"evt_sms%03d","type":%q,"occurred_at":%q,"data":%s}`, n, typ,
			rolesNow.Add(-time.Hour).Add(time.Duration(n)*time.Second).Format(time.RFC3339), data)
		if _, err := svc.POS.Apply(ctx, []byte(body)); err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
	}
	apply("store.upserted", `{"store_id":"s1","name":"Éclat Fifth Avenue","timezone":"America/New_York","country":"US",`+
		`"postal_address":"1 Fifth Ave, New York NY","phone":"`+smsStore+`","from_email":"s1@loupe.example.com"}`)
	apply("associate.upserted", `{"associate_id":"ada","store_id":"s1","name":"Ada","email":"ada@s1.example"}`)
	apply("associate.upserted", `{"associate_id":"max","store_id":"s1","name":"Max","email":"max@s1.example","role":"manager"}`)
	for _, cu := range []struct{ id, phone string }{{"c1", smsClient}, {"c2", smsClient}, {"c3", "+12125550199"}} {
		apply("customer.upserted", `{"customer_id":"`+cu.id+`","home_store_id":"s1","associate_id":"ada","first_name":"F`+cu.id+
			`","phone":"`+cu.phone+`"}`)
		apply("consent.changed", `{"customer_id":"`+cu.id+`","channel":"sms","status":"granted","at":"`+
			rolesNow.Add(-2*time.Hour).Format(time.RFC3339)+`","source":"paper","evidence":"Yes, text me"}`)
	}
	for who, email := range map[string]string{"ada": "ada@s1.example", "max": "max@s1.example", "boss": "boss@chain.example"} {
		tok, _, err := signer.Issue(email)
		if err != nil {
			t.Fatal(err)
		}
		c.tokens[who] = tok
	}
	c.h = svc.HTTP(rolesAPIToken)
	return c
}

func (c *smsChain) post(t *testing.T, who, body string) (int, string) {
	t.Helper()
	rec := do(c.h, "POST", "/sms/inbound", c.tokens[who], "application/json", body)
	return rec.Code, rec.Body.String()
}

func (c *smsChain) smsStatus(t *testing.T, id string) string {
	t.Helper()
	cu, err := c.db.GetCustomer(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return cu.ConsentOf("sms").Status
}

func inboundJSON(from, to, body, id string) string {
	m := map[string]string{"originationNumber": from, "destinationNumber": to, "messageBody": body}
	if id != "" {
		m["inboundMessageId"] = id
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func decodeInbound(t *testing.T, body string) httpapi.InboundResult {
	t.Helper()
	var got httpapi.InboundResult
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("answer %s: %v", body, err)
	}
	return got
}

// TestSMSInboundStop: a STOP posted by an admin denies sms for both
// clients of the number (not the other), answers the result, sends one
// confirmation; the same text delivered again is a duplicate and sends none.
func TestSMSInboundStop(t *testing.T) {
	for _, id := range []string{"in-1", ""} {
		t.Run("id="+id, func(t *testing.T) {
			c := newSMSChain(t)
			code, body := c.post(t, "admin", inboundJSON(smsClient, smsStore, "Stop please", id))
			if code != http.StatusOK {
				t.Fatalf("STOP: %d %s", code, body)
			}
			got := decodeInbound(t, body)
			want := httpapi.InboundResult{MessageID: got.MessageID, Intent: textin.IntentStop, Keyword: "STOP", StoreID: "s1",
				Clients: 2, Changed: 2, Reply: textin.KindStopConfirmation, ReplyID: "reply-1"}
			if got != want {
				t.Errorf("STOP answer = %+v, want %+v", got, want)
			}
			if id != "" && got.MessageID != id {
				t.Errorf("message_id = %q, want %q", got.MessageID, id)
			}
			for _, k := range []string{`"message_id"`, `"intent"`, `"keyword"`, `"store_id"`, `"clients"`, `"changed"`, `"kept"`,
				`"reply"`, `"reply_id"`, `"duplicate"`, `"reply_failed"`} {
				if !strings.Contains(body, k) {
					t.Errorf("answer %s lacks %s", body, k)
				}
			}
			if strings.Contains(body, smsClient) || strings.Contains(body, smsStore) || strings.Contains(body, "please") {
				t.Errorf("answer %s quotes a number or the text", body)
			}
			for id, want := range map[string]string{"c1": loupe.ConsentDenied, "c2": loupe.ConsentDenied, "c3": loupe.ConsentGranted} {
				if got := c.smsStatus(t, id); got != want {
					t.Errorf("%s sms consent = %s, want %s", id, got, want)
				}
			}
			if r := c.replies.all(); len(r) != 1 || r[0].Kind != textin.KindStopConfirmation || r[0].To != smsClient || r[0].From != smsStore {
				t.Fatalf("replies = %+v, want one stop confirmation to the client from the store's number", r)
			}

			code, body = c.post(t, "admin", inboundJSON(smsClient, smsStore, "Stop please", id))
			if code != http.StatusOK {
				t.Fatalf("STOP again: %d %s", code, body)
			}
			again := decodeInbound(t, body)
			if !again.Duplicate || again.MessageID != got.MessageID || again.Reply != "" || again.Changed != 0 {
				t.Errorf("STOP again = %+v, want a duplicate of %s changing nothing and sending nothing", again, got.MessageID)
			}
			if r := c.replies.all(); len(r) != 1 {
				t.Errorf("replies after the duplicate = %d, want 1", len(r))
			}
		})
	}
}

// TestSMSInboundInvalid: a body ParseMessage refuses is a 400 naming the
// field, and changes nothing.
func TestSMSInboundInvalid(t *testing.T) {
	c := newSMSChain(t)
	cases := []struct {
		name, ctype, body string
		wantCode          int
		wantField         string
	}{
		{"not JSON", "application/json", `stop`, 400, "message"},
		{"an array", "application/json", `[]`, 400, "message"},
		{"no originationNumber", "application/json", `{"destinationNumber":"` + smsStore + `","messageBody":"STOP"}`, 400, "originationNumber"},
		{"originationNumber not E.164", "application/json", inboundJSON("212-555-0142", smsStore, "STOP", ""), 400, "originationNumber"},
		{"no destinationNumber", "application/json", `{"originationNumber":"` + smsClient + `","messageBody":"STOP"}`, 400, "destinationNumber"},
		{"no messageBody", "application/json", `{"originationNumber":"` + smsClient + `","destinationNumber":"` + smsStore + `"}`, 400, "messageBody"},
		{"messageBody a number", "application/json", `{"originationNumber":"` + smsClient + `","destinationNumber":"` + smsStore + `","messageBody":5}`, 400, "message"},
		{"long inboundMessageId", "application/json", inboundJSON(smsClient, smsStore, "STOP", strings.Repeat("x", 129)), 400, "inboundMessageId"},
		{"not application/json", "text/plain", inboundJSON(smsClient, smsStore, "STOP", ""), 415, ""},
		{"too large", "application/json", `{"messageBody":"` + strings.Repeat("x", httpapi.MaxBodyBytes) + `"}`, 413, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(c.h, "POST", "/sms/inbound", rolesAPIToken, tc.ctype, tc.body)
			if rec.Code != tc.wantCode {
				t.Fatalf("%d %s, want %d", rec.Code, rec.Body, tc.wantCode)
			}
			var e struct {
				Error struct{ Code, Message, Field string }
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
				t.Fatalf("error body %s: %v", rec.Body, err)
			}
			if e.Error.Field != tc.wantField {
				t.Errorf("field = %q, want %q (%s)", e.Error.Field, tc.wantField, rec.Body)
			}
			if strings.Contains(rec.Body.String(), "212-555") {
				t.Errorf("error %s quotes the value", rec.Body)
			}
		})
	}
	for _, id := range []string{"c1", "c2"} {
		if got := c.smsStatus(t, id); got != loupe.ConsentGranted {
			t.Errorf("%s sms consent after refused texts = %s, want granted", id, got)
		}
	}
	if r := c.replies.all(); len(r) != 0 {
		t.Errorf("replies = %+v, want none", r)
	}
}

// TestSMSInboundIsAdminOnly: the API token and an admin's staff token may
// post a text; an associate or a manager is 403, no token 401, and none of
// theirs changes anything.
func TestSMSInboundIsAdminOnly(t *testing.T) {
	c := newSMSChain(t)
	stop := inboundJSON(smsClient, smsStore, "STOP", "in-roles")
	for _, r := range []struct {
		who  string
		want int
	}{{"nobody", 401}, {"ada", 403}, {"max", 403}} {
		if code, body := c.post(t, r.who, stop); code != r.want {
			t.Errorf("as %s: %d %s, want %d", r.who, code, body, r.want)
		}
	}
	if got := c.smsStatus(t, "c1"); got != loupe.ConsentGranted {
		t.Fatalf("c1 sms consent after refused posts = %s, want granted", got)
	}
	if code, body := c.post(t, "boss", stop); code != 200 || decodeInbound(t, body).Changed != 2 {
		t.Errorf("as an admin by email: %d %s, want 200 changing 2", code, body)
	}
	if code, body := c.post(t, "admin", inboundJSON(smsClient, smsStore, "HELP", "in-help")); code != 200 ||
		decodeInbound(t, body).Reply != textin.KindHelpReply {
		t.Errorf("HELP with the API token: %d %s, want 200 with the help reply", code, body)
	}
}

// failingTexts is an InboundTexts whose store fails.
type failingTexts struct{}

func (failingTexts) Inbound(context.Context, textin.Message) (textin.Result, error) {
	return textin.Result{MessageID: "in-x"}, fmt.Errorf("inbound text in-x: %w", errors.New("disk on fire"))
}

// TestSMSInboundUnavailableAndFailing: without Texts the route answers
// 503; a storage error is a 500 "internal error" without its detail.
func TestSMSInboundUnavailableAndFailing(t *testing.T) {
	body := inboundJSON(smsClient, smsStore, "STOP", "")
	h := httpapi.New(httpapi.Config{APIToken: token, Now: clock, Logger: quietLogger()})
	if rec := do(h, "POST", "/sms/inbound", token, "application/json", body); rec.Code != http.StatusServiceUnavailable {
		t.Errorf("without Texts: %d %s, want 503", rec.Code, rec.Body)
	}
	var none *textin.Service
	h = httpapi.New(httpapi.Config{APIToken: token, Texts: none, Now: clock, Logger: quietLogger()})
	if rec := do(h, "POST", "/sms/inbound", token, "application/json", body); rec.Code != http.StatusServiceUnavailable {
		t.Errorf("with a nil *textin.Service: %d %s, want 503", rec.Code, rec.Body)
	}
	h = httpapi.New(httpapi.Config{APIToken: token, Texts: failingTexts{}, Now: clock, Logger: quietLogger()})
	rec := do(h, "POST", "/sms/inbound", token, "application/json", body)
	if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), "internal error") || strings.Contains(rec.Body.String(), "fire") {
		t.Errorf("storage error: %d %s, want 500 internal error", rec.Code, rec.Body)
	}
}
