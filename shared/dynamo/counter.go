package dynamo

import (
	"context"
	"maps"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Counter is an API that forwards to another and counts the calls per
// operation ("GetItem", "Query", ...; a paginated Query counts each page), so
// benchmarks report DynamoDB requests by counting. Safe for concurrent use.
type Counter struct {
	api    API
	mu     sync.Mutex
	counts map[string]int64
}

var _ API = (*Counter)(nil)

// NewCounter returns a Counter around api with every count at zero.
func NewCounter(api API) *Counter {
	return &Counter{api: api, counts: map[string]int64{}}
}

func (c *Counter) add(op string) {
	c.mu.Lock()
	c.counts[op]++
	c.mu.Unlock()
}

// Counts returns a copy of the calls counted per operation.
func (c *Counter) Counts() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.counts)
}

// Total returns the number of calls counted, all operations together.
func (c *Counter) Total() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var n int64
	for _, v := range c.counts {
		n += v
	}
	return n
}

// Reset sets every count back to zero.
func (c *Counter) Reset() {
	c.mu.Lock()
	clear(c.counts)
	c.mu.Unlock()
}

// GetItem counts and forwards; it returns what the wrapped API returns.
func (c *Counter) GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	c.add("GetItem")
	return c.api.GetItem(ctx, in, optFns...)
}

// PutItem counts and forwards; it returns what the wrapped API returns.
func (c *Counter) PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	c.add("PutItem")
	return c.api.PutItem(ctx, in, optFns...)
}

// UpdateItem counts and forwards; it returns what the wrapped API returns.
func (c *Counter) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	c.add("UpdateItem")
	return c.api.UpdateItem(ctx, in, optFns...)
}

// DeleteItem counts and forwards; it returns what the wrapped API returns.
func (c *Counter) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	c.add("DeleteItem")
	return c.api.DeleteItem(ctx, in, optFns...)
}

// Query counts and forwards; it returns what the wrapped API returns.
func (c *Counter) Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	c.add("Query")
	return c.api.Query(ctx, in, optFns...)
}

// Scan counts and forwards; it returns what the wrapped API returns.
func (c *Counter) Scan(ctx context.Context, in *dynamodb.ScanInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	c.add("Scan")
	return c.api.Scan(ctx, in, optFns...)
}

// BatchWriteItem counts and forwards; it returns what the wrapped API returns.
func (c *Counter) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	c.add("BatchWriteItem")
	return c.api.BatchWriteItem(ctx, in, optFns...)
}

// BatchGetItem counts and forwards; it returns what the wrapped API returns.
func (c *Counter) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	c.add("BatchGetItem")
	return c.api.BatchGetItem(ctx, in, optFns...)
}
