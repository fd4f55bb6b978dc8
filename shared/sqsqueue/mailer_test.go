package sqsqueue_test

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/sqsqueue"
)

type fakeMailSQS struct {
	in  []*sqs.SendMessageInput
	err error
}

func (f *fakeMailSQS) SendMessage(ctx context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	if f.err != nil {
		return nil, f.err
	}
	f.in = append(f.in, in)
	return &sqs.SendMessageOutput{MessageId: aws.String("m-1")}, nil
}

func message() mail.Message {
	return mail.Message{
		From: "Fifth Ave <s1@stores.example.com>", To: "manager.s1@stores.example.com",
		Subject: "Réassignation: 3 clients", Text: "text", HTML: "<p>html</p>",
		Headers:     mail.ClientHeaders("", mail.TouchpointReassignmentReview, "2026-11-21", ""),
		Attachments: []mail.Attachment{{Filename: "r.csv", ContentType: "text/csv", Data: []byte("a,b\n1,2\n")}},
		Key:         "reassign/a1-20261121T093000Z",
	}
}

func TestSendThenDecode(t *testing.T) {
	f := &fakeMailSQS{}
	s := sqsqueue.NewMailer(f, "https://sqs.us-east-1.amazonaws.com/1/send")
	id, err := s.Send(context.Background(), message())
	if err != nil {
		t.Fatal(err)
	}
	if id != "m-1" || len(f.in) != 1 {
		t.Fatalf("id %q, %d requests; want m-1 and 1", id, len(f.in))
	}
	in := f.in[0]
	if got, want := aws.ToString(in.QueueUrl), "https://sqs.us-east-1.amazonaws.com/1/send"; got != want {
		t.Fatalf("queue = %q, want %q", got, want)
	}
	if got := aws.ToString(in.MessageAttributes["key"].StringValue); got != message().Key {
		t.Fatalf("key attribute = %q", got)
	}
	got, err := sqsqueue.DecodeMail(aws.ToString(in.MessageBody))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, message()) {
		t.Fatalf("decoded %+v, want %+v", got, message())
	}
	if !bytes.Equal(got.Attachments[0].Data, []byte("a,b\n1,2\n")) {
		t.Fatal("attachment bytes changed")
	}
}

func TestSendErrors(t *testing.T) {
	bad := message()
	bad.To = "not an address"
	big := message()
	big.Attachments[0].Data = bytes.Repeat([]byte("x"), sqsqueue.MaxBodyBytes)
	tests := []struct {
		name string
		m    mail.Message
		api  error
		is   error
		code string
	}{
		{"invalid message", bad, nil, nil, loupe.EINVALID},
		{"too large", big, nil, mail.ErrRejected, loupe.EINTERNAL},
		{"sqs down", message(), errors.New("503"), mail.ErrTemporary, loupe.EINTERNAL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeMailSQS{err: tt.api}
			_, err := sqsqueue.NewMailer(f, "q").Send(context.Background(), tt.m)
			if err == nil {
				t.Fatal("Send = nil, want an error")
			}
			if got := loupe.ErrorCode(err); got != tt.code {
				t.Fatalf("code = %q, want %q", got, tt.code)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Fatalf("err = %v, want it to wrap %v", err, tt.is)
			}
			if len(f.in) != 0 {
				t.Fatal("enqueued despite the error")
			}
		})
	}
}

func TestDecodeMailRejects(t *testing.T) {
	for name, body := range map[string]string{
		"not json":      "hello",
		"wrong version": `{"v":2,"message":{"Key":"k"}}`,
		"no key":        `{"v":1,"message":{}}`,
		"wrong type":    `{"v":"1"}`,
		"a touchpoint":  `{"v":1,"kind":"touchpoint","entry":{"customer_id":"c1","occasion":"birthday","year":2026,"store_id":"s1"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := sqsqueue.DecodeMail(body)
			if got := loupe.ErrorCode(err); got != loupe.EINVALID {
				t.Fatalf("Decode(%q) code = %q, want invalid", body, got)
			}
			if strings.Contains(loupe.ErrorMessage(err), "@") {
				t.Fatal("error message quotes an address")
			}
		})
	}
}

// Bodies queued before kinds existed ({"v":1,"message":...}) still decode, and
// Send now writes kind "mail".
func TestDecodeOldBodyAndKind(t *testing.T) {
	m, err := sqsqueue.DecodeMail(`{"v":1,"message":{"Key":"rr/1/s1","Subject":"Review"}}`)
	if err != nil || m.Key != "rr/1/s1" {
		t.Fatalf("Decode old body = %+v, %v; want key rr/1/s1", m, err)
	}
	f := &fakeMailSQS{}
	if _, err := sqsqueue.NewMailer(f, "q").Send(context.Background(), message()); err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(f.in[0].MessageBody); !strings.Contains(got, `"kind":"mail"`) {
		t.Errorf("body %s lacks kind mail", got)
	}
	if got := aws.ToString(f.in[0].MessageAttributes["kind"].StringValue); got != "mail" {
		t.Errorf("kind attribute = %q, want mail", got)
	}
}
