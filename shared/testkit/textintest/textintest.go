// Package textintest is the test of package textin on a real store: inbound
// texts (STOP and the other opt-out words, HELP, START) and delivery events
// go through textin.Service over the store and the POS service's consent
// path, exactly as the Lambdas and `loupe serve` will wire them. Run by the
// embedded and dynamo packages' tests (dynamo on dynalite).
package textintest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/contact"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/pos"
	"github.com/loupehq/loupe/shared/textin"
)

// Target is one store under test: the records and the POS service built
// over them with the clock the kit hands to open (phone.Normalize as its
// Phones).
type Target struct {
	DB  loupe.DB
	POS *pos.Service
}

// T0 is the instant the cases start at.
var T0 = time.Date(2026, time.December, 7, 15, 0, 0, 0, time.UTC)

// The numbers of the cases: Loupe's two (one a store's), and the clients'.
const (
	LoupeNY    = "+12125550100" // the New York store's number
	LoupeMiami = "+13055550100"
	PhoneA     = "+12125550147" // c1 (s1), c2 (s2) and c4 (s1, never granted)
	PhoneB     = "+13055550123" // c3 (s2)
)

// Racers is how many goroutines the racing case starts.
const Racers = 8

var ctx = context.Background()

// env is one case's world: the target, a clock the case moves, the
// service, the replies sent and the log.
type env struct {
	t       *testing.T
	db      loupe.DB
	pos     *pos.Service
	svc     *textin.Service
	replies *replies
	logs    *syncBuffer
	mu      sync.Mutex
	now     time.Time
}

func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

// advance moves the clock on by d and returns the new time.
func (e *env) advance(d time.Duration) time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = e.now.Add(d)
	return e.now
}

// Run runs the cases against the store open returns: open is called once
// per case with the clock the POS service must use, and returns a target
// over one empty store, registering its own cleanup.
func Run(t *testing.T, open func(t *testing.T, now loupe.Clock) Target) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := &env{t: t, replies: &replies{}, logs: &syncBuffer{}, now: T0}
			tg := open(t, e.clock)
			e.db, e.pos = tg.DB, tg.POS
			e.svc = &textin.Service{Store: tg.DB, Consents: tg.POS, Replier: e.replies, ManagedOptOuts: true,
				Now: e.clock, Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
			if n, ok := tg.DB.(loupe.NumberOptOuts); ok {
				e.svc.Numbers, e.pos.Numbers = n, n
			}
			e.seed()
			tc.run(t, e)
			e.noPersonalDataLogged()
		})
	}
}

var cases = []struct {
	name string
	run  func(t *testing.T, e *env)
}{
	{"StopInAnyCaseDeniesEveryClientOfTheNumber", testStop},
	{"StoppingIsNotStop", testStopping},
	{"DuplicateStopOneReply", testDuplicateStop},
	{"RacingStopOneReply", testRacingStop},
	{"Help", testHelp},
	{"NotManagedRecordsOnly", testNotManaged},
	{"StartAfterStop", testStartAfterStop},
	{"StartAfterStaffDenial", testStartAfterStaffDenial},
	{"StoreOfTheNumber", testStoreOfTheNumber},
	{"DeliveryOutOfOrder", testDeliveryOutOfOrder},
	{"DeliveryBlockedStopsTheNumber", testDeliveryBlocked},
	{"DeliveryBeforeTheEntry", testDeliveryBeforeEntry},
	{"StopKeptByNumber", testStopKeptByNumber},
}

// apply applies one POS event through the webhook's path.
func (e *env) apply(id, typ, data string) {
	e.t.Helper()
	body := fmt.Sprintf(`{"id":%q,"type":%q,"occurred_at":%q,"data":%s}`, id, typ, e.clock().Format(time.RFC3339Nano), data)
	if _, err := e.pos.Apply(ctx, []byte(body)); err != nil {
		e.t.Fatalf("apply %s: %v", id, err)
	}
}

// seed writes two stores and four clients: c1 (s1), c2 (s2) and c4 (s1,
// no sms consent) share PhoneA, c3 (s2) has PhoneB; c1, c2 and c3 granted
// texts on paper.
func (e *env) seed() {
	e.apply("st1", pos.TypeStoreUpserted, `{"store_id":"s1","name":"Éclat Fifth Avenue","timezone":"America/New_York","country":"US","postal_address":"1 Fifth Ave, New York NY","phone":"`+LoupeNY+`"}`)
	e.apply("st2", pos.TypeStoreUpserted, `{"store_id":"s2","name":"Éclat Miami","timezone":"America/New_York","country":"US","postal_address":"1 Ocean Dr, Miami FL","phone":"`+LoupeMiami+`"}`)
	for _, c := range []struct{ id, store, phone string }{{"c1", "s1", PhoneA}, {"c2", "s2", PhoneA}, {"c3", "s2", PhoneB}, {"c4", "s1", PhoneA}} {
		e.apply("cu-"+c.id, pos.TypeCustomerUpserted, `{"customer_id":"`+c.id+`","home_store_id":"`+c.store+`","first_name":"Ada","phone":"`+c.phone+`"}`)
	}
	e.advance(time.Minute)
	for _, id := range []string{"c1", "c2", "c3"} {
		e.apply("k-"+id, pos.TypeConsentChanged, `{"customer_id":"`+id+`","channel":"sms","status":"granted","at":"`+
			e.clock().Format(time.RFC3339)+`","source":"paper","evidence":"Yes, text me news and offers"}`)
	}
	for _, id := range []string{"c1", "c2", "c3"} {
		if !e.reachable(id) {
			e.t.Fatalf("seed: %s cannot be texted", id)
		}
	}
	e.advance(time.Minute)
}

func (e *env) customer(id string) loupe.Customer {
	e.t.Helper()
	c, err := e.db.GetCustomer(ctx, id)
	if err != nil {
		e.t.Fatalf("get %s: %v", id, err)
	}
	return c
}

// reachable reports whether a marketing text may go to client id: what
// the planner asks before it plans and again before it sends.
func (e *env) reachable(id string) bool {
	e.t.Helper()
	return contact.Reach(contact.Client{Customer: e.customer(id), Country: "US"}, contact.SMS, contact.Marketing) == ""
}

func (e *env) wantReachable(what string, want map[string]bool) {
	e.t.Helper()
	for id, w := range want {
		if got := e.reachable(id); got != w {
			e.t.Errorf("%s: %s reachable by text %v, want %v (sms %+v)", what, id, got, w, e.customer(id).ConsentOf("sms"))
		}
	}
}

func (e *env) text(id, from, to, body string) textin.Result {
	e.t.Helper()
	res, err := e.svc.Inbound(ctx, textin.Message{ID: id, From: from, To: to, Body: body, At: e.advance(time.Minute)})
	if err != nil {
		e.t.Fatalf("inbound %q: %v", body, err)
	}
	return res
}

func testStop(t *testing.T, e *env) {
	res := e.text("m1", PhoneA, LoupeNY, "stop please, too many texts")
	if res.Intent != textin.IntentStop || res.Clients != 3 || res.Changed != 3 || res.Reply != textin.KindStopConfirmation {
		t.Errorf("STOP: got %+v, want stop, 3 clients denied (c4 too, never granted), a confirmation", res)
	}
	e.wantReachable("after STOP from A", map[string]bool{"c1": false, "c2": false, "c3": true})
	for _, id := range []string{"c1", "c2", "c4"} {
		k := e.customer(id).ConsentOf("sms")
		want := "replied STOP to " + LoupeNY + " at " + T0.Add(3*time.Minute).Format(time.RFC3339)
		prior := loupe.ConsentGranted
		if id == "c4" {
			prior = ""
		}
		if k.Status != loupe.ConsentDenied || k.Source != loupe.ConsentSourceSMS || k.Evidence != want || k.Phone != PhoneA || k.Prior != prior {
			t.Errorf("%s sms after STOP: %+v, want denied by sms, evidence %q, for %s, prior %q", id, k, want, PhoneA, prior)
		}
	}
	// Every opt-out word, any case, with words after it.
	for i, body := range []string{"STOP", "Stop.", "UNSUBSCRIBE me", "cancel", "End", "quit!", "revoke", "OptOut",
		"opt-out now", "OPT OUT", "stopall"} {
		res := e.text(fmt.Sprintf("w%d", i), PhoneB, LoupeMiami, body)
		if res.Intent != textin.IntentStop || res.Reply != textin.KindStopConfirmation {
			t.Errorf("%q: got %+v, want a STOP with its confirmation", body, res)
		}
		if i == 0 && res.Changed != 1 {
			t.Errorf("first STOP from B: changed %d, want 1", res.Changed)
		}
	}
	e.wantReachable("after STOP from B", map[string]bool{"c3": false})
	rs := e.replies.all()
	if len(rs) != 12 {
		t.Fatalf("replies: got %d, want 12", len(rs))
	}
	if r := rs[0]; r.Key != "sms-reply/m1/stop_confirmation" || r.To != PhoneA || r.From != LoupeNY || r.Kind != textin.KindStopConfirmation ||
		r.StoreID != "s1" || r.CustomerID != "c1" || !strings.HasPrefix(r.Body, "Éclat Fifth Avenue: ") || !strings.Contains(r.Body, "START") {
		t.Errorf("confirmation: %+v", r)
	}
}

// testStopKeptByNumber: a STOP from a number no client has yet is kept by
// number (a client the phone index has not shown, or added later with it,
// is covered at send time); START lifts it; a blocked status sets it.
func testStopKeptByNumber(t *testing.T, e *env) {
	if e.svc.Numbers == nil {
		t.Skip("the store keeps no opt-outs by number")
	}
	const unknown = "+12125550188"
	optedOut := func(phone string) bool {
		out, err := e.svc.Numbers.NumberOptedOut(ctx, phone)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if res := e.text("n1", unknown, LoupeNY, "STOP"); res.Clients != 0 || res.Intent != textin.IntentStop {
		t.Fatalf("STOP from a number without clients: %+v", res)
	}
	if !optedOut(unknown) || optedOut(PhoneA) {
		t.Fatalf("after STOP: %s opted out %v (want true), %s %v (want false)", unknown, optedOut(unknown), PhoneA, optedOut(PhoneA))
	}
	e.text("n2", unknown, LoupeNY, "start")
	if optedOut(unknown) {
		t.Error("START did not lift the number's opt-out")
	}
	e.text("n3", PhoneB, LoupeMiami, "Stop")
	if !optedOut(PhoneB) {
		t.Error("STOP from a client's number is not kept by number")
	}
	// A newer consent.changed granting texts undoes the STOP (CONTRACT:
	// "undone only by a newer consent.changed"), for the number too.
	e.advance(time.Minute)
	e.apply("k-again", pos.TypeConsentChanged, `{"customer_id":"c3","channel":"sms","status":"granted","at":"`+
		e.clock().Format(time.RFC3339)+`","source":"paper","evidence":"Yes, text me again"}`)
	if optedOut(PhoneB) || !e.reachable("c3") {
		t.Error("a newer sms grant did not lift the number's opt-out")
	}
}

func testStopping(t *testing.T, e *env) {
	for i, body := range []string{"STOPPING by on Saturday", "Stopped in today, thanks", "Endless thanks", "Quitting my job, ha", "Cancelled?"} {
		res := e.text(fmt.Sprintf("n%d", i), PhoneA, LoupeNY, body)
		if res.Intent != textin.IntentNone || res.Changed != 0 || res.Reply != "" {
			t.Errorf("%q: got %+v, want nothing done", body, res)
		}
	}
	e.wantReachable("after texts that are not STOP", map[string]bool{"c1": true, "c2": true})
	if n := len(e.replies.all()); n != 0 {
		t.Errorf("replies: %d, want none", n)
	}
}

func testDuplicateStop(t *testing.T, e *env) {
	for i := range 3 {
		res := e.text("dup", PhoneA, LoupeNY, "STOP")
		if got, want := res.Duplicate, i > 0; got != want {
			t.Errorf("delivery %d: duplicate %v, want %v (%+v)", i, got, want, res)
		}
	}
	// Without an id: the same text, delivered twice, is one message.
	m := textin.Message{From: PhoneB, To: LoupeMiami, Body: "Stop", At: e.advance(time.Minute)}
	for range 2 {
		if _, err := e.svc.Inbound(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(e.replies.all()); n != 2 {
		t.Errorf("replies: got %d, want 2 (one per text)", n)
	}
	e.wantReachable("after the STOPs", map[string]bool{"c1": false, "c2": false, "c3": false})
}

func testRacingStop(t *testing.T, e *env) {
	m := textin.Message{ID: "race", From: PhoneA, To: LoupeNY, Body: "STOP", At: e.advance(time.Minute)}
	var wg sync.WaitGroup
	errs := make([]error, Racers)
	for i := range Racers {
		wg.Go(func() { _, errs[i] = e.svc.Inbound(ctx, m) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("racer %d: %v", i, err)
		}
	}
	if n := len(e.replies.all()); n != 1 {
		t.Errorf("replies to racing deliveries of one STOP: got %d, want 1", n)
	}
	e.wantReachable("after racing STOPs", map[string]bool{"c1": false, "c2": false, "c3": true})
}

func testHelp(t *testing.T, e *env) {
	for i, body := range []string{"HELP", "info please"} {
		res := e.text(fmt.Sprintf("h%d", i), PhoneA, LoupeNY, body)
		if res.Intent != textin.IntentHelp || res.Reply != textin.KindHelpReply || res.Changed != 0 {
			t.Errorf("%q: got %+v, want the help reply and nothing changed", body, res)
		}
	}
	rs := e.replies.all()
	if len(rs) != 2 {
		t.Fatalf("replies: got %d, want 2", len(rs))
	}
	if b := rs[0].Body; !strings.HasPrefix(b, "Éclat Fifth Avenue: ") || !strings.Contains(b, LoupeNY) || !strings.HasSuffix(b, "Reply STOP to opt out.") {
		t.Errorf("help reply %q: want the store's name, its phone and the opt-out line", b)
	}
	e.wantReachable("after HELP", map[string]bool{"c1": true, "c2": true})
}

func testNotManaged(t *testing.T, e *env) {
	e.svc.ManagedOptOuts = false
	if res := e.text("s1", PhoneA, LoupeNY, "STOP"); res.Changed != 3 || res.Reply != "" {
		t.Errorf("STOP where AWS manages opt-outs: %+v, want recorded, no reply", res)
	}
	if res := e.text("s2", PhoneA, LoupeNY, "HELP"); res.Reply != "" {
		t.Errorf("HELP where AWS manages opt-outs: %+v, want no reply", res)
	}
	if n := len(e.replies.all()); n != 0 {
		t.Errorf("replies: %d, want none", n)
	}
	e.wantReachable("after STOP", map[string]bool{"c1": false, "c2": false})
}

func testStartAfterStop(t *testing.T, e *env) {
	e.text("s1", PhoneA, LoupeNY, "STOP")
	e.wantReachable("after STOP", map[string]bool{"c1": false, "c2": false})
	res := e.text("s2", PhoneA, LoupeNY, "start")
	// c4 never agreed to texts: its STOP is kept, a START grants nothing.
	if res.Intent != textin.IntentStart || res.Changed != 2 || res.Kept != 1 || res.Reply != "" {
		t.Errorf("START after STOP: %+v, want 2 granted again, c4 kept, no reply", res)
	}
	e.wantReachable("after START", map[string]bool{"c1": true, "c2": true, "c4": false})
	k := e.customer("c1").ConsentOf("sms")
	want := "replied START to " + LoupeNY + " at " + e.clock().Format(time.RFC3339)
	if k.Status != loupe.ConsentGranted || k.Source != loupe.ConsentSourceSMS || k.Evidence != want {
		t.Errorf("c1 sms after START: %+v, want granted by sms with %q", k, want)
	}
	// Two STOPs keep the grant to restore; UNSTOP restores it; a START
	// again changes nothing.
	e.text("s3", PhoneA, LoupeNY, "STOP")
	e.text("s3b", PhoneA, LoupeNY, "Stop!")
	if res := e.text("s4", PhoneA, LoupeNY, "UNSTOP"); res.Changed != 2 {
		t.Errorf("UNSTOP: %+v, want 2 granted", res)
	}
	if res := e.text("s5", PhoneA, LoupeNY, "START"); res.Changed != 0 || res.Kept != 3 {
		t.Errorf("START while granted: %+v, want nothing changed", res)
	}
}

func testStartAfterStaffDenial(t *testing.T, e *env) {
	e.apply("deny-c1", pos.TypeConsentChanged, `{"customer_id":"c1","channel":"sms","status":"denied","at":"`+
		e.clock().Format(time.RFC3339)+`","source":"staff"}`)
	e.advance(time.Minute)
	res := e.text("s1", PhoneA, LoupeNY, "START")
	if res.Changed != 0 || res.Kept != 3 {
		t.Errorf("START: %+v, want nothing granted (c1 denied by staff, c2 granted, c4 never granted)", res)
	}
	if k := e.customer("c1").ConsentOf("sms"); k.Status != loupe.ConsentDenied || k.Source != "staff" {
		t.Errorf("c1 sms after START: %+v, want the staff's denial", k)
	}
	if k := e.customer("c4").ConsentOf("sms"); k.Status != loupe.ConsentUnknown {
		t.Errorf("c4 sms after START: %+v, want unknown (never granted)", k)
	}
	e.wantReachable("after START", map[string]bool{"c1": false, "c2": true, "c4": false})
}

func testStoreOfTheNumber(t *testing.T, e *env) {
	// The home store of the first client (c1, s1), though the Miami number was texted.
	if res := e.text("h1", PhoneA, LoupeMiami, "HELP"); res.StoreID != "s1" {
		t.Errorf("without the setting: store %q, want s1 (c1's)", res.StoreID)
	}
	e.svc.NumberStores = textin.NumberStores(map[string]string{"s2": LoupeMiami, "s1": "arn:aws:sms-voice:us-east-1:1:pool/pool-1"})
	if res := e.text("h2", PhoneA, LoupeMiami, "HELP"); res.StoreID != "s2" {
		t.Errorf("with the setting: store %q, want s2 (its number)", res.StoreID)
	}
	if res := e.text("h3", "+12125550999", LoupeNY, "HELP"); res.StoreID != "s1" || res.Clients != 0 {
		t.Errorf("no client, number not set: %+v, want the chain's first store", res)
	}
	rs := e.replies.all()
	if len(rs) != 3 || !strings.HasPrefix(rs[1].Body, "Éclat Miami: ") || rs[1].From != LoupeMiami || rs[2].CustomerID != "" {
		t.Errorf("replies: %+v", rs)
	}
}

// sent records a sent birthday text of client id, as the planner does.
func (e *env) sent(id string, year int) string {
	e.t.Helper()
	ref := fmt.Sprintf("touchpoint:tp/%s/birthday/%d", id, year)
	err := loupe.RecordContact(ctx, e.db, loupe.Contact{CustomerID: id, At: e.clock(), Channel: "sms", Touchpoint: "birthday",
		By: loupe.ContactByLoupe, Status: loupe.ContactSent, Ref: ref})
	if err != nil {
		e.t.Fatal(err)
	}
	return ref
}

func (e *env) status(id, ref string) string {
	e.t.Helper()
	cs, err := e.db.ContactsByCustomer(ctx, id, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, c := range cs {
		if c.Ref == ref {
			return c.Status
		}
	}
	e.t.Fatalf("no entry %s of %s", ref, id)
	return ""
}

func (e *env) deliver(ev textin.Event) error {
	ev.At = e.advance(time.Second)
	return e.svc.Delivery(ctx, ev)
}

func testDeliveryOutOfOrder(t *testing.T, e *env) {
	ref := e.sent("c1", 2026)
	key := strings.TrimPrefix(ref, "touchpoint:")
	for _, st := range []string{"TEXT_DELIVERED", "TEXT_QUEUED", "SUCCESSFUL", "TEXT_DELIVERED", "TEXT_UNKNOWN", "TEXT_PENDING"} {
		if err := e.deliver(textin.Event{MessageID: "out-1", Status: st, To: PhoneA, LedgerKey: key}); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
	if got := e.status("c1", ref); got != loupe.ContactDelivered {
		t.Errorf("status after events out of order: %q, want delivered", got)
	}
	ref2 := e.sent("c1", 2027)
	for _, st := range []string{"TEXT_QUEUED", "TEXT_SUCCESSFUL"} {
		if err := e.deliver(textin.Event{MessageID: "out-2", Status: st, To: PhoneA, LedgerKey: strings.TrimPrefix(ref2, "touchpoint:")}); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.status("c1", ref2); got != loupe.ContactHandedOff {
		t.Errorf("status after queued, successful: %q, want handed_off", got)
	}
	// A reply's events (no ledger key) and unknown statuses change nothing.
	if err := e.deliver(textin.Event{MessageID: "reply-1", Status: "TEXT_BLOCKED", To: PhoneA}); err != nil {
		t.Errorf("event of a reply: %v", err)
	}
	if err := e.deliver(textin.Event{MessageID: "out-3", Status: "TEXT_SOMETHING_NEW", To: PhoneA, LedgerKey: strings.TrimPrefix(ref2, "touchpoint:")}); err != nil {
		t.Errorf("unknown status: %v", err)
	}
	if got := e.status("c1", ref2); got != loupe.ContactHandedOff {
		t.Errorf("status after an unknown one: %q", got)
	}
	e.wantReachable("after a reply's BLOCKED", map[string]bool{"c1": true})
	if err := e.deliver(textin.Event{MessageID: "bad", Status: "TEXT_DELIVERED", LedgerKey: "tp/c1"}); loupe.ErrorCode(err) != loupe.EINVALID {
		t.Errorf("malformed ledger key: %v, want EINVALID", err)
	}
}

func testDeliveryBlocked(t *testing.T, e *env) {
	ref := e.sent("c1", 2026)
	if err := e.deliver(textin.Event{MessageID: "b1", Status: "TEXT_DELIVERED", To: PhoneA, LedgerKey: strings.TrimPrefix(ref, "touchpoint:")}); err != nil {
		t.Fatal(err)
	}
	ref2 := e.sent("c1", 2027)
	if err := e.deliver(textin.Event{MessageID: "b2", Status: "TEXT_BLOCKED", To: PhoneA, LedgerKey: strings.TrimPrefix(ref2, "touchpoint:")}); err != nil {
		t.Fatal(err)
	}
	if got := e.status("c1", ref2); got != loupe.ContactBlocked {
		t.Errorf("status: %q, want blocked", got)
	}
	if got := e.status("c1", ref); got != loupe.ContactDelivered {
		t.Errorf("the other text's status: %q, want delivered", got)
	}
	e.wantReachable("after TEXT_BLOCKED", map[string]bool{"c1": false, "c2": false, "c3": true})
	if k := e.customer("c2").ConsentOf("sms"); k.Source != loupe.ConsentSourceSMS || !strings.HasPrefix(k.Evidence, "delivery status TEXT_BLOCKED at ") {
		t.Errorf("c2 sms: %+v, want denied by sms naming TEXT_BLOCKED", k)
	}
	// Without the destination number (EventBridge leaves it out): the
	// client's phone.
	ref3 := e.sent("c3", 2026)
	if err := e.deliver(textin.Event{MessageID: "b3", Status: "OPTED_OUT", LedgerKey: strings.TrimPrefix(ref3, "touchpoint:")}); err != nil {
		t.Fatal(err)
	}
	if got := e.status("c3", ref3); got != loupe.ContactOptedOut {
		t.Errorf("c3 status: %q, want opted_out", got)
	}
	e.wantReachable("after OPTED_OUT", map[string]bool{"c3": false})
	// The denial is the number's own, as a STOP's: a START restores the
	// clients who had agreed (c4 never had).
	if res := e.text("s1", PhoneA, LoupeNY, "START"); res.Changed != 2 || res.Kept != 1 {
		t.Errorf("START after a block: %+v, want c1 and c2 granted, c4 kept", res)
	}
}

func testDeliveryBeforeEntry(t *testing.T, e *env) {
	key := "tp/c1/anniversary/2026"
	ev := textin.Event{MessageID: "early", Status: "TEXT_DELIVERED", To: PhoneA, LedgerKey: key}
	if err := e.deliver(ev); !errors.Is(err, textin.ErrNotRecordedYet) {
		t.Fatalf("event before its entry: %v, want ErrNotRecordedYet", err)
	}
	ref := "touchpoint:" + key
	if err := loupe.RecordContact(ctx, e.db, loupe.Contact{CustomerID: "c1", At: e.clock(), Channel: "sms", Touchpoint: "anniversary",
		By: loupe.ContactByLoupe, Status: loupe.ContactSent, Ref: ref}); err != nil {
		t.Fatal(err)
	}
	if err := e.deliver(ev); err != nil {
		t.Fatalf("the retry: %v", err)
	}
	if got := e.status("c1", ref); got != loupe.ContactDelivered {
		t.Errorf("status after the retry: %q", got)
	}
	if err := e.deliver(textin.Event{MessageID: "gone", Status: "TEXT_DELIVERED", LedgerKey: "tp/nobody/birthday/2026"}); err != nil {
		t.Errorf("event of a client Loupe does not have: %v, want nil", err)
	}
}

// noPersonalDataLogged fails the case when its log holds a phone number
// or words of a text.
func (e *env) noPersonalDataLogged() {
	e.t.Helper()
	log := e.logs.String()
	if log == "" {
		e.t.Errorf("nothing logged")
	}
	for _, s := range []string{PhoneA, PhoneB, strings.TrimPrefix(PhoneA, "+"), LoupeNY, LoupeMiami, "please", "thanks", "Ada", "Éclat"} {
		if strings.Contains(log, s) {
			e.t.Errorf("the log holds %q:\n%s", s, log)
		}
	}
}

// replies records the replies sent.
type replies struct {
	mu   sync.Mutex
	sent []textin.Reply
}

func (r *replies) Reply(_ context.Context, rp textin.Reply) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, rp)
	return fmt.Sprintf("reply-%d", len(r.sent)), nil
}

func (r *replies) all() []textin.Reply {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]textin.Reply(nil), r.sent...)
}

// syncBuffer is a bytes.Buffer safe for the racing case's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
