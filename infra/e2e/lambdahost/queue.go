package lambdahost

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"context"

	"github.com/aws/aws-lambda-go/events"
)

// Queue is a tiny SQS stand-in on 127.0.0.1 speaking the SQS JSON protocol
// (AWS JSON 1.0, X-Amz-Target AmazonSQS.SendMessage and SendMessageBatch),
// with a Lambda event source mapping: Drain delivers what was sent to the
// consumer as SQS events. Any queue URL is accepted; messages are kept per
// QueueUrl.
type Queue struct {
	srv *http.Server
	ln  net.Listener

	mu       sync.Mutex
	queues   map[string][]*message // QueueUrl -> visible messages
	dlq      map[string][]*message // moved after MaxReceiveCount
	seq      int
	requests map[string]int // action -> count
	step     string
	perStep  map[string]map[string]int
}

type message struct {
	id       string
	body     string
	attrs    map[string]events.SQSMessageAttribute
	sentAt   time.Time
	receives int
}

// StartQueue starts the stand-in. Returns an error when it cannot listen.
func StartQueue() (*Queue, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start sqs stand-in: %w", err)
	}
	q := &Queue{ln: ln, queues: map[string][]*message{}, dlq: map[string][]*message{},
		requests: map[string]int{}, perStep: map[string]map[string]int{}}
	q.srv = &http.Server{Handler: http.HandlerFunc(q.serve), ReadHeaderTimeout: 10 * time.Second}
	go q.srv.Serve(ln)
	return q, nil
}

// Endpoint returns the stand-in's URL, for AWS_ENDPOINT_URL_SQS.
func (q *Queue) Endpoint() string { return "http://" + q.ln.Addr().String() }

// URL returns the queue URL of name on the stand-in.
func (q *Queue) URL(name string) string { return q.Endpoint() + "/123456789012/" + name }

// Close stops the stand-in.
func (q *Queue) Close() { _ = q.srv.Close() }

// SetStep names the step the following requests are counted under.
func (q *Queue) SetStep(step string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.step = step
}

// Counts returns the requests per step and action ("SendMessage").
func (q *Queue) Counts() map[string]map[string]int {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := map[string]map[string]int{}
	for s, m := range q.perStep {
		out[s] = map[string]int{}
		for k, v := range m {
			out[s][k] = v
		}
	}
	return out
}

// Len returns the number of visible messages on queueURL.
func (q *Queue) Len(queueURL string) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.queues[queueURL])
}

// DeadLetters returns the bodies moved to the dead-letter side of queueURL.
func (q *Queue) DeadLetters(queueURL string) []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []string
	for _, m := range q.dlq[queueURL] {
		out = append(out, m.body)
	}
	return out
}

type sqsAttr struct {
	DataType    string `json:"DataType"`
	StringValue string `json:"StringValue,omitempty"`
	BinaryValue []byte `json:"BinaryValue,omitempty"`
}

type sendInput struct {
	QueueURL          string             `json:"QueueUrl"`
	MessageBody       string             `json:"MessageBody"`
	MessageAttributes map[string]sqsAttr `json:"MessageAttributes"`
	ID                string             `json:"Id"`
}

func (q *Queue) serve(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	action := strings.TrimPrefix(target, "AmazonSQS.")
	q.mu.Lock()
	q.requests[action]++
	if q.perStep[q.step] == nil {
		q.perStep[q.step] = map[string]int{}
	}
	q.perStep[q.step][action]++
	q.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("x-amzn-RequestId", "e2e-sqs")
	switch action {
	case "SendMessage":
		var in sendInput
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.QueueURL == "" || in.MessageBody == "" {
			sqsError(w, "InvalidParameterValue", "bad SendMessage")
			return
		}
		m := q.put(in)
		_ = json.NewEncoder(w).Encode(map[string]string{"MessageId": m.id, "MD5OfMessageBody": md5Hex(m.body)})
	case "SendMessageBatch":
		var in struct {
			QueueURL string      `json:"QueueUrl"`
			Entries  []sendInput `json:"Entries"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.QueueURL == "" {
			sqsError(w, "InvalidParameterValue", "bad SendMessageBatch")
			return
		}
		type ok struct {
			ID               string `json:"Id"`
			MessageID        string `json:"MessageId"`
			MD5OfMessageBody string `json:"MD5OfMessageBody"`
		}
		out := struct {
			Successful []ok  `json:"Successful"`
			Failed     []any `json:"Failed"`
		}{Failed: []any{}}
		for _, e := range in.Entries {
			e.QueueURL = in.QueueURL
			m := q.put(e)
			out.Successful = append(out.Successful, ok{ID: e.ID, MessageID: m.id, MD5OfMessageBody: md5Hex(m.body)})
		}
		_ = json.NewEncoder(w).Encode(out)
	default:
		sqsError(w, "UnsupportedOperation", "the e2e SQS stand-in does not implement "+target)
	}
}

func (q *Queue) put(in sendInput) *message {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.seq++
	m := &message{
		id:     fmt.Sprintf("00000000-0000-4000-8000-%012d", q.seq),
		body:   in.MessageBody,
		attrs:  map[string]events.SQSMessageAttribute{},
		sentAt: time.Now(),
	}
	for k, a := range in.MessageAttributes {
		sv := a.StringValue
		m.attrs[k] = events.SQSMessageAttribute{DataType: a.DataType, StringValue: &sv, BinaryValue: a.BinaryValue}
	}
	q.queues[in.QueueURL] = append(q.queues[in.QueueURL], m)
	return m
}

func sqsError(w http.ResponseWriter, code, msg string) {
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": "com.amazonaws.sqs#" + code, "message": msg})
}

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// QueueMapping is an SQS event source mapping.
type QueueMapping struct {
	QueueURL            string
	Invoke              InvokeFunc
	BatchSize           int  // 0: 10
	ReportBatchFailures bool // FunctionResponseTypes: ReportBatchItemFailures
	MaxReceiveCount     int  // redrive to the dead-letter side after this many; 0: 5
}

// Drain delivers every visible message of m.QueueURL to m.Invoke in batches
// until the queue is empty: a failed message (batchItemFailures, or every
// message of a batch whose invocation failed) is redelivered at once (no
// visibility timeout here) until MaxReceiveCount, then moved aside. Messages
// the consumer sends to the same queue meanwhile are drained too. Returns the
// number of invocations.
func (q *Queue) Drain(ctx context.Context, m QueueMapping) int {
	size := m.BatchSize
	if size <= 0 {
		size = 10
	}
	maxRecv := m.MaxReceiveCount
	if maxRecv <= 0 {
		maxRecv = 5
	}
	invocations := 0
	for ctx.Err() == nil {
		q.mu.Lock()
		visible := q.queues[m.QueueURL]
		n := min(size, len(visible))
		batch := append([]*message(nil), visible[:n]...)
		q.queues[m.QueueURL] = visible[n:]
		q.mu.Unlock()
		if n == 0 {
			break
		}
		invocations++
		ev := events.SQSEvent{}
		for _, msg := range batch {
			msg.receives++
			ev.Records = append(ev.Records, events.SQSMessage{
				MessageId:     msg.id,
				ReceiptHandle: "rh-" + msg.id,
				Body:          msg.body,
				Md5OfBody:     md5Hex(msg.body),
				Attributes: map[string]string{
					"ApproximateReceiveCount":          fmt.Sprint(msg.receives),
					"SentTimestamp":                    fmt.Sprint(msg.sentAt.UnixMilli()),
					"SenderId":                         "AIDAE2E",
					"ApproximateFirstReceiveTimestamp": fmt.Sprint(time.Now().UnixMilli()),
				},
				MessageAttributes: msg.attrs,
				EventSourceARN:    "arn:aws:sqs:us-east-1:123456789012:" + m.QueueURL[strings.LastIndex(m.QueueURL, "/")+1:],
				EventSource:       "aws:sqs",
				AWSRegion:         "us-east-1",
			})
		}
		payload, _ := json.Marshal(ev)
		body, err := m.Invoke(ctx, payload)
		var retry []*message
		switch {
		case err != nil:
			retry = batch
		case m.ReportBatchFailures:
			var resp events.SQSEventResponse
			if !emptyResponse(body) && json.Unmarshal(body, &resp) != nil {
				retry = batch // an unreadable response fails the whole batch, as in Lambda
				break
			}
			failed := map[string]bool{}
			for _, f := range resp.BatchItemFailures {
				failed[f.ItemIdentifier] = true
			}
			for _, msg := range batch {
				if failed[msg.id] {
					retry = append(retry, msg)
					delete(failed, msg.id)
				}
			}
			if len(failed) > 0 {
				retry = batch // an identifier not in the batch fails the whole batch, as in Lambda
			}
		}
		q.mu.Lock()
		for _, msg := range retry {
			if msg.receives >= maxRecv {
				q.dlq[m.QueueURL] = append(q.dlq[m.QueueURL], msg)
			} else {
				q.queues[m.QueueURL] = append(q.queues[m.QueueURL], msg)
			}
		}
		q.mu.Unlock()
	}
	return invocations
}
