package sestest_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/loupehq/loupe/shared/testkit/sestest"
)

const raw = "From: Eclat <hello@eclat.example>\r\nTo: ada@client.example\r\nSubject: Hello\r\n" +
	"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello Ada\r\n"

func TestHarness(t *testing.T) {
	ep := sestest.Start(t)
	c := sestest.Client(t, ep)
	ctx := context.Background()
	acc, err := c.GetAccount(ctx, &sesv2.GetAccountInput{})
	if err != nil {
		t.Fatalf("GetAccount: %v", err)
	}
	if got, want := acc.SendQuota.MaxSendRate, sestest.MaxSendRate; got != want {
		t.Errorf("MaxSendRate = %v, want %v", got, want)
	}
	out, err := c.SendEmail(ctx, &sesv2.SendEmailInput{
		Content:              &types.EmailContent{Raw: &types.RawMessage{Data: []byte(raw)}},
		ConfigurationSetName: aws.String("loupe"),
	})
	if err != nil {
		t.Fatalf("SendEmail: %v", err)
	}
	sent := sestest.Sent(t, ep)
	if got, want := len(sent), 1; got != want {
		t.Fatalf("%d stored, want %d", got, want)
	}
	s := sent[0]
	if got, want := s.MessageID, aws.ToString(out.MessageId); got != want {
		t.Errorf("MessageID = %q, want %q", got, want)
	}
	if got, want := s.Subject, "Hello"; got != want {
		t.Errorf("Subject = %q, want %q", got, want)
	}
	if len(s.Destination.To) != 1 || s.Destination.To[0] != "ada@client.example" {
		t.Errorf("To = %v, want [ada@client.example]", s.Destination.To)
	}
	if got, want := s.Body.Text, "Hello Ada\n"; got != want {
		t.Errorf("text = %q, want %q", got, want)
	}
	sestest.Clear(t, ep)
	if got := len(sestest.Sent(t, ep)); got != 0 {
		t.Errorf("%d stored after Clear, want 0", got)
	}
}
