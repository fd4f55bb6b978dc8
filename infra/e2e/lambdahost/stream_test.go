package lambdahost

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// fakeTable answers Scan with its items, two a page.
type fakeTable struct {
	items map[string]map[string]types.AttributeValue
}

func (f *fakeTable) Scan(ctx context.Context, in *dynamodb.ScanInput, _ ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	keys := make([]string, 0, len(f.items))
	for k := range f.items {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	start := 0
	if in.ExclusiveStartKey != nil {
		after := itemKeyString(in.ExclusiveStartKey)
		for start < len(keys) && keys[start] <= after {
			start++
		}
	}
	out := &dynamodb.ScanOutput{}
	for i := start; i < len(keys) && i < start+2; i++ {
		out.Items = append(out.Items, f.items[keys[i]])
	}
	if start+2 < len(keys) {
		last := f.items[keys[start+1]]
		out.LastEvaluatedKey = map[string]types.AttributeValue{"PK": last["PK"], "SK": last["SK"]}
	}
	return out, nil
}

func (f *fakeTable) put(pk, sk, status string) {
	f.items[pk+"\x00"+sk] = map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: pk}, "SK": &types.AttributeValueMemberS{Value: sk},
		"status": &types.AttributeValueMemberS{Value: status},
		"tags":   &types.AttributeValueMemberSS{Value: []string{"b", "a"}},
	}
}

// recorder is a mapping's function: it keeps the events and fails the
// record whose PK is failPK on its first delivery.
type recorder struct {
	events [][]events.DynamoDBEventRecord
	failPK string
	failed bool
}

func (r *recorder) invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var ev events.DynamoDBEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, err
	}
	r.events = append(r.events, ev.Records)
	for _, rec := range ev.Records {
		if rec.Change.Keys["PK"].String() == r.failPK && !r.failed {
			r.failed = true
			return json.Marshal(events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{{ItemIdentifier: rec.Change.SequenceNumber}}})
		}
	}
	return []byte(`{"batchItemFailures":[]}`), nil
}

func TestPumpRecordsAndFilters(t *testing.T) {
	ctx := context.Background()
	tbl := &fakeTable{items: map[string]map[string]types.AttributeValue{}}
	tbl.put("ASSOC#a1", "ASSOC", "active")
	p := NewPump(tbl, "t", "NEW_AND_OLD_IMAGES", "us-east-1")
	if n, err := p.Run(ctx); err != nil || n != 1 {
		t.Fatalf("first run: got %d, %v; want 1 INSERT", n, err)
	}
	staff, _ := ParsePattern(`{"dynamodb":{"Keys":{"PK":{"S":[{"prefix":"ASSOC#"}]}}}}`)
	inserts, _ := ParsePattern(`{"eventName":["INSERT"]}`)
	sr, ir := &recorder{failPK: "ASSOC#a2"}, &recorder{}
	p.Add(&Mapping{Name: "staff", Invoke: sr.invoke, BatchSize: 2, Filters: []*Pattern{staff}, ReportBatchFailures: true, MaxRetries: 5})
	p.Add(&Mapping{Name: "inserts", Invoke: ir.invoke, BatchSize: 10, Filters: []*Pattern{inserts}, ReportBatchFailures: true})

	tbl.put("ASSOC#a1", "ASSOC", "terminated") // MODIFY
	tbl.put("ASSOC#a2", "ASSOC", "active")     // INSERT
	tbl.put("ASSOC#a3", "ASSOC", "active")     // INSERT
	tbl.put("CUST#c1", "CUST", "ok")           // INSERT, not staff
	if n, err := p.Run(ctx); err != nil || n != 4 {
		t.Fatalf("second run: got %d, %v; want 4 records", n, err)
	}
	// staff: batches of 2 ([a1 a2] fails at a2, then [a2] again), then [a3].
	var got []string
	for _, batch := range sr.events {
		var names []string
		for _, r := range batch {
			names = append(names, r.EventName+" "+r.Change.Keys["PK"].String())
		}
		got = append(got, strings.Join(names, ","))
	}
	want := []string{"MODIFY ASSOC#a1,INSERT ASSOC#a2", "INSERT ASSOC#a2", "INSERT ASSOC#a3"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("staff batches: got %q, want %q", got, want)
	}
	first := sr.events[0][0]
	if first.Change.OldImage["status"].String() != "active" || first.Change.NewImage["status"].String() != "terminated" {
		t.Errorf("MODIFY images: old %v new %v", first.Change.OldImage, first.Change.NewImage)
	}
	if !seqLess(sr.events[0][0].Change.SequenceNumber, sr.events[0][1].Change.SequenceNumber) {
		t.Errorf("sequence numbers do not increase: %s, %s", sr.events[0][0].Change.SequenceNumber, sr.events[0][1].Change.SequenceNumber)
	}
	if len(ir.events) != 1 || len(ir.events[0]) != 3 {
		t.Errorf("insert mapping: got %d batches, want one of 3 INSERTs", len(ir.events))
	}

	delete(tbl.items, "CUST#c1\x00CUST")
	if n, _ := p.Run(ctx); n != 1 {
		t.Fatalf("third run: got %d records, want 1 REMOVE", n)
	}
	if n, _ := p.Run(ctx); n != 0 {
		t.Errorf("run without changes: got %d records, want 0 (set order must not count as a change)", n)
	}
	_, batches, retries, failed := p.mappings[0].Stats()
	if batches != 3 || retries != 1 || len(failed) != 0 {
		t.Errorf("staff stats: got %d batches, %d retries, %d failed; want 3, 1, 0", batches, retries, len(failed))
	}
}
