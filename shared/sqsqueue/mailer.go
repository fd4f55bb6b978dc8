package sqsqueue

// Mailer is a mail.Sender that does not send: it enqueues the JSON-encoded
// mail.Message on the send queue, where the sender Lambda picks it up, decodes
// it and delivers it through SES. Stream handlers use it so a slow or
// throttled SES never holds up a stream shard. The body is an envelope of kind
// "mail" (EncodeMail).

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
)

// MailAPI is the part of *sqs.Client the Mailer calls, with the SDK's signature.
type MailAPI interface {
	SendMessage(ctx context.Context, params *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

var _ MailAPI = (*sqs.Client)(nil)

// Mailer enqueues messages on QueueURL. Safe for concurrent use.
type Mailer struct {
	api      MailAPI
	queueURL string
}

var _ mail.Sender = (*Mailer)(nil)

// NewMailer returns a Mailer enqueuing on queueURL through api.
func NewMailer(api MailAPI, queueURL string) *Mailer { return &Mailer{api: api, queueURL: queueURL} }

// Send validates m by rendering it (so a bad message fails here, not in the
// sender Lambda), then enqueues EncodeMail(m) with message
// attributes "kind" ("mail") and "key" (m.Key). It returns the SQS MessageId. Returns Render's EINVALID *loupe.Error,
// an error wrapping mail.ErrRejected when the encoded message is larger than
// MaxBodyBytes, and one wrapping mail.ErrTemporary when SQS fails. SQS does not
// deduplicate a standard queue, and the sender keeps no ledger of mail
// records (touchpoints have theirs): a mail message delivered twice by SQS can
// be sent twice. Callers send staff mail this way (review and inspection
// mail), each guarded once by its own conditional claim.
func (s *Mailer) Send(ctx context.Context, m mail.Message) (string, error) {
	if _, err := mail.Render(m, time.Unix(0, 0), ""); err != nil {
		return "", err
	}
	body, err := EncodeMail(m)
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
			"kind": {DataType: aws.String("String"), StringValue: aws.String(KindMail)},
			"key":  {DataType: aws.String("String"), StringValue: aws.String(m.Key)},
		},
	})
	if err != nil {
		return "", fmt.Errorf("enqueue mail: %w: %w", mail.ErrTemporary, err)
	}
	return aws.ToString(out.MessageId), nil
}

// QueueReview enqueues batch batchID's review mail by its id
// (EncodeReview; message attributes "kind" "review" and "key"
// reassign.MailKey's "reassign/<id>"), for the sender to build and send. It
// implements reassign.ReviewQueue. Returns an error wrapping
// mail.ErrTemporary when SQS fails.
func (s *Mailer) QueueReview(ctx context.Context, batchID string) error {
	body, err := EncodeReview(batchID)
	if err != nil {
		return err
	}
	_, err = s.api.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:    aws.String(s.queueURL),
		MessageBody: aws.String(string(body)),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"kind": {DataType: aws.String("String"), StringValue: aws.String(KindReview)},
			"key":  {DataType: aws.String("String"), StringValue: aws.String("reassign/" + batchID)},
		},
	})
	if err != nil {
		return fmt.Errorf("enqueue review %s: %w: %w", batchID, mail.ErrTemporary, err)
	}
	return nil
}

// DecodeMail returns the mail.Message of a queue body written by Send (or by an
// older Send, without a kind). Returns an EINVALID *loupe.Error when body is
// not such a message (a touchpoint entry included: use Decode to
// read every kind).
func DecodeMail(body string) (mail.Message, error) {
	it, err := Decode(body)
	if err != nil {
		return mail.Message{}, err
	}
	if it.Kind != KindMail {
		return mail.Message{}, loupe.Errorf(loupe.EINVALID, "queued body is a %s, not a mail", it.Kind)
	}
	return it.Message, nil
}
