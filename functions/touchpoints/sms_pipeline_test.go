package main

// Fault tests of the whole AWS pipeline for texts, on the helpers of
// pipeline_test.go: the touchpoints handler plans sms (open there as
// touch.Elsewhere, as lambdawire wires it) onto the in-memory SQS, and the
// sender's drain delivers through smsvoice.Sender, with phone.Places for the
// quiet hours, to the smsvoicetest stand-in over the real SDK client; both
// share the DynamoDB ledger on dynalite. Texts are counted in the stand-in's
// Sent() by destination: one number a client.

import (
	"context"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"

	"github.com/loupehq/loupe/shared/contact"
	"github.com/loupehq/loupe/shared/dynamo"
	"github.com/loupehq/loupe/shared/emf"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/phone"
	"github.com/loupehq/loupe/shared/smsvoice"
	"github.com/loupehq/loupe/shared/sqsqueue"
	"github.com/loupehq/loupe/shared/testkit/dynalite"
	"github.com/loupehq/loupe/shared/testkit/smsvoicetest"
	"github.com/loupehq/loupe/shared/touch"
	"github.com/loupehq/loupe/shared/wire"
	"github.com/loupehq/loupe/shared/wire/lambdawire"
)

// textStart is 14:00 in New York on plannedDay: inside the allowed hours of
// a text to a 212 number, and the hour the schedule plans the store.
var textStart = time.Date(2026, 12, 1, 19, 0, 0, 0, time.UTC)

// textPlanHour is the store-local hour of textStart.
const textPlanHour = 14

// phoneOf is client i's number (555-01xx: fictional, New York).
func phoneOf(i int) string { return fmt.Sprintf("+1212555%04d", 100+i) }

// textAPI passes SendTextMessage calls to the real client, counting them by
// destination (refused ones included); before, when set, runs before the
// n-th call (1-based) with its context.
type textAPI struct {
	next smsvoice.API

	mu     sync.Mutex
	n      int
	calls  map[string]int
	before func(ctx context.Context, n int)
}

func (a *textAPI) SendTextMessage(ctx context.Context, in *pinpointsmsvoicev2.SendTextMessageInput, opts ...func(*pinpointsmsvoicev2.Options)) (*pinpointsmsvoicev2.SendTextMessageOutput, error) {
	a.mu.Lock()
	a.n++
	n, before := a.n, a.before
	if a.calls == nil {
		a.calls = map[string]int{}
	}
	if in.DestinationPhoneNumber != nil {
		a.calls[*in.DestinationPhoneNumber]++
	}
	a.mu.Unlock()
	if before != nil {
		before(ctx, n)
	}
	return a.next.SendTextMessage(ctx, in, opts...)
}

func (a *textAPI) callsTo(number string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls[number]
}

// textRig is the pipeline of texts: rig's clock, table, queue, schedule and
// drain (so rig's runSchedule and drainAll run it), the stand-in, and the
// API its senders call.
type textRig struct {
	*rig
	sms    *smsvoicetest.Server
	api    *textAPI
	mail   *mail.Fake // the drain's mail.Sender: nothing may go there
	client *dynamodb.Client
	table  string
	real   time.Time // when the rig was built, on the real clock
}

// newTextRig seeds one New York store with n clients who have a phone, a
// written text consent and no email, whose birthday is planned on
// plannedDay at textStart, and builds the pipeline.
func newTextRig(t *testing.T, n int) *textRig {
	t.Helper()
	sms := smsvoicetest.Start(t)
	api := &textAPI{next: sms.Client(t)}

	client := dynalite.Client(t, dynalite.Shared(t))
	table := dynalite.TableName(t)
	ctx := context.Background()
	if err := dynamo.CreateTable(ctx, client, table); err != nil {
		t.Fatalf("create table: %v", err)
	}
	db := dynamo.New(client, table)
	at := textStart.Add(-24 * time.Hour)
	if err := loupe.PutStore(ctx, db, loupe.Store{StoreID: "nyc", Name: "Loupe Fifth Avenue", Timezone: "America/New_York",
		Country: "US", PostalAddress: "1 Fifth Avenue, New York, NY 10003", FromEmail: "nyc@stores.loupe.example", UpdatedAt: at}); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		id := fmt.Sprintf("c%03d", i)
		c := loupe.Customer{CustomerID: id, HomeStoreID: "nyc", FirstName: "Ada", Phone: phoneOf(i),
			Birthday: loupe.Date{Month: time.December, Day: 8}, UpdatedAt: at}
		if err := loupe.PutCustomer(ctx, db, c); err != nil {
			t.Fatal(err)
		}
		// The written consent, recorded as the consent webhook records it.
		k := loupe.Consent{Status: loupe.ConsentGranted, At: at, Source: "paper",
			Evidence: "Texts from Loupe Fifth Avenue about my occasions", Phone: phoneOf(i)}
		if err := db.UpdateCustomer(ctx, id, func(stored *loupe.Customer, _ time.Time) (loupe.Customer, bool, error) {
			out, changed := loupe.ApplyConsent(*stored, "sms", k)
			return out, changed, nil
		}); err != nil {
			t.Fatal(err)
		}
	}

	clk := &clock{t: textStart}
	ledger := db.Ledger()
	q := &memSQS{}
	// The touchpoints function plans sms as open and leaves the sending to
	// the sender (lambdawire: touch.Elsewhere when texts are configured).
	plan := &touch.Planner{DB: db, Ledger: ledger, Campaigns: ledger, Now: clk.Now, Log: quiet(),
		Channels: map[string]touch.Channel{contact.SMS: touch.Elsewhere(contact.SMS)}}
	schedule := newHandler(plan, &fakeMorning{}, sqsqueue.NewQueue(q, "https://sqs.us-east-1.amazonaws.com/1/send",
		sqsqueue.QueueConfig{Sleep: noSleep}), &mail.Fake{}, config{Schedule: touch.Schedule{PlanHour: textPlanHour}, Now: clk.Now},
		emf.New(io.Discard, "touchpoints", nil), quiet())

	r := &textRig{rig: &rig{clock: clk, db: db, sqs: q, schedule: schedule}, sms: sms, api: api, mail: &mail.Fake{},
		client: client, table: table, real: time.Now()}
	r.drain = r.newSender()
	r.planner = r.drain.Touchpoints.(*touch.Planner)
	return r
}

// newSender returns the drain of one sender instance, wired as
// functions/sender wires texts: its own smsvoice.Sender (lambdawire's
// TextsConfig, MPS kept high and retries short so the tests are fast; the
// real clock paces), phone.Places, and its own dynamo.DB on the shared table.
func (r *textRig) newSender() *sqsqueue.Drain {
	cfg := lambdawire.TextsConfig(wire.Config{SMSIdentity: "+12125550000", SMSConfigurationSet: "loupe-test",
		SMSMessagesPerSecond: 400}, 2, quiet())
	cfg.MaxAttempts, cfg.BaseDelay, cfg.MaxDelay = 3, time.Millisecond, 5*time.Millisecond
	// The Sender reads its clock for the pacing and for the time left of
	// the recipient's hours (Touch.Until, from the planner's clock): the
	// test's day, moving on in real time.
	cfg.Now = func() time.Time { return r.clock.Now().Add(time.Since(r.real)) }
	sdb := dynamo.New(r.client, r.table)
	sledger := sdb.Ledger()
	send := &touch.Planner{DB: sdb, Ledger: sledger, Campaigns: sledger, Now: r.clock.Now, Log: quiet(),
		Channels: map[string]touch.Channel{contact.SMS: smsvoice.New(r.api, cfg)}, Places: phone.Places{},
		UnsubscribeURL: func(id string) string { return "https://loupe.example/u/" + id }}
	return &sqsqueue.Drain{Touchpoints: send, Sender: r.mail, Logger: quiet()}
}

// plan runs the schedule and fails t unless it planned n texts.
func (r *textRig) plan(t *testing.T, n int) {
	t.Helper()
	if got := r.runSchedule(t); got.Planned != n {
		t.Fatalf("planned %d, want %d", got.Planned, n)
	}
	pending, err := r.db.Ledger().Pending(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range pending {
		if e.On() != contact.SMS {
			t.Fatalf("%s claimed on %q, want sms", e.Key, e.On())
		}
	}
}

// checkTextedOnce fails t unless the stand-in took exactly one text to each
// of the n clients but those in refused, and none to them; no mail went,
// and no touchpoint is still claimed.
func (r *textRig) checkTextedOnce(t *testing.T, n int, refused ...int) {
	t.Helper()
	sent := r.sms.Sent()
	per := map[string]int{}
	for _, m := range sent {
		per[m.DestinationPhoneNumber]++
		if m.OriginationIdentity != "+12125550000" || m.ConfigurationSetName != "loupe-test" || m.MessageType != "PROMOTIONAL" || m.DryRun {
			t.Errorf("text to %s from %q in %q, %s, dry run %v; want from +12125550000 in loupe-test, PROMOTIONAL",
				m.DestinationPhoneNumber, m.OriginationIdentity, m.ConfigurationSetName, m.MessageType, m.DryRun)
		}
	}
	skip := map[int]bool{}
	for _, i := range refused {
		skip[i] = true
	}
	want := 0
	for i := range n {
		number, w := phoneOf(i), 1
		if skip[i] {
			w = 0
		}
		want += w
		if got := per[number]; got != w {
			t.Errorf("c%03d (%s) got %d texts, want %d", i, number, got, w)
		}
		delete(per, number)
	}
	for number, got := range per {
		t.Errorf("unexpected %d texts to %s", got, number)
	}
	if len(sent) != want {
		t.Errorf("the stand-in took %d texts, want %d", len(sent), want)
	}
	if got := len(r.mail.Sent()); got != 0 {
		t.Errorf("%d mails sent, want none (the clients have no email)", got)
	}
	pending, err := r.db.Ledger().Pending(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 0 {
		t.Errorf("%d touchpoints still claimed, want 0 (first %s)", len(pending), pending[0].Key)
	}
}

// entry returns the ledger entry of client i's birthday.
func (r *textRig) entry(t *testing.T, i int) touch.Entry {
	t.Helper()
	e, err := r.db.Ledger().Get(context.Background(), touch.Key{CustomerID: fmt.Sprintf("c%03d", i), Occasion: touch.Birthday, Year: plannedDay.Year})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// (a) End User Messaging throttles the first 7 calls (more than one Send's
// 3 attempts: the first Sends give up with mail.ErrTemporary and their batch
// is redelivered), then 4 more from the 20th call on, in the middle of a
// batch whose first texts went: every client gets one text.
func TestPipelineTextThrottling(t *testing.T) {
	const m = 40
	r := newTextRig(t, m)
	r.plan(t, m)
	r.sms.Throttle(7)
	r.api.before = func(_ context.Context, n int) {
		if n == 20 {
			r.sms.Throttle(4)
		}
	}
	c := r.drainAll(t)
	if c.Retried == 0 {
		t.Error("no record was retried through SQS; the throttling did not outlast smsvoice's retries")
	}
	if c.TouchpointsSent != m || c.TouchpointsSkipped != 0 || c.Dropped != 0 {
		t.Errorf("sent %d, skipped %d, dropped %d; want %d, 0, 0", c.TouchpointsSent, c.TouchpointsSkipped, c.Dropped, m)
	}
	if got, want := r.sms.Calls(), m+11; got != want {
		t.Errorf("SendTextMessage calls = %d, want %d (one a text, and the 11 throttled)", got, want)
	}
	t.Logf("%d SendTextMessage calls, %d records redelivered, %d duplicates", r.sms.Calls(), c.Retried, c.TouchpointsDuplicate)
	r.checkTextedOnce(t, m)
}

// (b) The sender dies in the middle of a blast of 25, after 7 texts of the
// first batch went: (1) the process is killed (a panic before the 8th call:
// no reply, no lease released), or (2) the invocation is cancelled (the 8th
// call made with a done context: the lease is released and the rest of the
// batch is reported failed). The batch is redelivered; the entry whose lease
// was lost is requeued by the next schedule run after RecoverAfter. One text
// each.
func TestPipelineTextSenderCrash(t *testing.T) {
	const m, after = 25, 7
	type crashed struct{}
	tests := []struct {
		name  string
		crash func(ctx context.Context, cancel context.CancelFunc)
		// redeliverAfter: when SQS redelivers the batch (the stack's
		// visibility timeout, 360 s, outlasts the lease).
		redeliverAfter time.Duration
		wantRequeued   int
		// answered: 1 when the batch's answer reports the texts sent
		// before the crash done, 0 when there is no answer (all come back).
		answered int
	}{
		{"process killed, batch redelivered at once", func(context.Context, context.CancelFunc) { panic(crashed{}) }, 0, 1, 0},
		{"process killed, batch redelivered after the visibility timeout", func(context.Context, context.CancelFunc) { panic(crashed{}) }, 360 * time.Second, 0, 0},
		{"invocation cancelled", func(_ context.Context, cancel context.CancelFunc) { cancel() }, 0, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			r := newTextRig(t, m)
			r.plan(t, m)
			r.api.before = func(callCtx context.Context, n int) {
				if n == after+1 {
					tt.crash(callCtx, cancel)
				}
			}

			ev := r.sqs.receive()
			var resp events.SQSEventResponse
			func() {
				defer func() {
					if p := recover(); p != nil {
						if _, ok := p.(crashed); !ok {
							panic(p)
						}
						// Killed: no answer, every record of the batch comes back.
						resp = events.SQSEventResponse{}
						for _, rec := range ev.Records {
							resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
						}
					}
				}()
				resp, _ = r.drain.Handle(ctx, ev)
			}()
			if got := len(r.sms.Sent()); got != after {
				t.Fatalf("%d texts before the crash, want %d", got, after)
			}
			if got, want := len(failed(ev, resp)), len(ev.Records)-after*tt.answered; got != want {
				t.Errorf("%d records of the crashed batch come back, want %d", got, want)
			}
			r.api.before = nil
			r.clock.Add(tt.redeliverAfter)
			r.sqs.putBack(failed(ev, resp)...)
			r.drainAll(t) // the redelivered batch and the rest of the blast

			// The next schedule run, after RecoverAfter (and the lease) ran out.
			r.clock.Add(touch.DefaultRecoverAfter + time.Minute)
			got := r.runSchedule(t)
			if got.Planned != 0 {
				t.Errorf("second run planned %d, want 0 (claims are conditional)", got.Planned)
			}
			r.drainAll(t)
			if got.Requeued != tt.wantRequeued {
				t.Errorf("requeued %d after the crash, want %d", got.Requeued, tt.wantRequeued)
			}
			r.checkTextedOnce(t, m)
		})
	}
}

// (c) The schedule fires twice for the day (and a manual run follows), two
// sender instances race on every SQS batch, and SQS delivers every batch
// once more: one text each.
func TestPipelineTextDuplicates(t *testing.T) {
	const m = 30
	r := newTextRig(t, m)
	r.plan(t, m)
	if got := r.runSchedule(t); got.Planned != 0 {
		t.Fatalf("second run planned %d, want 0", got.Planned)
	}
	manual, err := r.schedule(context.Background(), []byte(`{"loupe_date":"`+plannedDay.String()+`"}`))
	if err != nil || manual.Planned != 0 {
		t.Fatalf("manual run planned %d, %v; want 0", manual.Planned, err)
	}
	if got := r.sqs.len(); got != m {
		t.Fatalf("%d messages queued, want %d", got, m)
	}
	var batches []events.SQSEvent
	for r.sqs.len() > 0 {
		batches = append(batches, r.sqs.receive())
	}
	other := r.newSender() // a second instance: its own Sender, pacing and table client
	var mu sync.Mutex
	var total sqsqueue.Counts
	for _, ev := range batches {
		var wg sync.WaitGroup
		for _, d := range []*sqsqueue.Drain{r.drain, other} {
			wg.Go(func() {
				resp, c := d.Handle(context.Background(), ev)
				mu.Lock()
				add(&total, c)
				r.sqs.putBack(failed(ev, resp)...)
				mu.Unlock()
			})
		}
		wg.Wait()
	}
	for _, ev := range batches { // SQS delivers every batch once more
		_, c := other.Handle(context.Background(), ev)
		add(&total, c)
	}
	r.drainAll(t) // anything reported failed (nothing expected)
	if total.TouchpointsSent != m || total.Retried != 0 {
		t.Errorf("TouchpointsSent = %d, Retried = %d; want %d, 0", total.TouchpointsSent, total.Retried, m)
	}
	if want := 2 * m; total.TouchpointsDuplicate != want {
		t.Errorf("TouchpointsDuplicate = %d, want %d (the race's loser and the redelivery)", total.TouchpointsDuplicate, want)
	}
	if got := r.sms.Calls(); got != m {
		t.Errorf("SendTextMessage calls = %d, want %d", got, m)
	}
	r.checkTextedOnce(t, m)
}

// (d) One number is on the opt-out list and another no carrier serves:
// each is called once, skipped rejected and never retried, by SQS or by a
// later schedule run; the others get one text each.
func TestPipelineTextRefused(t *testing.T) {
	const m, optedOut, invalid = 20, 3, 14
	r := newTextRig(t, m)
	r.sms.OptOut(phoneOf(optedOut))
	r.sms.Invalid(phoneOf(invalid))
	r.plan(t, m)
	c := r.drainAll(t)
	if c.TouchpointsSent != m-2 || c.TouchpointsSkipped != 2 || c.Retried != 0 || c.Dropped != 0 {
		t.Errorf("sent %d, skipped %d, retried %d, dropped %d; want %d, 2, 0, 0", c.TouchpointsSent, c.TouchpointsSkipped, c.Retried, c.Dropped, m-2)
	}
	r.clock.Add(touch.DefaultRecoverAfter + touch.DefaultLeaseFor + time.Minute)
	if got := r.runSchedule(t); got.Planned != 0 || got.Requeued != 0 {
		t.Errorf("next run planned %d, requeued %d; want 0, 0", got.Planned, got.Requeued)
	}
	r.drainAll(t)
	for _, i := range []int{optedOut, invalid} {
		if e := r.entry(t, i); e.State != touch.StateSkipped || e.Reason != touch.SkipRejected {
			t.Errorf("c%03d = %s %q, want skipped %q", i, e.State, e.Reason, touch.SkipRejected)
		}
		if got := r.api.callsTo(phoneOf(i)); got != 1 {
			t.Errorf("c%03d: %d SendTextMessage calls, want 1", i, got)
		}
	}
	if got := r.sms.Calls(); got != m {
		t.Errorf("SendTextMessage calls = %d, want %d", got, m)
	}
	r.checkTextedOnce(t, m, optedOut, invalid)
}
