package dynamo_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
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

	"github.com/loupehq/loupe/shared/dynamo"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/testkit/storetest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.json from what the adapter writes to dynalite")

// Sample entities behind the testdata images.
var (
	streamRepair  = storetest.Repair("r1", "s1", "c1", storetest.At(time.Hour))
	streamRepair2 = storetest.Repair("r2", "s1", "c2", storetest.At(2*time.Hour))
	streamRepair3 = storetest.Repair("r3", "s1", "c3", storetest.At(3*time.Hour))
	streamAssoc   = storetest.Associate("a1", "s1")
	terminatedAt  = storetest.At(24 * time.Hour)
	terminatedBy  = storetest.At(25 * time.Hour) // occurred_at of the termination event
	removedAssoc  = storetest.Associate("a2", "s1")
)

func terminated(a loupe.Associate) loupe.Associate {
	a.Status, a.TerminatedAt, a.UpdatedAt = loupe.StatusTerminated, terminatedAt, terminatedBy
	return a
}

// streamFile is one testdata file: a Lambda DynamoDB stream event, fields in
// the order Lambda writes them.
type streamFile struct {
	Records []streamRecord `json:"Records"`
}

type streamRecord struct {
	EventID        string        `json:"eventID"`
	EventName      string        `json:"eventName"`
	EventVersion   string        `json:"eventVersion"`
	EventSource    string        `json:"eventSource"`
	AWSRegion      string        `json:"awsRegion"`
	DynamoDB       streamBody    `json:"dynamodb"`
	EventSourceARN string        `json:"eventSourceARN"`
	UserIdentity   *userIdentity `json:"userIdentity,omitempty"`
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

type userIdentity struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId"`
}

// rawItem reads an item exactly as stored.
func rawItem(t *testing.T, client *dynamodb.Client, table, pk, sk string) map[string]types.AttributeValue {
	t.Helper()
	out, err := client.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(table),
		Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: pk},
			"SK": &types.AttributeValueMemberS{Value: sk},
		},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil || out.Item == nil {
		t.Fatalf("get raw item %s: item %v, err %v", pk, out.Item != nil, err)
	}
	return out.Item
}

// imageJSON returns av in the stream's JSON form with sorted keys.
func imageJSON(t *testing.T, av map[string]types.AttributeValue) json.RawMessage {
	t.Helper()
	raw, err := attributevalue.MarshalMapJSON(av)
	if err != nil {
		t.Fatalf("marshal image: %v", err)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("reparse image: %v", err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("remarshal image: %v", err)
	}
	return out
}

// generateStreamFiles writes sample entities with the adapter to a fresh
// dynalite table and builds the testdata events from the items it stored.
func generateStreamFiles(t *testing.T) map[string]streamFile {
	client, table := newTable(t)
	db := dynamo.New(client, table)
	ctx := context.Background()
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	keysOf := func(item map[string]types.AttributeValue) json.RawMessage {
		return imageJSON(t, map[string]types.AttributeValue{"PK": item["PK"], "SK": item["SK"]})
	}
	seq := 0
	record := func(name string, oldItem, newItem map[string]types.AttributeValue) streamRecord {
		seq++
		r := streamRecord{
			EventID: fmt.Sprintf("%032x", 0xc0ffee00+seq), EventName: name, EventVersion: "1.1",
			EventSource: "aws:dynamodb", AWSRegion: "us-east-1",
			EventSourceARN: "arn:aws:dynamodb:us-east-1:123456789012:table/loupe/stream/2026-11-01T00:00:00.000",
			DynamoDB: streamBody{
				ApproximateCreationDateTime: storetest.T0.Unix() + int64(seq),
				SequenceNumber:              fmt.Sprintf("44215845%020d", seq),
				StreamViewType:              "NEW_AND_OLD_IMAGES",
			},
		}
		if newItem != nil {
			r.DynamoDB.Keys, r.DynamoDB.NewImage = keysOf(newItem), imageJSON(t, newItem)
		}
		if oldItem != nil {
			r.DynamoDB.Keys, r.DynamoDB.OldImage = keysOf(oldItem), imageJSON(t, oldItem)
		}
		r.DynamoDB.SizeBytes = len(r.DynamoDB.NewImage) + len(r.DynamoDB.OldImage)
		return r
	}

	files := map[string]streamFile{}

	must("put repair", db.PutRepair(ctx, streamRepair))
	files["repair_insert.json"] = streamFile{[]streamRecord{
		record("INSERT", nil, rawItem(t, client, table, "REPAIR#r1", "REPAIR")),
	}}

	must("put associate", loupe.PutAssociate(ctx, db, streamAssoc))
	before := rawItem(t, client, table, "ASSOC#a1", "ASSOC")
	must("terminate associate", loupe.TerminateAssociate(ctx, db, "a1", terminatedAt, terminatedBy))
	files["associate_terminated.json"] = streamFile{[]streamRecord{
		record("MODIFY", before, rawItem(t, client, table, "ASSOC#a1", "ASSOC")),
	}}

	must("put associate", loupe.PutAssociate(ctx, db, removedAssoc))
	files["associate_remove.json"] = streamFile{[]streamRecord{
		record("REMOVE", rawItem(t, client, table, "ASSOC#a2", "ASSOC"), nil),
	}}

	_, err := db.ClaimEvent(ctx, "evt_0001", "h", storetest.T0)
	must("mark event", err)
	ttl := record("REMOVE", rawItem(t, client, table, "EVENT#evt_0001", "EVENT"), nil)
	ttl.UserIdentity = &userIdentity{Type: "Service", PrincipalID: "dynamodb.amazonaws.com"}
	files["ttl_delete.json"] = streamFile{[]streamRecord{ttl}}

	c := storetest.Customer("c1", "s1", "a1")
	must("put customer", loupe.PutCustomer(ctx, db, c))
	before = rawItem(t, client, table, "CUST#c1", "CUST")
	c.Phone, c.UpdatedAt = "+15557654321", storetest.At(time.Hour)
	must("put customer", loupe.PutCustomer(ctx, db, c))
	files["customer_modify.json"] = streamFile{[]streamRecord{
		record("MODIFY", before, rawItem(t, client, table, "CUST#c1", "CUST")),
	}}

	// A batch whose second record has a malformed new image (updated_at is not
	// a time): the first is handled, the batch fails at the second.
	must("put repair", db.PutRepair(ctx, streamRepair2))
	must("put repair", db.PutRepair(ctx, streamRepair3))
	good := rawItem(t, client, table, "ASSOC#a1", "ASSOC")
	bad := rawItem(t, client, table, "ASSOC#a1", "ASSOC")
	bad["updated_at"] = &types.AttributeValueMemberS{Value: "yesterday"}
	files["malformed_batch.json"] = streamFile{[]streamRecord{
		record("INSERT", nil, rawItem(t, client, table, "REPAIR#r2", "REPAIR")),
		record("MODIFY", good, bad),
		record("INSERT", nil, rawItem(t, client, table, "REPAIR#r3", "REPAIR")),
	}}
	return files
}

// TestStreamTestdataMatchesAdapter keeps testdata/*.json equal to what the
// adapter writes, so the decoder and the writer cannot drift. Run with
// -update to rewrite the files.
func TestStreamTestdataMatchesAdapter(t *testing.T) {
	for name, f := range generateStreamFiles(t) {
		want, err := json.MarshalIndent(f, "", "  ")
		if err != nil {
			t.Fatalf("marshal %s: %v", name, err)
		}
		want = append(want, '\n')
		path := filepath.Join("testdata", name)
		if *update {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatalf("write %s: %v", path, err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("read %s: %v (run go test -run TestStreamTestdata -update)", path, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from what the adapter writes; run go test ./shared/dynamo -run TestStreamTestdata -update and review the diff", path)
		}
	}
}

// readEvent decodes a testdata file the way the Lambda runtime does.
func readEvent(t *testing.T, name string) events.DynamoDBEvent {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	var ev events.DynamoDBEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return ev
}

func ptr[T any](v T) *T { return &v }

func TestDecodeRecord(t *testing.T) {
	remove := readEvent(t, "associate_remove.json").Records[0]
	ttlAssociate := remove
	ttlAssociate.UserIdentity = &events.DynamoDBUserIdentity{Type: "Service", PrincipalID: "dynamodb.amazonaws.com"}
	userDelete := remove
	userDelete.UserIdentity = &events.DynamoDBUserIdentity{Type: "AWS", PrincipalID: "AIDAEXAMPLE"}

	tests := []struct {
		name   string
		record events.DynamoDBEventRecord
		wantOK bool
		want   loupe.Change
	}{
		{
			name:   "repair insert",
			record: readEvent(t, "repair_insert.json").Records[0],
			wantOK: true,
			want: loupe.Change{Seq: "4421584500000000000000000001", Entity: loupe.EntityRepair, Op: loupe.OpInsert,
				NewRepair: ptr(streamRepair)},
		},
		{
			name:   "associate terminated",
			record: readEvent(t, "associate_terminated.json").Records[0],
			wantOK: true,
			want: loupe.Change{Seq: "4421584500000000000000000002", Entity: loupe.EntityAssociate, Op: loupe.OpModify,
				OldAssociate: ptr(streamAssoc), NewAssociate: ptr(terminated(streamAssoc))},
		},
		{
			name:   "associate removed",
			record: remove,
			wantOK: true,
			want: loupe.Change{Seq: "4421584500000000000000000003", Entity: loupe.EntityAssociate, Op: loupe.OpRemove,
				OldAssociate: ptr(removedAssoc)},
		},
		{
			name:   "removed by a user, not TTL",
			record: userDelete,
			wantOK: true,
			want: loupe.Change{Seq: "4421584500000000000000000003", Entity: loupe.EntityAssociate, Op: loupe.OpRemove,
				OldAssociate: ptr(removedAssoc)},
		},
		{name: "TTL delete of an event item", record: readEvent(t, "ttl_delete.json").Records[0]},
		{name: "TTL delete of an associate item", record: ttlAssociate},
		{name: "customer item", record: readEvent(t, "customer_modify.json").Records[0]},
		{name: "no keys", record: events.DynamoDBEventRecord{EventName: "INSERT"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok, err := dynamo.DecodeRecord(tc.record)
			if err != nil {
				t.Fatalf("DecodeRecord: unexpected error %v", err)
			}
			if ok != tc.wantOK {
				t.Fatalf("DecodeRecord ok: got %v, want %v", ok, tc.wantOK)
			}
			if !reflect.DeepEqual(norm(got), norm(tc.want)) {
				t.Errorf("DecodeRecord:\n got %s\nwant %s", dump(got), dump(tc.want))
			}
		})
	}
}

func TestDecodeRecordErrors(t *testing.T) {
	repair := readEvent(t, "repair_insert.json").Records[0]
	unknownOp := repair
	unknownOp.EventName = "UPSERT"
	badTime := repair
	badTime.Change.NewImage = map[string]events.DynamoDBAttributeValue{}
	for k, v := range repair.Change.NewImage {
		badTime.Change.NewImage[k] = v
	}
	badTime.Change.NewImage["taken_in_at"] = events.NewStringAttribute("noon")
	associate := readEvent(t, "associate_terminated.json").Records[0]
	wrongType := associate
	wrongType.Change.OldImage = map[string]events.DynamoDBAttributeValue{}
	for k, v := range associate.Change.OldImage {
		wrongType.Change.OldImage[k] = v
	}
	wrongType.Change.OldImage["capacity"] = events.NewStringAttribute("lots")
	tests := []struct {
		name   string
		record events.DynamoDBEventRecord
	}{
		{"malformed associate image", readEvent(t, "malformed_batch.json").Records[1]},
		{"unknown event name", unknownOp},
		{"malformed time in repair", badTime},
		{"string where a number is stored", wrongType},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, ok, err := dynamo.DecodeRecord(tc.record)
			if err == nil || ok {
				t.Errorf("DecodeRecord: got ok=%v err=%v, want an error", ok, err)
			}
		})
	}
}

func TestHandleStream(t *testing.T) {
	var all []events.DynamoDBEventRecord
	for _, name := range []string{"repair_insert.json", "associate_terminated.json", "associate_remove.json",
		"ttl_delete.json", "customer_modify.json"} {
		all = append(all, readEvent(t, name).Records...)
	}
	errHandler := errors.New("handler failed")
	tests := []struct {
		name     string
		records  []events.DynamoDBEventRecord
		failOn   string   // Seq at which the handler fails, or ""
		wantSeqs []string // changes handed to the handler, in order
		wantFail []string // BatchItemFailures
	}{
		{
			name:     "all handled, others skipped",
			records:  all,
			wantSeqs: []string{"4421584500000000000000000001", "4421584500000000000000000002", "4421584500000000000000000003"},
		},
		{
			name:     "malformed image stops the batch there",
			records:  readEvent(t, "malformed_batch.json").Records,
			wantSeqs: []string{"4421584500000000000000000006"},
			wantFail: []string{"4421584500000000000000000007"},
		},
		{
			name:     "handler error stops the batch there",
			records:  all,
			failOn:   "4421584500000000000000000002",
			wantSeqs: []string{"4421584500000000000000000001", "4421584500000000000000000002"},
			wantFail: []string{"4421584500000000000000000002"},
		},
		{name: "empty batch", records: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var gotSeqs []string
			h := func(ctx context.Context, c loupe.Change) error {
				gotSeqs = append(gotSeqs, c.Seq)
				if c.Seq == tc.failOn {
					return errHandler
				}
				return nil
			}
			resp := dynamo.HandleStream(context.Background(), events.DynamoDBEvent{Records: tc.records}, h)
			var gotFail []string
			for _, f := range resp.BatchItemFailures {
				gotFail = append(gotFail, f.ItemIdentifier)
			}
			if !reflect.DeepEqual(gotSeqs, tc.wantSeqs) {
				t.Errorf("handled: got %q, want %q", gotSeqs, tc.wantSeqs)
			}
			if !reflect.DeepEqual(gotFail, tc.wantFail) {
				t.Errorf("batch item failures: got %q, want %q", gotFail, tc.wantFail)
			}
		})
	}
}

// norm makes a Change comparable with reflect.DeepEqual: UTC times, nil for
// empty slices.
func norm(c loupe.Change) loupe.Change {
	na := func(a *loupe.Associate) *loupe.Associate {
		if a == nil {
			return nil
		}
		v := *a
		v.UpdatedAt, v.TerminatedAt = v.UpdatedAt.UTC(), v.TerminatedAt.UTC()
		v.Stamps = nil // the stamps map decodes like any other attribute; the cases compare values
		if len(v.Strengths) == 0 {
			v.Strengths = nil
		}
		return &v
	}
	nr := func(r *loupe.Repair) *loupe.Repair {
		if r == nil {
			return nil
		}
		v := *r
		v.TakenInAt = v.TakenInAt.UTC()
		return &v
	}
	c.OldAssociate, c.NewAssociate = na(c.OldAssociate), na(c.NewAssociate)
	c.OldRepair, c.NewRepair = nr(c.OldRepair), nr(c.NewRepair)
	return c
}

func dump(c loupe.Change) string {
	b, _ := json.Marshal(c)
	return string(b)
}
