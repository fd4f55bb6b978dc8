package dynamo_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/loupehq/loupe/shared/dynamo"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/testkit/storetest"
	"github.com/loupehq/loupe/shared/testkit/todaytest"
	"github.com/loupehq/loupe/shared/today"
)

func TestTodayContract(t *testing.T) {
	todaytest.Run(t, func(t *testing.T) (today.Store, today.Book, todaytest.Records) {
		db := open(t)
		return db, db, db
	})
}

// putBook writes n customers of associate straight into the table (the
// items UpdateCustomer would write, version 1, 25 a BatchWriteItem), ids
// <prefix>000.., listed at spread times; every tenth has a birthday on
// December 7. Returns the ids.
func putBook(t testing.TB, client *dynamodb.Client, table, associate, prefix string, n int) []string {
	t.Helper()
	var ids []string
	var reqs []types.WriteRequest
	flush := func() {
		if len(reqs) == 0 {
			return
		}
		in := map[string][]types.WriteRequest{table: reqs}
		for len(in[table]) > 0 {
			out, err := client.BatchWriteItem(context.Background(), &dynamodb.BatchWriteItemInput{RequestItems: in})
			if err != nil {
				t.Fatalf("batch write: %v", err)
			}
			in = out.UnprocessedItems
		}
		reqs = nil
	}
	for i := range n {
		c := storetest.Customer(fmt.Sprintf("%s%03d", prefix, i), "s1", associate)
		c.ListedAt = storetest.At(time.Duration((i*7919)%n) * time.Minute)
		if i%10 == 0 {
			c.Birthday = loupe.Date{Year: 1980, Month: time.December, Day: 7}
		}
		av, err := attributevalue.MarshalMap(dynamo.NewCustomerItem(c))
		if err != nil {
			t.Fatal(err)
		}
		av["version"] = &types.AttributeValueMemberN{Value: "1"}
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: av}})
		ids = append(ids, c.CustomerID)
		if len(reqs) == 25 {
			flush()
		}
	}
	flush()
	return ids
}

// TestBookRequests: a page of 30 of the book in turn order and the
// associate's birthdays of a day are one Query each, for a book of 50 as
// for one of 500 (and another book of 500 on the same days); the book read
// in pages of 30 comes whole, in order, each client once.
func TestBookRequests(t *testing.T) {
	for _, size := range []int{50, 500} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			client, table := newTable(t)
			counter := dynamo.NewCounter(client)
			db := dynamo.New(counter, table)
			ctx := context.Background()
			putBook(t, client, table, "a1", "c", size)
			putBook(t, client, table, "a2", "d", 500)

			page, cursor, err := db.BookByTurn(ctx, "a1", "", 30)
			if err != nil || len(page) != 30 || cursor == "" {
				t.Fatalf("first page: got %d clients, cursor %q, %v; want 30 and a cursor", len(page), cursor, err)
			}
			wantRequests(t, "BookByTurn(30)", counter, map[string]int64{"Query": 1})
			page, _, err = db.BookByTurn(ctx, "a1", cursor, 30)
			if want := min(30, size-30); err != nil || len(page) != want {
				t.Fatalf("second page: got %d clients, %v; want %d", len(page), err, want)
			}
			wantRequests(t, "BookByTurn(30) from a cursor", counter, map[string]int64{"Query": 1})

			bdays, err := db.BookByMonthDay(ctx, "a1", "birthday", "12-07")
			if err != nil || len(bdays) != size/10 {
				t.Fatalf("birthdays: got %d, %v; want %d", len(bdays), err, size/10)
			}
			wantRequests(t, "BookByMonthDay", counter, map[string]int64{"Query": 1})

			// The whole book in pages: each client once, in TurnKey order.
			var got []loupe.Customer
			cursor = ""
			for range size {
				page, next, err := db.BookByTurn(ctx, "a1", cursor, 30)
				if err != nil {
					t.Fatalf("page after %q: %v", cursor, err)
				}
				got = append(got, page...)
				if cursor = next; cursor == "" {
					break
				}
			}
			if want := (size + 29) / 30; counter.Total() != int64(want) {
				t.Errorf("book of %d in pages of 30: %d requests, want %d", size, counter.Total(), want)
			}
			counter.Reset()
			if len(got) != size {
				t.Fatalf("book in pages: got %d clients, want %d", len(got), size)
			}
			if !slices.IsSortedFunc(got, func(a, b loupe.Customer) int {
				return cmp.Or(strings.Compare(a.TurnKey(), b.TurnKey()), strings.Compare(a.CustomerID, b.CustomerID))
			}) {
				t.Errorf("book in pages: not in TurnKey order")
			}
			seen := map[string]bool{}
			for _, c := range got {
				if seen[c.CustomerID] || c.AssociateID != "a1" {
					t.Fatalf("book in pages: %s twice or of %q", c.CustomerID, c.AssociateID)
				}
				seen[c.CustomerID] = true
			}

			// The chain-wide read of the planner and the whole book read
			// their partitions, in id order.
			all, err := db.CustomersByMonthDay(ctx, "birthday", "12-07")
			if err != nil || len(all) != size/10+50 || !slices.IsSortedFunc(all, byID) {
				t.Errorf("chain's birthdays: got %d, sorted %v, %v; want %d by id", len(all), slices.IsSortedFunc(all, byID), err, size/10+50)
			}
			book, err := db.CustomersByAssociate(ctx, "a1")
			if err != nil || len(book) != size || !slices.IsSortedFunc(book, byID) {
				t.Errorf("book by id: got %d, sorted %v, %v; want %d by id", len(book), slices.IsSortedFunc(book, byID), err, size)
			}
			counter.Reset()

			ids := make([]string, 0, 105)
			for i := range 105 {
				ids = append(ids, fmt.Sprintf("d%03d", 104-i))
			}
			cs, err := db.GetCustomers(ctx, ids)
			if err != nil || len(cs) != 105 || cs[0].CustomerID != "d104" {
				t.Fatalf("get customers: got %d, %v; want 105 from d104", len(cs), err)
			}
			wantRequests(t, "GetCustomers(105)", counter, map[string]int64{"BatchGetItem": 2})
		})
	}
}

func byID(a, b loupe.Customer) int { return strings.Compare(a.CustomerID, b.CustomerID) }

// TestBookByTurnCursor: a cursor that is not one is EINVALID; the last
// page has no cursor even when it is full.
func TestBookByTurnCursor(t *testing.T) {
	client, table := newTable(t)
	db := dynamo.New(client, table)
	ctx := context.Background()
	putBook(t, client, table, "a1", "c", 4)
	for _, bad := range []string{"!!", "bm8taGFzaA", "MSMyMDI2LTExLTIwVDE1OjA0OjA1LjEyMzQ1Njc4OVoj"} {
		if _, _, err := db.BookByTurn(ctx, "a1", bad, 2); loupe.ErrorCode(err) != loupe.EINVALID {
			t.Errorf("cursor %q: got %v, want EINVALID", bad, err)
		}
	}
	page, next, err := db.BookByTurn(ctx, "a1", "", 2)
	if err != nil || len(page) != 2 || next == "" {
		t.Fatalf("first page: %d, %q, %v", len(page), next, err)
	}
	page, next, err = db.BookByTurn(ctx, "a1", next, 2)
	if err != nil || len(page) != 2 || next != "" {
		t.Errorf("last full page: got %d clients, cursor %q, %v; want 2 and no cursor", len(page), next, err)
	}
	all, next, err := db.BookByTurn(ctx, "a1", "", 0)
	if err != nil || len(all) != 4 || next != "" {
		t.Errorf("limit 0 (the rest): got %d, %q, %v; want 4 and no cursor", len(all), next, err)
	}
}

// TestTodayItems pins the list and due items (docs/data-model.md) and the
// requests each operation costs.
func TestTodayItems(t *testing.T) {
	client, table := newTable(t)
	counter := dynamo.NewCounter(client)
	db := dynamo.New(counter, table)
	ctx := context.Background()
	day := "2026-12-07"
	l := today.List{AssociateID: "a1", StoreID: "s1", Day: day, CreatedAt: storetest.T0, Tasks: []today.Task{
		{TaskID: today.TaskID(day, "a1", "c2"), CustomerID: "c2", Reason: today.ReasonNewClient},
		{TaskID: today.TaskID(day, "a1", "c1"), CustomerID: "c1", Reason: today.ReasonBirthday, Ref: "2026-12-07"},
	}}
	if ok, err := db.CreateList(ctx, l); err != nil || !ok {
		t.Fatalf("create: %v, %v", ok, err)
	}
	wantRequests(t, "CreateList", counter, map[string]int64{"PutItem": 1})
	if ok, err := db.CreateList(ctx, l); err != nil || ok {
		t.Fatalf("create again: %v, %v", ok, err)
	}
	wantRequests(t, "CreateList (taken)", counter, map[string]int64{"PutItem": 1})

	item := rawItem(t, client, table, "TODAY#a1", day)
	if got := attrS(item, "kind"); got != dynamo.KindTodayList {
		t.Errorf("kind: got %q", got)
	}
	d, _ := time.Parse(time.DateOnly, day)
	if got, want := attrN(item, "expires_at"), d.Add(dynamo.ListTTL).Unix(); got != want {
		t.Errorf("list expires_at: got %d, want %d", got, want)
	}
	tasks, ok := item["tasks"].(*types.AttributeValueMemberM)
	if !ok || len(tasks.Value) != 2 {
		t.Fatalf("tasks: got %#v, want a map of 2", item["tasks"])
	}
	if m, ok := tasks.Value[l.Tasks[1].TaskID].(*types.AttributeValueMemberM); !ok || attrN(m.Value, "n") != 1 || attrS(m.Value, "customer_id") != "c1" {
		t.Errorf("task of c1: got %#v, want n 1, customer_id c1", tasks.Value[l.Tasks[1].TaskID])
	}
	for _, name := range []string{"GSI1PK", "GSI2PK", "GSI3PK", "GSI4PK", "GSI5PK"} {
		if _, ok := item[name]; ok {
			t.Errorf("list item carries %s: no index lists it", name)
		}
	}
	counter.Reset()

	if _, err := db.GetList(ctx, "a1", day); err != nil {
		t.Fatal(err)
	}
	wantRequests(t, "GetList", counter, map[string]int64{"GetItem": 1})
	week := []string{"2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04", "2026-12-05", "2026-12-06", day}
	if ls, err := db.GetLists(ctx, "a1", week); err != nil || len(ls) != 1 {
		t.Fatalf("week: %d, %v", len(ls), err)
	}
	wantRequests(t, "GetLists (a week)", counter, map[string]int64{"BatchGetItem": 1})
	if err := db.MarkList(ctx, "a1", day); err != nil {
		t.Fatal(err)
	}
	wantRequests(t, "MarkList", counter, map[string]int64{"UpdateItem": 1})

	k, set, err := db.SetOutcome(ctx, "a1", day, l.Tasks[1].TaskID, loupe.OutcomeReached, "a1", storetest.At(time.Hour))
	if err != nil || !set || k.CustomerID != "c1" || k.Ref != "2026-12-07" {
		t.Fatalf("outcome: %+v, %v, %v", k, set, err)
	}
	wantRequests(t, "SetOutcome", counter, map[string]int64{"UpdateItem": 1})
	if _, set, err := db.SetOutcome(ctx, "a1", day, l.Tasks[1].TaskID, loupe.OutcomeVisited, "a1", storetest.At(2*time.Hour)); err != nil || set {
		t.Fatalf("second outcome: %v, %v", set, err)
	}
	wantRequests(t, "SetOutcome (taken)", counter, map[string]int64{"UpdateItem": 1, "GetItem": 1})
	if _, _, err := db.SetOutcome(ctx, "a1", day, "", loupe.OutcomeVisited, "a1", storetest.T0); !errors.Is(err, loupe.ErrNotFound) {
		t.Errorf("outcome of no task id: got %v, want ErrNotFound", err)
	}
	if _, _, err := db.SetOutcome(ctx, "a1", day, l.Tasks[0].TaskID, "", "a1", storetest.T0); loupe.ErrorCode(err) != loupe.EINVALID {
		t.Errorf("empty outcome: got %v, want EINVALID", err)
	}
	if _, err := db.CreateList(ctx, today.List{AssociateID: "a1", Day: "7 Dec"}); loupe.ErrorCode(err) != loupe.EINVALID {
		t.Errorf("list of a malformed day: got %v, want EINVALID", err)
	}
	twice := l
	twice.Day, twice.Tasks = "2026-12-08", []today.Task{l.Tasks[0], l.Tasks[0]}
	if _, err := db.CreateList(ctx, twice); loupe.ErrorCode(err) != loupe.EINVALID {
		t.Errorf("list with a task twice: got %v, want EINVALID", err)
	}
	counter.Reset()

	due := today.Due{AssociateID: "a1", CustomerID: "c1", Reason: today.ReasonThankYou, Ref: "tp/c1/p1", From: day, Until: "2026-12-09"}
	if err := db.PutDue(ctx, due); err != nil {
		t.Fatal(err)
	}
	wantRequests(t, "PutDue", counter, map[string]int64{"PutItem": 1})
	due2 := due
	due2.Until = "2026-12-31"
	if err := db.PutDue(ctx, due2); err != nil {
		t.Fatal(err)
	}
	wantRequests(t, "PutDue (the Ref taken)", counter, map[string]int64{"PutItem": 1})
	if ds, err := db.DueOn(ctx, "a1", "2026-12-08"); err != nil || len(ds) != 1 || ds[0] != due {
		t.Fatalf("due: %+v, %v", ds, err)
	}
	wantRequests(t, "DueOn", counter, map[string]int64{"Query": 1})
	if err := db.PutDue(ctx, today.Due{AssociateID: "a1", Ref: "x", From: day, Until: "soon"}); loupe.ErrorCode(err) != loupe.EINVALID {
		t.Errorf("due with a malformed until: got %v, want EINVALID", err)
	}
	counter.Reset()
	dueItem := rawItem(t, client, table, "TODO#a1", "REF#tp/c1/p1")
	until, _ := time.Parse(time.DateOnly, "2026-12-09")
	if got, want := attrN(dueItem, "expires_at"), until.Add(dynamo.DueTTL).Unix(); got != want {
		t.Errorf("due expires_at: got %d, want %d", got, want)
	}
	if got := attrS(dueItem, "until"); got != "2026-12-09" {
		t.Errorf("due until: got %q, want the first put's", got)
	}
}

// TestTodayCustomerAttributes: the customer fields of the Today list are
// attributes of the customer item, SET and REMOVEd by the versioned
// write, and a contact's note is kept on the contact item.
func TestTodayCustomerAttributes(t *testing.T) {
	client, table := newTable(t)
	db := dynamo.New(client, table)
	ctx := context.Background()
	if err := loupe.PutCustomer(ctx, db, storetest.Customer("c1", "s1", "a1")); err != nil {
		t.Fatal(err)
	}
	if err := loupe.MoveCustomerTo(ctx, db, "c1", "a1", "a2", storetest.At(time.Hour)); err != nil {
		t.Fatal(err)
	}
	set := func(fn func(c *loupe.Customer)) {
		t.Helper()
		err := db.UpdateCustomer(ctx, "c1", func(c *loupe.Customer, _ time.Time) (loupe.Customer, bool, error) {
			fn(c)
			return *c, true, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	set(func(c *loupe.Customer) {
		c.ListedAt, c.DoNotContactAt, c.WrongPhone = storetest.At(2*time.Hour), storetest.At(3*time.Hour), c.Phone
	})
	item := rawItem(t, client, table, "CUST#c1", "CUST")
	for name, want := range map[string]string{
		"new_since": "2026-11-20T16:04:05.123456789Z", "new_to": "a2", "listed_at": "2026-11-20T17:04:05.123456789Z",
		"do_not_contact_at": "2026-11-20T18:04:05.123456789Z", "wrong_phone": "+12125550147",
		"GSI1PK": "BOOK#a2", "GSI1SK": "2#2026-11-20T17:04:05.123456789Z#c1", // do_not_contact: last in the turn order
	} {
		if got := attrS(item, name); got != want {
			t.Errorf("%s: got %q, want %q", name, got, want)
		}
	}
	set(func(c *loupe.Customer) {
		c.NewSince, c.NewTo, c.ListedAt, c.DoNotContactAt, c.WrongPhone = time.Time{}, "", time.Time{}, time.Time{}, ""
	})
	item = rawItem(t, client, table, "CUST#c1", "CUST")
	for _, name := range []string{"new_since", "new_to", "listed_at", "do_not_contact_at", "wrong_phone"} {
		if _, ok := item[name]; ok {
			t.Errorf("%s: still stored after the write cleared it", name)
		}
	}
	if got, want := attrS(item, "GSI1SK"), "1#0001-01-01T00:00:00.000000000Z#c1"; got != want {
		t.Errorf("GSI1SK after clearing: got %q, want %q", got, want)
	}

	err := db.PutContact(ctx, loupe.Contact{CustomerID: "c1", At: storetest.T0, Channel: loupe.ChannelPersonal,
		Outcome: loupe.OutcomeReached, By: "a2", Status: "logged", Note: "call after 5", Ref: "t1"})
	if err != nil {
		t.Fatal(err)
	}
	if got := attrS(rawItem(t, client, table, "CUST#c1", "CONTACT#t1"), "note"); got != "call after 5" {
		t.Errorf("contact note: got %q", got)
	}
}

// TestIndexToday: customer items written before the Today list (GSI1SK
// CUST#<id>, GSI2SK and GSI3SK CUST#<id>) are re-keyed by IndexToday, once,
// and repair items written before the per-customer repair index get their
// GSI3 keys, customer items written before inbound texts their GSI5 keys;
// an item already current is not written; the book queries and
// RepairsByCustomer find them after.
func TestIndexToday(t *testing.T) {
	client, table := newTable(t)
	counter := dynamo.NewCounter(client)
	db := dynamo.New(counter, table)
	ctx := context.Background()
	for _, id := range []string{"c1", "c2", "c3"} {
		c := storetest.Customer(id, "s1", "a1")
		if id == "c3" {
			c.AssociateID = ""
		}
		it := dynamo.NewCustomerItem(c)
		if it.GSI1PK != "" {
			it.GSI1SK = "CUST#" + id
		}
		it.GSI2SK, it.GSI3SK = "CUST#"+id, "CUST#"+id
		it.GSI5PK, it.GSI5SK = "", "" // written before GSI5
		it.Version = 3
		av, err := attributevalue.MarshalMap(it)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: av}); err != nil {
			t.Fatalf("put old-style %s: %v", id, err)
		}
	}
	if err := loupe.PutCustomer(ctx, db, storetest.Customer("c4", "s1", "a1")); err != nil {
		t.Fatal(err)
	}
	if cs, err := db.BookByMonthDay(ctx, "a1", "birthday", "05-17"); err != nil || len(cs) != 1 {
		t.Fatalf("before: birthdays %d, %v; want only c4", len(cs), err)
	}
	for i, id := range []string{"r2", "r1"} {
		it := dynamo.NewRepairItem(storetest.Repair(id, "s1", "c1", storetest.At(time.Duration(i)*time.Hour)))
		it.GSI3PK, it.GSI3SK = "", ""
		av, err := attributevalue.MarshalMap(it)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: av}); err != nil {
			t.Fatalf("put old-style %s: %v", id, err)
		}
	}
	if err := db.PutRepair(ctx, storetest.Repair("r3", "s1", "c1", storetest.At(2*time.Hour))); err != nil {
		t.Fatal(err)
	}
	if rs, err := db.RepairsByCustomer(ctx, "c1"); err != nil || len(rs) != 1 {
		t.Fatalf("before: repairs of c1 %d, %v; want only r3", len(rs), err)
	}
	counter.Reset()

	n, err := db.IndexToday(ctx)
	if err != nil || n != 5 {
		t.Fatalf("index: got %d, %v; want 5 rewritten (3 customers, 2 repairs)", n, err)
	}
	wantRequests(t, "IndexToday", counter, map[string]int64{"Scan": 1, "UpdateItem": 5})
	counter.Reset()
	rs, err := db.RepairsByCustomer(ctx, "c1")
	if err != nil || !slices.Equal(repairIDs(rs), []string{"r2", "r1", "r3"}) {
		t.Errorf("repairs of c1 after: got %v, %v; want [r2 r1 r3]", repairIDs(rs), err)
	}
	wantRequests(t, "RepairsByCustomer", counter, map[string]int64{"Query": 1})
	if r, err := db.GetRepair(ctx, "r2"); err != nil || r.CustomerEmail != "c1@client.example.com" || r.Item != "ring resize" {
		t.Errorf("r2 after: got %+v, %v; want the record unchanged", r, err)
	}
	for id, want := range map[string][5]string{
		"c1": {"1#0001-01-01T00:00:00.000000000Z#c1", "a1#CUST#c1", "a1#CUST#c1", "PHONE#+12125550147", "CUST#c1"},
		"c3": {"", "#CUST#c3", "#CUST#c3", "PHONE#+12125550147", "CUST#c3"},
	} {
		item := rawItem(t, client, table, "CUST#"+id, "CUST")
		for i, name := range []string{"GSI1SK", "GSI2SK", "GSI3SK", "GSI5PK", "GSI5SK"} {
			if got := attrS(item, name); got != want[i] {
				t.Errorf("%s %s: got %q, want %q", id, name, got, want[i])
			}
		}
		if got := attrN(item, "version"); got != 4 {
			t.Errorf("%s version: got %d, want 4 (one versioned write)", id, got)
		}
	}
	if got := attrN(rawItem(t, client, table, "CUST#c4", "CUST"), "version"); got != 1 {
		t.Errorf("c4 (current) version: got %d, want 1 (not written)", got)
	}
	got, err := db.BookByMonthDay(ctx, "a1", "birthday", "05-17")
	if err != nil || !slices.Equal(customerIDs(got), []string{"c1", "c2", "c4"}) {
		t.Errorf("birthdays after: got %v, %v; want [c1 c2 c4]", customerIDs(got), err)
	}
	got, err = db.BookByMonthDay(ctx, "a1", "anniversary", "06-21")
	if err != nil || !slices.Equal(customerIDs(got), []string{"c1", "c2", "c4"}) {
		t.Errorf("anniversaries after: got %v, %v; want [c1 c2 c4]", customerIDs(got), err)
	}
	got, _, err = db.BookByTurn(ctx, "a1", "", 10)
	if err != nil || !slices.Equal(customerIDs(got), []string{"c1", "c2", "c4"}) {
		t.Errorf("book by turn after: got %v, %v; want [c1 c2 c4]", customerIDs(got), err)
	}
	counter.Reset()

	if n, err := db.IndexToday(ctx); err != nil || n != 0 {
		t.Errorf("second run: got %d, %v; want 0", n, err)
	}
	wantRequests(t, "IndexToday again", counter, map[string]int64{"Scan": 1})
}

func repairIDs(rs []loupe.Repair) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.RepairID)
	}
	return out
}

func customerIDs(cs []loupe.Customer) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.CustomerID)
	}
	return out
}
