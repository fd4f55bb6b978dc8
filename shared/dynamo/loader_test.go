package dynamo_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/loupehq/loupe/shared/dynamo"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/phone"
	"github.com/loupehq/loupe/shared/pos"
)

var loadAt = time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)

type loadRow struct {
	typ  string
	data string
	at   time.Time
}

func custRow(id, store, assoc, extra string, at time.Time) loadRow {
	return loadRow{pos.TypeCustomerUpserted, fmt.Sprintf(`{"customer_id":%q,"home_store_id":%q,"associate_id":%q,"first_name":"N%s","email":"%s@example.com"%s}`, id, store, assoc, id, id, extra), at}
}

// seedLoad writes, through the per-row path, a store, an active and a
// terminated associate, an existing client and an erased one.
func seedLoad(t testing.TB, db *dynamo.DB) {
	t.Helper()
	ctx := context.Background()
	im := pos.NewImporter(&pos.Service{DB: db, Now: func() time.Time { return loadAt }, Phones: phone.Normalize})
	for _, r := range []loadRow{
		{pos.TypeStoreUpserted, `{"store_id":"s1","name":"S1","timezone":"America/New_York","country":"US"}`, loadAt.Add(-time.Hour)},
		{pos.TypeAssociateUpserted, `{"associate_id":"a1","store_id":"s1","name":"A1"}`, loadAt.Add(-time.Hour)},
		{pos.TypeAssociateUpserted, `{"associate_id":"a2","store_id":"s1","name":"A2","status":"terminated"}`, loadAt.Add(-time.Hour)},
		custRow("old", "s1", "a1", `,"phone":"+12125550100"`, loadAt.Add(-time.Hour)),
		custRow("gone", "s1", "a1", "", loadAt.Add(-time.Hour)),
	} {
		if err := im.ImportRow(ctx, r.typ, json.RawMessage(r.data), r.at); err != nil {
			t.Fatalf("seed %s: %v", r.data, err)
		}
	}
	if err := db.EraseCustomer(ctx, "gone", loadAt.Add(-30*time.Minute)); err != nil {
		t.Fatal(err)
	}
}

// loadRows are the rows of one group: 300 new clients, one of them twice
// (the second row adds a phone), one naming a terminated associate, an
// update of an existing client, a row older than an erasure, and a stale
// row.
func loadRows() []loadRow {
	var rows []loadRow
	for i := range 300 {
		rows = append(rows, custRow(fmt.Sprintf("c%03d", i), "s1", "a1", `,"preferences":["pearls"]`, loadAt.Add(-time.Minute)))
	}
	return append(rows,
		custRow("c007", "s1", "a1", `,"phone":"+12125550107"`, loadAt),
		custRow("t1", "s1", "a2", "", loadAt),
		custRow("old", "s1", "a1", `,"last_name":"Later"`, loadAt),
		custRow("gone", "s1", "a1", "", loadAt.Add(-45*time.Minute)),
		custRow("old", "s1", "a1", `,"last_name":"Earlier"`, loadAt.Add(-2*time.Hour)),
		loadRow{pos.TypeConsentChanged, `{"customer_id":"c001","channel":"email","status":"denied","at":"2026-11-20T14:00:00Z"}`, time.Time{}},
		loadRow{pos.TypeConsentChanged, `{"customer_id":"old","channel":"sms","status":"granted","at":"2026-11-20T14:00:00Z","evidence":"Yes"}`, time.Time{}},
		loadRow{pos.TypeConsentChanged, `{"customer_id":"nobody","channel":"sms","status":"denied","at":"2026-11-20T14:00:00Z"}`, time.Time{}},
	)
}

// items returns every item of db's table, decoded, sorted by key.
func items(t *testing.T, client *dynamodb.Client, table string) []map[string]any {
	t.Helper()
	var out []map[string]any
	p := dynamodb.NewScanPaginator(client, &dynamodb.ScanInput{TableName: aws.String(table)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			var m map[string]any
			if err := attributevalue.UnmarshalMap(it, &m); err != nil {
				t.Fatal(err)
			}
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return fmt.Sprint(out[i]["PK"], out[i]["SK"]) < fmt.Sprint(out[j]["PK"], out[j]["SK"])
	})
	return out
}

// outcome names a row's result as csvimport counts it.
func outcome(err error) string {
	switch {
	case err == nil:
		return "imported"
	case errors.Is(err, loupe.ErrStale):
		return "unchanged"
	}
	return err.Error()
}

// A group loaded through the Loader decides every row as the per-row path
// does and leaves the table item for item as that path leaves it, with
// BatchGetItem and BatchWriteItem requests only (one versioned UpdateItem
// for the client that existed).
func TestLoaderStoresWhatTheRowPathStores(t *testing.T) {
	ctx := context.Background()
	rowClient, rowTable := newTable(t)
	rowDB := dynamo.New(rowClient, rowTable)
	loadClient, loadTable := newTable(t)
	counter := dynamo.NewCounter(loadClient)
	loadDB := dynamo.New(counter, loadTable)
	seedLoad(t, rowDB)
	seedLoad(t, loadDB)
	now := func() time.Time { return loadAt }
	perRow := pos.NewImporter(&pos.Service{DB: rowDB, Now: now, Phones: phone.Normalize})
	loader := dynamo.NewLoader(loadDB, 4)
	batched := pos.NewImporter(&pos.Service{DB: loader, Now: now, Phones: phone.Normalize})

	rows := loadRows()
	var datas []json.RawMessage
	for _, r := range rows {
		datas = append(datas, json.RawMessage(r.data))
	}
	counter.Reset()
	if err := batched.ReadAhead(ctx, pos.TypeCustomerUpserted, datas); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		want := outcome(perRow.ImportRow(ctx, r.typ, json.RawMessage(r.data), r.at))
		if got := outcome(batched.ImportRow(ctx, r.typ, json.RawMessage(r.data), r.at)); got != want {
			t.Errorf("row %s: loader %s, per-row path %s", r.data, got, want)
		}
	}
	if err := batched.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	// The one difference: the version counts writes, and the loader wrote
	// c007, c001 and old once a group where the per-row path wrote them
	// once a row.
	got, want := items(t, loadClient, loadTable), items(t, rowClient, rowTable)
	for i, it := range got {
		switch it["PK"] {
		case "CUST#c007", "CUST#c001", "CUST#old":
			if i >= len(want) {
				break
			}
			if v, w := it["version"].(float64), want[i]["version"].(float64); v >= w {
				t.Errorf("%s: version %v, per row %v: want fewer writes", it["PK"], v, w)
			}
			delete(it, "version")
			delete(want[i], "version")
		}
	}
	if !reflect.DeepEqual(got, want) {
		for i := range min(len(got), len(want)) {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Errorf("first different item:\nloader   %v\nper row  %v", got[i], want[i])
				break
			}
		}
		t.Fatalf("the loader left %d items, the per-row path %d", len(got), len(want))
	}
	// 303 clients and their erasure records, one store, two associates:
	// 611 keys in 7 reads; the purchases of the 303 clients not in the
	// table (the rows name "nobody" too) in one Query each; 302 new
	// clients in 13 writes; one update.
	wantReqs := map[string]int64{"BatchGetItem": 7, "Query": 303, "BatchWriteItem": 13, "UpdateItem": 1}
	if got := counter.Counts(); !reflect.DeepEqual(got, wantReqs) {
		t.Errorf("requests %v, want %v", got, wantReqs)
	}
}

// Purchases imported before their clients (the purchase rows count no
// profile then) are counted when a group of the Loader creates the
// clients, from the purchases read ahead: one Query per client the table
// does not hold, none while the rows are applied. A client that exists is
// not counted again by its row, and a purchase row through the Loader
// counts its client on the table.
func TestLoaderCountsEarlierPurchases(t *testing.T) {
	ctx := context.Background()
	client, table := newTable(t)
	counter := dynamo.NewCounter(client)
	db := dynamo.New(counter, table)
	seedLoad(t, db)
	now := func() time.Time { return loadAt }
	perRow := pos.NewImporter(&pos.Service{DB: db, Now: now, Phones: phone.Normalize})
	purchase := func(id, customer string, cents int) loadRow {
		return loadRow{pos.TypePurchaseCreated, fmt.Sprintf(`{"purchase_id":%q,"store_id":"s1","associate_id":"a1","customer_id":%q,"total_cents":%d}`, id, customer, cents), loadAt.Add(-time.Hour)}
	}
	for _, r := range []loadRow{purchase("p1", "n1", 100), purchase("p2", "n1", 20), purchase("p3", "n2", 3), purchase("p4", "old", 9)} {
		if err := perRow.ImportRow(ctx, r.typ, json.RawMessage(r.data), r.at); err != nil {
			t.Fatalf("purchase %s: %v", r.data, err)
		}
	}

	loader := dynamo.NewLoader(db, 4)
	im := pos.NewImporter(&pos.Service{DB: loader, Now: now, Phones: phone.Normalize})
	rows := []loadRow{custRow("n1", "s1", "a1", "", loadAt), custRow("n2", "s1", "a1", "", loadAt), custRow("n3", "s1", "a1", "", loadAt), custRow("old", "s1", "a1", `,"last_name":"Later"`, loadAt)}
	var datas []json.RawMessage
	for _, r := range rows {
		datas = append(datas, json.RawMessage(r.data))
	}
	counter.Reset()
	if err := im.ReadAhead(ctx, pos.TypeCustomerUpserted, datas); err != nil {
		t.Fatal(err)
	}
	if got := counter.Counts()["Query"]; got != 3 {
		t.Errorf("read ahead: %d Query requests, want 3 (n1, n2, n3)", got)
	}
	for _, r := range rows {
		if err := im.ImportRow(ctx, r.typ, json.RawMessage(r.data), r.at); err != nil {
			t.Fatalf("row %s: %v", r.data, err)
		}
	}
	if got := counter.Counts()["Query"]; got != 3 {
		t.Errorf("after the rows: %d Query requests, want the 3 of the read-ahead", got)
	}
	if err := im.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for _, w := range []struct {
		id    string
		n     int
		cents int64
	}{{"n1", 2, 120}, {"n2", 1, 3}, {"n3", 0, 0}, {"old", 1, 9}} {
		c, err := db.GetCustomer(ctx, w.id)
		if err != nil {
			t.Fatal(err)
		}
		if c.Purchases != w.n || c.PurchaseCents != w.cents {
			t.Errorf("%s: %d purchases, %d cents; want %d, %d", w.id, c.Purchases, c.PurchaseCents, w.n, w.cents)
		}
	}

	// A purchase row through the Loader (purchases are not read ahead).
	p := purchase("p5", "n3", 50)
	if err := im.ReadAhead(ctx, p.typ, []json.RawMessage{json.RawMessage(p.data)}); err != nil {
		t.Fatal(err)
	}
	if err := im.ImportRow(ctx, p.typ, json.RawMessage(p.data), p.at); err != nil {
		t.Fatal(err)
	}
	if err := im.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if c, _ := db.GetCustomer(ctx, "n3"); c.Purchases != 1 || c.PurchaseCents != 50 {
		t.Errorf("n3 after a purchase row: %d purchases, %d cents; want 1, 50", c.Purchases, c.PurchaseCents)
	}
}

// flaky answers each batch request's first attempt with some of it
// unprocessed, and runs before once ahead of the first BatchWriteItem.
type flaky struct {
	dynamo.API
	gets, writes atomic.Int64
	before       func()
}

func (f *flaky) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	if f.gets.Add(1) == 1 {
		for table, ka := range in.RequestItems {
			half := len(ka.Keys) / 2
			out, err := f.API.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
				table: {Keys: ka.Keys[:half], ConsistentRead: ka.ConsistentRead}}})
			if err != nil {
				return nil, err
			}
			out.UnprocessedKeys = map[string]types.KeysAndAttributes{table: {Keys: ka.Keys[half:], ConsistentRead: ka.ConsistentRead}}
			return out, nil
		}
	}
	return f.API.BatchGetItem(ctx, in, opts...)
}

func (f *flaky) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	if f.writes.Add(1) == 1 {
		f.before()
		for table, reqs := range in.RequestItems {
			out, err := f.API.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: reqs[:len(reqs)-5]}})
			if err != nil {
				return nil, err
			}
			out.UnprocessedItems = map[string][]types.WriteRequest{table: reqs[len(reqs)-5:]}
			return out, nil
		}
	}
	return f.API.BatchWriteItem(ctx, in, opts...)
}

// Unprocessed keys and items are retried, and a client another writer
// changed between the read-ahead and the flush is decided again on a fresh
// read: both changes are kept.
func TestLoaderRetriesAndLosesNoRace(t *testing.T) {
	ctx := context.Background()
	client, table := newTable(t)
	db := dynamo.New(client, table)
	seedLoad(t, db)
	now := func() time.Time { return loadAt }
	f := &flaky{API: client}
	f.before = func() {
		// The webhook changes the existing client's phone meanwhile.
		err := pos.NewImporter(&pos.Service{DB: db, Now: now, Phones: phone.Normalize}).ImportRow(ctx, pos.TypeCustomerUpserted,
			json.RawMessage(`{"customer_id":"old","home_store_id":"s1","phone":"+12125550199"}`), loadAt.Add(time.Minute))
		if err != nil {
			t.Errorf("concurrent write: %v", err)
		}
	}
	im := pos.NewImporter(&pos.Service{DB: dynamo.NewLoader(dynamo.New(f, table), 2), Now: now, Phones: phone.Normalize})
	rows := loadRows()
	var datas []json.RawMessage
	for _, r := range rows {
		datas = append(datas, json.RawMessage(r.data))
	}
	if err := im.ReadAhead(ctx, pos.TypeCustomerUpserted, datas); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := im.ImportRow(ctx, r.typ, json.RawMessage(r.data), r.at); err != nil && !errors.Is(err, loupe.ErrStale) && loupe.ErrorCode(err) != loupe.EINVALID {
			t.Fatalf("row %s: %v", r.data, err)
		}
	}
	if err := im.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if f.gets.Load() < 2 || f.writes.Load() < 2 {
		t.Fatalf("the flaky API saw %d reads and %d writes: nothing was retried", f.gets.Load(), f.writes.Load())
	}
	n := 0
	for _, it := range items(t, client, table) {
		if pk, _ := it["PK"].(string); len(pk) > 5 && pk[:5] == "CUST#" {
			n++
		}
	}
	if n != 302 { // old, 300 new and t1; gone stays erased
		t.Errorf("%d client items, want 302", n)
	}
	old, err := db.GetCustomer(ctx, "old")
	if err != nil {
		t.Fatal(err)
	}
	if old.Phone != "+12125550199" || old.LastName != "Later" {
		t.Errorf("old: phone %q, last name %q: want the concurrent phone and the row's last name", old.Phone, old.LastName)
	}
}

// BenchmarkFirstLoad loads 2,000 new clients into dynalite through the
// per-row path (a consistent GetItem of the client and of its erasure
// record, then a conditional UpdateItem) and through the Loader (groups of
// 500, 8 requests at a time), and reports each one's rows/s, requests per
// row, and the Loader's speed-up: the per-row path is the peer.
func BenchmarkFirstLoad(b *testing.B) {
	const rows, group = 2000, 500
	ctx := context.Background()
	now := func() time.Time { return loadAt }
	type side struct {
		counter *dynamo.Counter
		im      *pos.Importer
		elapsed time.Duration
	}
	mk := func(batch bool) *side {
		client, table := newTable(b)
		counter := dynamo.NewCounter(client)
		db := dynamo.New(counter, table)
		seedLoad(b, dynamo.New(client, table))
		var recs pos.Records = db
		if batch {
			recs = dynamo.NewLoader(db, 8)
		}
		counter.Reset()
		return &side{counter: counter, im: pos.NewImporter(&pos.Service{DB: recs, Now: now, Phones: phone.Normalize})}
	}
	perRow, loader := mk(false), mk(true)
	n := 0
	for b.Loop() {
		var batch []loadRow
		for range rows {
			n++
			batch = append(batch, custRow(fmt.Sprintf("b%07d", n), "s1", "a1", `,"phone":"+12125550100","birthday":"--05-17"`, loadAt.Add(-time.Minute)))
		}
		for _, s := range []*side{perRow, loader} {
			start := time.Now()
			for g := 0; g < len(batch); g += group {
				part := batch[g:min(g+group, len(batch))]
				var datas []json.RawMessage
				for _, r := range part {
					datas = append(datas, json.RawMessage(r.data))
				}
				if err := s.im.ReadAhead(ctx, pos.TypeCustomerUpserted, datas); err != nil {
					b.Fatal(err)
				}
				for _, r := range part {
					if err := s.im.ImportRow(ctx, r.typ, json.RawMessage(r.data), r.at); err != nil {
						b.Fatal(err)
					}
				}
				if err := s.im.Flush(ctx); err != nil {
					b.Fatal(err)
				}
			}
			s.elapsed += time.Since(start)
		}
	}
	rate := func(s *side) float64 { return float64(n) / s.elapsed.Seconds() }
	b.ReportMetric(rate(loader), "rows/s")
	b.ReportMetric(rate(perRow), "per-row-rows/s")
	b.ReportMetric(rate(loader)/rate(perRow), "x-per-row")
	b.ReportMetric(float64(loader.counter.Total())/float64(n), "requests/row")
	b.ReportMetric(float64(perRow.counter.Total())/float64(n), "per-row-requests/row")
}
