package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"github.com/loupehq/loupe/shared/loupe"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/loupehq/loupe/shared/compliance"
	"github.com/loupehq/loupe/shared/dynamo"
	"github.com/loupehq/loupe/shared/emf"
	"github.com/loupehq/loupe/shared/testkit/dynalite"
	"github.com/loupehq/loupe/shared/testkit/storetest"
	"github.com/loupehq/loupe/shared/wire"
	"github.com/loupehq/loupe/shared/wire/lambdawire"
)

var update = flag.Bool("update", false, "rewrite testdata/stream_batch.json from what the adapter writes to dynalite")

func TestMain(m *testing.M) { os.Exit(dynalite.Main(m)) }

const batchFile = "stream_batch.json"

// The take-ins behind testdata/stream_batch.json, all by associate a1 of store
// s1 on 2026-11-20 (the UTC day storetest gives them).
var batchRepairs = []struct{ id, customer, email string }{
	{"r1", "c1", "c1@gmail.com"},          // captured, fills c1's profile
	{"r2", "c2", ""},                      // empty
	{"r3", "c3", "c3@gmial.com"},          // typo
	{"r4", "c4", "c4@client.example.com"}, // placeholder domain
}

// streamFile is a Lambda DynamoDB stream event with fields in Lambda's order.
type streamFile struct {
	Records []streamRecord `json:"Records"`
}

type streamRecord struct {
	EventID        string     `json:"eventID"`
	EventName      string     `json:"eventName"`
	EventVersion   string     `json:"eventVersion"`
	EventSource    string     `json:"eventSource"`
	AWSRegion      string     `json:"awsRegion"`
	DynamoDB       streamBody `json:"dynamodb"`
	EventSourceARN string     `json:"eventSourceARN"`
}

type streamBody struct {
	ApproximateCreationDateTime int64           `json:"ApproximateCreationDateTime"`
	Keys                        json.RawMessage `json:"Keys"`
	NewImage                    json.RawMessage `json:"NewImage,omitempty"`
	OldImage                    json.RawMessage `json:"OldImage,omitempty"`
	SequenceNumber              string          `json:"SequenceNumber"`
	SizeBytes                   int             `json:"SizeBytes"`
	StreamViewType              string          `json:"StreamViewType"`
}

// newTable returns a client of the package's dynalite and a fresh table.
func newTable(t *testing.T) (*dynamodb.Client, string) {
	t.Helper()
	client := dynalite.Client(t, dynalite.Shared(t))
	name := dynalite.TableName(t)
	if err := dynamo.CreateTable(context.Background(), client, name); err != nil {
		t.Fatalf("create table: %v", err)
	}
	return client, name
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// seed writes the store, associate, customers and repairs of the batch with
// the adapter and returns the batch built from the items it stored: a
// customer MODIFY first (another entity: ignored), then the repair INSERTs.
func seed(t *testing.T, client *dynamodb.Client, table string) streamFile {
	t.Helper()
	ctx := context.Background()
	db := dynamo.New(client, table)
	must(t, "put store", loupe.PutStore(ctx, db, storetest.Store("s1")))
	must(t, "put associate", loupe.PutAssociate(ctx, db, storetest.Associate("a1", "s1")))
	c := storetest.Customer("c1", "s1", "a1")
	c.Email = ""
	must(t, "put customer", loupe.PutCustomer(ctx, db, c))
	before := rawItem(t, client, table, "CUST#c1", "CUST")
	c.Phone, c.UpdatedAt = "+15557654321", storetest.At(time.Minute)
	must(t, "put customer", loupe.PutCustomer(ctx, db, c))

	seq := 0
	record := func(name string, oldItem, newItem map[string]types.AttributeValue) streamRecord {
		seq++
		r := streamRecord{
			EventID: fmt.Sprintf("%032x", 0xbadc0de0+seq), EventName: name, EventVersion: "1.1",
			EventSource: "aws:dynamodb", AWSRegion: "us-east-1",
			EventSourceARN: "arn:aws:dynamodb:us-east-1:123456789012:table/loupe/stream/2026-11-01T00:00:00.000",
			DynamoDB: streamBody{
				ApproximateCreationDateTime: storetest.T0.Unix() + int64(seq),
				SequenceNumber:              fmt.Sprintf("55215845%020d", seq),
				StreamViewType:              "NEW_AND_OLD_IMAGES",
			},
		}
		item := newItem
		if item == nil {
			item = oldItem
		}
		r.DynamoDB.Keys = imageJSON(t, map[string]types.AttributeValue{"PK": item["PK"], "SK": item["SK"]})
		if newItem != nil {
			r.DynamoDB.NewImage = imageJSON(t, newItem)
		}
		if oldItem != nil {
			r.DynamoDB.OldImage = imageJSON(t, oldItem)
		}
		r.DynamoDB.SizeBytes = len(r.DynamoDB.NewImage) + len(r.DynamoDB.OldImage)
		return r
	}
	f := streamFile{Records: []streamRecord{record("MODIFY", before, rawItem(t, client, table, "CUST#c1", "CUST"))}}
	for i, br := range batchRepairs {
		r := storetest.Repair(br.id, "s1", br.customer, storetest.At(time.Duration(i)*time.Minute))
		r.CustomerEmail = br.email
		must(t, "put repair", db.PutRepair(ctx, r))
		f.Records = append(f.Records, record("INSERT", nil, rawItem(t, client, table, "REPAIR#"+br.id, "REPAIR")))
	}
	return f
}

func rawItem(t *testing.T, client *dynamodb.Client, table, pk, sk string) map[string]types.AttributeValue {
	t.Helper()
	out, err := client.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: pk}, "SK": &types.AttributeValueMemberS{Value: sk}},
	})
	if err != nil || out.Item == nil {
		t.Fatalf("get raw item %s: %v", pk, err)
	}
	return out.Item
}

// imageJSON returns av in the stream's JSON form with sorted keys.
func imageJSON(t *testing.T, av map[string]types.AttributeValue) json.RawMessage {
	t.Helper()
	raw, err := attributevalue.MarshalMapJSON(av)
	must(t, "marshal image", err)
	var v any
	must(t, "reparse image", json.Unmarshal(raw, &v))
	out, err := json.Marshal(v)
	must(t, "remarshal image", err)
	return out
}

// readEvent decodes the testdata batch the way the Lambda runtime does.
func readEvent(t *testing.T) events.DynamoDBEvent {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", batchFile))
	must(t, "read testdata", err)
	var ev events.DynamoDBEvent
	must(t, "decode testdata", json.Unmarshal(raw, &ev))
	return ev
}

// figures summarises store s1's aggregate and c1's profile.
func figures(t *testing.T, db *dynamo.DB) string {
	t.Helper()
	ctx := context.Background()
	days, err := db.Compliance().Days(ctx, "2026-11-20", "2026-11-20", "s1")
	must(t, "days", err)
	if len(days) != 1 {
		t.Fatalf("days = %d, want 1", len(days))
	}
	c1, err := db.GetCustomer(ctx, "c1")
	must(t, "get c1", err)
	return fmt.Sprintf("a1=%+v missing=%d c1=%s/%s", days[0].Associates["a1"], len(days[0].Missing), c1.Email, c1.EmailSource)
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestHandler(t *testing.T) {
	client, table := newTable(t)
	generated := seed(t, client, table)

	t.Run("testdata matches the adapter", func(t *testing.T) {
		want, err := json.MarshalIndent(generated, "", "  ")
		must(t, "marshal", err)
		want = append(want, '\n')
		path := filepath.Join("testdata", batchFile)
		if *update {
			must(t, "mkdir", os.MkdirAll("testdata", 0o755))
			must(t, "write", os.WriteFile(path, want, 0o644))
			return
		}
		got, err := os.ReadFile(path)
		must(t, "read (run go test ./functions/repair-stream -update)", err)
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from what the adapter writes; run go test ./functions/repair-stream -update and review the diff", path)
		}
	})

	db := dynamo.New(client, table)
	var out bytes.Buffer
	handle := newHandler(complianceOn(db), quiet(), emf.New(&out, "repair-stream", nil))
	ev := readEvent(t)
	want := "a1={TakeIns:4 WithEmail:1} missing=3 c1=c1@gmail.com/repair"
	for _, delivery := range []string{"first", "replay"} {
		out.Reset()
		res, err := handle(context.Background(), ev)
		if err != nil || len(res.BatchItemFailures) != 0 {
			t.Fatalf("%s delivery: response %+v, err %v", delivery, res, err)
		}
		if got := figures(t, db); got != want {
			t.Fatalf("%s delivery: %s, want %s", delivery, got, want)
		}
		// The batch's line counts what it handled (a replay counts again;
		// the compliance figures above do not).
		got := emfLine(t, &out)
		wantEMF := map[string]any{"TakeInsRecorded": 4.0, "TakeInsWithEmail": 1.0, "CaptureRate": 25.0,
			"records": "5", "batch_failed": "false"}
		for k, v := range wantEMF {
			if got[k] != v {
				t.Errorf("%s delivery: EMF %s = %v, want %v (line %v)", delivery, k, got[k], v, got)
			}
		}
	}

	t.Run("a record of another entity alone is ignored", func(t *testing.T) {
		other := events.DynamoDBEvent{Records: ev.Records[:1]}
		if got := ev.Records[0].Change.Keys["PK"].String(); got != "CUST#c1" {
			t.Fatalf("first record is %s, want the customer", got)
		}
		counter := dynamo.NewCounter(client)
		var out bytes.Buffer
		res, err := newHandler(complianceOn(dynamo.New(counter, table)), quiet(), emf.New(&out, "repair-stream", nil))(context.Background(), other)
		if err != nil || len(res.BatchItemFailures) != 0 || counter.Total() != 0 {
			t.Fatalf("response %+v, err %v, DynamoDB calls %v; want no failure and no call", res, err, counter.Counts())
		}
		got := emfLine(t, &out)
		if got["TakeInsRecorded"] != 0.0 || got["TakeInsWithEmail"] != 0.0 {
			t.Errorf("EMF = %v, want zero take-ins", got)
		}
		if _, ok := got["CaptureRate"]; ok {
			t.Errorf("EMF has CaptureRate %v for a batch without take-ins", got["CaptureRate"])
		}
	})

	t.Run("a failing record is reported by sequence number", func(t *testing.T) {
		var out bytes.Buffer
		res, err := newHandler(complianceOn(dynamo.New(client, "no-such-table")), quiet(), emf.New(&out, "repair-stream", nil))(context.Background(), ev)
		want := []events.DynamoDBBatchItemFailure{{ItemIdentifier: ev.Records[1].Change.SequenceNumber}}
		if err != nil || !reflect.DeepEqual(res.BatchItemFailures, want) {
			t.Fatalf("failures = %+v (err %v), want %+v", res.BatchItemFailures, err, want)
		}
		if got := emfLine(t, &out); got["batch_failed"] != "true" || got["TakeInsRecorded"] != 0.0 {
			t.Errorf("EMF = %v, want batch_failed and nothing recorded", got)
		}
	})
}

// emfLine parses the one line in out as a CloudWatch embedded metric format
// object of this function and returns its top-level members; it fails the
// test when the line is not one JSON object with the Loupe namespace, the
// Function dimension and a value for every declared metric.
func emfLine(t *testing.T, out *bytes.Buffer) map[string]any {
	t.Helper()
	if n := bytes.Count(out.Bytes(), []byte("\n")); n != 1 {
		t.Fatalf("want one EMF line, got %d: %q", n, out.String())
	}
	var line map[string]any
	if err := json.Unmarshal(out.Bytes(), &line); err != nil {
		t.Fatalf("EMF line is not JSON: %v: %s", err, out.Bytes())
	}
	var meta struct {
		AWS struct {
			CloudWatchMetrics []struct {
				Namespace  string
				Dimensions [][]string
				Metrics    []struct{ Name, Unit string }
			}
		} `json:"_aws"`
	}
	must(t, "decode _aws", json.Unmarshal(out.Bytes(), &meta))
	cw := meta.AWS.CloudWatchMetrics
	if len(cw) != 1 || cw[0].Namespace != emf.Namespace || !reflect.DeepEqual(cw[0].Dimensions, [][]string{{"Function"}}) ||
		line["Function"] != "repair-stream" {
		t.Fatalf("EMF metadata = %+v, Function %v", cw, line["Function"])
	}
	for _, m := range cw[0].Metrics {
		if _, ok := line[m.Name].(float64); !ok {
			t.Errorf("metric %s declared without a value", m.Name)
		}
		if want := map[bool]string{true: emf.UnitPercent, false: emf.UnitCount}[m.Name == "CaptureRate"]; m.Unit != want {
			t.Errorf("metric %s unit %q, want %q", m.Name, m.Unit, want)
		}
	}
	return line
}

// complianceOn returns the compliance service over db as the function wires it.
func complianceOn(db *dynamo.DB) *compliance.Service {
	return lambdawire.ServicesOn(db, wire.Config{}, nil, quiet()).Compliance
}
