package lambdahost

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

func TestQueueSpeaksSQSAndDrains(t *testing.T) {
	q, err := StartQueue()
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	q.SetStep("send")
	client := sqs.New(sqs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(q.Endpoint()),
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "secret", ""),
	})
	ctx := context.Background()
	url := q.URL("send")
	if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("one"),
		MessageAttributes: map[string]types.MessageAttributeValue{"key": {DataType: aws.String("String"), StringValue: aws.String("k1")}}}); err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	var entries []types.SendMessageBatchRequestEntry
	for _, b := range []string{"two", "poison", "four"} {
		entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String("id-" + b), MessageBody: aws.String(b)})
	}
	out, err := client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
	if err != nil || len(out.Successful) != 3 {
		t.Fatalf("SendMessageBatch: got %v, %v; want 3 successful", out, err)
	}
	if got := q.Counts()["send"]; got["SendMessage"] != 1 || got["SendMessageBatch"] != 1 {
		t.Errorf("counts: got %v", got)
	}

	var seen []string
	invocations := q.Drain(ctx, QueueMapping{QueueURL: url, BatchSize: 2, ReportBatchFailures: true, MaxReceiveCount: 3,
		Invoke: func(ctx context.Context, payload []byte) ([]byte, error) {
			var ev events.SQSEvent
			if err := json.Unmarshal(payload, &ev); err != nil {
				return nil, err
			}
			var resp events.SQSEventResponse
			for _, r := range ev.Records {
				seen = append(seen, r.Body)
				if r.Body == "poison" {
					resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
				}
				if r.Body == "one" && (r.MessageAttributes["key"].StringValue == nil || *r.MessageAttributes["key"].StringValue != "k1") {
					t.Errorf("message attribute key: got %+v", r.MessageAttributes["key"])
				}
			}
			return json.Marshal(resp)
		}})
	// [one two] [poison four] [poison] [poison] -> dead letter after 3 receives.
	if invocations != 4 || len(seen) != 6 {
		t.Errorf("drain: got %d invocations seeing %q, want 4 seeing 6 records", invocations, seen)
	}
	if dl := q.DeadLetters(url); len(dl) != 1 || dl[0] != "poison" {
		t.Errorf("dead letters: got %q, want [poison]", dl)
	}
	if n := q.Len(url); n != 0 {
		t.Errorf("left on the queue: got %d, want 0", n)
	}
}
