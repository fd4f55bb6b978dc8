package secrets_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"

	"github.com/loupehq/loupe/shared/secrets"
	"github.com/loupehq/loupe/shared/testkit/secretstest"
)

// client returns the SDK's real Secrets Manager client pointed at sm.
func client(sm *secretstest.Server) *secretsmanager.Client {
	return secretsmanager.NewFromConfig(aws.Config{
		Region:           secretstest.Region,
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDTEST", "test-secret-key", ""),
		BaseEndpoint:     aws.String(sm.URL),
		RetryMaxAttempts: 1,
	})
}

const (
	webhookID = "loupe/test/webhook-secret"
	unsubID   = "loupe/test/unsubscribe-secret"
)

func TestGet(t *testing.T) {
	sm := secretstest.Start(t)
	sm.Put(webhookID, "whsec_old")
	sm.Put(webhookID, "whsec_new,whsec_extra") // rotated: old is AWSPREVIOUS now
	sm.Put(unsubID, "unsub_only_0123456789")   // never rotated
	c := client(sm)

	got, err := secrets.Get(context.Background(), c, webhookID, sm.ARN(unsubID))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]secrets.Versions{
		webhookID:       {Current: "whsec_new,whsec_extra", Previous: "whsec_old"},
		sm.ARN(unsubID): {Current: "unsub_only_0123456789"},
	}
	if len(got) != len(want) {
		t.Fatalf("Get = %+v, want %+v", got, want)
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("Get[%s] = %+v, want %+v", id, got[id], w)
		}
	}
	stages := map[string]int{}
	for _, call := range sm.Calls() {
		stages[call.SecretID+" "+call.VersionStage]++
	}
	for _, id := range []string{webhookID, sm.ARN(unsubID)} {
		for _, st := range []string{secrets.StageCurrent, secrets.StagePrevious} {
			if stages[id+" "+st] != 1 {
				t.Errorf("%s %s asked %d times, want once (calls %v)", id, st, stages[id+" "+st], sm.Calls())
			}
		}
	}
}

func TestGetErrors(t *testing.T) {
	sm := secretstest.Start(t)
	sm.Put(webhookID, "whsec_value_that_must_not_leak")
	sm.Deny(unsubID)
	c := client(sm)

	tests := []struct {
		name, id string
		code     string // the API error code the error wraps
	}{
		{"missing secret", "loupe/test/no-such-secret", "ResourceNotFoundException"},
		{"access denied", unsubID, "AccessDeniedException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := secrets.Get(context.Background(), c, webhookID, tt.id)
			if err == nil {
				t.Fatalf("Get = %+v, want an error", got)
			}
			var api smithy.APIError
			if !errors.As(err, &api) || api.ErrorCode() != tt.code {
				t.Errorf("error %v, want one wrapping %s", err, tt.code)
			}
			if !strings.Contains(err.Error(), tt.id) {
				t.Errorf("error %q does not name the secret %s", err, tt.id)
			}
			if strings.Contains(err.Error(), webhookID) {
				t.Errorf("error %q names %s, which was read", err, webhookID)
			}
			if strings.Contains(err.Error(), "whsec_value") {
				t.Errorf("error %q holds a secret value", err)
			}
		})
	}
	var nf *types.ResourceNotFoundException
	if _, err := secrets.Get(context.Background(), c, "loupe/test/no-such-secret"); !errors.As(err, &nf) {
		t.Errorf("missing secret: error %v, want *types.ResourceNotFoundException", err)
	}
}

// binaryClient answers every call with a binary secret.
type binaryClient struct{}

func (binaryClient) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	return &secretsmanager.GetSecretValueOutput{Name: in.SecretId, SecretBinary: []byte("raw")}, nil
}

func TestGetBinarySecret(t *testing.T) {
	if _, err := secrets.Get(context.Background(), binaryClient{}, webhookID); !errors.Is(err, secrets.ErrNoString) {
		t.Errorf("binary secret: error %v, want ErrNoString", err)
	}
}
