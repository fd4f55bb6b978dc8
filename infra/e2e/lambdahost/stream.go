package lambdahost

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ScanAPI is the DynamoDB call the pump reads the table with.
type ScanAPI interface {
	Scan(ctx context.Context, params *dynamodb.ScanInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
}

// InvokeFunc invokes a function with payload and returns its response body.
type InvokeFunc func(ctx context.Context, payload []byte) ([]byte, error)

// Mapping is one DynamoDB event source mapping of the template.
type Mapping struct {
	Name                string // e.g. "StaffStreamFunction/AssociateChanges"
	Invoke              InvokeFunc
	BatchSize           int        // 0: 100
	Filters             []*Pattern // FilterCriteria; none: every record
	ReportBatchFailures bool       // FunctionResponseTypes: ReportBatchItemFailures
	MaxRetries          int        // MaximumRetryAttempts; < 0: 10 here (infinite in AWS)

	mu        sync.Mutex
	delivered int                          // records handed to the function
	batches   int                          // invocations
	retries   int                          // retried invocations
	failed    []events.DynamoDBEventRecord // records given up on (the on-failure destination)
}

// Stats returns how many records were delivered, in how many invocations,
// how many of those were retries, and the records given up on.
func (m *Mapping) Stats() (delivered, batches, retries int, failed []events.DynamoDBEventRecord) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.delivered, m.batches, m.retries, append([]events.DynamoDBEventRecord(nil), m.failed...)
}

// Pump stands in for DynamoDB Streams on a table that has none (dynalite):
// Run scans the table (strongly consistent), diffs it by key against the
// previous scan and turns each difference into the stream record DynamoDB
// would write (INSERT, MODIFY, REMOVE; Keys, NewImage, OldImage for
// NEW_AND_OLD_IMAGES; increasing SequenceNumber), then hands the records to
// every mapping through its filters, in batches, honouring
// batchItemFailures.
//
// Differences from real streams: changes are seen per Run, not per write, so
// two writes to one item between runs make one record and their order is the
// pump's (by key), not the table's; there are no shards, no TTL deletes and
// no iterator age; a mapping's batches run one after the other.
type Pump struct {
	api      ScanAPI
	table    string
	arn      string
	viewType string
	region   string

	mu       sync.Mutex
	last     map[string]map[string]types.AttributeValue
	seq      int64
	mappings []*Mapping
	records  int
}

// NewPump returns a pump on table. viewType is the template's
// StreamViewType ("NEW_AND_OLD_IMAGES", "NEW_IMAGE", "OLD_IMAGE",
// "KEYS_ONLY").
func NewPump(api ScanAPI, table, viewType, region string) *Pump {
	return &Pump{
		api:      api,
		table:    table,
		viewType: viewType,
		region:   region,
		arn:      fmt.Sprintf("arn:aws:dynamodb:%s:123456789012:table/%s/stream/2026-01-01T00:00:00.000", region, table),
		last:     map[string]map[string]types.AttributeValue{},
		seq:      100000000000000000,
	}
}

// Add registers an event source mapping.
func (p *Pump) Add(m *Mapping) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mappings = append(p.mappings, m)
}

// Mappings returns the registered mappings.
func (p *Pump) Mappings() []*Mapping {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*Mapping(nil), p.mappings...)
}

// Records returns how many stream records the pump has produced.
func (p *Pump) Records() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.records
}

// Run turns the table's changes since the last Run into stream records and
// delivers them, repeating while the handlers' own writes make new records
// (at most 10 rounds). Returns the number of records produced, or the scan
// error.
func (p *Pump) Run(ctx context.Context) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	total := 0
	for range 10 {
		recs, err := p.diff(ctx)
		if err != nil {
			return total, err
		}
		if len(recs) == 0 {
			break
		}
		total += len(recs)
		p.records += len(recs)
		for _, m := range p.mappings {
			m.deliver(ctx, recs)
		}
	}
	return total, nil
}

func (p *Pump) scan(ctx context.Context) (map[string]map[string]types.AttributeValue, error) {
	out := map[string]map[string]types.AttributeValue{}
	var start map[string]types.AttributeValue
	for {
		page, err := p.api.Scan(ctx, &dynamodb.ScanInput{
			TableName:         aws.String(p.table),
			ConsistentRead:    aws.Bool(true),
			ExclusiveStartKey: start,
		})
		if err != nil {
			return nil, fmt.Errorf("stream pump: scan %s: %w", p.table, err)
		}
		for _, item := range page.Items {
			out[itemKeyString(item)] = item
		}
		if len(page.LastEvaluatedKey) == 0 {
			return out, nil
		}
		start = page.LastEvaluatedKey
	}
}

func itemKeyString(item map[string]types.AttributeValue) string {
	pk, _ := item["PK"].(*types.AttributeValueMemberS)
	sk, _ := item["SK"].(*types.AttributeValueMemberS)
	var a, b string
	if pk != nil {
		a = pk.Value
	}
	if sk != nil {
		b = sk.Value
	}
	return a + "\x00" + b
}

func (p *Pump) diff(ctx context.Context) ([]events.DynamoDBEventRecord, error) {
	now, err := p.scan(ctx)
	if err != nil {
		return nil, err
	}
	keys := map[string]bool{}
	for k := range now {
		keys[k] = true
	}
	for k := range p.last {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	var recs []events.DynamoDBEventRecord
	for _, k := range sorted {
		old, nw := p.last[k], now[k]
		var name string
		switch {
		case old == nil:
			name = "INSERT"
		case nw == nil:
			name = "REMOVE"
		case !reflect.DeepEqual(toJSONImage(old), toJSONImage(nw)):
			name = "MODIFY"
		default:
			continue
		}
		r, err := p.record(name, old, nw)
		if err != nil {
			return nil, err
		}
		recs = append(recs, r)
	}
	p.last = now
	return recs, nil
}

func (p *Pump) record(name string, old, nw map[string]types.AttributeValue) (events.DynamoDBEventRecord, error) {
	p.seq++
	seq := strconv.FormatInt(p.seq, 10) + "0000" // 21 digits, increasing
	src := nw
	if src == nil {
		src = old
	}
	keys := map[string]types.AttributeValue{"PK": src["PK"], "SK": src["SK"]}
	var err error
	sr := events.DynamoDBStreamRecord{
		ApproximateCreationDateTime: events.SecondsEpochTime{Time: time.Now().Truncate(time.Second)},
		SequenceNumber:              seq,
		StreamViewType:              p.viewType,
	}
	if sr.Keys, err = toEventImage(keys); err != nil {
		return events.DynamoDBEventRecord{}, err
	}
	size := 0
	if nw != nil && (p.viewType == "NEW_IMAGE" || p.viewType == "NEW_AND_OLD_IMAGES") {
		if sr.NewImage, err = toEventImage(nw); err != nil {
			return events.DynamoDBEventRecord{}, err
		}
		b, _ := json.Marshal(sr.NewImage)
		size += len(b)
	}
	if old != nil && (p.viewType == "OLD_IMAGE" || p.viewType == "NEW_AND_OLD_IMAGES") {
		if sr.OldImage, err = toEventImage(old); err != nil {
			return events.DynamoDBEventRecord{}, err
		}
		b, _ := json.Marshal(sr.OldImage)
		size += len(b)
	}
	sr.SizeBytes = int64(size)
	return events.DynamoDBEventRecord{
		AWSRegion:      p.region,
		Change:         sr,
		EventID:        fmt.Sprintf("e2e%020d", p.seq),
		EventName:      name,
		EventSource:    "aws:dynamodb",
		EventVersion:   "1.1",
		EventSourceArn: p.arn,
	}, nil
}

// toJSONImage returns item in DynamoDB JSON ({"S": "x"}, {"N": "1"} ...).
func toJSONImage(item map[string]types.AttributeValue) map[string]any {
	out := make(map[string]any, len(item))
	for k, v := range item {
		out[k] = avJSON(v)
	}
	return out
}

func avJSON(v types.AttributeValue) any {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return map[string]any{"S": v.Value}
	case *types.AttributeValueMemberN:
		return map[string]any{"N": v.Value}
	case *types.AttributeValueMemberB:
		return map[string]any{"B": v.Value}
	case *types.AttributeValueMemberBOOL:
		return map[string]any{"BOOL": v.Value}
	case *types.AttributeValueMemberNULL:
		return map[string]any{"NULL": v.Value}
	case *types.AttributeValueMemberSS:
		s := append([]string(nil), v.Value...)
		sort.Strings(s)
		return map[string]any{"SS": s}
	case *types.AttributeValueMemberNS:
		s := append([]string(nil), v.Value...)
		sort.Strings(s)
		return map[string]any{"NS": s}
	case *types.AttributeValueMemberBS:
		return map[string]any{"BS": v.Value}
	case *types.AttributeValueMemberL:
		l := make([]any, len(v.Value))
		for i, e := range v.Value {
			l[i] = avJSON(e)
		}
		return map[string]any{"L": l}
	case *types.AttributeValueMemberM:
		return map[string]any{"M": toJSONImage(v.Value)}
	}
	return nil
}

func toEventImage(item map[string]types.AttributeValue) (map[string]events.DynamoDBAttributeValue, error) {
	b, err := json.Marshal(toJSONImage(item))
	if err != nil {
		return nil, fmt.Errorf("stream pump: encode image: %w", err)
	}
	var out map[string]events.DynamoDBAttributeValue
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("stream pump: decode image: %w", err)
	}
	return out, nil
}

// deliver filters recs and invokes the function in batches, retrying from the
// first failed record as Lambda does for ReportBatchItemFailures.
func (m *Mapping) deliver(ctx context.Context, recs []events.DynamoDBEventRecord) {
	var match []events.DynamoDBEventRecord
	for _, r := range recs {
		b, err := json.Marshal(r)
		if err != nil {
			continue
		}
		if MatchAny(m.Filters, b) {
			match = append(match, r)
		}
	}
	size := m.BatchSize
	if size <= 0 {
		size = 100
	}
	maxRetries := m.MaxRetries
	if maxRetries < 0 {
		maxRetries = 10
	}
	for len(match) > 0 {
		n := min(size, len(match))
		batch := match[:n]
		match = match[n:]
		for attempt := 0; len(batch) > 0; attempt++ {
			if attempt > maxRetries {
				m.mu.Lock()
				m.failed = append(m.failed, batch...)
				m.mu.Unlock()
				break
			}
			batch = m.invoke(ctx, batch, attempt > 0)
		}
	}
}

// invoke runs one batch and returns the records to retry.
func (m *Mapping) invoke(ctx context.Context, batch []events.DynamoDBEventRecord, retry bool) []events.DynamoDBEventRecord {
	m.mu.Lock()
	m.delivered += len(batch)
	m.batches++
	if retry {
		m.retries++
	}
	m.mu.Unlock()
	payload, err := json.Marshal(events.DynamoDBEvent{Records: batch})
	if err != nil {
		return nil
	}
	body, err := m.Invoke(ctx, payload)
	if err != nil {
		return batch // function error: the whole batch again
	}
	if !m.ReportBatchFailures {
		return nil
	}
	var resp events.DynamoDBEventResponse
	if !emptyResponse(body) && json.Unmarshal(body, &resp) != nil {
		return batch // Lambda treats a response it cannot read as a failure of the whole batch
	}
	if len(resp.BatchItemFailures) == 0 {
		return nil
	}
	// Lambda retries from the lowest failed sequence number.
	lowest := ""
	for _, f := range resp.BatchItemFailures {
		if lowest == "" || seqLess(f.ItemIdentifier, lowest) {
			lowest = f.ItemIdentifier
		}
	}
	for i, r := range batch {
		if r.Change.SequenceNumber == lowest {
			return batch[i:]
		}
	}
	return batch // an unknown identifier fails the whole batch
}

// emptyResponse reports whether a handler returned nothing (success, no
// failures reported).
func emptyResponse(body []byte) bool {
	b := bytes.TrimSpace(body)
	return len(b) == 0 || bytes.Equal(b, []byte("null"))
}

func seqLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}
