package lambdawire

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// seen is one request that reached the stand-in endpoint.
type seen struct {
	service, auth, token string
}

// endpoint is a stand-in AWS endpoint per service (the path prefix tells them
// apart); it records each request and answers 400 so the SDK does not retry.
func endpoint(t *testing.T) (*httptest.Server, func() []seen) {
	t.Helper()
	var mu sync.Mutex
	var got []seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, seen{strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")[0],
			r.Header.Get("Authorization"), r.Header.Get("X-Amz-Security-Token")})
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"__type":"ValidationException","message":"stand-in"}`))
	}))
	t.Cleanup(srv.Close)
	return srv, func() []seen { mu.Lock(); defer mu.Unlock(); return append([]seen(nil), got...) }
}

// lambdaEnv sets the variables Lambda gives a function, and clears the ones
// that would change endpoint resolution.
func lambdaEnv(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "ASIATESTKEY")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_SESSION_TOKEN", "session-token")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "")
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
}

// callAll makes one call with each client the functions build.
func callAll(cfg aws.Config) {
	ctx := context.Background()
	dynamodb.NewFromConfig(cfg).ListTables(ctx, &dynamodb.ListTablesInput{})
	sqs.NewFromConfig(cfg).SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String("q"), MessageBody: aws.String("b")})
	sesv2.NewFromConfig(cfg).GetAccount(ctx, &sesv2.GetAccountInput{})
}

func TestAWSConfigHonoursServiceEndpointsAndEnvCredentials(t *testing.T) {
	srv, got := endpoint(t)
	lambdaEnv(t)
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", srv.URL+"/ddb")
	t.Setenv("AWS_ENDPOINT_URL_SQS", srv.URL+"/sqs")
	t.Setenv("AWS_ENDPOINT_URL_SESV2", srv.URL+"/ses")

	cfg, err := AWSConfig()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "us-east-1" {
		t.Errorf("region = %q, want us-east-1", cfg.Region)
	}
	callAll(cfg)

	want := []string{"ddb", "sqs", "ses"}
	reqs := got()
	if len(reqs) != len(want) {
		t.Fatalf("requests = %+v, want one each to %v", reqs, want)
	}
	for i, r := range reqs {
		if r.service != want[i] {
			t.Errorf("request %d went to %q, want %q", i, r.service, want[i])
		}
		if !strings.Contains(r.auth, "Credential=ASIATESTKEY/") || r.token != "session-token" {
			t.Errorf("request %d signed with %q token %q, want the environment's key and session token", i, r.auth, r.token)
		}
	}
}

func TestAWSConfigEndpointPrecedence(t *testing.T) {
	tests := []struct {
		name          string
		global, ddb   string // "" leaves the variable empty; a path under the stand-in otherwise
		ignore        string
		wantAtStandIn []string
	}{
		{"global endpoint for every service", "/all", "", "", []string{"all", "all", "all"}},
		{"service endpoint wins over the global one", "/all", "/ddb", "", []string{"ddb", "all", "all"}},
		{"configured endpoints ignored", "/all", "/ddb", "true", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, got := endpoint(t)
			lambdaEnv(t)
			set := func(k, path string) {
				if path != "" {
					t.Setenv(k, srv.URL+path)
				} else {
					t.Setenv(k, "")
				}
			}
			set("AWS_ENDPOINT_URL", tt.global)
			set("AWS_ENDPOINT_URL_DYNAMODB", tt.ddb)
			set("AWS_ENDPOINT_URL_SQS", "")
			set("AWS_ENDPOINT_URL_SESV2", "")
			t.Setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", tt.ignore)
			cfg, err := AWSConfig()
			if err != nil {
				t.Fatal(err)
			}
			if tt.ignore == "true" {
				// Calls would go to AWS itself; only check nothing points here.
				if e := dynamodb.NewFromConfig(cfg).Options().BaseEndpoint; e != nil || cfg.BaseEndpoint != nil {
					t.Errorf("DynamoDB endpoint = %v, want AWS's own", aws.ToString(e))
				}
				return
			}
			callAll(cfg)
			var services []string
			for _, r := range got() {
				services = append(services, r.service)
			}
			if strings.Join(services, ",") != strings.Join(tt.wantAtStandIn, ",") {
				t.Errorf("requests went to %v, want %v", services, tt.wantAtStandIn)
			}
		})
	}
}

func TestAWSConfigWithoutCredentials(t *testing.T) {
	lambdaEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_ACCESS_KEY", "")
	if _, err := AWSConfig(); err == nil {
		t.Fatal("AWSConfig succeeded without credentials, want an error")
	}
}
