// Package sqsmail is a mail.Sender that does not send: it enqueues the
// JSON-encoded mail.Message on an SQS queue (the send queue), where the sender
// Lambda picks it up, decodes it and delivers it through SES. Stream handlers
// use it so a slow or throttled SES never holds up a stream shard. The body
// format (an envelope of kind "mail") is package sendqueue's.
package sqsmail

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/sendqueue"
)

// MaxBodyBytes is the largest message body SQS accepts (1 MiB since 2025;
// 256 KiB on older queues' defaults).
const MaxBodyBytes = sendqueue.MaxBodyBytes

// API is the part of *sqs.Client the Sender calls, with the SDK's signature.
type API interface {
	SendMessage(ctx context.Context, params *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

var _ API = (*sqs.Client)(nil)

// Sender enqueues messages on QueueURL. Safe for concurrent use.
type Sender struct {
	api      API
	queueURL string
}

var _ mail.Sender = (*Sender)(nil)

// New returns a Sender enqueuing on queueURL through api.
func New(api API, queueURL string) *Sender { return &Sender{api: api, queueURL: queueURL} }

// Send validates m by rendering it (so a bad message fails here, not in the
// sender Lambda), then enqueues sendqueue.EncodeMail(m) with message
// attributes "kind" ("mail") and "key" (m.Key). It returns the SQS MessageId. Returns Render's EINVALID *loupe.Error,
// an error wrapping mail.ErrRejected when the encoded message is larger than
// MaxBodyBytes, and one wrapping mail.ErrTemporary when SQS fails. SQS does not
// deduplicate a standard queue, and the sender keeps no ledger of mail
// records (touchpoints have theirs): a mail message delivered twice by SQS can
// be sent twice. Callers send staff mail this way (review and inspection
// mail), each guarded once by its own conditional claim.
func (s *Sender) Send(ctx context.Context, m mail.Message) (string, error) {
	if _, err := mail.Render(m, time.Unix(0, 0), ""); err != nil {
		return "", err
	}
	body, err := sendqueue.EncodeMail(m)
	if err != nil {
		return "", fmt.Errorf("enqueue mail: %w", err)
	}
	if len(body) > MaxBodyBytes {
		return "", fmt.Errorf("enqueue mail: %d bytes over the SQS limit: %w", len(body), mail.ErrRejected)
	}
	out, err := s.api.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:    aws.String(s.queueURL),
		MessageBody: aws.String(string(body)),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"kind": {DataType: aws.String("String"), StringValue: aws.String(sendqueue.KindMail)},
			"key":  {DataType: aws.String("String"), StringValue: aws.String(m.Key)},
		},
	})
	if err != nil {
		return "", fmt.Errorf("enqueue mail: %w: %w", mail.ErrTemporary, err)
	}
	return aws.ToString(out.MessageId), nil
}

// Decode returns the mail.Message of a queue body written by Send (or by an
// older Send, without a kind). Returns an EINVALID *loupe.Error when body is
// not such a message (a touchpoint entry included: use sendqueue.Decode to
// read every kind).
func Decode(body string) (mail.Message, error) {
	it, err := sendqueue.Decode(body)
	if err != nil {
		return mail.Message{}, err
	}
	if it.Kind != sendqueue.KindMail {
		return mail.Message{}, loupe.Errorf(loupe.EINVALID, "queued body is a %s, not a mail", it.Kind)
	}
	return it.Message, nil
}
