package dynamo

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"

	"github.com/loupehq/loupe/shared/loupe"
)

// TTL deletes carry this user identity in their stream record.
const (
	ttlIdentityType      = "Service"
	ttlIdentityPrincipal = "dynamodb.amazonaws.com"
)

// IsTTLDelete reports whether r is a delete made by DynamoDB's TTL process.
func IsTTLDelete(r events.DynamoDBEventRecord) bool {
	return r.UserIdentity != nil && r.UserIdentity.Type == ttlIdentityType &&
		r.UserIdentity.PrincipalID == ttlIdentityPrincipal
}

// itemKey is the primary key of any item.
type itemKey struct {
	PK string `dynamodbav:"PK"`
	SK string `dynamodbav:"SK"`
}

// DecodeRecord turns a stream record of an associate or repair item into a
// loupe.Change whose Seq is the record's SequenceNumber. It returns ok=false,
// and no error, for records of other items and for TTL deletes. It returns an
// error for an unknown event name or an image that does not decode into the
// records the store writes.
func DecodeRecord(r events.DynamoDBEventRecord) (c loupe.Change, ok bool, err error) {
	if IsTTLDelete(r) {
		return loupe.Change{}, false, nil
	}
	seq := r.Change.SequenceNumber
	keys, err := decodeImage(r.Change.Keys, func(k itemKey) (itemKey, error) { return k, nil })
	if err != nil {
		return loupe.Change{}, false, fmt.Errorf("stream record %s: keys: %w", seq, err)
	}
	if keys == nil {
		return loupe.Change{}, false, nil
	}
	pk := keys.PK
	switch {
	case strings.HasPrefix(pk, prefixAssociate):
		c.Entity = loupe.EntityAssociate
	case strings.HasPrefix(pk, prefixRepair):
		c.Entity = loupe.EntityRepair
	default:
		return loupe.Change{}, false, nil
	}
	switch r.EventName {
	case loupe.OpInsert, loupe.OpModify, loupe.OpRemove:
		c.Op = r.EventName
	default:
		return loupe.Change{}, false, fmt.Errorf("stream record %s: unknown event name %q", seq, r.EventName)
	}
	c.Seq = seq
	switch c.Entity {
	case loupe.EntityAssociate:
		if c.OldAssociate, err = decodeImage(r.Change.OldImage, AssociateItem.Associate); err != nil {
			return loupe.Change{}, false, fmt.Errorf("stream record %s: old image of %s: %w", seq, pk, err)
		}
		if c.NewAssociate, err = decodeImage(r.Change.NewImage, AssociateItem.Associate); err != nil {
			return loupe.Change{}, false, fmt.Errorf("stream record %s: new image of %s: %w", seq, pk, err)
		}
	case loupe.EntityRepair:
		if c.OldRepair, err = decodeImage(r.Change.OldImage, RepairItem.Repair); err != nil {
			return loupe.Change{}, false, fmt.Errorf("stream record %s: old image of %s: %w", seq, pk, err)
		}
		if c.NewRepair, err = decodeImage(r.Change.NewImage, RepairItem.Repair); err != nil {
			return loupe.Change{}, false, fmt.Errorf("stream record %s: new image of %s: %w", seq, pk, err)
		}
	}
	return c, true, nil
}

// decodeImage decodes a stream image as STYLE.md says: json.Marshal the
// events map, attributevalue.UnmarshalMapJSON, then attributevalue.UnmarshalMap
// into the record struct I, which toDomain converts. A nil or empty image gives
// nil.
func decodeImage[I, D any](image map[string]events.DynamoDBAttributeValue, toDomain func(I) (D, error)) (*D, error) {
	if len(image) == 0 {
		return nil, nil
	}
	raw, err := json.Marshal(image)
	if err != nil {
		return nil, fmt.Errorf("marshal image: %w", err)
	}
	av, err := attributevalue.UnmarshalMapJSON(raw)
	if err != nil {
		return nil, fmt.Errorf("parse image: %w", err)
	}
	var item I
	if err := attributevalue.UnmarshalMap(av, &item); err != nil {
		return nil, fmt.Errorf("decode image: %w", err)
	}
	d, err := toDomain(item)
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// HandleStream decodes ev's records in order and calls h for each associate
// or repair change, skipping other records and TTL deletes. On the first
// decode or handler error it stops and returns a response naming that
// record's SequenceNumber, so Lambda retries from there; otherwise it returns
// an empty response. The error goes to slog with ids only.
func HandleStream(ctx context.Context, ev events.DynamoDBEvent, h loupe.ChangeHandler) events.DynamoDBEventResponse {
	for _, r := range ev.Records {
		seq := r.Change.SequenceNumber
		c, ok, err := DecodeRecord(r)
		if err != nil {
			slog.ErrorContext(ctx, "decode stream record", "seq", seq, "event_id", r.EventID, "err", err)
			return failAt(seq)
		}
		if !ok {
			continue
		}
		if err := h(ctx, c); err != nil {
			slog.ErrorContext(ctx, "handle stream record", "seq", seq, "event_id", r.EventID,
				"entity", c.Entity, "op", c.Op, "err", err)
			return failAt(seq)
		}
	}
	return events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{}}
}

func failAt(seq string) events.DynamoDBEventResponse {
	return events.DynamoDBEventResponse{
		BatchItemFailures: []events.DynamoDBBatchItemFailure{{ItemIdentifier: seq}},
	}
}
