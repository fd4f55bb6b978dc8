package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/loupehq/loupe/shared/dynamo"
	"github.com/loupehq/loupe/shared/emf"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/reassign"
	"github.com/loupehq/loupe/shared/sqsqueue"
	"github.com/loupehq/loupe/shared/testkit/dynalite"
	"github.com/loupehq/loupe/shared/wire"
	"github.com/loupehq/loupe/shared/wire/lambdawire"
)

func TestMain(m *testing.M) { os.Exit(dynalite.Main(m)) }

type fakeSQS struct{ bodies []string }

func (f *fakeSQS) SendMessage(ctx context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	f.bodies = append(f.bodies, aws.ToString(in.MessageBody))
	return &sqs.SendMessageOutput{MessageId: aws.String(fmt.Sprint("m", len(f.bodies)))}, nil
}

// The terminated associate of testdata/associate_terminated.json.
var terminatedAt = time.Date(2026, 11, 21, 15, 4, 5, 123456789, time.UTC)

const clients = 60

// seed writes store s1, associate a1 (terminated as the stream record says)
// with its book, and two active colleagues.
func seed(t *testing.T, db *dynamo.DB) {
	t.Helper()
	ctx := context.Background()
	t0 := time.Date(2026, 11, 20, 15, 4, 5, 123456789, time.UTC)
	check := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	check(loupe.PutStore(ctx, db, loupe.Store{StoreID: "s1", Name: "Fifth Ave", Timezone: "America/New_York", Country: "US",
		FromEmail: "s1@stores.example.com", ManagerEmail: "manager.s1@stores.example.com", UpdatedAt: t0}))
	for _, a := range []loupe.Associate{
		{AssociateID: "a1", StoreID: "s1", Name: "Associate a1", Email: "a1@staff.example.com", Strengths: []string{"bridal", "watches"}, Capacity: 25, Status: loupe.StatusActive, UpdatedAt: t0},
		{AssociateID: "a2", StoreID: "s1", Name: "Bea", Strengths: []string{"bridal"}, Capacity: 200, Status: loupe.StatusActive, UpdatedAt: t0},
		{AssociateID: "a3", StoreID: "s1", Name: "Cal", Strengths: []string{"watches"}, Capacity: 200, Status: loupe.StatusActive, UpdatedAt: t0},
	} {
		check(loupe.PutAssociate(ctx, db, a))
	}
	prefs := [][]string{{"bridal"}, {"watches"}, nil}
	for i := range clients {
		check(loupe.PutCustomer(ctx, db, loupe.Customer{CustomerID: fmt.Sprintf("c%03d", i), HomeStoreID: "s1", FirstName: "Client",
			LastName: fmt.Sprint(i), Preferences: prefs[i%3], AssociateID: "a1", UpdatedAt: t0}))
	}
	check(loupe.TerminateAssociate(ctx, db, "a1", terminatedAt, terminatedAt.Add(time.Hour)))
}

func loadEvent(t *testing.T) events.DynamoDBEvent {
	t.Helper()
	raw, err := os.ReadFile("testdata/associate_terminated.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev events.DynamoDBEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestTerminationReassignsAndReplayChangesNothing(t *testing.T) {
	client := dynalite.Client(t, dynalite.Shared(t))
	table := dynalite.TableName(t)
	ctx := context.Background()
	if err := dynamo.CreateTable(ctx, client, table); err != nil {
		t.Fatal(err)
	}
	seed(t, dynamo.New(client, table))

	counter := dynamo.NewCounter(client)
	db := dynamo.New(counter, table)
	queue := &fakeSQS{}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	var out bytes.Buffer
	f := newFunction(db, sqsqueue.NewMailer(queue, "https://sqs.example/send"), logger, emf.New(&out, "staff-stream", nil))
	handle := f.stream
	ev := loadEvent(t)

	start := time.Now()
	resp, err := handle(ctx, ev)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("handler = %+v, %v; want no failures", resp, err)
	}
	checkEMF(t, &out, "stream", clients, 1)
	t.Logf("%d clients reassigned on dynalite in %v with %d requests (%.1f a client): %v",
		clients, time.Since(start), counter.Total(), float64(counter.Total())/clients, counter.Counts())

	svc := reassign.New(db, db, nil, time.Now, reassign.Config{Logger: logger})
	bs, err := svc.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 1 || bs[0].ID != "a1-20261121T150405.123456789Z" || bs[0].Status != reassign.StatusDone || bs[0].Clients != clients {
		t.Fatalf("batches = %+v", bs)
	}
	book, err := db.CustomersByAssociate(ctx, "a1")
	if err != nil || len(book) != 0 {
		t.Fatalf("a1 still holds %d clients (%v)", len(book), err)
	}
	r, err := svc.Get(ctx, bs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range r.Assignments {
		c, err := db.GetCustomer(ctx, a.CustomerID)
		if err != nil || c.AssociateID != a.ToAssociateID || a.State != reassign.StateMoved {
			t.Errorf("%s: owner %q state %q, want moved to %q (%v)", a.CustomerID, c.AssociateID, a.State, a.ToAssociateID, err)
		}
	}
	if len(queue.bodies) != 1 {
		t.Fatalf("queued %d mails, want 1", len(queue.bodies))
	}
	// The queue holds the batch id, no client name; the sender builds the
	// mail from the table (as functions/sender wires its Drain).
	it, err := sqsqueue.Decode(queue.bodies[0])
	if err != nil || it.Kind != sqsqueue.KindReview || it.BatchID != bs[0].ID {
		t.Fatalf("queued body %s = %+v, %v; want a review of %s", queue.bodies[0], it, err, bs[0].ID)
	}
	for _, a := range r.Assignments[:3] {
		if strings.Contains(queue.bodies[0], a.CustomerName) {
			t.Fatalf("queued body holds client name %q", a.CustomerName)
		}
	}
	ses := &mail.Fake{}
	sender := (&lambdawire.Function{DB: db, Config: wire.Config{BaseURL: "https://loupe.example.com"}, Logger: logger}).Services(ses)
	drain := &sqsqueue.Drain{Reviews: sender.Reassign, Sender: ses, Logger: logger}
	dresp, counts := drain.Handle(ctx, events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m1", Body: queue.bodies[0]}}})
	if len(dresp.BatchItemFailures) != 0 || counts.MailSent != 1 || len(ses.Sent()) != 1 {
		t.Fatalf("drain = %+v %+v, sent %d; want the review sent", dresp, counts, len(ses.Sent()))
	}
	m := ses.Sent()[0]
	if m.To != "manager.s1@stores.example.com" || m.Header(mail.HeaderTouchpoint) != mail.TouchpointReassignmentReview || m.Key != "reassign/"+bs[0].ID ||
		len(m.Attachments) != 1 || !strings.Contains(string(m.Attachments[0].Data), r.Assignments[0].CustomerName) {
		t.Fatalf("sent mail to %q touchpoint %q key %q, %d attachments", m.To, m.Header(mail.HeaderTouchpoint), m.Key, len(m.Attachments))
	}

	// Replay: the same record again moves nobody and queues nothing.
	counter.Reset()
	out.Reset()
	resp, err = handle(ctx, ev)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("replay = %+v, %v", resp, err)
	}
	checkEMF(t, &out, "stream", 0, 0)
	if got := counter.Counts()["UpdateItem"]; got != 0 {
		t.Fatalf("replay made %d UpdateItem calls, want 0", got)
	}
	if len(queue.bodies) != 1 {
		t.Fatalf("replay queued another mail")
	}
	t.Logf("replay: %d requests %v", counter.Total(), counter.Counts())
}

func TestBackfillInvocation(t *testing.T) {
	client := dynalite.Client(t, dynalite.Shared(t))
	table := dynalite.TableName(t)
	ctx := context.Background()
	if err := dynamo.CreateTable(ctx, client, table); err != nil {
		t.Fatal(err)
	}
	db := dynamo.New(client, table)
	seed(t, db) // a1 terminated, its book still orphaned: no stream ran
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	var emfOut bytes.Buffer
	f := newFunction(db, nil, logger, emf.New(&emfOut, "staff-stream", nil))

	out, err := f.invoke(ctx, json.RawMessage(`{"loupe_backfill":"orphans"}`))
	if err != nil {
		t.Fatal(err)
	}
	res, ok := out.(backfillResult)
	if !ok || !res.Complete || res.Remaining != 0 || len(res.Batches) != 1 {
		t.Fatalf("backfill = %+v", out)
	}
	checkEMF(t, &emfOut, "backfill", clients, 1)
	// A stream event still goes to the stream handler.
	raw, _ := os.ReadFile("testdata/associate_terminated.json")
	emfOut.Reset()
	out, err = f.invoke(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := out.(events.DynamoDBEventResponse); !ok || len(r.BatchItemFailures) != 0 {
		t.Fatalf("stream answer = %+v", out)
	}
	checkEMF(t, &emfOut, "stream", 0, 0) // the backfill already moved a1's book
}

// checkEMF checks that out holds one EMF line of this function, from trigger,
// with ClientsReassigned and ReassignmentBatches equal to clients and batches.
func checkEMF(t *testing.T, out *bytes.Buffer, trigger string, clients, batches int) {
	t.Helper()
	if n := bytes.Count(out.Bytes(), []byte("\n")); n != 1 {
		t.Fatalf("want one EMF line, got %d: %q", n, out.String())
	}
	var line struct {
		AWS struct {
			CloudWatchMetrics []struct {
				Namespace  string
				Dimensions [][]string
				Metrics    []struct{ Name, Unit string }
			}
		} `json:"_aws"`
		Function            string
		Trigger             string   `json:"trigger"`
		ClientsReassigned   *float64 `json:"ClientsReassigned"`
		ReassignmentBatches *float64 `json:"ReassignmentBatches"`
	}
	if err := json.Unmarshal(out.Bytes(), &line); err != nil {
		t.Fatalf("EMF line is not JSON: %v: %s", err, out.Bytes())
	}
	cw := line.AWS.CloudWatchMetrics
	if line.Function != "staff-stream" || len(cw) != 1 || cw[0].Namespace != emf.Namespace ||
		fmt.Sprint(cw[0].Dimensions) != "[[Function]]" || fmt.Sprint(cw[0].Metrics) != "[{ClientsReassigned Count} {ReassignmentBatches Count}]" {
		t.Fatalf("EMF metadata = %+v (Function %q)", cw, line.Function)
	}
	if line.Trigger != trigger || line.ClientsReassigned == nil || line.ReassignmentBatches == nil ||
		*line.ClientsReassigned != float64(clients) || *line.ReassignmentBatches != float64(batches) {
		t.Errorf("EMF %s: trigger %q, ClientsReassigned %v, ReassignmentBatches %v; want %s, %d, %d",
			out.Bytes(), line.Trigger, line.ClientsReassigned, line.ReassignmentBatches, trigger, clients, batches)
	}
}

// newFunction returns the function as main wires it over db, with the review
// mail queued by its batch id through mailer (nil: none).
func newFunction(db *dynamo.DB, mailer *sqsqueue.Mailer, logger *slog.Logger, m *emf.Writer) *function {
	f := &lambdawire.Function{DB: db, Config: wire.Config{BaseURL: "https://loupe.example.com"}, Logger: logger}
	var sender mail.Sender
	if mailer != nil {
		f.Reviews, sender = mailer, mailer
	}
	return &function{reassign: f.Services(sender).Reassign, logger: logger, metrics: m}
}
