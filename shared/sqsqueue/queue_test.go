package sqsqueue_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/loupehq/loupe/shared/sqsqueue"
	"github.com/loupehq/loupe/shared/touch"
)

// fakeSQS accepts SendMessageBatch calls, failing the entries fail picks.
type fakeSQS struct {
	mu     sync.Mutex
	calls  int
	sizes  []int
	bodies []string
	// fail returns the error code for an entry of call n (1-based), "" to accept.
	fail      func(call int, body string) (code string, senderFault bool)
	callError func(call int) error
}

func (f *fakeSQS) SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.sizes = append(f.sizes, len(in.Entries))
	if len(in.Entries) > sqsqueue.BatchSize {
		return nil, fmt.Errorf("TooManyEntriesInBatchRequest: %d", len(in.Entries))
	}
	if f.callError != nil {
		if err := f.callError(f.calls); err != nil {
			return nil, err
		}
	}
	out := &sqs.SendMessageBatchOutput{}
	for _, e := range in.Entries {
		if f.fail != nil {
			if code, sf := f.fail(f.calls, aws.ToString(e.MessageBody)); code != "" {
				out.Failed = append(out.Failed, types.BatchResultErrorEntry{Id: e.Id, Code: aws.String(code), SenderFault: sf})
				continue
			}
		}
		if got := aws.ToString(e.MessageAttributes["kind"].StringValue); got != sqsqueue.KindTouchpoint {
			return nil, fmt.Errorf("kind attribute %q", got)
		}
		f.bodies = append(f.bodies, aws.ToString(e.MessageBody))
		out.Successful = append(out.Successful, types.SendMessageBatchResultEntry{Id: e.Id, MessageId: aws.String("m")})
	}
	return out, nil
}

func entries(n int) []touch.Entry {
	out := make([]touch.Entry, n)
	for i := range out {
		out[i] = entry(fmt.Sprintf("c%04d", i))
	}
	return out
}

func noSleep(context.Context, time.Duration) error { return nil }

// decoded returns the customer ids of the enqueued bodies, in order.
func decoded(t *testing.T, bodies []string) []string {
	t.Helper()
	var ids []string
	for _, b := range bodies {
		it, err := sqsqueue.Decode(b)
		if err != nil {
			t.Fatalf("Decode: %v", err)
		}
		ids = append(ids, it.Entry.CustomerID)
	}
	return ids
}

func TestEnqueueTenPerCall(t *testing.T) {
	f := &fakeSQS{}
	q := sqsqueue.NewQueue(f, "https://sqs.example/q", sqsqueue.QueueConfig{Sleep: noSleep})
	in := entries(1000)
	if err := q.Enqueue(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	if got, want := f.calls, 100; got != want {
		t.Errorf("SendMessageBatch calls for 1,000 entries = %d, want %d", got, want)
	}
	var want []string
	for _, e := range in {
		want = append(want, e.CustomerID)
	}
	if got := decoded(t, f.bodies); !slices.Equal(got, want) {
		t.Errorf("enqueued %d entries, want the %d in order", len(got), len(want))
	}
}

func TestEnqueueRetriesFailedEntries(t *testing.T) {
	// The first call fails 3 of 10 entries (throttled), the retry takes them.
	f := &fakeSQS{fail: func(call int, body string) (string, bool) {
		if call == 1 && (strings.Contains(body, `"c0001"`) || strings.Contains(body, `"c0004"`) || strings.Contains(body, `"c0007"`)) {
			return "ThrottlingException", false
		}
		return "", false
	}}
	q := sqsqueue.NewQueue(f, "q", sqsqueue.QueueConfig{Sleep: noSleep})
	if err := q.Enqueue(context.Background(), entries(10)); err != nil {
		t.Fatal(err)
	}
	got := decoded(t, f.bodies)
	slices.Sort(got)
	want := decoded(t, nil)
	for _, e := range entries(10) {
		want = append(want, e.CustomerID)
	}
	if !slices.Equal(got, want) {
		t.Errorf("enqueued %q, want each of %q once", got, want)
	}
	if got, want := f.sizes, []int{10, 3}; !slices.Equal(got, want) {
		t.Errorf("entries per call = %v, want %v", got, want)
	}
}

func TestEnqueueErrors(t *testing.T) {
	tests := []struct {
		name      string
		fail      func(int, string) (string, bool)
		callError func(int) error
		wantCalls int
		wantSent  int
	}{
		{"always throttled gives up after MaxAttempts", func(int, string) (string, bool) { return "ThrottlingException", false }, nil, 3, 0},
		{"sender fault is not retried", func(int, string) (string, bool) { return "InvalidMessageContents", true }, nil, 1, 0},
		{"call errors are retried then returned", nil, func(int) error { return errors.New("connection reset") }, 3, 0},
		{"a failing second group stops there", nil, func(n int) error {
			if n >= 2 {
				return errors.New("503")
			}
			return nil
		}, 4, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeSQS{fail: tt.fail, callError: tt.callError}
			q := sqsqueue.NewQueue(f, "q", sqsqueue.QueueConfig{MaxAttempts: 3, Sleep: noSleep})
			err := q.Enqueue(context.Background(), entries(25))
			if err == nil {
				t.Fatal("Enqueue = nil, want an error")
			}
			if f.calls != tt.wantCalls || len(f.bodies) != tt.wantSent {
				t.Errorf("%d calls, %d enqueued; want %d and %d", f.calls, len(f.bodies), tt.wantCalls, tt.wantSent)
			}
		})
	}
}

func TestEnqueueStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f := &fakeSQS{fail: func(int, string) (string, bool) { return "ThrottlingException", false }}
	q := sqsqueue.NewQueue(f, "q", sqsqueue.QueueConfig{})
	if err := q.Enqueue(ctx, entries(3)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Enqueue = %v, want context.Canceled", err)
	}
}
