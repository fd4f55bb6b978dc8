package dynamo_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/loupehq/loupe/shared/compliance"
	"github.com/loupehq/loupe/shared/dynamo"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/testkit/compliancetest"
	"github.com/loupehq/loupe/shared/testkit/storetest"
)

func TestComplianceContract(t *testing.T) {
	compliancetest.Run(t, func(t *testing.T) compliance.Store { return open(t).Compliance() })
}

func TestInspectionContract(t *testing.T) {
	compliancetest.RunInspections(t, func(t *testing.T) compliance.InspectionStore { return open(t).Compliance() })
}

// writes sums the write requests a Counter saw.
func writes(c *dynamo.Counter) int64 {
	n := c.Counts()
	return n["PutItem"] + n["UpdateItem"] + n["DeleteItem"] + n["BatchWriteItem"]
}

// TestComplianceWritesPerTakeIn counts the DynamoDB writes of the stream
// handler's code path (compliance.Service.HandleChange on the dynamo adapter)
// for each kind of take-in, first delivery and replay: at most 3 each.
func TestComplianceWritesPerTakeIn(t *testing.T) {
	ctx := context.Background()
	client, table := newTable(t)
	seed := dynamo.New(client, table)
	if err := loupe.PutStore(ctx, seed, storetest.Store("s1")); err != nil {
		t.Fatal(err)
	}
	if err := loupe.PutAssociate(ctx, seed, storetest.Associate("a1", "s1")); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"c1", "c2", "c3"} {
		c := storetest.Customer(id, "s1", "a1")
		c.Email = ""
		if err := loupe.PutCustomer(ctx, seed, c); err != nil {
			t.Fatal(err)
		}
	}
	counter := dynamo.NewCounter(client)
	db := dynamo.New(counter, table)
	svc := &compliance.Service{Store: db.Compliance(), Stores: db, Associates: db, Customers: db,
		Now: func() time.Time { return storetest.T0 }}
	tests := []struct {
		name, email, customer string
		want                  int64 // writes on first delivery
	}{
		{"captured fills the profile", "ann@gmail.com", "c1", 3},
		{"empty", "", "c2", 3},
		{"typo", "ann@gmial.com", "c3", 3},
		{"captured, unknown customer", "bob@gmail.com", "c9", 2}, // the read finds no customer: no profile write
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := storetest.Repair(fmt.Sprintf("r%d", i), "s1", tt.customer, storetest.At(time.Hour))
			r.CustomerEmail = tt.email
			c := loupe.Change{Entity: loupe.EntityRepair, Op: loupe.OpInsert, NewRepair: &r}
			for _, delivery := range []string{"first", "replay"} {
				counter.Reset()
				if err := svc.HandleChange(ctx, c); err != nil {
					t.Fatalf("%s delivery: %v", delivery, err)
				}
				got := writes(counter)
				if got > 3 {
					t.Errorf("%s delivery: writes = %d (%v), want at most 3", delivery, got, counter.Counts())
				}
				if delivery == "first" && got != tt.want {
					t.Errorf("first delivery: writes = %d (%v), want %d", got, counter.Counts(), tt.want)
				}
			}
		})
	}
	days, err := db.Compliance().Days(ctx, "2026-11-20", "2026-11-20", "s1")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := days[0].Associates["a1"], (compliance.Count{TakeIns: 4, WithEmail: 2}); len(days) != 1 || got != want {
		t.Fatalf("a1 on 2026-11-20 = %+v, want %+v", got, want)
	}
	c1, err := db.GetCustomer(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if c1.Email != "ann@gmail.com" || c1.EmailSource != loupe.EmailSourceRepair {
		t.Fatalf("c1 email source = %q, want repair with the captured address", c1.EmailSource)
	}
}

// capacity is an API that asks DynamoDB for consumed capacity on reads and
// sums the read units it reports.
type capacity struct {
	dynamo.API
	mu    sync.Mutex
	units float64
}

func (c *capacity) add(cc *types.ConsumedCapacity) {
	if cc != nil && cc.CapacityUnits != nil {
		c.mu.Lock()
		c.units += *cc.CapacityUnits
		c.mu.Unlock()
	}
}

func (c *capacity) Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	out, err := c.API.Query(ctx, in, optFns...)
	if err == nil {
		c.add(out.ConsumedCapacity)
	}
	return out, err
}

func (c *capacity) GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	out, err := c.API.GetItem(ctx, in, optFns...)
	if err == nil {
		c.add(out.ConsumedCapacity)
	}
	return out, err
}

// batchPut writes items 25 to a BatchWriteItem, retrying unprocessed ones.
func batchPut(b *testing.B, client *dynamodb.Client, table string, items []map[string]types.AttributeValue) {
	b.Helper()
	ctx := context.Background()
	for start := 0; start < len(items); start += 25 {
		var reqs []types.WriteRequest
		for _, it := range items[start:min(start+25, len(items))] {
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: it}})
		}
		pending := map[string][]types.WriteRequest{table: reqs}
		for len(pending) > 0 {
			out, err := client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
			if err != nil {
				b.Fatalf("batch write: %v", err)
			}
			pending = out.UnprocessedItems
		}
	}
}

func mustMarshal(b *testing.B, v any) map[string]types.AttributeValue {
	b.Helper()
	av, err := attributevalue.MarshalMap(v)
	if err != nil {
		b.Fatal(err)
	}
	return av
}

// BenchmarkRecordTakeIn measures the stream handler's code path per take-in
// (compliance.Service.HandleChange on the dynamo adapter against dynalite) and
// reports DynamoDB requests and writes per take-in, counted. Three take-ins in
// four carry a good email (profile fill); 100 take-ins a store-day.
func BenchmarkRecordTakeIn(b *testing.B) {
	ctx := context.Background()
	client, table := newTable(b)
	seed := dynamo.New(client, table)
	if err := loupe.PutStore(ctx, seed, storetest.Store("s1")); err != nil {
		b.Fatal(err)
	}
	var items []map[string]types.AttributeValue
	for a := range 30 {
		items = append(items, mustMarshal(b, dynamo.NewAssociateItem(storetest.Associate(fmt.Sprintf("a%02d", a), "s1"))))
	}
	for i := range 1000 {
		c := storetest.Customer(fmt.Sprintf("c%d", i), "s1", "a00")
		c.Email = ""
		items = append(items, mustMarshal(b, dynamo.NewCustomerItem(c)))
	}
	batchPut(b, client, table, items)
	counter := dynamo.NewCounter(client)
	db := dynamo.New(counter, table)
	svc := &compliance.Service{Store: db.Compliance(), Stores: db, Associates: db, Customers: db,
		Now: func() time.Time { return storetest.T0 }}
	counter.Reset()
	i := 0
	for b.Loop() {
		r := storetest.Repair(fmt.Sprintf("r%07d", i), "s1", fmt.Sprintf("c%d", i%1000), storetest.T0.AddDate(0, 0, i/100))
		r.AssociateID = fmt.Sprintf("a%02d", i%30)
		if i%4 == 0 {
			r.CustomerEmail = ""
		} else {
			r.CustomerEmail = fmt.Sprintf("c%d@gmail.com", i)
		}
		if err := svc.HandleChange(ctx, loupe.Change{Entity: loupe.EntityRepair, Op: loupe.OpInsert, NewRepair: &r}); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "takeins/s")
	b.ReportMetric(float64(counter.Total())/float64(b.N), "requests/takein")
	b.ReportMetric(float64(writes(counter))/float64(b.N), "writes/takein")
}

// BenchmarkComplianceReport reads the chain report (300 stores × 30
// associates × 14 days, 1 and 10 take-ins per associate-day) from dynalite
// and reports DynamoDB requests per report and the read units DynamoDB
// reports as consumed (ReturnConsumedCapacity TOTAL). Items are loaded in the
// layout Record writes (counts, missing list, id sets), by BatchWriteItem.
func BenchmarkComplianceReport(b *testing.B) {
	const stores, assocs, days = 300, 30, 14
	for _, perDay := range []int{1, 10} {
		b.Run(fmt.Sprintf("takeins_per_associate_day=%d", perDay), func(b *testing.B) {
			client, table := newTable(b)
			start := time.Date(2026, 11, 7, 15, 0, 0, 0, time.UTC)
			S := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
			N := func(v int) types.AttributeValue { return &types.AttributeValueMemberN{Value: fmt.Sprint(v)} }
			var items []map[string]types.AttributeValue
			for s := range stores {
				sid := fmt.Sprintf("s%03d", s)
				items = append(items, mustMarshal(b, dynamo.NewStoreItem(storetest.Store(sid))))
				for a := range assocs {
					items = append(items, mustMarshal(b, dynamo.NewAssociateItem(storetest.Associate(fmt.Sprintf("%s-a%02d", sid, a), sid))))
				}
				for d := range days {
					day := start.AddDate(0, 0, d).Format(time.DateOnly)
					base := func(prefix string) map[string]types.AttributeValue {
						return map[string]types.AttributeValue{"PK": S(prefix + day), "SK": S(sid), "store_id": S(sid), "day": S(day)}
					}
					counts, missing, ids := base("COMPLIANCE#"), base("COMPLIANCEM#"), base("COMPLIANCEIDS#")
					listed := 0
					for a := range assocs {
						aid := fmt.Sprintf("%s-a%02d", sid, a)
						var taken, emailed []string
						for k := range perDay {
							rid := fmt.Sprintf("%s-%s-%d", aid, day, k)
							taken = append(taken, rid)
							if (a+d+k)%4 != 0 {
								emailed = append(emailed, rid)
							} else if listed < compliance.MaxMissingPerDay {
								listed++
								missing["m#"+rid] = &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
									"a": S(aid), "c": S("c" + rid), "r": S("empty"),
									"at": S(start.AddDate(0, 0, d).Add(time.Duration(a*perDay+k) * time.Minute).Format(time.RFC3339Nano)),
								}}
							}
						}
						counts["n#"+aid], counts["w#"+aid] = N(len(taken)), N(len(emailed))
						ids["t#"+aid] = &types.AttributeValueMemberSS{Value: taken}
						if len(emailed) > 0 {
							ids["e#"+aid] = &types.AttributeValueMemberSS{Value: emailed}
						}
					}
					missing["mc"] = N(listed)
					items = append(items, counts, missing, ids)
				}
			}
			batchPut(b, client, table, items)
			ctx := context.Background()
			capa := &capacity{API: client}
			counter := dynamo.NewCounter(capa)
			db := dynamo.New(counter, table)
			svc := &compliance.Service{Store: db.Compliance(), Stores: db, Associates: db,
				Now: func() time.Time { return start.AddDate(0, 0, days-1) }}
			counter.Reset()
			for b.Loop() {
				rep, err := svc.Report(ctx, "", "", "")
				if err != nil {
					b.Fatal(err)
				}
				if rep.Totals.TakeIns != stores*assocs*days*perDay {
					b.Fatalf("take-ins = %d, want %d", rep.Totals.TakeIns, stores*assocs*days*perDay)
				}
			}
			b.ReportMetric(float64(counter.Total())/float64(b.N), "requests/report")
			b.ReportMetric(capa.units/float64(b.N), "RCU/report")
		})
	}
}
