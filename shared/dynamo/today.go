package dynamo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/today"
)

// The daily outreach lists and the due items (today.Store,
// docs/data-model.md "Items that features add"):
//
//	list      PK=TODAY#<associate_id>  SK=<day>          one per associate and store-local day
//	due item  PK=TODO#<associate_id>   SK=REF#<ref>      one per associate and Ref
//
// Every write is one request that stands on its own under races: a list
// is created insert-only, an outcome is set on its task's own map entry
// conditioned on the entry having none, a due item is put insert-only
// under its Ref. Both expire by TTL (expires_at).

// Item kinds of the Today list.
const (
	KindTodayList = "today_list"
	KindTodayDue  = "today_due"
)

const (
	prefixToday = "TODAY#"
	prefixTodo  = "TODO#"
	prefixRef   = "REF#"
)

// ListTTL is how long after its day a list is kept (attribute expires_at):
// a year of progress, and the same day of last year, stay readable.
// DueTTL is how long after its last day a due item is kept.
const (
	ListTTL = 400 * 24 * time.Hour
	DueTTL  = 30 * 24 * time.Hour
)

var _ today.Store = (*DB)(nil)

func todayPK(associateID string) string { return prefixToday + associateID }
func todoPK(associateID string) string  { return prefixTodo + associateID }

// TodayListItem is a list as stored: PK=TODAY#<associate_id>, SK=<day>.
// Tasks is a map by task id, each entry holding its place on the list
// (n): an outcome is SET on its own entry, conditioned on the entry
// existing and having none, in one UpdateItem that no other task's write
// or the mark can undo. Marked is always present.
type TodayListItem struct {
	PK          string            `dynamodbav:"PK"`
	SK          string            `dynamodbav:"SK"`
	Kind        string            `dynamodbav:"kind"`
	AssociateID string            `dynamodbav:"associate_id"`
	StoreID     string            `dynamodbav:"store_id,omitempty"`
	Day         string            `dynamodbav:"day"`
	CreatedAt   string            `dynamodbav:"created_at"`
	Tasks       map[string]TaskAV `dynamodbav:"tasks,omitempty"`
	Marked      bool              `dynamodbav:"marked"`
	ExpiresAt   int64             `dynamodbav:"expires_at"`
}

// TaskAV is one task of a list as a map attribute; its task id is its key
// in the list's tasks.
type TaskAV struct {
	N          int    `dynamodbav:"n"` // its place on the list, from 0
	CustomerID string `dynamodbav:"customer_id"`
	Reason     string `dynamodbav:"reason"`
	Ref        string `dynamodbav:"ref,omitempty"`
	Outcome    string `dynamodbav:"outcome,omitempty"`
	OutcomeAt  string `dynamodbav:"outcome_at,omitempty"`
	OutcomeBy  string `dynamodbav:"outcome_by,omitempty"`
	Applied    bool   `dynamodbav:"applied,omitempty"`
}

// parseDay reads a YYYY-MM-DD day as midnight UTC. Returns an EINVALID
// *loupe.Error for another string.
func parseDay(field, day string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return time.Time{}, loupe.Invalidf(field, "not a YYYY-MM-DD day: %q", day)
	}
	return t, nil
}

// newTodayListItem returns the item CreateList writes for l. Returns an
// EINVALID *loupe.Error for a malformed day, or a task without an id or
// with the id of another.
func newTodayListItem(l today.List) (TodayListItem, error) {
	d, err := parseDay("day", l.Day)
	if err != nil {
		return TodayListItem{}, err
	}
	it := TodayListItem{
		PK: todayPK(l.AssociateID), SK: l.Day, Kind: KindTodayList,
		AssociateID: l.AssociateID, StoreID: l.StoreID, Day: l.Day, CreatedAt: formatTime(l.CreatedAt),
		Marked: l.Marked, ExpiresAt: d.Add(ListTTL).Unix(),
	}
	for i, k := range l.Tasks {
		if k.TaskID == "" {
			return TodayListItem{}, loupe.Invalidf("tasks", "task %d has no id", i)
		}
		if _, dup := it.Tasks[k.TaskID]; dup {
			return TodayListItem{}, loupe.Invalidf("tasks", "task %s twice on the list", k.TaskID)
		}
		if it.Tasks == nil {
			it.Tasks = make(map[string]TaskAV, len(l.Tasks))
		}
		it.Tasks[k.TaskID] = TaskAV{N: i, CustomerID: k.CustomerID, Reason: k.Reason, Ref: k.Ref,
			Outcome: k.Outcome, OutcomeAt: formatTime(k.OutcomeAt), OutcomeBy: k.OutcomeBy, Applied: k.Applied}
	}
	return it, nil
}

// List returns the domain list, its tasks in their places. Returns an
// error for a malformed timestamp.
func (it TodayListItem) List() (today.List, error) {
	created, err := parseTime("created_at", it.CreatedAt)
	if err != nil {
		return today.List{}, err
	}
	l := today.List{AssociateID: it.AssociateID, StoreID: it.StoreID, Day: it.Day, CreatedAt: created, Marked: it.Marked}
	type placed struct {
		n int
		k today.Task
	}
	var ps []placed
	for id, av := range it.Tasks {
		k, err := av.task(id)
		if err != nil {
			return today.List{}, err
		}
		ps = append(ps, placed{av.N, k})
	}
	slices.SortFunc(ps, func(a, b placed) int {
		if a.n != b.n {
			return a.n - b.n
		}
		return strings.Compare(a.k.TaskID, b.k.TaskID)
	})
	for _, p := range ps {
		l.Tasks = append(l.Tasks, p.k)
	}
	return l, nil
}

// task returns the domain task of entry id. Returns an error for a
// malformed timestamp.
func (av TaskAV) task(id string) (today.Task, error) {
	at, err := parseTime("tasks."+id+".outcome_at", av.OutcomeAt)
	if err != nil {
		return today.Task{}, err
	}
	return today.Task{TaskID: id, CustomerID: av.CustomerID, Reason: av.Reason, Ref: av.Ref,
		Outcome: av.Outcome, OutcomeAt: at, OutcomeBy: av.OutcomeBy, Applied: av.Applied}, nil
}

func decodeList(av map[string]types.AttributeValue) (today.List, error) {
	var it TodayListItem
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		return today.List{}, err
	}
	return it.List()
}

// GetList implements today.Store with one consistent GetItem. Returns an
// error wrapping loupe.ErrNotFound when no list was made, or the DynamoDB
// or decoding error.
func (db *DB) GetList(ctx context.Context, associateID, day string) (today.List, error) {
	res, err := db.api.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: db.table, Key: key(todayPK(associateID), day), ConsistentRead: aws.Bool(true),
	})
	if err == nil && res.Item == nil {
		err = loupe.ErrNotFound
	}
	if err != nil {
		return today.List{}, fmt.Errorf("list of %s on %s: %w", associateID, day, err)
	}
	l, err := decodeList(res.Item)
	if err != nil {
		return today.List{}, fmt.Errorf("list of %s on %s: %w", associateID, day, err)
	}
	return l, nil
}

// GetLists implements today.Store with consistent BatchGetItem requests
// (one for up to 100 days; unprocessed keys retried with backoff): the
// lists that exist, in the order of days. Returns the DynamoDB or
// decoding error.
func (db *DB) GetLists(ctx context.Context, associateID string, days []string) ([]today.List, error) {
	if len(days) == 0 {
		return nil, nil
	}
	keys := make([]loadKey, len(days))
	for i, d := range days {
		keys[i] = loadKey{todayPK(associateID), d}
	}
	found, err := db.batchGetAll(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("lists of %s: %w", associateID, err)
	}
	var out []today.List
	for _, k := range keys {
		av, ok := found[k]
		if !ok {
			continue
		}
		l, err := decodeList(av)
		if err != nil {
			return nil, fmt.Errorf("lists of %s: %s: %w", associateID, k.sk, err)
		}
		out = append(out, l)
	}
	return out, nil
}

// CreateList implements today.Store with one PutItem conditioned on
// attribute_not_exists(PK): of racing makers DynamoDB lets exactly one
// write. Returns an EINVALID *loupe.Error for a malformed day or task ids
// (none, or one twice), or the DynamoDB error.
func (db *DB) CreateList(ctx context.Context, l today.List) (bool, error) {
	it, err := newTodayListItem(l)
	if err != nil {
		return false, err
	}
	err = db.putNew(ctx, it)
	if errors.Is(err, loupe.ErrExists) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("create list of %s on %s: %w", l.AssociateID, l.Day, err)
	}
	return true, nil
}

// MarkList implements today.Store with one UpdateItem SET marked,
// conditioned on the list existing unmarked (a failed condition is the
// nothing-to-do answer). Returns the DynamoDB error.
func (db *DB) MarkList(ctx context.Context, associateID, day string) error {
	_, err := db.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 db.table,
		Key:                       key(todayPK(associateID), day),
		UpdateExpression:          aws.String("SET #m = :t"),
		ConditionExpression:       aws.String("attribute_exists(PK) AND (attribute_not_exists(#m) OR #m = :f)"),
		ExpressionAttributeNames:  map[string]string{"#m": "marked"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": &types.AttributeValueMemberBOOL{Value: true}, ":f": &types.AttributeValueMemberBOOL{Value: false}},
	})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("mark list of %s on %s: %w", associateID, day, err)
	}
	return nil
}

// MarkApplied implements today.Store with one UpdateItem that SETs the
// task's applied, conditioned on the task existing (a failed condition is
// nothing to do).
func (db *DB) MarkApplied(ctx context.Context, associateID, day, taskID string) error {
	if taskID == "" {
		return nil
	}
	_, err := db.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 db.table,
		Key:                       key(todayPK(associateID), day),
		UpdateExpression:          aws.String("SET #k.#t.#a = :t"),
		ConditionExpression:       aws.String("attribute_exists(#k.#t)"),
		ExpressionAttributeNames:  map[string]string{"#k": "tasks", "#t": taskID, "#a": "applied"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": &types.AttributeValueMemberBOOL{Value: true}},
	})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("mark task %s applied on the list of %s on %s: %w", taskID, associateID, day, err)
	}
	return nil
}

// SetOutcome implements today.Store with one UpdateItem that SETs the
// outcome on the task's own entry (tasks.<task id>), conditioned on the
// entry existing and holding no outcome, returning the list as written:
// of racing calls DynamoDB lets exactly one set it. When the condition
// fails, one consistent GetItem tells a missing list or task from one
// that has an outcome, returned with false. Returns an EINVALID
// *loupe.Error for an empty outcome, an error wrapping loupe.ErrNotFound
// for no such list or task, or the DynamoDB or decoding error.
func (db *DB) SetOutcome(ctx context.Context, associateID, day, taskID, outcome, by string, at time.Time) (today.Task, bool, error) {
	if outcome == "" {
		return today.Task{}, false, loupe.Invalidf("outcome", "no outcome")
	}
	if taskID == "" {
		return today.Task{}, false, fmt.Errorf("outcome of a task without id: %w", loupe.ErrNotFound)
	}
	set := []string{"#k.#t.#o = :o"}
	names := map[string]string{"#k": "tasks", "#t": taskID, "#o": "outcome"}
	values := map[string]types.AttributeValue{":o": s(outcome)}
	if !at.IsZero() {
		set = append(set, "#k.#t.#oa = :at")
		names["#oa"], values[":at"] = "outcome_at", s(formatTime(at))
	}
	if by != "" {
		set = append(set, "#k.#t.#ob = :by")
		names["#ob"], values[":by"] = "outcome_by", s(by)
	}
	out, err := db.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 db.table,
		Key:                       key(todayPK(associateID), day),
		UpdateExpression:          aws.String("SET " + strings.Join(set, ", ")),
		ConditionExpression:       aws.String("attribute_exists(#k.#t) AND attribute_not_exists(#k.#t.#o)"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
		ReturnValues:              types.ReturnValueAllNew,
	})
	wrote := err == nil
	var item map[string]types.AttributeValue
	switch {
	case wrote:
		item = out.Attributes
	case isConditionFailed(err):
		res, gerr := db.api.GetItem(ctx, &dynamodb.GetItemInput{
			TableName: db.table, Key: key(todayPK(associateID), day), ConsistentRead: aws.Bool(true),
		})
		if gerr != nil {
			return today.Task{}, false, fmt.Errorf("outcome of task %s: %w", taskID, gerr)
		}
		if res.Item == nil {
			return today.Task{}, false, fmt.Errorf("outcome of task %s: list of %s on %s: %w", taskID, associateID, day, loupe.ErrNotFound)
		}
		item = res.Item
	default:
		return today.Task{}, false, fmt.Errorf("outcome of task %s: %w", taskID, err)
	}
	var it TodayListItem
	if err := attributevalue.UnmarshalMap(item, &it); err != nil {
		return today.Task{}, false, fmt.Errorf("outcome of task %s: %w", taskID, err)
	}
	av, ok := it.Tasks[taskID]
	if !ok {
		return today.Task{}, false, fmt.Errorf("outcome of task %s: %w", taskID, loupe.ErrNotFound)
	}
	k, err := av.task(taskID)
	if err != nil {
		return today.Task{}, false, fmt.Errorf("outcome of task %s: %w", taskID, err)
	}
	return k, wrote, nil
}

// TodayDueItem is a due item as stored: PK=TODO#<associate_id>,
// SK=REF#<ref>, so a second put of the same Ref, whatever its window,
// finds the key taken; DueOn reads the associate's partition.
type TodayDueItem struct {
	PK          string `dynamodbav:"PK"`
	SK          string `dynamodbav:"SK"`
	Kind        string `dynamodbav:"kind"`
	AssociateID string `dynamodbav:"associate_id"`
	CustomerID  string `dynamodbav:"customer_id"`
	Reason      string `dynamodbav:"reason"`
	Ref         string `dynamodbav:"ref"`
	From        string `dynamodbav:"from"`
	Until       string `dynamodbav:"until"`
	Planned     bool   `dynamodbav:"planned,omitempty"`
	ExpiresAt   int64  `dynamodbav:"expires_at"`
}

// PutDue implements today.Store with one PutItem conditioned on
// attribute_not_exists(PK) under the associate and Ref (a taken key
// changes nothing). The item expires DueTTL after its last day. Returns an
// EINVALID *loupe.Error for a malformed Until, or the DynamoDB error.
func (db *DB) PutDue(ctx context.Context, d today.Due) error {
	until, err := parseDay("until", d.Until)
	if err != nil {
		return err
	}
	err = db.putNew(ctx, TodayDueItem{
		PK: todoPK(d.AssociateID), SK: prefixRef + d.Ref, Kind: KindTodayDue,
		AssociateID: d.AssociateID, CustomerID: d.CustomerID, Reason: d.Reason, Ref: d.Ref,
		From: d.From, Until: d.Until, Planned: d.Planned, ExpiresAt: until.Add(DueTTL).Unix(),
	})
	if err != nil && !errors.Is(err, loupe.ErrExists) {
		return fmt.Errorf("put due %s of %s: %w", d.Ref, d.AssociateID, err)
	}
	return nil
}

// DueOn implements today.Store with one consistent Query of the
// associate's partition, filtered on from <= day <= until (an associate
// has few due items, and expired ones leave by TTL; another page only
// past 1 MB), sorted by From then Ref in memory. Returns the DynamoDB or
// decoding error.
func (db *DB) DueOn(ctx context.Context, associateID, day string) ([]today.Due, error) {
	p := dynamodb.NewQueryPaginator(db.api, &dynamodb.QueryInput{
		TableName:                db.table,
		ConsistentRead:           aws.Bool(true),
		KeyConditionExpression:   aws.String("PK = :pk AND begins_with(SK, :ref)"),
		FilterExpression:         aws.String("#from <= :day AND #until >= :day"),
		ExpressionAttributeNames: map[string]string{"#from": "from", "#until": "until"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": s(todoPK(associateID)), ":ref": s(prefixRef), ":day": s(day),
		},
	})
	var out []today.Due
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("due of %s on %s: %w", associateID, day, err)
		}
		for _, av := range page.Items {
			var it TodayDueItem
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return nil, fmt.Errorf("due of %s on %s: %w", associateID, day, err)
			}
			out = append(out, today.Due{AssociateID: it.AssociateID, CustomerID: it.CustomerID, Reason: it.Reason,
				Ref: it.Ref, From: it.From, Until: it.Until, Planned: it.Planned})
		}
	}
	slices.SortFunc(out, func(a, b today.Due) int {
		if c := strings.Compare(a.From, b.From); c != 0 {
			return c
		}
		return strings.Compare(a.Ref, b.Ref)
	})
	return out, nil
}
