// Package sestest runs aws-ses-v2-local, the SES v2 stand-in installed in
// node_modules, for tests and benchmarks, and reads back what it received.
//
//	endpoint := sestest.Start(t)
//	client := sestest.Client(t, endpoint)
//	... send ...
//	mails := sestest.Sent(t, endpoint)
//
// Without node or the binary the test is skipped, unless CI=true, where it fails.
package sestest

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/loupehq/loupe/shared/testkit/nodeproc"
)

// Account is the GetAccount answer Start configures (AWS_SES_ACCOUNT): a
// production account with MaxSendRate 14 messages a second.
const Account = `{"DedicatedIpAutoWarmupEnabled":false,"Details":{"AdditionalContactEmailAddresses":[],` +
	`"ContactLanguage":"EN","MailType":"MARKETING","ReviewDetails":{"CaseId":"local","Status":"GRANTED"},` +
	`"UseCaseDescription":"local tests","WebsiteURL":"https://loupe.example"},"EnforcementStatus":"HEALTHY",` +
	`"ProductionAccessEnabled":true,"SendingEnabled":true,"SendQuota":{"Max24HourSend":200000,"MaxSendRate":14,` +
	`"SentLast24Hours":0},"SuppressionAttributes":{"SuppressedReasons":["BOUNCE","COMPLAINT"]}}`

// MaxSendRate is SendQuota.MaxSendRate in Account.
const MaxSendRate = 14.0

// Start runs node_modules/.bin/aws-ses-v2-local on 127.0.0.1 at a free port,
// waits until it answers /health-check, stops it when tb's test ends, and
// returns its endpoint ("http://127.0.0.1:PORT"). It skips tb when node or the
// binary is missing (fails instead when CI is "true") and fails tb when the
// server does not come up within 20 s.
func Start(tb testing.TB) string {
	tb.Helper()
	return nodeproc.Start(tb, nodeproc.Spec{
		Bin:       "aws-ses-v2-local",
		Args:      func(port int) []string { return []string{"--host", "127.0.0.1", "--port", strconv.Itoa(port)} },
		Env:       []string{"AWS_SES_ACCOUNT=" + Account},
		ReadyPath: "/health-check",
		ReadyOK:   true,
	}).Endpoint
}

// Client returns an SES v2 client for endpoint, configured the standard way:
// AWS_ENDPOINT_URL_SESV2 set to endpoint for the rest of tb's test (so it
// cannot be used in parallel tests), static dummy credentials, region
// us-east-1. It fails tb when the configuration cannot load.
func Client(tb testing.TB, endpoint string) *sesv2.Client {
	tb.Helper()
	tb.Setenv("AWS_ENDPOINT_URL_SESV2", endpoint)
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIDLOCAL", "local-secret", "")),
	)
	if err != nil {
		tb.Fatalf("sestest: load AWS config: %v", err)
	}
	return sesv2.NewFromConfig(cfg)
}

// StoredMail is one message as aws-ses-v2-local keeps it (GET /store answers
// {"templates": {...}, "emails": [StoredMail...]}). For a raw send it is what
// its mail parser read from the MIME bytes; it keeps no other headers.
type StoredMail struct {
	MessageID   string   `json:"messageId"` // the SES MessageId SendEmail returned
	From        string   `json:"from"`      // From as text, e.g. "Eclat <hello@eclat.example>"
	ReplyTo     []string `json:"replyTo"`
	Destination struct {
		To  []string `json:"to"`
		Cc  []string `json:"cc"`
		Bcc []string `json:"bcc"`
	} `json:"destination"`
	Subject string `json:"subject"` // decoded
	Body    struct {
		Text string `json:"text"`
		HTML string `json:"html"`
	} `json:"body"`
	Attachments []StoredAttachment `json:"attachments"`
	At          int64              `json:"at"` // unix seconds received
}

// StoredAttachment is one attachment of a StoredMail.
type StoredAttachment struct {
	Filename    string `json:"filename"`
	ContentType string `json:"contentType"`
	Content     string `json:"content"` // base64
	Size        int    `json:"size"`
}

// Sent returns every message endpoint has received, oldest first. It fails tb
// when /store cannot be read.
func Sent(tb testing.TB, endpoint string) []StoredMail {
	tb.Helper()
	resp, err := http.Get(endpoint + "/store")
	if err != nil {
		tb.Fatalf("sestest: get store: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("sestest: get store: status %d", resp.StatusCode)
	}
	var store struct {
		Emails []StoredMail `json:"emails"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&store); err != nil {
		tb.Fatalf("sestest: decode store: %v", err)
	}
	return store.Emails
}

// Clear empties endpoint's store. It fails tb when the request fails.
func Clear(tb testing.TB, endpoint string) {
	tb.Helper()
	resp, err := http.Post(endpoint+"/clear-store", "application/json", nil)
	if err != nil {
		tb.Fatalf("sestest: clear store: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("sestest: clear store: status %d", resp.StatusCode)
	}
}
