// Package sqsmail is a mail.Sender that does not send: it enqueues the
// JSON-encoded mail.Message on an SQS queue (the send queue), where the sender
// Lambda picks it up, decodes it with Decode and delivers it through SES. Stream
// handlers use it so a slow or throttled SES never holds up a stream shard.
package sqsmail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
)

// MaxBodyBytes is the largest message body SQS accepts (1 MiB since 2025;
// 256 KiB on older queues' defaults).
const MaxBodyBytes = 1 << 20

// API is the part of *sqs.Client the Sender calls, with the SDK's signature.
type API interface {
	SendMessage(ctx context.Context, params *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

var _ API = (*sqs.Client)(nil)

// envelope is the queue body: a version, so the format can change safely.
type envelope struct {
	V       int          `json:"v"`
	Message mail.Message `json:"message"`
}

// Sender enqueues messages on QueueURL. Safe for concurrent use.
type Sender struct {
	api      API
	queueURL string
}

var _ mail.Sender = (*Sender)(nil)

// New returns a Sender enqueuing on queueURL through api.
func New(api API, queueURL string) *Sender { return &Sender{api: api, queueURL: queueURL} }

// Send validates m by rendering it (so a bad message fails here, not in the
// sender Lambda), then enqueues it with a message attribute "key" holding
// m.Key. It returns the SQS MessageId. Returns Render's EINVALID *loupe.Error,
// an error wrapping mail.ErrRejected when the encoded message is larger than
// MaxBodyBytes, and one wrapping mail.ErrTemporary when SQS fails. SQS does not
// deduplicate a standard queue: the sender Lambda keeps the ledger of sent Keys.
func (s *Sender) Send(ctx context.Context, m mail.Message) (string, error) {
	if _, err := mail.Render(m, time.Unix(0, 0), ""); err != nil {
		return "", err
	}
	body, err := json.Marshal(envelope{V: 1, Message: m})
	if err != nil {
		return "", fmt.Errorf("enqueue mail: encode: %w", err)
	}
	if len(body) > MaxBodyBytes {
		return "", fmt.Errorf("enqueue mail: %d bytes over the SQS limit: %w", len(body), mail.ErrRejected)
	}
	out, err := s.api.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:    aws.String(s.queueURL),
		MessageBody: aws.String(string(body)),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"key": {DataType: aws.String("String"), StringValue: aws.String(m.Key)},
		},
	})
	if err != nil {
		return "", fmt.Errorf("enqueue mail: %w: %w", mail.ErrTemporary, err)
	}
	return aws.ToString(out.MessageId), nil
}

// Decode returns the mail.Message of a queue body written by Send. Returns an
// EINVALID *loupe.Error when body is not such a message.
func Decode(body string) (mail.Message, error) {
	var e envelope
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return mail.Message{}, loupe.Errorf(loupe.EINVALID, "queued mail is not JSON")
		}
		return mail.Message{}, loupe.Errorf(loupe.EINVALID, "queued mail is malformed")
	}
	if e.V != 1 {
		return mail.Message{}, loupe.Errorf(loupe.EINVALID, "queued mail has unknown version %d", e.V)
	}
	if e.Message.Key == "" {
		return mail.Message{}, loupe.Errorf(loupe.EINVALID, "queued mail has no key")
	}
	return e.Message, nil
}
