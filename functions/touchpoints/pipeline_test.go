package main

// Fault tests of the whole AWS pipeline on local stand-ins: the touchpoints
// handler plans onto the SQS queue (sqsqueue.Queue on an in-memory SQS that
// redelivers what a batch reports failed), the sender's drain delivers through
// sesmail to aws-ses-v2-local, and both share the DynamoDB ledger on dynalite.
// Mail is counted in aws-ses-v2-local's GET /store by recipient: one address a
// client (the store keeps no X-Loupe-* headers).

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	netmail "net/mail"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/loupehq/loupe/shared/dynamo"
	"github.com/loupehq/loupe/shared/emf"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/sesmail"
	"github.com/loupehq/loupe/shared/sqsqueue"
	"github.com/loupehq/loupe/shared/testkit/dynalite"
	"github.com/loupehq/loupe/shared/testkit/sestest"
	"github.com/loupehq/loupe/shared/touch"
	"github.com/loupehq/loupe/shared/unsub"
)

func TestMain(m *testing.M) { os.Exit(dynalite.Main(m)) }

// The planned day: 2026-12-01 in New York (birthdays on Dec 8, 7 days on).
var (
	plannedDay = touch.Day{Year: 2026, Month: time.December, Day: 1}
	startTime  = time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC) // 09:00 in New York
)

// clock is the tests' shared, settable time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// memSQS is an in-memory standard queue: SendMessageBatch appends, receive
// takes up to ten messages, and the test puts back what a batch reports
// failed (SQS's redelivery after the visibility timeout).
type memSQS struct {
	mu    sync.Mutex
	seq   int
	calls int
	msgs  []events.SQSMessage
}

func (q *memSQS) SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.calls++
	out := &sqs.SendMessageBatchOutput{}
	for _, e := range in.Entries {
		q.seq++
		attrs := map[string]events.SQSMessageAttribute{}
		for k, v := range e.MessageAttributes {
			attrs[k] = events.SQSMessageAttribute{DataType: aws.ToString(v.DataType), StringValue: v.StringValue}
		}
		id := fmt.Sprintf("msg-%05d", q.seq)
		q.msgs = append(q.msgs, events.SQSMessage{MessageId: id, Body: aws.ToString(e.MessageBody),
			MessageAttributes: attrs, EventSource: "aws:sqs", AWSRegion: "us-east-1"})
		out.Successful = append(out.Successful, sqstypes.SendMessageBatchResultEntry{Id: e.Id, MessageId: aws.String(id)})
	}
	return out, nil
}

// receive removes and returns up to 10 messages as one Lambda event.
func (q *memSQS) receive() events.SQSEvent {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := min(10, len(q.msgs))
	ev := events.SQSEvent{Records: append([]events.SQSMessage(nil), q.msgs[:n]...)}
	q.msgs = q.msgs[n:]
	return ev
}

func (q *memSQS) putBack(msgs ...events.SQSMessage) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.msgs = append(q.msgs, msgs...)
}

func (q *memSQS) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.msgs)
}

// rig is one pipeline: table, queue, SES and the two handlers.
type rig struct {
	clock    *clock
	db       *dynamo.DB
	sqs      *memSQS
	ses      string // aws-ses-v2-local endpoint (for /store)
	schedule func(context.Context, json.RawMessage) (response, error)
	drain    *sqsqueue.Drain
	planner  *touch.Planner // the sender's
	// DynamoDB requests of the touchpoints side (after seeding) and of the sender.
	planCount, sendCount *dynamo.Counter
}

// rigOptions change a rig: front returns the endpoint the SES client uses
// given aws-ses-v2-local's (a proxy in front of it); wrap wraps the sender's
// mail.Sender (to crash it).
type rigOptions struct {
	front func(ses string) string
	wrap  func(mail.Sender) mail.Sender
}

// newRig seeds one New York store with n clients whose birthday is planned on
// plannedDay and builds the pipeline.
func newRig(t *testing.T, n int, opt rigOptions) *rig {
	t.Helper()
	ses := sestest.Start(t)
	sesEndpoint := ses
	if opt.front != nil {
		sesEndpoint = opt.front(ses)
	}
	// The SDK's own retryer is off so that sesmail's retries (and SQS
	// redelivery) are what the test exercises, quickly.
	base := sestest.Client(t, sesEndpoint)
	sesAPI := sesv2.New(base.Options(), func(o *sesv2.Options) { o.RetryMaxAttempts = 1 })

	client := dynalite.Client(t, dynalite.Shared(t))
	table := dynalite.TableName(t)
	ctx := context.Background()
	if err := dynamo.CreateTable(ctx, client, table); err != nil {
		t.Fatalf("create table: %v", err)
	}
	planCount, sendCount := dynamo.NewCounter(client), dynamo.NewCounter(client)
	db := dynamo.New(planCount, table)
	at := startTime.Add(-24 * time.Hour)
	if err := loupe.PutStore(ctx, db, loupe.Store{StoreID: "nyc", Name: "Loupe Fifth Avenue", Timezone: "America/New_York",
		Country: "US", PostalAddress: "1 Fifth Avenue, New York, NY 10003", FromEmail: "nyc@stores.loupe.example", UpdatedAt: at}); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		c := loupe.Customer{CustomerID: fmt.Sprintf("c%03d", i), HomeStoreID: "nyc", FirstName: "Ada",
			Email: fmt.Sprintf("c%03d@client.example", i), EmailSource: loupe.EmailSourcePOS, EmailStatus: loupe.EmailOK,
			Birthday: loupe.Date{Month: time.December, Day: 8}, UpdatedAt: at}
		if err := loupe.PutCustomer(ctx, db, c); err != nil {
			t.Fatal(err)
		}
	}

	planCount.Reset()
	clk := &clock{t: startTime}
	ledger := db.Ledger()
	q := &memSQS{}
	plan := &touch.Planner{DB: db, Ledger: ledger, Campaigns: ledger, Now: clk.Now, Log: quiet()}
	// The schedule's hour: startTime is 09:00 in New York.
	schedule := newHandler(plan, &fakeMorning{}, sqsqueue.NewQueue(q, "https://sqs.us-east-1.amazonaws.com/1/send",
		sqsqueue.QueueConfig{Sleep: noSleep}), &mail.Fake{}, config{Schedule: touch.Schedule{PlanHour: 9}, Now: clk.Now},
		emf.New(io.Discard, "touchpoints", nil), quiet())

	var sender mail.Sender = sesmail.New(sesAPI, sesmail.Config{ConfigurationSet: "loupe-test", MaxRate: 500,
		MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, Logger: quiet()})
	if opt.wrap != nil {
		sender = opt.wrap(sender)
	}
	signer := unsub.New([]byte("0123456789abcdef-test"))
	sdb := dynamo.New(sendCount, table)
	sledger := sdb.Ledger()
	send := &touch.Planner{DB: sdb, Ledger: sledger, Campaigns: sledger, Now: clk.Now, Log: quiet(),
		UnsubscribeURL: func(id string) string { return signer.URL("https://loupe.example", id) }}
	return &rig{clock: clk, db: db, sqs: q, ses: ses, schedule: schedule, planner: send,
		planCount: planCount, sendCount: sendCount,
		drain: &sqsqueue.Drain{Touchpoints: send, Sender: sender, Logger: quiet()}}
}

// runSchedule invokes the touchpoints handler as the Scheduler does.
func (r *rig) runSchedule(t *testing.T) response {
	t.Helper()
	resp, err := r.schedule(context.Background(), json.RawMessage(`{}`))
	if err != nil {
		t.Fatalf("touchpoints handler: %v", err)
	}
	return resp
}

// drainAll delivers batches until the queue is empty, putting back the
// records each batch reports failed; it fails t after 100 batches.
func (r *rig) drainAll(t *testing.T) sqsqueue.Counts {
	t.Helper()
	var total sqsqueue.Counts
	for i := 0; r.sqs.len() > 0; i++ {
		if i == 100 {
			t.Fatalf("queue not empty after 100 batches (%d left)", r.sqs.len())
		}
		ev := r.sqs.receive()
		resp, c := r.drain.Handle(context.Background(), ev)
		add(&total, c)
		r.sqs.putBack(failed(ev, resp)...)
	}
	return total
}

func add(t *sqsqueue.Counts, c sqsqueue.Counts) {
	t.Records += c.Records
	t.TouchpointsSent += c.TouchpointsSent
	t.TouchpointsSkipped += c.TouchpointsSkipped
	t.TouchpointsDuplicate += c.TouchpointsDuplicate
	t.MailSent += c.MailSent
	t.Retried += c.Retried
	t.Dropped += c.Dropped
}

// failed returns the records of ev that resp reports failed.
func failed(ev events.SQSEvent, resp events.SQSEventResponse) []events.SQSMessage {
	ids := map[string]bool{}
	for _, f := range resp.BatchItemFailures {
		ids[f.ItemIdentifier] = true
	}
	var out []events.SQSMessage
	for _, m := range ev.Records {
		if ids[m.MessageId] {
			out = append(out, m)
		}
	}
	return out
}

// checkOncePerClient fails t unless /store holds exactly one mail to each of
// the n clients and nothing else.
func (r *rig) checkOncePerClient(t *testing.T, n int) {
	t.Helper()
	sent := sestest.Sent(t, r.ses)
	per := map[string]int{}
	for _, m := range sent {
		for _, to := range m.Destination.To {
			a, err := netmail.ParseAddress(to)
			if err != nil {
				t.Fatalf("recipient %q: %v", to, err)
			}
			per[a.Address]++
		}
	}
	for i := range n {
		addr := fmt.Sprintf("c%03d@client.example", i)
		if got := per[addr]; got != 1 {
			t.Errorf("%s got %d mails, want 1", addr, got)
		}
		delete(per, addr)
	}
	for addr, got := range per {
		t.Errorf("unexpected %d mails to %s", got, addr)
	}
	if len(sent) != n {
		t.Errorf("GET /store holds %d mails, want %d", len(sent), n)
	}
	pending, err := r.db.Ledger().Pending(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 0 {
		t.Errorf("%d touchpoints still claimed, want 0 (first %s)", len(pending), pending[0].Key)
	}
}

// throttler is a reverse proxy in front of aws-ses-v2-local that answers
// SendEmail with 429 TooManyRequestsException while throttle(n) is true for
// the n-th SendEmail request (1-based).
type throttler struct {
	calls, throttled atomic.Int64
	throttle         func(n int64) bool
}

func startThrottler(t *testing.T, target string, throttle func(n int64) bool) (string, *throttler) {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	th := &throttler{throttle: throttle}
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/v2/email/outbound-emails") {
			if n := th.calls.Add(1); th.throttle(n) {
				th.throttled.Add(1)
				io.Copy(io.Discard, req.Body)
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("X-Amzn-ErrorType", "TooManyRequestsException")
				w.WriteHeader(http.StatusTooManyRequests)
				io.WriteString(w, `{"message":"Maximum sending rate exceeded."}`)
				return
			}
		}
		proxy.ServeHTTP(w, req)
	})}
	ts := httptest.NewServer(srv.Handler) // 127.0.0.1, a free port
	t.Cleanup(ts.Close)
	return ts.URL, th
}

// (a) SES throttles the first 30 sends, then every third for the next 60:
// each mail is still sent exactly once.
func TestPipelineSESThrottling(t *testing.T) {
	const m = 40
	var th *throttler
	r := newRig(t, m, rigOptions{front: func(ses string) string {
		var proxy string
		proxy, th = startThrottler(t, ses, func(n int64) bool { return n <= 30 || (n <= 90 && n%3 == 0) })
		return proxy
	}})

	if got := r.runSchedule(t); got.Planned != m {
		t.Fatalf("planned %d, want %d", got.Planned, m)
	}
	if got, want := r.sqs.calls, (m+9)/10; got != want {
		t.Errorf("SendMessageBatch calls = %d, want %d", got, want)
	}
	c := r.drainAll(t)
	if th.throttled.Load() == 0 {
		t.Fatal("the proxy throttled nothing")
	}
	if c.Retried == 0 {
		t.Errorf("no record was retried through SQS; the throttling did not outlast sesmail's retries")
	}
	if c.TouchpointsSent != m {
		t.Errorf("TouchpointsSent = %d, want %d", c.TouchpointsSent, m)
	}
	t.Logf("%d SendEmail calls, %d throttled, %d records redelivered", th.calls.Load(), th.throttled.Load(), c.Retried)
	r.checkOncePerClient(t, m)
}

// crashingSender passes sends to next until after sends have gone through;
// the next Send does what crash says.
type crashingSender struct {
	next  mail.Sender
	after int
	n     atomic.Int64
	crash func(ctx context.Context) (string, error)
}

func (c *crashingSender) Send(ctx context.Context, m mail.Message) (string, error) {
	if int(c.n.Add(1)) == c.after+1 {
		return c.crash(ctx)
	}
	return c.next.Send(ctx, m)
}

// (b) The sender dies in the middle of a blast of 25, after 7 sends: (1) the
// process is killed (a panic inside Send: no reply, no lease released), or
// (2) the invocation is cancelled (context done: the lease is released and
// the rest of the batch is reported failed). The batch is redelivered; the
// entry whose lease was lost is requeued by the next schedule run after
// RecoverAfter. Exactly 25 mails, none twice.
func TestPipelineSenderCrash(t *testing.T) {
	const m, after = 25, 7
	type crashed struct{}
	killed := func(context.CancelFunc) func(context.Context) (string, error) {
		return func(context.Context) (string, error) { panic(crashed{}) }
	}
	tests := []struct {
		name  string
		crash func(cancel context.CancelFunc) func(ctx context.Context) (string, error)
		// redeliverAfter: when SQS redelivers the batch. The stack's
		// visibility timeout (360 s) outlasts the lease (DefaultLeaseFor).
		redeliverAfter time.Duration
		wantRequeued   int
	}{
		{"process killed, batch redelivered at once", killed, 0, 1},
		{"process killed, batch redelivered after the visibility timeout", killed, 360 * time.Second, 0},
		{"invocation cancelled", func(cancel context.CancelFunc) func(context.Context) (string, error) {
			return func(ctx context.Context) (string, error) {
				cancel()
				return "", fmt.Errorf("send: %w: %w", mail.ErrTemporary, ctx.Err())
			}
		}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			cs := &crashingSender{after: after, crash: tt.crash(cancel)}
			r := newRig(t, m, rigOptions{wrap: func(s mail.Sender) mail.Sender { cs.next = s; return cs }})
			if got := r.runSchedule(t); got.Planned != m {
				t.Fatalf("planned %d, want %d", got.Planned, m)
			}

			// The first batch of 10 crashes after 7 sends.
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
			if got := len(sestest.Sent(t, r.ses)); got != after {
				t.Fatalf("%d mails before the crash, want %d", got, after)
			}
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
			r.checkOncePerClient(t, m)
		})
	}
}

// (c) The schedule fires twice for the same day (and a manual run for that
// day follows), and every SQS batch is delivered twice, once of them by two
// senders at the same time: no mail twice.
func TestPipelineDuplicates(t *testing.T) {
	const m = 30
	r := newRig(t, m, rigOptions{})
	first := r.runSchedule(t)
	second := r.runSchedule(t)
	manual, err := r.schedule(context.Background(), json.RawMessage(`{"loupe_date":"`+plannedDay.String()+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	if first.Planned != m || second.Planned != 0 || manual.Planned != 0 {
		t.Fatalf("planned %d, then %d, then %d (manual); want %d, 0, 0", first.Planned, second.Planned, manual.Planned, m)
	}
	if got := r.sqs.len(); got != m {
		t.Fatalf("%d messages queued, want %d", got, m)
	}
	var batches []events.SQSEvent
	for r.sqs.len() > 0 {
		batches = append(batches, r.sqs.receive())
	}
	var mu sync.Mutex
	var total sqsqueue.Counts
	for i, ev := range batches {
		copies := 1
		if i == 0 {
			copies = 2 // the same batch, in two senders at once
		}
		var wg sync.WaitGroup
		for range copies {
			wg.Go(func() {
				_, c := r.drain.Handle(context.Background(), ev)
				mu.Lock()
				add(&total, c)
				mu.Unlock()
			})
		}
		wg.Wait()
	}
	for _, ev := range batches { // SQS delivers every batch once more
		_, c := r.drain.Handle(context.Background(), ev)
		add(&total, c)
	}
	if total.TouchpointsSent != m {
		t.Errorf("TouchpointsSent = %d, want %d", total.TouchpointsSent, m)
	}
	if want := m + 10; total.TouchpointsDuplicate < want {
		t.Errorf("TouchpointsDuplicate = %d, want at least %d", total.TouchpointsDuplicate, want)
	}
	r.checkOncePerClient(t, m)
}

// The cost of one quiet day's mail, by counting: 100 birthday mails through
// the pipeline. Logged for docs/touchpoints.md section 9.
func TestPipelineRequestsPerMail(t *testing.T) {
	const m = 100
	var th *throttler
	r := newRig(t, m, rigOptions{front: func(ses string) string {
		var proxy string
		proxy, th = startThrottler(t, ses, func(int64) bool { return false })
		return proxy
	}})
	if got := r.runSchedule(t); got.Planned != m {
		t.Fatalf("planned %d, want %d", got.Planned, m)
	}
	c := r.drainAll(t)
	if c.TouchpointsSent != m {
		t.Fatalf("sent %d, want %d", c.TouchpointsSent, m)
	}
	r.checkOncePerClient(t, m)
	if got, want := r.sqs.calls, m/10; got != want {
		t.Errorf("SendMessageBatch calls = %d, want %d", got, want)
	}
	if got := th.calls.Load(); got != m {
		t.Errorf("SendEmail calls = %d, want %d (one a mail)", got, m)
	}
	perMail := func(n int64) string { return strconv.FormatFloat(float64(n)/m, 'f', 2, 64) }
	t.Logf("per mail: SES SendEmail %s, SQS SendMessageBatch %s, sender DynamoDB %s %v, touchpoints DynamoDB %s %v",
		perMail(th.calls.Load()), perMail(int64(r.sqs.calls)), perMail(r.sendCount.Total()), r.sendCount.Counts(),
		perMail(r.planCount.Total()), r.planCount.Counts())
}
