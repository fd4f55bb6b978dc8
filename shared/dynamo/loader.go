package dynamo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/pos"
)

// Loader is the DB of a first load into the table (loupe import --table):
// the same records and the same domain decisions as DB, in batches. Before
// a group of rows is applied, ReadAhead reads every record they name with
// consistent BatchGetItem requests of 100 keys; each row's read-decide-write
// then decides on the item in memory (a later row of the group sees an
// earlier one's result) and Flush writes the group: items that did not exist
// with BatchWriteItem requests of 25, retrying unprocessed items with
// backoff, items that did with the versioned UpdateItem of DB (on a lost
// race the row is decided again on a fresh read, as DB would). Requests run
// Workers at a time. Records a group did not read ahead (repairs, purchases)
// take DB's own per-row path.
//
// The purchases of a client a row may create (pos.RefPurchases) are read
// ahead too, one consistent Query per client not in the table, Workers at
// a time: the row counts them on the new profile (purchases imported
// before their clients). PurchasesByCustomer answers from them until
// Flush; PutPurchase forgets the client's.
//
// A BatchWriteItem put has no condition: a record the webhook creates
// between ReadAhead and Flush would be overwritten. A first load runs before
// the POS webhook is connected (docs/deploy.md); a record that already
// exists is never overwritten blindly.
//
// The rows of one group are applied one after the other (ReadAhead, the
// rows, Flush); a Loader is not for concurrent groups.
type Loader struct {
	*DB // the view: reads of read-ahead items and their updates stop here

	plain   *DB
	workers int

	mu        sync.Mutex
	items     map[loadKey]*loadItem
	order     []loadKey                   // items changed this group, in first-change order
	purchases map[string][]loupe.Purchase // read ahead this group, by customer id
}

var _ pos.BatchRecords = (*Loader)(nil)

type loadKey struct{ pk, sk string }

// loadItem is one read-ahead item of the current group.
type loadItem struct {
	orig  map[string]types.AttributeValue // as read; nil: absent
	cur   map[string]types.AttributeValue // after this group's decisions
	steps []versioned                     // the decisions that changed it, in order
}

// NewLoader returns a Loader writing to db's table with at most workers
// requests at a time (at least 1).
func NewLoader(db *DB, workers int) *Loader {
	l := &Loader{plain: db, workers: max(workers, 1), items: map[loadKey]*loadItem{}, purchases: map[string][]loupe.Purchase{}}
	l.DB = &DB{api: db.api, table: db.table, load: l}
	return l
}

// item returns the read-ahead item (pk, sk) as the group's decisions left
// it (nil: absent), and false when it was not read ahead. A nil Loader has
// none.
func (l *Loader) item(pk, sk string) (map[string]types.AttributeValue, bool) {
	if l == nil {
		return nil, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	it, ok := l.items[loadKey{pk, sk}]
	if !ok {
		return nil, false
	}
	return it.cur, true
}

// update decides v on the read-ahead item and buffers the result for Flush.
// It returns false (nothing done) when the item was not read ahead.
func (l *Loader) update(v versioned) (bool, error) {
	if l == nil {
		return false, nil
	}
	k := loadKey{v.pk, v.sk}
	cur, ok := l.item(k.pk, k.sk)
	if !ok {
		return false, nil
	}
	next, write, err := v.decide(cur) // may read other read-ahead items
	if err != nil || !write {
		return true, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	it := l.items[k]
	if len(it.steps) == 0 {
		l.order = append(l.order, k)
	}
	it.steps = append(it.steps, v)
	it.cur = next
	return true, nil
}

// refKeys returns the items a record's decisions read: the record, and for
// a customer its erasure record (read when the customer is new).
func refKeys(r pos.Ref) []loadKey {
	switch r.Kind {
	case pos.RefStore:
		return []loadKey{{storePK(r.ID), skStore}}
	case pos.RefAssociate:
		return []loadKey{{associatePK(r.ID), skAssociate}}
	case pos.RefCustomer:
		return []loadKey{{customerPK(r.ID), skCustomer}, {prefixErasure + loupe.ErasureHash(r.ID), skErasure}}
	}
	return nil
}

// ReadAhead implements pos.BatchRecords: it reads the items of refs not
// already read this group with consistent BatchGetItem requests, retrying
// unprocessed keys with backoff, then the purchases of each
// pos.RefPurchases client not in the table (readPurchases). Returns the
// DynamoDB error.
func (l *Loader) ReadAhead(ctx context.Context, refs []pos.Ref) error {
	l.mu.Lock()
	var keys []loadKey
	var buyers []string
	seen := map[loadKey]bool{}
	for _, r := range refs {
		if r.Kind == pos.RefPurchases {
			buyers = append(buyers, r.ID)
		}
		for _, k := range refKeys(r) {
			if _, ok := l.items[k]; !ok && !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	l.mu.Unlock()
	if err := l.readItems(ctx, keys); err != nil {
		return err
	}
	return l.readPurchases(ctx, buyers)
}

// readItems reads keys into the group with consistent BatchGetItem
// requests. Returns the DynamoDB error.
func (l *Loader) readItems(ctx context.Context, keys []loadKey) error {
	var chunks [][]loadKey
	for start := 0; start < len(keys); start += batchGetSize {
		chunks = append(chunks, keys[start:min(start+batchGetSize, len(keys))])
	}
	found := make([]map[loadKey]map[string]types.AttributeValue, len(chunks))
	err := l.each(ctx, len(chunks), func(ctx context.Context, i int) error {
		var err error
		found[i], err = l.plain.batchGet(ctx, chunks[i])
		return err
	})
	if err != nil {
		return fmt.Errorf("read ahead: %w", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		var item map[string]types.AttributeValue
		for _, f := range found {
			if it, ok := f[k]; ok {
				item = it
				break
			}
		}
		l.items[k] = &loadItem{orig: item, cur: item}
	}
	return nil
}

// readPurchases reads the purchases of the customers ids names that the
// table does not hold (read ahead as absent) and this group has not read,
// one consistent Query each (PurchasesByCustomer), Workers at a time. An
// existing customer's row never counts its purchases (the purchase rows
// do), so it costs no Query. Returns the DynamoDB error.
func (l *Loader) readPurchases(ctx context.Context, ids []string) error {
	l.mu.Lock()
	var todo []string
	seen := map[string]bool{}
	for _, id := range ids {
		it, read := l.items[loadKey{customerPK(id), skCustomer}]
		if _, done := l.purchases[id]; done || seen[id] || !read || it.orig != nil {
			continue
		}
		seen[id] = true
		todo = append(todo, id)
	}
	l.mu.Unlock()
	found := make([][]loupe.Purchase, len(todo))
	err := l.each(ctx, len(todo), func(ctx context.Context, i int) error {
		var err error
		found[i], err = l.plain.PurchasesByCustomer(ctx, todo[i])
		return err
	})
	if err != nil {
		return fmt.Errorf("read ahead: %w", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, id := range todo {
		l.purchases[id] = found[i]
	}
	return nil
}

// PurchasesByCustomer is DB.PurchasesByCustomer, answered from the
// purchases read ahead this group when the customer's were.
func (l *Loader) PurchasesByCustomer(ctx context.Context, customerID string) ([]loupe.Purchase, error) {
	l.mu.Lock()
	ps, ok := l.purchases[customerID]
	l.mu.Unlock()
	if ok {
		return slices.Clone(ps), nil
	}
	return l.plain.PurchasesByCustomer(ctx, customerID)
}

// PutPurchase is DB.PutPurchase; the customer's purchases read ahead are
// forgotten (the next PurchasesByCustomer reads the table).
func (l *Loader) PutPurchase(ctx context.Context, p loupe.Purchase) error {
	l.mu.Lock()
	delete(l.purchases, p.CustomerID)
	l.mu.Unlock()
	return l.DB.PutPurchase(ctx, p)
}

// Flush implements pos.BatchRecords: it writes the items the group changed
// and forgets the group. New items go in BatchWriteItem requests of 25 (a
// new item's version is 1); items that existed take the versioned
// UpdateItem, and when another writer won in between, every decision of
// the group on that item runs again through DB. Returns the first error;
// the group must then be applied again (re-applying it changes nothing
// already written).
func (l *Loader) Flush(ctx context.Context) error {
	l.mu.Lock()
	order, items := l.order, l.items
	l.order, l.items, l.purchases = nil, map[loadKey]*loadItem{}, map[string][]loupe.Purchase{}
	l.mu.Unlock()

	var puts []types.WriteRequest
	var updates []*loadItem
	for _, k := range order {
		it := items[k]
		if it.orig != nil {
			updates = append(updates, it)
			continue
		}
		item := make(map[string]types.AttributeValue, len(it.cur)+1)
		for a, v := range it.cur {
			item[a] = v
		}
		item["version"] = &types.AttributeValueMemberN{Value: "1"}
		puts = append(puts, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
	}
	nPuts := (len(puts) + batchWriteSize - 1) / batchWriteSize
	err := l.each(ctx, nPuts+len(updates), func(ctx context.Context, i int) error {
		if i < nPuts {
			return l.plain.batchWrite(ctx, puts[i*batchWriteSize:min((i+1)*batchWriteSize, len(puts))])
		}
		it := updates[i-nPuts]
		last := it.steps[len(it.steps)-1]
		err := l.plain.writeVersioned(ctx, last, it.orig, it.cur)
		if !isConditionFailed(err) {
			return err
		}
		for _, v := range it.steps {
			if err := l.plain.update(ctx, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("flush: %w", err)
	}
	return nil
}

// each runs fn(0..n-1) on at most l.workers goroutines and returns the
// first error (the others are cancelled).
func (l *Loader) each(ctx context.Context, n int, fn func(context.Context, int) error) error {
	return forEach(ctx, l.workers, n, fn)
}

// forEach runs fn(0..n-1) on at most workers goroutines (at least one) and
// returns the first error (the others are cancelled).
func forEach(ctx context.Context, workers, n int, fn func(context.Context, int) error) error {
	if n == 0 {
		return nil
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for range max(min(workers, n), 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(ctx, i); err != nil {
					cancel(err)
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		select {
		case next <- i:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(next)
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}

const (
	batchWriteSize = 25 // the most requests one BatchWriteItem takes
	batchAttempts  = 12 // tries of one batch request before giving up
)

// batchBackoff sleeps before retry attempt (1, 2, ...) of a batch request:
// a random half to whole of 50 ms doubled each attempt, at most 5 s.
func batchBackoff(ctx context.Context, attempt int) error {
	d := min(50*time.Millisecond<<min(attempt-1, 7), 5*time.Second)
	return sleep(ctx, d/2+time.Duration(rand.Int64N(int64(d/2)+1)))
}
