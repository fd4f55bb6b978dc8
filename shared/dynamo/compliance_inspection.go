package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/loupehq/loupe/shared/compliance"
	"github.com/loupehq/loupe/shared/loupe"
)

// Inspection items (docs/compliance.md section 7), apart from the STORE#
// items so a store.upserted never touches them:
//
//	PK=INSPECTION               SK=<store_id>  the window (from, to, updated_at)
//	PK=INSPECTIONMAIL#<store>   SK=<day>       the morning mail's claim, expires by TTL
const (
	pkInspection         = "INSPECTION"
	prefixInspectionMail = "INSPECTIONMAIL#"
)

// InspectionMailTTL is how long the claim of a morning mail is kept
// (attribute expires_at): long past any inspection window.
const InspectionMailTTL = 120 * 24 * time.Hour

var _ compliance.InspectionStore = (*ComplianceStore)(nil)

// inspectionItem is the stored inspection window.
type inspectionItem struct {
	PK        string `dynamodbav:"PK"`
	SK        string `dynamodbav:"SK"`
	StoreID   string `dynamodbav:"store_id"`
	From      string `dynamodbav:"from"`
	To        string `dynamodbav:"to"`
	UpdatedAt string `dynamodbav:"updated_at"`
}

func (it inspectionItem) inspection() (compliance.Inspection, error) {
	at, err := parseTime("updated_at", it.UpdatedAt)
	if err != nil {
		return compliance.Inspection{}, fmt.Errorf("decode inspection of store %s: %w", it.StoreID, err)
	}
	return compliance.Inspection{StoreID: it.StoreID, From: it.From, To: it.To, UpdatedAt: at}, nil
}

// SetInspection implements compliance.InspectionStore: one PutItem. Returns
// the DynamoDB error.
func (cs *ComplianceStore) SetInspection(ctx context.Context, in compliance.Inspection) error {
	av, err := attributevalue.MarshalMap(inspectionItem{PK: pkInspection, SK: in.StoreID, StoreID: in.StoreID,
		From: in.From, To: in.To, UpdatedAt: formatTime(in.UpdatedAt)})
	if err != nil {
		return fmt.Errorf("set inspection of store %s: encode: %w", in.StoreID, err)
	}
	if _, err := cs.db.api.PutItem(ctx, &dynamodb.PutItemInput{TableName: cs.db.table, Item: av}); err != nil {
		return fmt.Errorf("set inspection of store %s: %w", in.StoreID, err)
	}
	return nil
}

// DeleteInspection implements compliance.InspectionStore: one DeleteItem.
// Returns the DynamoDB error.
func (cs *ComplianceStore) DeleteInspection(ctx context.Context, storeID string) error {
	_, err := cs.db.api.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: cs.db.table, Key: key(pkInspection, storeID)})
	if err != nil {
		return fmt.Errorf("delete inspection of store %s: %w", storeID, err)
	}
	return nil
}

// Inspection implements compliance.InspectionStore: one strongly consistent
// GetItem. Returns an error wrapping loupe.ErrNotFound, or the DynamoDB error.
func (cs *ComplianceStore) Inspection(ctx context.Context, storeID string) (compliance.Inspection, error) {
	var it inspectionItem
	ok, err := cs.db.getItem(ctx, pkInspection, storeID, &it)
	if err == nil && !ok {
		err = loupe.ErrNotFound
	}
	if err != nil {
		return compliance.Inspection{}, fmt.Errorf("inspection of store %s: %w", storeID, err)
	}
	return it.inspection()
}

// Inspections implements compliance.InspectionStore: one Query (paginated) of
// partition INSPECTION, in store id order. Returns the DynamoDB or decoding error.
func (cs *ComplianceStore) Inspections(ctx context.Context) ([]compliance.Inspection, error) {
	var out []compliance.Inspection
	err := cs.db.queryIndex(ctx, "", pkInspection, "", func(av map[string]types.AttributeValue) error {
		var it inspectionItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return err
		}
		in, err := it.inspection()
		if err != nil {
			return err
		}
		out = append(out, in)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list inspections: %w", err)
	}
	return out, nil
}

// ClaimMorning implements compliance.InspectionStore: an insert-only PutItem
// (attribute_not_exists), expiring InspectionMailTTL after at. Returns the
// DynamoDB error.
func (cs *ComplianceStore) ClaimMorning(ctx context.Context, storeID, day string, at time.Time) (bool, error) {
	_, err := cs.db.api.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: cs.db.table,
		Item: map[string]types.AttributeValue{
			"PK": s(prefixInspectionMail + storeID), "SK": s(day),
			"store_id": s(storeID), "day": s(day), "claimed_at": s(formatTime(at)),
			"expires_at": &types.AttributeValueMemberN{Value: fmt.Sprint(at.Add(InspectionMailTTL).Unix())},
		},
		ConditionExpression: aws.String("attribute_not_exists(PK)"),
	})
	var ccf *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &ccf):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("claim morning of store %s on %s: %w", storeID, day, err)
	}
	return true, nil
}

// ReleaseMorning implements compliance.InspectionStore: one DeleteItem.
// Returns the DynamoDB error.
func (cs *ComplianceStore) ReleaseMorning(ctx context.Context, storeID, day string) error {
	_, err := cs.db.api.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: cs.db.table, Key: key(prefixInspectionMail+storeID, day)})
	if err != nil {
		return fmt.Errorf("release morning of store %s on %s: %w", storeID, day, err)
	}
	return nil
}
