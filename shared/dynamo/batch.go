package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// batchGetSize is the most keys one BatchGetItem takes.
const batchGetSize = 100

// batchGet reads up to batchGetSize distinct keys with one consistent
// BatchGetItem, retrying unprocessed keys with backoff (batchAttempts
// tries), and returns the items found by key. Returns the DynamoDB error.
func (db *DB) batchGet(ctx context.Context, keys []loadKey) (map[loadKey]map[string]types.AttributeValue, error) {
	req := make([]map[string]types.AttributeValue, len(keys))
	for i, k := range keys {
		req[i] = key(k.pk, k.sk)
	}
	out := map[loadKey]map[string]types.AttributeValue{}
	for attempt := 0; len(req) > 0; attempt++ {
		if attempt == batchAttempts {
			return nil, fmt.Errorf("batch get: %d keys still unprocessed", len(req))
		}
		if attempt > 0 {
			if err := batchBackoff(ctx, attempt); err != nil {
				return nil, err
			}
		}
		res, err := db.api.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{
			RequestItems: map[string]types.KeysAndAttributes{*db.table: {Keys: req, ConsistentRead: aws.Bool(true)}},
		})
		if err != nil {
			return nil, fmt.Errorf("batch get: %w", err)
		}
		for _, item := range res.Responses[*db.table] {
			pk, _ := item["PK"].(*types.AttributeValueMemberS)
			sk, _ := item["SK"].(*types.AttributeValueMemberS)
			if pk != nil && sk != nil {
				out[loadKey{pk.Value, sk.Value}] = item
			}
		}
		req = res.UnprocessedKeys[*db.table].Keys
	}
	return out, nil
}

// batchGetAll reads keys (duplicates allowed) in chunks of batchGetSize
// distinct keys, one after the other, and returns the items found by key.
// Returns the DynamoDB error.
func (db *DB) batchGetAll(ctx context.Context, keys []loadKey) (map[loadKey]map[string]types.AttributeValue, error) {
	var distinct []loadKey
	seen := make(map[loadKey]bool, len(keys))
	for _, k := range keys {
		if !seen[k] {
			seen[k] = true
			distinct = append(distinct, k)
		}
	}
	out := make(map[loadKey]map[string]types.AttributeValue, len(distinct))
	for start := 0; start < len(distinct); start += batchGetSize {
		found, err := db.batchGet(ctx, distinct[start:min(start+batchGetSize, len(distinct))])
		if err != nil {
			return nil, err
		}
		for k, item := range found {
			out[k] = item
		}
	}
	return out, nil
}
