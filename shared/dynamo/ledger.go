package dynamo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/touch"
)

// Touchpoint ledger items (docs/touchpoints.md section 4, docs/data-model.md):
//
//	entry    PK=LEDGER#<customer>  SK=<occasion>#<year>
//	         GSI1PK=TPPENDING#<shard> GSI1SK=<claimed_at>#<customer>#<occasion>#<year> (state claimed only)
//	counter  PK=TPCOUNT#<store>    SK=<planned day>   sent (N), sent_on_<channel> (N), skipped_<reason> (N)
//	sent     PK=TPSENT#<store>     SK=<planned day>#<customer>#<occasion>#<year> (one a mail sent)
//
// No item holds personal data: ids, days, states and the provider's message id.
// Every write is one request with a condition; no transactions.
const (
	KindTouchpoint = "touchpoint"
	KindTouchCount = "touch_count"
	KindTouchSent  = "touch_sent"

	prefixLedger    = "LEDGER#"
	prefixPending   = "TPPENDING#"
	prefixTouchCnt  = "TPCOUNT#"
	prefixTouchSent = "TPSENT#"
	attrSkipped     = "skipped_" // + reason: N on a counter item
	attrSentOn      = "sent_on_" // + channel: N on a counter item (part of sent)

	// pendingShards spreads the claimed entries of the pending index over
	// this many GSI1 partitions, so a blast of claims is not limited by the
	// write rate of one index partition. Pending reads them all.
	pendingShards = 8
	// claimWorkers is how many conditional puts ClaimBatch has in flight.
	claimWorkers = 8
)

// Ledger is touch.Ledger and touch.Campaigns on the Loupe table. A transition
// is one conditional write of the entry, whose condition is the DynamoDB form
// of touch.Transition, touch.Leasable or touch.Releasable (the ledgertest
// contract suite holds every outcome to those rules); a failed condition is
// classified by calling the rule on a consistent read; the counter and sent-index writes follow it and are made only by
// the call whose conditional write won, so retries never count twice (see
// MarkSent for the crash window). Get it with (*DB).Ledger. Safe for
// concurrent use.
type Ledger struct {
	db *DB
}

var (
	_ touch.Ledger    = (*Ledger)(nil)
	_ touch.Campaigns = (*Ledger)(nil)
)

// Ledger returns the touchpoint ledger and campaign store kept in db's table.
func (db *DB) Ledger() *Ledger { return &Ledger{db: db} }

// LedgerItem is a touchpoint ledger entry as stored.
type LedgerItem struct {
	PK         string `dynamodbav:"PK"`
	SK         string `dynamodbav:"SK"`
	Kind       string `dynamodbav:"kind"`
	GSI1PK     string `dynamodbav:"GSI1PK,omitempty"`
	GSI1SK     string `dynamodbav:"GSI1SK,omitempty"`
	CustomerID string `dynamodbav:"customer_id"`
	Occasion   string `dynamodbav:"occasion"`
	Year       int    `dynamodbav:"year"`
	StoreID    string `dynamodbav:"store_id"`
	Planned    string `dynamodbav:"planned"`
	State      string `dynamodbav:"state"`
	ClaimedAt  string `dynamodbav:"claimed_at"`
	MessageID  string `dynamodbav:"message_id,omitempty"`
	SentAt     string `dynamodbav:"sent_at,omitempty"`
	Reason     string `dynamodbav:"reason,omitempty"`
	LeaseUntil string `dynamodbav:"lease_until,omitempty"`
	Channel    string `dynamodbav:"channel,omitempty"` // "" is email
}

func ledgerPK(customerID string) string { return prefixLedger + customerID }
func ledgerSK(k touch.Key) string       { return k.Occasion + "#" + strconv.Itoa(k.Year) }
func keyTail(k touch.Key) string {
	return k.CustomerID + "#" + k.Occasion + "#" + strconv.Itoa(k.Year)
}
func touchCountPK(storeID string) string { return prefixTouchCnt + storeID }
func touchSentPK(storeID string) string  { return prefixTouchSent + storeID }

// pendingPK returns the pending-index partition of k.
func pendingPK(k touch.Key) string {
	h := fnv.New32a()
	h.Write([]byte(k.MailKey()))
	return prefixPending + strconv.Itoa(int(h.Sum32()%pendingShards))
}

// newLedgerItem returns the item Claim writes for e, touch.ClaimEntry(e):
// claimed (listed by the pending index) or, when e.State is skipped, skipped.
func newLedgerItem(e touch.Entry) LedgerItem {
	e = touch.ClaimEntry(e)
	it := LedgerItem{
		PK: ledgerPK(e.CustomerID), SK: ledgerSK(e.Key), Kind: KindTouchpoint,
		CustomerID: e.CustomerID, Occasion: e.Occasion, Year: e.Year,
		StoreID: e.StoreID, Planned: e.Planned.String(), ClaimedAt: formatTime(e.ClaimedAt),
		State: e.State, Reason: e.Reason, Channel: e.Channel,
	}
	if e.State == touch.StateClaimed {
		it.GSI1PK, it.GSI1SK = pendingPK(e.Key), it.ClaimedAt+"#"+keyTail(e.Key)
	}
	return it
}

// Entry returns the domain entry. Returns an error for a malformed day or time.
func (it LedgerItem) Entry() (touch.Entry, error) {
	e := touch.Entry{
		Key:     touch.Key{CustomerID: it.CustomerID, Occasion: it.Occasion, Year: it.Year},
		StoreID: it.StoreID, State: it.State, MessageID: it.MessageID, Reason: it.Reason, Channel: it.Channel,
	}
	if err := e.Planned.UnmarshalText([]byte(it.Planned)); err != nil {
		return touch.Entry{}, fmt.Errorf("attribute planned: %w", err)
	}
	var err error
	if e.ClaimedAt, err = parseTime("claimed_at", it.ClaimedAt); err != nil {
		return touch.Entry{}, err
	}
	if e.SentAt, err = parseTime("sent_at", it.SentAt); err != nil {
		return touch.Entry{}, err
	}
	if e.LeaseUntil, err = parseTime("lease_until", it.LeaseUntil); err != nil {
		return touch.Entry{}, err
	}
	return e, nil
}

func decodeLedgerItem(av map[string]types.AttributeValue) (touch.Entry, error) {
	var it LedgerItem
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		return touch.Entry{}, err
	}
	return it.Entry()
}

// TouchSentItem records one mail sent, in its store's partition, for Touches.
type TouchSentItem struct {
	PK         string `dynamodbav:"PK"`
	SK         string `dynamodbav:"SK"`
	Kind       string `dynamodbav:"kind"`
	CustomerID string `dynamodbav:"customer_id"`
	StoreID    string `dynamodbav:"store_id"`
	Planned    string `dynamodbav:"planned"`
}

// Claim writes e as claimed (or skipped, when e.State is skipped) with one
// PutItem conditioned on attribute_not_exists(PK); a failed condition is
// (false, nil). A skip won also ADDs 1 to its store-day counter (a second
// request). Returns the DynamoDB error.
func (l *Ledger) Claim(ctx context.Context, e touch.Entry) (bool, error) {
	won, err := l.put(ctx, e)
	if err != nil {
		return false, fmt.Errorf("claim %s: %w", e.Key, err)
	}
	if won && e.State == touch.StateSkipped {
		if err := l.bump(ctx, e.StoreID, e.Planned, attrSkipped+e.Reason, 1); err != nil {
			return true, fmt.Errorf("claim %s: %w", e.Key, err)
		}
	}
	return won, nil
}

// put is the conditional write of Claim, without the counter.
func (l *Ledger) put(ctx context.Context, e touch.Entry) (bool, error) {
	err := l.db.putNew(ctx, newLedgerItem(e))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, loupe.ErrExists):
		return false, nil
	default:
		return false, err
	}
}

// ClaimBatch claims entries as Claim would one by one, with up to
// claimWorkers conditional PutItems in flight (DynamoDB has no conditional
// batch write, and dynalite no transactions); a key repeated in entries is
// won at most by its first occurrence. Skip counters are summed per store,
// day and reason and ADDed once each after the puts. On a DynamoDB error it
// returns nil and the error; claims already written stay (claimed ones are
// pending, so Recover sends them later).
func (l *Ledger) ClaimBatch(ctx context.Context, entries []touch.Entry) ([]bool, error) {
	won := make([]bool, len(entries))
	first := map[touch.Key]bool{}
	jobs := make(chan int)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	ctx2, abort := context.WithCancel(ctx)
	defer abort()
	for range min(claimWorkers, len(entries)) {
		wg.Go(func() {
			for i := range jobs {
				ok, err := l.put(ctx2, entries[i])
				if err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("claim %s: %w", entries[i].Key, err))
					mu.Unlock()
					abort()
					continue
				}
				won[i] = ok
			}
		})
	}
feed:
	for i, e := range entries {
		if first[e.Key] {
			continue
		}
		first[e.Key] = true
		select {
		case jobs <- i:
		case <-ctx2.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if len(errs) == 0 && ctx.Err() != nil {
		errs = append(errs, ctx.Err())
	}
	// Count the skips this call won even when it failed part-way: a retry
	// finds them claimed and would never count them. The counters go on a
	// context of their own, since the caller's may be the one that ended.
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), bumpTimeout)
	defer cancel()
	if err := l.countSkips(bctx, entries, won); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("claim %d touchpoints: %w", len(entries), errs[0])
	}
	return won, nil
}

// bumpTimeout bounds the counter updates of a ClaimBatch.
const bumpTimeout = 10 * time.Second

// countSkips ADDs the skipped entries this batch won to their store-day
// counters, one UpdateItem per store, day and reason.
func (l *Ledger) countSkips(ctx context.Context, entries []touch.Entry, won []bool) error {
	type group struct {
		store  string
		day    touch.Day
		reason string
	}
	skips := map[group]int{}
	var order []group
	for i, e := range entries {
		if won[i] && e.State == touch.StateSkipped {
			g := group{e.StoreID, e.Planned, e.Reason}
			if skips[g] == 0 {
				order = append(order, g)
			}
			skips[g]++
		}
	}
	for _, g := range order {
		if err := l.bump(ctx, g.store, g.day, attrSkipped+g.reason, skips[g]); err != nil {
			return err
		}
	}
	return nil
}

// bump ADDs n to attribute attr (and to also, when given) of the store's
// counter item of day, in one UpdateItem.
func (l *Ledger) bump(ctx context.Context, storeID string, day touch.Day, attr string, n int, also ...string) error {
	names := map[string]string{"#c": attr, "#day": "day"}
	add := "ADD #c :n"
	for i, a := range also {
		names["#a"+strconv.Itoa(i)] = a
		add += ", #a" + strconv.Itoa(i) + " :n"
	}
	_, err := l.db.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                l.db.table,
		Key:                      key(touchCountPK(storeID), day.String()),
		UpdateExpression:         aws.String(add + " SET kind = :kind, store_id = :s, #day = :d"),
		ExpressionAttributeNames: names,
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":n":    &types.AttributeValueMemberN{Value: strconv.Itoa(n)},
			":kind": s(KindTouchCount), ":s": s(storeID), ":d": s(day.String()),
		},
	})
	if err != nil {
		return fmt.Errorf("count %s of store %s on %s: %w", attr, storeID, day, err)
	}
	return nil
}

// Get returns the entry of k with one consistent GetItem, an error wrapping
// loupe.ErrNotFound, or the DynamoDB or decoding error.
func (l *Ledger) Get(ctx context.Context, k touch.Key) (touch.Entry, error) {
	e, found, err := l.get(ctx, k)
	if err == nil && !found {
		err = loupe.ErrNotFound
	}
	if err != nil {
		return touch.Entry{}, fmt.Errorf("ledger %s: %w", k, err)
	}
	return e, nil
}

func (l *Ledger) get(ctx context.Context, k touch.Key) (touch.Entry, bool, error) {
	var it LedgerItem
	found, err := l.db.getItem(ctx, ledgerPK(k.CustomerID), ledgerSK(k), &it)
	if err != nil || !found {
		return touch.Entry{}, found, err
	}
	e, err := it.Entry()
	if err != nil {
		return touch.Entry{}, false, fmt.Errorf("decode %s: %w", k, err)
	}
	return e, true, nil
}

// finish moves claimed entry k to state with one UpdateItem conditioned on
// state = claimed (the only state touch.Transition moves from), which also
// REMOVEs the pending-index keys and any lease. It returns the entry as
// written and whether this call moved it; when the condition fails, a
// consistent GetItem and touch.Transition tell loupe.ErrNotFound, "already
// in state" (false, nil) and loupe.ErrConflict apart.
func (l *Ledger) finish(ctx context.Context, k touch.Key, state string, set map[string]string) (touch.Entry, bool, error) {
	names := map[string]string{"#state": "state"}
	values := map[string]types.AttributeValue{":state": s(state), ":claimed": s(touch.StateClaimed)}
	expr := "SET #state = :state"
	for attr, v := range set {
		ph := strconv.Itoa(len(names))
		names["#a"+ph], values[":a"+ph] = attr, s(v)
		expr += ", #a" + ph + " = :a" + ph
	}
	expr += " REMOVE GSI1PK, GSI1SK, lease_until"
	out, err := l.db.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 l.db.table,
		Key:                       key(ledgerPK(k.CustomerID), ledgerSK(k)),
		UpdateExpression:          aws.String(expr),
		ConditionExpression:       aws.String("attribute_exists(PK) AND #state = :claimed"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
		ReturnValues:              types.ReturnValueAllNew,
	})
	if err == nil {
		e, derr := decodeLedgerItem(out.Attributes)
		if derr != nil {
			return touch.Entry{}, true, fmt.Errorf("decode: %w", derr)
		}
		return e, true, nil
	}
	if !isConditionFailed(err) {
		return touch.Entry{}, false, err
	}
	e, found, err := l.get(ctx, k)
	if err != nil {
		return touch.Entry{}, false, err
	}
	move, err := touch.Transition(e.State, found, state)
	switch {
	case err != nil:
		return touch.Entry{}, false, err
	case move: // claimed again between the write and the read: cannot happen
		return touch.Entry{}, false, fmt.Errorf("touchpoint %s changed during the write: %w", e.State, loupe.ErrConflict)
	}
	return e, false, nil
}

// MarkSent moves a claimed entry to sent: one UpdateItem conditioned on
// state = claimed, then a PutItem of the store's sent-index item conditioned
// on attribute_not_exists(PK), then, only when that put wrote the item, an
// ADD of 1 to the store-day counter: 3 requests. Marking a sent entry again
// costs a GetItem and completes a sent-index item an earlier call did not
// write (a crash between the first two requests); a crash between the last
// two leaves the counter one short (never one over). Returns errors wrapping
// loupe.ErrNotFound (unclaimed), loupe.ErrConflict (skipped), or the
// DynamoDB error.
func (l *Ledger) MarkSent(ctx context.Context, k touch.Key, messageID string, at time.Time) error {
	set := map[string]string{"sent_at": formatTime(at)}
	if messageID != "" {
		set["message_id"] = messageID
	}
	e, _, err := l.finish(ctx, k, touch.StateSent, set)
	if err == nil {
		err = l.recordSent(ctx, e)
	}
	if err != nil {
		return fmt.Errorf("mark sent %s: %w", k, err)
	}
	return nil
}

// recordSent writes e's sent-index item unless it exists and then counts it.
func (l *Ledger) recordSent(ctx context.Context, e touch.Entry) error {
	day := e.Planned.String()
	err := l.db.putNew(ctx, TouchSentItem{
		PK: touchSentPK(e.StoreID), SK: day + "#" + keyTail(e.Key), Kind: KindTouchSent,
		CustomerID: e.CustomerID, StoreID: e.StoreID, Planned: day,
	})
	if errors.Is(err, loupe.ErrExists) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sent index: %w", err)
	}
	return l.bump(ctx, e.StoreID, e.Planned, "sent", 1, attrSentOn+e.On())
}

// MarkSkipped moves a claimed entry to skipped with reason: one UpdateItem
// conditioned on state = claimed, then, only when it moved the entry, an ADD
// of 1 to the store-day counter of reason: 2 requests (a crash between them
// leaves the counter one short). Skipping a skipped entry costs a GetItem and
// writes nothing. Returns errors wrapping loupe.ErrNotFound (unclaimed),
// loupe.ErrConflict (sent), or the DynamoDB error.
func (l *Ledger) MarkSkipped(ctx context.Context, k touch.Key, reason string, at time.Time) error {
	e, moved, err := l.finish(ctx, k, touch.StateSkipped, map[string]string{"reason": reason})
	if err == nil && moved {
		err = l.bump(ctx, e.StoreID, e.Planned, attrSkipped+reason, 1)
	}
	if err != nil {
		return fmt.Errorf("mark skipped %s: %w", k, err)
	}
	return nil
}

// Lease takes the send lease of claimed entry k until until with one
// UpdateItem conditioned on state = claimed and no lease_until or one at or
// before now (touch.Leasable). Returns (false, nil) when k is sent, skipped or leased by
// another caller (one more consistent GetItem), an error wrapping
// loupe.ErrNotFound when k is not in the ledger, or the DynamoDB error.
func (l *Ledger) Lease(ctx context.Context, k touch.Key, now, until time.Time) (bool, error) {
	_, err := l.db.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        l.db.table,
		Key:              key(ledgerPK(k.CustomerID), ledgerSK(k)),
		UpdateExpression: aws.String("SET lease_until = :until"),
		ConditionExpression: aws.String("attribute_exists(PK) AND #state = :claimed AND " +
			"(attribute_not_exists(lease_until) OR lease_until <= :now)"),
		ExpressionAttributeNames: map[string]string{"#state": "state"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":until": s(formatTime(until)), ":now": s(formatTime(now)), ":claimed": s(touch.StateClaimed),
		},
	})
	if err == nil {
		return true, nil
	}
	if !isConditionFailed(err) {
		return false, fmt.Errorf("lease %s: %w", k, err)
	}
	e, found, err := l.get(ctx, k)
	if err == nil {
		_, err = touch.Leasable(e, found, now) // only its ErrNotFound: the write lost
	}
	if err != nil {
		return false, fmt.Errorf("lease %s: %w", k, err)
	}
	return false, nil
}

// Release clears the lease of claimed entry k that ends at until (the one
// this caller took) with one UpdateItem REMOVE lease_until, conditioned on
// state = claimed and lease_until = until (touch.Releasable); an unknown key, another caller's
// lease, no lease or an entry no longer claimed is a no-op. Returns the
// DynamoDB error.
func (l *Ledger) Release(ctx context.Context, k touch.Key, until time.Time) error {
	_, err := l.db.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                l.db.table,
		Key:                      key(ledgerPK(k.CustomerID), ledgerSK(k)),
		UpdateExpression:         aws.String("REMOVE lease_until"),
		ConditionExpression:      aws.String("#state = :claimed AND lease_until = :until"),
		ExpressionAttributeNames: map[string]string{"#state": "state"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":claimed": s(touch.StateClaimed), ":until": s(formatTime(until)),
		},
	})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("release %s: %w", k, err)
	}
	return nil
}

// Pending returns claimed-unsent entries ordered by ClaimedAt then key: one
// Query (paginated) of each of the pendingShards GSI1 partitions TPPENDING#<n>,
// merged in memory. The index is eventually consistent in DynamoDB: an entry
// marked sent a moment ago may still be listed (items whose projected state is
// no longer claimed are dropped), so a recovering sender takes the entry's
// lease, a consistent conditional write, before it sends. Returns the
// DynamoDB or decoding error.
func (l *Ledger) Pending(ctx context.Context) ([]touch.Entry, error) {
	var out []touch.Entry
	for n := range pendingShards {
		err := l.db.queryIndex(ctx, GSI1, prefixPending+strconv.Itoa(n), "", func(av map[string]types.AttributeValue) error {
			e, err := decodeLedgerItem(av)
			if err != nil {
				return err
			}
			if e.State == touch.StateClaimed {
				out = append(out, e)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("pending touchpoints: %w", err)
		}
	}
	slices.SortFunc(out, func(a, b touch.Entry) int {
		return cmp.Or(a.ClaimedAt.Compare(b.ClaimedAt), strings.Compare(a.CustomerID, b.CustomerID),
			strings.Compare(a.Occasion, b.Occasion), cmp.Compare(a.Year, b.Year))
	})
	return out, nil
}

// LastMarketing returns the client's latest planned day of a claimed or sent
// entry, false when there is none: one consistent Query of the client's
// partition LEDGER#<customer> (a handful of entries a year), projected to
// state and planned. Returns the DynamoDB or decoding error.
func (l *Ledger) LastMarketing(ctx context.Context, customerID string) (touch.Day, bool, error) {
	var last touch.Day
	found := false
	in := &dynamodb.QueryInput{
		TableName:                 l.db.table,
		ConsistentRead:            aws.Bool(true),
		KeyConditionExpression:    aws.String("PK = :pk"),
		ProjectionExpression:      aws.String("#state, planned"),
		ExpressionAttributeNames:  map[string]string{"#state": "state"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(ledgerPK(customerID))},
	}
	p := dynamodb.NewQueryPaginator(l.db.api, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return touch.Day{}, false, fmt.Errorf("last marketing %s: %w", customerID, err)
		}
		for _, av := range page.Items {
			var it struct {
				State   string `dynamodbav:"state"`
				Planned string `dynamodbav:"planned"`
			}
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return touch.Day{}, false, fmt.Errorf("last marketing %s: %w", customerID, err)
			}
			if !(touch.Entry{State: it.State}).Marketing() {
				continue
			}
			var d touch.Day
			if err := d.UnmarshalText([]byte(it.Planned)); err != nil {
				return touch.Day{}, false, fmt.Errorf("last marketing %s: %w", customerID, err)
			}
			if !found || last.Before(d) {
				last, found = d, true
			}
		}
	}
	return last, found, nil
}

// queryBetween calls fn for each item of the table partition pk whose sort
// key is between lo and hi (inclusive), in sort key order, with a
// consistent, paginated Query.
func (l *Ledger) queryBetween(ctx context.Context, pk, lo, hi string, fn func(map[string]types.AttributeValue) error) error {
	p := dynamodb.NewQueryPaginator(l.db.api, &dynamodb.QueryInput{
		TableName:              l.db.table,
		ConsistentRead:         aws.Bool(true),
		KeyConditionExpression: aws.String("PK = :pk AND SK BETWEEN :lo AND :hi"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": s(pk), ":lo": s(lo), ":hi": s(hi),
		},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, item := range page.Items {
			if err := fn(item); err != nil {
				return err
			}
		}
	}
	return nil
}

// Counts returns the store's per-day counters from..to in day order: one
// Query of TPCOUNT#<store> between the two days. Returns the DynamoDB or
// decoding error.
func (l *Ledger) Counts(ctx context.Context, storeID string, from, to touch.Day) ([]touch.DayCount, error) {
	var out []touch.DayCount
	err := l.queryBetween(ctx, touchCountPK(storeID), from.String(), to.String(), func(av map[string]types.AttributeValue) error {
		dc := touch.DayCount{StoreID: storeID}
		sk, _ := av["SK"].(*types.AttributeValueMemberS)
		if sk == nil {
			return fmt.Errorf("counter item without SK")
		}
		if err := dc.Day.UnmarshalText([]byte(sk.Value)); err != nil {
			return err
		}
		for name, v := range av {
			if name != "sent" && !strings.HasPrefix(name, attrSkipped) && !strings.HasPrefix(name, attrSentOn) {
				continue
			}
			var n int
			if err := attributevalue.Unmarshal(v, &n); err != nil {
				return fmt.Errorf("counter %s on %s: %w", name, sk.Value, err)
			}
			if name == "sent" {
				dc.Sent = n
				continue
			}
			if ch, ok := strings.CutPrefix(name, attrSentOn); ok {
				if dc.ByChannel == nil {
					dc.ByChannel = map[string]int{}
				}
				dc.ByChannel[ch] = n
				continue
			}
			if n == 0 {
				continue
			}
			if dc.Skipped == nil {
				dc.Skipped = map[string]int{}
			}
			dc.Skipped[strings.TrimPrefix(name, attrSkipped)] = n
		}
		out = append(out, dc)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("touchpoint counts %s: %w", storeID, err)
	}
	return out, nil
}

// Touches counts sent mails per client of the store planned from..to: one
// Query (paginated) of TPSENT#<store> between the two days. Returns the
// DynamoDB or decoding error.
func (l *Ledger) Touches(ctx context.Context, storeID string, from, to touch.Day) (map[string]int, error) {
	out := map[string]int{}
	// '$' follows '#': every "<to>#..." sort key sorts before "<to>$".
	err := l.queryBetween(ctx, touchSentPK(storeID), from.String(), to.String()+"$", func(av map[string]types.AttributeValue) error {
		c, _ := av["customer_id"].(*types.AttributeValueMemberS)
		if c == nil {
			return fmt.Errorf("sent item without customer_id")
		}
		out[c.Value]++
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("touches %s: %w", storeID, err)
	}
	return out, nil
}
