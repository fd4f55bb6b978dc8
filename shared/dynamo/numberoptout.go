package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/loupehq/loupe/shared/loupe"
)

// A number's opt-out from texts: PK=OPTOUT#<NumberHash>, SK=OPTOUT.
const (
	prefixOptOut = "OPTOUT#"
	skOptOut     = "OPTOUT"
	KindOptOut   = "number_optout"
)

var _ loupe.NumberOptOuts = (*DB)(nil)

// NumberOptOutItem is a number's newest answer to texts.
type NumberOptOutItem struct {
	PK   string `dynamodbav:"PK"`
	SK   string `dynamodbav:"SK"`
	Kind string `dynamodbav:"kind"`
	Out  bool   `dynamodbav:"out"`
	At   string `dynamodbav:"at"`
}

// SetNumberOptOut implements loupe.NumberOptOuts: one PutItem conditioned
// on no item or an older one (at is written in timeLayout, whose string
// order is time order).
func (db *DB) SetNumberOptOut(ctx context.Context, phone string, out bool, at time.Time) (bool, error) {
	if err := loupe.ValidNumber(phone); err != nil {
		return false, err
	}
	av, err := attributevalue.MarshalMap(NumberOptOutItem{PK: prefixOptOut + loupe.NumberHash(phone), SK: skOptOut,
		Kind: KindOptOut, Out: out, At: formatTime(at)})
	if err != nil {
		return false, fmt.Errorf("set number opt-out: %w", err)
	}
	_, err = db.api.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: db.table,
		Item:      av,
		// The newest answer stands; of two as old, the opt-out (a denial
		// wins a tie, as loupe.ApplyConsent has it).
		ConditionExpression:      aws.String("attribute_not_exists(PK) OR #at < :at OR (#at = :at AND #out = :false AND :out = :true)"),
		ExpressionAttributeNames: map[string]string{"#at": "at", "#out": "out"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": s(formatTime(at)),
			":out": &types.AttributeValueMemberBOOL{Value: out}, ":true": &types.AttributeValueMemberBOOL{Value: true},
			":false": &types.AttributeValueMemberBOOL{Value: false}},
	})
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("set number opt-out: %w", err)
	}
	return true, nil
}

// NumberOptedOut implements loupe.NumberOptOuts with a consistent GetItem.
func (db *DB) NumberOptedOut(ctx context.Context, phone string) (bool, error) {
	var it NumberOptOutItem
	ok, err := db.getItem(ctx, prefixOptOut+loupe.NumberHash(phone), skOptOut, &it)
	if err != nil {
		return false, fmt.Errorf("number opted out: %w", err)
	}
	return ok && it.Out, nil
}
