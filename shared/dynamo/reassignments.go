package dynamo

import (
	"context"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/reassign"
)

// Reassignment batches (package reassign), described in docs/reassignment.md:
//
//	header      PK=RASSIGN#<batch id>  SK=BATCH             GSI1PK=RASSIGNS GSI1SK=<created_at>#<batch id>
//	assignment  PK=RASSIGN#<batch id>  SK=A#<customer id>   (one item a client: no 400 KB item limit)
//
// Every write is one conditional request; no transactions.
const (
	KindReassignBatch      = "reassign_batch"
	KindReassignAssignment = "reassign_assignment"

	prefixReassign   = "RASSIGN#"
	skReassignBatch  = "BATCH"
	prefixAssignment = "A#"
	gsiReassigns     = "RASSIGNS"
)

var _ reassign.Store = (*DB)(nil)

func reassignPK(id string) string { return prefixReassign + id }

// ReassignBatchItem is a reassignment batch header as stored.
type ReassignBatchItem struct {
	PK          string `dynamodbav:"PK"`
	SK          string `dynamodbav:"SK"`
	Kind        string `dynamodbav:"kind"`
	GSI1PK      string `dynamodbav:"GSI1PK"`
	GSI1SK      string `dynamodbav:"GSI1SK"`
	BatchID     string `dynamodbav:"batch_id"`
	AssociateID string `dynamodbav:"associate_id"`
	StoreID     string `dynamodbav:"store_id"`
	CreatedAt   string `dynamodbav:"created_at"`
	Clients     int    `dynamodbav:"clients"`
	Status      string `dynamodbav:"status"`
	Source      string `dynamodbav:"source"`
	Mailed      bool   `dynamodbav:"mailed"`
}

func newReassignBatchItem(b reassign.Batch) ReassignBatchItem {
	created := formatTime(b.CreatedAt)
	return ReassignBatchItem{
		PK: reassignPK(b.ID), SK: skReassignBatch, Kind: KindReassignBatch,
		GSI1PK: gsiReassigns, GSI1SK: created + "#" + b.ID,
		BatchID: b.ID, AssociateID: b.AssociateID, StoreID: b.StoreID, CreatedAt: created,
		Clients: b.Clients, Status: b.Status, Source: b.Source, Mailed: b.Mailed,
	}
}

func (it ReassignBatchItem) batch() (reassign.Batch, error) {
	at, err := parseTime("created_at", it.CreatedAt)
	if err != nil {
		return reassign.Batch{}, err
	}
	return reassign.Batch{ID: it.BatchID, AssociateID: it.AssociateID, StoreID: it.StoreID, CreatedAt: at,
		Clients: it.Clients, Status: it.Status, Source: it.Source, Mailed: it.Mailed}, nil
}

// ReassignAssignmentItem is one client of a reassignment batch as stored.
type ReassignAssignmentItem struct {
	PK              string   `dynamodbav:"PK"`
	SK              string   `dynamodbav:"SK"`
	Kind            string   `dynamodbav:"kind"`
	CustomerID      string   `dynamodbav:"customer_id"`
	CustomerName    string   `dynamodbav:"customer_name"`
	HomeStoreID     string   `dynamodbav:"home_store_id"`
	FromAssociateID string   `dynamodbav:"from_associate_id"`
	ToAssociateID   string   `dynamodbav:"to_associate_id"`
	ToAssociateName string   `dynamodbav:"to_associate_name"`
	Score           float64  `dynamodbav:"score"`
	Reasons         []string `dynamodbav:"reasons"`
	State           string   `dynamodbav:"state"`
	Claimed         bool     `dynamodbav:"claimed"`
	ClaimedBy       string   `dynamodbav:"claimed_by,omitempty"`
	ClaimedByName   string   `dynamodbav:"claimed_by_name,omitempty"`
	ClaimedAt       string   `dynamodbav:"claimed_at,omitempty"`
}

func newReassignAssignmentItem(id string, a reassign.Assignment) ReassignAssignmentItem {
	return ReassignAssignmentItem{
		PK: reassignPK(id), SK: prefixAssignment + a.CustomerID, Kind: KindReassignAssignment,
		CustomerID: a.CustomerID, CustomerName: a.CustomerName, HomeStoreID: a.HomeStoreID,
		FromAssociateID: a.FromAssociateID, ToAssociateID: a.ToAssociateID, ToAssociateName: a.ToAssociateName,
		Score: a.Score, Reasons: a.Reasons, State: a.State, Claimed: a.Claimed,
		ClaimedBy: a.ClaimedBy, ClaimedByName: a.ClaimedByName, ClaimedAt: formatTime(a.ClaimedAt),
	}
}

func (it ReassignAssignmentItem) assignment() (reassign.Assignment, error) {
	at, err := parseTime("claimed_at", it.ClaimedAt)
	if err != nil {
		return reassign.Assignment{}, err
	}
	return reassign.Assignment{CustomerID: it.CustomerID, CustomerName: it.CustomerName, HomeStoreID: it.HomeStoreID,
		FromAssociateID: it.FromAssociateID, ToAssociateID: it.ToAssociateID, ToAssociateName: it.ToAssociateName,
		Score: it.Score, Reasons: it.Reasons, State: it.State, Claimed: it.Claimed,
		ClaimedBy: it.ClaimedBy, ClaimedByName: it.ClaimedByName, ClaimedAt: at}, nil
}

// CreateReassignment puts a batch header if none has its id. Returns an error
// wrapping loupe.ErrExists when one does, or the DynamoDB error.
func (db *DB) CreateReassignment(ctx context.Context, b reassign.Batch) error {
	if err := db.putNew(ctx, newReassignBatchItem(b)); err != nil {
		return fmt.Errorf("create reassignment %s: %w", b.ID, err)
	}
	return nil
}

// SaveReassignment updates an existing header's fields (created_at and the
// listing keys are kept) in one conditional UpdateItem. Returns an error
// wrapping loupe.ErrNotFound when there is no header, or the DynamoDB error.
func (db *DB) SaveReassignment(ctx context.Context, b reassign.Batch) error {
	_, err := db.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                db.table,
		Key:                      key(reassignPK(b.ID), skReassignBatch),
		ConditionExpression:      aws.String("attribute_exists(PK)"),
		UpdateExpression:         aws.String("SET associate_id = :a, store_id = :s, clients = :n, #st = :status, #src = :src, mailed = :m"),
		ExpressionAttributeNames: map[string]string{"#st": "status", "#src": "source"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":a": s(b.AssociateID), ":s": s(b.StoreID), ":n": &types.AttributeValueMemberN{Value: itoa(int64(b.Clients))},
			":status": s(b.Status), ":src": s(b.Source), ":m": &types.AttributeValueMemberBOOL{Value: b.Mailed},
		},
	})
	if isConditionFailed(err) {
		err = loupe.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("save reassignment %s: %w", b.ID, err)
	}
	return nil
}

// GetReassignment returns a batch header (strongly consistent read), an error
// wrapping loupe.ErrNotFound, or the DynamoDB error.
func (db *DB) GetReassignment(ctx context.Context, id string) (reassign.Batch, error) {
	var it ReassignBatchItem
	ok, err := db.getItem(ctx, reassignPK(id), skReassignBatch, &it)
	if err == nil && !ok {
		err = loupe.ErrNotFound
	}
	if err != nil {
		return reassign.Batch{}, fmt.Errorf("get reassignment %s: %w", id, err)
	}
	b, err := it.batch()
	if err != nil {
		return reassign.Batch{}, fmt.Errorf("get reassignment %s: %w", id, err)
	}
	return b, nil
}

// ListReassignments returns every header, newest first: one query of GSI1
// partition RASSIGNS in descending sort key order (eventually consistent, as
// every GSI read). Returns the DynamoDB or decoding error.
func (db *DB) ListReassignments(ctx context.Context) ([]reassign.Batch, error) {
	out := []reassign.Batch{}
	in := &dynamodb.QueryInput{
		TableName: db.table, IndexName: aws.String(GSI1),
		KeyConditionExpression:    aws.String("GSI1PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(gsiReassigns)},
		ScanIndexForward:          aws.Bool(false),
	}
	p := dynamodb.NewQueryPaginator(db.api, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list reassignments: %w", err)
		}
		for _, av := range page.Items {
			var it ReassignBatchItem
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return nil, fmt.Errorf("list reassignments: decode: %w", err)
			}
			b, err := it.batch()
			if err != nil {
				return nil, fmt.Errorf("list reassignments: %w", err)
			}
			out = append(out, b)
		}
	}
	return out, nil
}

// PutReassignmentAssignments checks that the header exists (one read), then
// writes the assignments with BatchWriteItem, 25 a request, retrying
// unprocessed items. Returns an error wrapping loupe.ErrNotFound when there is
// no header, or the DynamoDB error.
func (db *DB) PutReassignmentAssignments(ctx context.Context, id string, as []reassign.Assignment) error {
	var hdr ReassignBatchItem
	ok, err := db.getItem(ctx, reassignPK(id), skReassignBatch, &hdr)
	if err == nil && !ok {
		err = loupe.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("put assignments of %s: %w", id, err)
	}
	for start := 0; start < len(as); start += 25 {
		var reqs []types.WriteRequest
		for _, a := range as[start:min(start+25, len(as))] {
			av, err := attributevalue.MarshalMap(newReassignAssignmentItem(id, a))
			if err != nil {
				return fmt.Errorf("put assignments of %s: encode %s: %w", id, a.CustomerID, err)
			}
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: av}})
		}
		if err := db.batchWrite(ctx, reqs); err != nil {
			return fmt.Errorf("put assignments of %s: %w", id, err)
		}
	}
	return nil
}

// batchWrite sends up to 25 requests, retrying unprocessed ones with
// backoff (batchBackoff) up to batchAttempts times.
func (db *DB) batchWrite(ctx context.Context, reqs []types.WriteRequest) error {
	for attempt := 0; len(reqs) > 0; attempt++ {
		if attempt == batchAttempts {
			return fmt.Errorf("batch write: %d items still unprocessed", len(reqs))
		}
		if attempt > 0 {
			if err := batchBackoff(ctx, attempt); err != nil {
				return err
			}
		}
		out, err := db.api.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
			RequestItems: map[string][]types.WriteRequest{*db.table: reqs},
		})
		if err != nil {
			return fmt.Errorf("batch write: %w", err)
		}
		reqs = out.UnprocessedItems[*db.table]
	}
	return nil
}

// SaveReassignmentAssignment overwrites one existing assignment (a PutItem
// conditional on the item existing and not being erased; when it is erased,
// a second PutItem writes a with the name and reasons of an erased one, so a
// claim that read the client before its erasure cannot bring the name back).
// Returns an error wrapping loupe.ErrNotFound when there is none, or the
// DynamoDB error.
func (db *DB) SaveReassignmentAssignment(ctx context.Context, id string, a reassign.Assignment) error {
	for attempt := 0; ; attempt++ {
		av, err := attributevalue.MarshalMap(newReassignAssignmentItem(id, a))
		if err != nil {
			return fmt.Errorf("save assignment %s of %s: encode: %w", a.CustomerID, id, err)
		}
		in := &dynamodb.PutItemInput{
			TableName: db.table, Item: av, ConditionExpression: aws.String("attribute_exists(PK)"),
		}
		if a.CustomerName != reassign.ErasedName {
			in.ConditionExpression = aws.String("attribute_exists(PK) AND (attribute_not_exists(customer_name) OR customer_name <> :erased)")
			in.ExpressionAttributeValues = map[string]types.AttributeValue{":erased": s(reassign.ErasedName)}
		}
		_, err = db.api.PutItem(ctx, in)
		if isConditionFailed(err) && a.CustomerName != reassign.ErasedName && attempt == 0 {
			// Missing or erased: tell which, by writing it erased under the
			// existence condition alone.
			a.CustomerName, a.Reasons = reassign.ErasedName, nil
			continue
		}
		if isConditionFailed(err) {
			err = loupe.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("save assignment %s of %s: %w", a.CustomerID, id, err)
		}
		return nil
	}
}

// ReassignmentAssignments returns batch id's assignments ordered by customer
// id: one strongly consistent query of partition RASSIGN#<id> (sort keys
// A#...), paginated. Returns the DynamoDB or decoding error.
func (db *DB) ReassignmentAssignments(ctx context.Context, id string) ([]reassign.Assignment, error) {
	out := []reassign.Assignment{}
	err := db.queryIndex(ctx, "", reassignPK(id), prefixAssignment, func(av map[string]types.AttributeValue) error {
		var it ReassignAssignmentItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return err
		}
		a, err := it.assignment()
		if err != nil {
			return err
		}
		out = append(out, a)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("assignments of %s: %w", id, err)
	}
	// Sort keys "A#<id>" already sort by customer id; keep the order explicit.
	sort.SliceStable(out, func(i, j int) bool { return out[i].CustomerID < out[j].CustomerID })
	return out, nil
}

// ReassignmentAssignment returns the assignment of customerID in batch id
// (one consistent GetItem), or an error wrapping loupe.ErrNotFound.
func (db *DB) ReassignmentAssignment(ctx context.Context, id, customerID string) (reassign.Assignment, error) {
	var it ReassignAssignmentItem
	found, err := db.getItem(ctx, reassignPK(id), prefixAssignment+customerID, &it)
	if err == nil && !found {
		err = loupe.ErrNotFound
	}
	var a reassign.Assignment
	if err == nil {
		a, err = it.assignment()
	}
	if err != nil {
		return reassign.Assignment{}, fmt.Errorf("assignment %s of %s: %w", customerID, id, err)
	}
	return a, nil
}
