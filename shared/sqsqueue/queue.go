package sqsqueue

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/loupehq/loupe/shared/touch"
)

// BatchSize is the most entries one SendMessageBatch call carries (the SQS
// limit).
const BatchSize = 10

// BatchAPI is the part of *sqs.Client the Queue calls, with the SDK's signature.
type BatchAPI interface {
	SendMessageBatch(ctx context.Context, params *sqs.SendMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
}

var _ BatchAPI = (*sqs.Client)(nil)

// QueueConfig configures a Queue. Zero values take the defaults noted.
type QueueConfig struct {
	// MaxAttempts bounds the SendMessageBatch calls for one group of up to 10
	// entries: the entries SQS reports as failed (throttled, internal error)
	// are sent again, alone, until they succeed or this many calls were made;
	// 0: 5. The SDK's own retryer runs inside each call as well.
	MaxAttempts int
	// BaseDelay is the wait before the first retry, doubled at each one up to
	// MaxDelay; 0: 100 ms and 5 s. Half is fixed, half random.
	BaseDelay, MaxDelay time.Duration
	// Sleep waits (tests inject one that returns at once); a context-aware
	// timer when nil.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Queue enqueues claimed touchpoint entries on the send queue at URL, ten to
// a SendMessageBatch call. It implements touch.Queue. Safe for concurrent use.
type Queue struct {
	api BatchAPI
	url string
	cfg QueueConfig
}

var _ touch.Queue = (*Queue)(nil)

// NewQueue returns a Queue sending to queueURL through api.
func NewQueue(api BatchAPI, queueURL string, cfg QueueConfig) *Queue {
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 5
	}
	if cfg.BaseDelay <= 0 {
		cfg.BaseDelay = 100 * time.Millisecond
	}
	if cfg.MaxDelay <= 0 {
		cfg.MaxDelay = 5 * time.Second
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleep
	}
	return &Queue{api: api, url: queueURL, cfg: cfg}
}

// Enqueue sends one message per entry (body EncodeEntry, message attributes
// "kind" and "key", the entry's mail key), ten per SendMessageBatch call, in
// order. Entries of a batch that SQS reports as failed are retried; a failure
// SQS blames on the sender (SenderFault, e.g. a body too large) is not. It
// stops at the first group that cannot be sent and returns an error naming how
// many entries were enqueued: the rest stay claimed in the ledger, and
// touch.Planner.Requeue enqueues them again once their claim is older than
// RecoverAfter. SQS standard queues may deliver a message twice; the sender
// sends each key at most once (touch.Planner.Deliver).
func (q *Queue) Enqueue(ctx context.Context, entries []touch.Entry) error {
	for start := 0; start < len(entries); start += BatchSize {
		end := min(start+BatchSize, len(entries))
		if err := q.sendGroup(ctx, entries[start:end]); err != nil {
			return fmt.Errorf("enqueue touchpoints: %d of %d enqueued: %w", start, len(entries), err)
		}
	}
	return nil
}

// sendGroup sends up to BatchSize entries, retrying the failed ones.
func (q *Queue) sendGroup(ctx context.Context, group []touch.Entry) error {
	pending := make(map[string]types.SendMessageBatchRequestEntry, len(group))
	for i, e := range group {
		body, err := EncodeEntry(e)
		if err != nil {
			return err
		}
		if len(body) > MaxBodyBytes {
			return fmt.Errorf("touchpoint %s: %d bytes over the SQS limit", e.Key, len(body))
		}
		id := strconv.Itoa(i)
		pending[id] = types.SendMessageBatchRequestEntry{
			Id:          aws.String(id),
			MessageBody: aws.String(string(body)),
			MessageAttributes: map[string]types.MessageAttributeValue{
				"kind": {DataType: aws.String("String"), StringValue: aws.String(KindTouchpoint)},
				"key":  {DataType: aws.String("String"), StringValue: aws.String(e.MailKey())},
			},
		}
	}
	var last error
	for attempt := 1; len(pending) > 0; attempt++ {
		if attempt > 1 {
			if attempt > q.cfg.MaxAttempts {
				return fmt.Errorf("%d entries not accepted after %d calls: %w", len(pending), q.cfg.MaxAttempts, last)
			}
			if err := q.cfg.Sleep(ctx, q.backoff(attempt-1)); err != nil {
				return err
			}
		}
		in := &sqs.SendMessageBatchInput{QueueUrl: aws.String(q.url)}
		for i := range len(group) { // in the entries' order
			if e, ok := pending[strconv.Itoa(i)]; ok {
				in.Entries = append(in.Entries, e)
			}
		}
		out, err := q.api.SendMessageBatch(ctx, in)
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			last = err
			continue
		}
		for _, s := range out.Successful {
			delete(pending, aws.ToString(s.Id))
		}
		for _, f := range out.Failed {
			if f.SenderFault {
				return fmt.Errorf("entry %s refused: %s", aws.ToString(f.Id), aws.ToString(f.Code))
			}
			last = fmt.Errorf("entry %s failed: %s", aws.ToString(f.Id), aws.ToString(f.Code))
		}
		if len(pending) > 0 && last == nil {
			last = fmt.Errorf("%d entries neither successful nor failed", len(pending))
		}
	}
	return nil
}

// backoff returns the wait before retry n (1-based).
func (q *Queue) backoff(n int) time.Duration {
	d := q.cfg.BaseDelay << min(n-1, 20)
	if d > q.cfg.MaxDelay || d <= 0 {
		d = q.cfg.MaxDelay
	}
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
