package today_test

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/loupehq/loupe/shared/dynamo"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/testkit/dynalite"
	"github.com/loupehq/loupe/shared/today"
)

// The DynamoDB chain of the request counts: one store in New York, an
// associate with a book of 200 and one with a book of 2,000, the same
// shape (listings spread over the past year, one client in ten with a
// birthday, spread over the year).
var dynamoBooks = []struct {
	associate, prefix string
	size              int
}{{"b200", "s", 200}, {"b2000", "l", 2000}}

// Bounds of TestTodayDynamoRequests: the requests of a list's first read
// (the list made) and of a later one, whatever the book's size.
const (
	maxFirstRead = 60
	maxLaterRead = 4
)

// dynamoChain is the chain on dynalite, its request counter and clock.
type dynamoChain struct {
	ctx     context.Context
	counter *dynamo.Counter
	svc     *today.Service
	base    time.Time
	now     time.Time
	day     int // days after base of the last list made
}

// newDynamoChain starts dynalite (skipping tb without node or dynalite,
// failing it when CI is "true"), creates the table and writes the chain:
// the store and associates through the DB, the books as the items
// UpdateCustomer would write (version 1, 25 a BatchWriteItem).
func newDynamoChain(tb testing.TB) *dynamoChain {
	tb.Helper()
	ctx := context.Background()
	client := dynalite.Client(tb, dynalite.Start(tb))
	table := dynalite.TableName(tb)
	if err := dynamo.CreateTable(ctx, client, table); err != nil {
		tb.Fatalf("create table: %v", err)
	}
	ch := &dynamoChain{ctx: ctx, counter: dynamo.NewCounter(client),
		base: time.Date(2027, time.April, 5, 13, 30, 0, 0, time.UTC)} // 09:30 in New York
	ch.now = ch.base
	db := dynamo.New(ch.counter, table)
	// A test may build the service; outside tests only the wiring does.
	ch.svc = &today.Service{Records: db, Book: db, Store: db, Now: func() time.Time { return ch.now },
		Log: slog.New(slog.DiscardHandler)}
	at := ch.base.AddDate(0, 0, -1)
	if err := loupe.PutStore(ctx, db, loupe.Store{StoreID: "nyc", Name: "Fifth Avenue", Timezone: "America/New_York",
		Country: "US", PostalAddress: "1 Fifth Ave", FromEmail: "nyc@loupe.example.com"}); err != nil {
		tb.Fatalf("put store: %v", err)
	}
	var reqs []types.WriteRequest
	flush := func() {
		in := map[string][]types.WriteRequest{table: reqs}
		for len(in[table]) > 0 {
			out, err := client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: in})
			if err != nil {
				tb.Fatalf("batch write: %v", err)
			}
			in = out.UnprocessedItems
		}
		reqs = nil
	}
	for _, bk := range dynamoBooks {
		if err := loupe.PutAssociate(ctx, db, loupe.Associate{AssociateID: bk.associate, StoreID: "nyc",
			Name: "Associate " + bk.associate, Status: loupe.StatusActive, UpdatedAt: at}); err != nil {
			tb.Fatalf("put associate: %v", err)
		}
		for i := range bk.size {
			id := fmt.Sprintf("%s%04d", bk.prefix, i)
			c := loupe.Customer{CustomerID: id, HomeStoreID: "nyc", FirstName: "F" + id, LastName: "L" + id,
				Email: id + "@client.example.com", Phone: fmt.Sprintf("+1212555%04d", i), AssociateID: bk.associate,
				EmailSource: loupe.EmailSourcePOS, EmailCapturedAt: at, EmailStatus: loupe.EmailOK, UpdatedAt: at,
				ListedAt: at.Add(-time.Duration((i*7919)%bk.size) * 4 * time.Hour)}
			if i%10 == 0 {
				d := ch.base.AddDate(0, 0, (i*37)%365)
				c.Birthday = loupe.Date{Year: 1980, Month: d.Month(), Day: d.Day()}
			}
			av, err := attributevalue.MarshalMap(dynamo.NewCustomerItem(c))
			if err != nil {
				tb.Fatal(err)
			}
			av["version"] = &types.AttributeValueMemberN{Value: "1"}
			if reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: av}}); len(reqs) == 25 {
				flush()
			}
		}
	}
	if len(reqs) > 0 {
		flush()
	}
	return ch
}

// read reads associate's list of today, its DynamoDB requests counted,
// and fails tb unless it holds a full list.
func (ch *dynamoChain) read(tb testing.TB, associate string) map[string]int64 {
	tb.Helper()
	ch.counter.Reset()
	v, err := ch.svc.Today(ch.ctx, associate, "")
	if err != nil || len(v.Tasks) != today.DefaultPerDay {
		tb.Fatalf("list of %s on %s: %d tasks, %v", associate, v.Date, len(v.Tasks), err)
	}
	return ch.counter.Counts()
}

// nextDay moves the clock to the next day, whose lists are not made yet.
func (ch *dynamoChain) nextDay() {
	ch.day++
	ch.now = ch.base.AddDate(0, 0, ch.day)
}

func requestsOf(counts map[string]int64) int64 {
	var n int64
	for _, v := range counts {
		n += v
	}
	return n
}

func requestsString(counts map[string]int64) string {
	s := ""
	for _, op := range slices.Sorted(maps.Keys(counts)) {
		s += fmt.Sprintf(" %s %d", op, counts[op])
	}
	return s
}

// TestTodayDynamoRequests: on DynamoDB (dynalite) the first read of a
// 10-task list (the list made) and a later read cost the same requests
// for a book of 200 as for one of 2,000, at most maxFirstRead and
// maxLaterRead.
func TestTodayDynamoRequests(t *testing.T) {
	ch := newDynamoChain(t)
	ch.nextDay()
	var first, later []map[string]int64
	for _, bk := range dynamoBooks {
		f, l := ch.read(t, bk.associate), ch.read(t, bk.associate)
		t.Logf("book of %d: first read %d requests (%s), later read %d (%s)", bk.size, requestsOf(f), requestsString(f)[1:],
			requestsOf(l), requestsString(l)[1:])
		if requestsOf(f) > maxFirstRead || requestsOf(l) > maxLaterRead {
			t.Errorf("book of %d: first read %d requests, later %d; want at most %d and %d", bk.size, requestsOf(f), requestsOf(l),
				maxFirstRead, maxLaterRead)
		}
		first, later = append(first, f), append(later, l)
	}
	if !maps.Equal(first[0], first[1]) || !maps.Equal(later[0], later[1]) {
		t.Errorf("requests grow with the book: first read%s against%s, later read%s against%s",
			requestsString(first[0]), requestsString(first[1]), requestsString(later[0]), requestsString(later[1]))
	}
}

// BenchmarkTodayDynamoRequests reports the DynamoDB requests (counted at
// the SDK boundary with dynamo.Counter, on dynalite) of reading an
// associate's Today list, for a book of 200 and one of 2,000:
// first_read, each iteration a new store-local day so the list is made
// (associate, store, the list looked for, the book's first page by turn,
// 14 month-day queries of the coming week, the due items, the list put,
// its 10 clients marked listed, the list marked, its clients read), and
// later_read, the stored list read again. requests/op must not grow with
// the book; the per-operation columns say which requests.
func BenchmarkTodayDynamoRequests(b *testing.B) {
	ch := newDynamoChain(b)
	for _, bk := range dynamoBooks {
		b.Run(fmt.Sprintf("book_%d/first_read", bk.size), func(b *testing.B) {
			sum := map[string]int64{}
			for b.Loop() {
				ch.nextDay()
				for op, n := range ch.read(b, bk.associate) {
					sum[op] += n
				}
			}
			reportRequests(b, sum)
		})
		b.Run(fmt.Sprintf("book_%d/later_read", bk.size), func(b *testing.B) {
			ch.read(b, bk.associate) // made, if this day's is not yet
			sum := map[string]int64{}
			for b.Loop() {
				for op, n := range ch.read(b, bk.associate) {
					sum[op] += n
				}
			}
			reportRequests(b, sum)
		})
	}
}

// reportRequests reports the requests of b's iterations per op, in all and by
// operation.
func reportRequests(b *testing.B, sum map[string]int64) {
	b.ReportMetric(float64(requestsOf(sum))/float64(b.N), "requests/op")
	for op, n := range sum {
		b.ReportMetric(float64(n)/float64(b.N), op+"/op")
	}
}
