package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/loupehq/loupe/infra/e2e/lambdahost"
	"github.com/loupehq/loupe/shared/dynamo"
	"github.com/loupehq/loupe/shared/testkit/dynalite"
	"github.com/loupehq/loupe/shared/testkit/nodeproc"
	"github.com/loupehq/loupe/shared/testkit/repo"
	"github.com/loupehq/loupe/shared/testkit/secretstest"
	"github.com/loupehq/loupe/shared/testkit/sestest"
)

// Test secrets the functions read from the Secrets Manager stand-in, by the
// names template.yaml gives them (LOUPE_*_SECRET_ID).
const (
	webhookSecretName     = "loupe/e2e/webhook"
	unsubscribeSecretName = "loupe/e2e/unsubscribe"
	apiTokenSecretName    = "loupe/e2e/api-token"
	signInKeySecretName   = "loupe/e2e/signin-key"
	webhookSecret         = "whsec_e2e_0123456789abcdef"
	unsubscribeSecret     = "unsub_e2e_0123456789abcdef0123"
	// apiToken is the admin token of the IT team and scripts
	// (LOUPE_API_TOKEN_SECRET_ID): the bearer of the scenario's staff calls.
	apiToken = "loupe_e2e_api_token_0123456789abcdef"
	// signInKey signs Loupe's own staff tokens in link mode
	// (LOUPE_SIGNIN_KEY_SECRET_ID); dashboard-api reads it in OIDC mode too.
	signInKey           = "signin_e2e_0123456789abcdef0123456789abcdef"
	region              = "us-east-1"
	apiID               = "e2eapi"
	configurationSet    = "loupe-e2e-mail"
	smsConfigurationSet = "loupe-e2e-sms"
)

// built holds the bootstraps TestMain's first user builds, shared by tests and
// benchmarks.
var built struct {
	once sync.Once
	root string
	tmpl *lambdahost.Template
	dir  string
	bins map[string]string // LogicalID -> bootstrap path (native arch)
	errs map[string]error  // LogicalID -> build error
	err  error
}

func TestMain(m *testing.M) {
	code := dynalite.Main(m)
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// toolsOrSkip skips tb when node_modules' stand-ins cannot run (fails under
// CI=true), as the dynalite and sestest packages do.
func toolsOrSkip(tb testing.TB) {
	tb.Helper()
	nodeproc.Require(tb, "dynalite", "aws-ses-v2-local")
}

// binaries builds every function of the template whose folder exists, for
// this machine's architecture, once per test binary.
func binaries(tb testing.TB) (*lambdahost.Template, map[string]string) {
	tb.Helper()
	built.once.Do(func() {
		built.root, built.err = repo.Root()
		if built.err != nil {
			return
		}
		built.tmpl, built.err = lambdahost.LoadTemplate(built.root)
		if built.err != nil {
			return
		}
		built.dir, built.err = os.MkdirTemp("", "loupe-e2e-")
		if built.err != nil {
			return
		}
		built.bins, built.errs = map[string]string{}, map[string]error{}
		var mu sync.Mutex
		sem := make(chan struct{}, 2) // the machine has 2 cores
		var wg sync.WaitGroup
		for _, f := range built.tmpl.Functions {
			if _, err := os.Stat(filepath.Join(built.root, "functions", f.Dir, "main.go")); err != nil {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				out := filepath.Join(built.dir, f.Dir, "bootstrap")
				err := lambdahost.Build(context.Background(), built.root, f.LogicalID, "", out)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					built.errs[f.LogicalID] = err
					return
				}
				built.bins[f.LogicalID] = out
			}()
		}
		wg.Wait()
	})
	if built.err != nil {
		tb.Fatalf("e2e: %v", built.err)
	}
	for id, err := range built.errs {
		tb.Errorf("e2e: build %s: %v", id, err)
	}
	return built.tmpl, built.bins
}

// stack is the whole application on this machine: every built function
// behind its Runtime API host, dynalite and aws-ses-v2-local behind counting
// proxies, the SQS stand-in, the stream pump and the HTTP API.
type stack struct {
	t        *testing.T
	tmpl     *lambdahost.Template
	table    string
	ddb      *dynamodb.Client // direct to dynalite, uncounted
	sesURL   string           // aws-ses-v2-local, uncounted
	dyn, ses *lambdahost.Counter
	queue    *lambdahost.Queue
	secrets  *secretstest.Server
	sendURL  string
	hosts    map[string]*lambdahost.Host
	ready    map[string]time.Duration
	pump     *lambdahost.Pump
	gw       *lambdahost.Gateway
	http     *http.Client
	qmaps    []lambdahost.QueueMapping
	rules    map[string][]*lambdahost.Pattern // LogicalID -> EventBridge rule patterns
	topics   map[string][]string              // SNS topic LogicalID -> subscribed function LogicalIDs

	mu          sync.Mutex
	step        string
	steps       []string
	invocations map[string]map[string]int // step -> LogicalID -> invocations
	records     map[string]int            // step -> stream records
}

// newStack starts everything; t.Cleanup stops it. overrides sets variables
// over the ones template.yaml gives a function, by LogicalID (nil: none),
// e.g. the OIDC provider of DashboardApiFunction; the key "*" sets them on
// every function.
func newStack(t *testing.T, overrides map[string]map[string]string) *stack {
	t.Helper()
	toolsOrSkip(t)
	tmpl, bins := binaries(t)
	if t.Failed() {
		t.FailNow()
	}
	s := &stack{t: t, tmpl: tmpl, hosts: map[string]*lambdahost.Host{}, ready: map[string]time.Duration{},
		rules: map[string][]*lambdahost.Pattern{}, topics: map[string][]string{}, invocations: map[string]map[string]int{}, records: map[string]int{}}
	ctx := context.Background()

	dynEndpoint := dynalite.Shared(t)
	s.ddb = dynalite.Client(t, dynEndpoint)
	s.table = dynalite.TableName(t)
	if err := dynamo.CreateTable(ctx, s.ddb, s.table); err != nil {
		t.Fatalf("create table: %v", err)
	}
	s.sesURL = sestest.Start(t)

	var err error
	if s.dyn, err = lambdahost.StartCounter("dynamodb", dynEndpoint); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.dyn.Close)
	if s.ses, err = lambdahost.StartCounter("sesv2", s.sesURL, "SendEmail"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.ses.Close)
	if s.queue, err = lambdahost.StartQueue(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.queue.Close)
	s.sendURL = s.queue.URL("loupe-e2e-SendQueue")
	s.secrets = startSecrets(t)

	res := s.resolver()
	ids := make([]string, 0, len(bins))
	for id := range bins {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		f := tmpl.Function(id)
		env, err := res.Env(f)
		if err != nil {
			t.Fatalf("environment from template.yaml: %v", err)
		}
		env["AWS_ENDPOINT_URL_DYNAMODB"] = s.dyn.Endpoint()
		env["AWS_ENDPOINT_URL_SESV2"] = s.ses.Endpoint()
		env["AWS_ENDPOINT_URL_SQS"] = s.queue.Endpoint()
		env["AWS_ENDPOINT_URL_SECRETS_MANAGER"] = s.secrets.URL
		for k, v := range overrides["*"] { // every function
			env[k] = v
		}
		for k, v := range overrides[id] {
			env[k] = v
		}
		h, err := lambdahost.Start(lambdahost.Config{
			Name:    "loupe-e2e-" + f.Dir,
			Binary:  bins[id],
			Env:     env,
			Timeout: time.Duration(f.Timeout) * time.Second, // the deadline the function sees; the harness waits less
			Memory:  f.MemorySize,
			Region:  region,
			Dir:     filepath.Dir(bins[id]),
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(h.Close)
		s.hosts[id] = h
	}
	rctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	for _, id := range ids {
		d, err := s.hosts[id].Ready(rctx)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		s.ready[id] = d
	}

	// Event sources, as the template declares them.
	s.pump = lambdahost.NewPump(s.ddb, s.table, "NEW_AND_OLD_IMAGES", region)
	// No route has an authorizer: dashboard-api checks every bearer token.
	s.gw = &lambdahost.Gateway{}
	s.http = &http.Client{Transport: s.gw, Timeout: 40 * time.Second}
	for _, id := range ids {
		f := tmpl.Function(id)
		for _, ev := range f.Events {
			switch ev.Type {
			case "HttpApi":
				s.gw.Add(ev.Method, ev.Path, ev.Authorizer, id, s.invoker(id))
			case "DynamoDB":
				var pats []*lambdahost.Pattern
				for _, raw := range ev.FilterPatterns {
					p, err := lambdahost.ParsePattern(raw)
					if err != nil {
						t.Fatalf("%s/%s: %v", id, ev.Name, err)
					}
					pats = append(pats, p)
				}
				s.pump.Add(&lambdahost.Mapping{Name: id + "/" + ev.Name, Invoke: s.invoker(id), BatchSize: ev.BatchSize,
					Filters: pats, ReportBatchFailures: ev.ReportBatchFailures, MaxRetries: ev.MaximumRetryAttempts})
			case "SQS":
				s.qmaps = append(s.qmaps, lambdahost.QueueMapping{QueueURL: s.sendURL, Invoke: s.invoker(id),
					BatchSize: ev.BatchSize, ReportBatchFailures: ev.ReportBatchFailures, MaxReceiveCount: 5})
			case "SNS":
				s.topics[ev.Topic] = append(s.topics[ev.Topic], id)
			case "EventBridgeRule":
				v, err := res.JSON(ev.EventBridgePatternRaw)
				if err != nil {
					t.Fatalf("%s/%s pattern: %v", id, ev.Name, err)
				}
				b, _ := json.Marshal(v)
				p, err := lambdahost.ParsePattern(string(b))
				if err != nil {
					t.Fatalf("%s/%s: %v", id, ev.Name, err)
				}
				s.rules[id] = append(s.rules[id], p)
			}
		}
	}
	// Baseline: an empty table makes no records.
	if _, err := s.pump.Run(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

// resolver answers the template's references the way this stack is wired.
func (s *stack) resolver() *lambdahost.Resolver {
	refs := map[string]string{}
	for k, v := range s.tmpl.Parameters {
		refs[k] = v
	}
	for k, v := range map[string]string{
		"Table":                 s.table,
		"Environment":           "dev",
		"WebhookSecretName":     webhookSecretName,
		"UnsubscribeSecretName": unsubscribeSecretName,
		"ApiTokenSecretName":    apiTokenSecretName,
		"SigninKeySecretName":   signInKeySecretName,
		"SecretsRevision":       "1",
		"SesIdentity":           "stores.e2e.example",
		"PublicBaseUrl":         "",
		"SenderMaxRate":         "",
		"ConfigurationSet":      configurationSet,
		"SmsConfigurationSet":   smsConfigurationSet,
		"SendQueue":             s.sendURL,
		"SendQueue.Arn":         "arn:aws:sqs:us-east-1:123456789012:loupe-e2e-SendQueue",
		"SendQueue.QueueName":   "loupe-e2e-SendQueue",
		"HttpApi":               apiID,
		"AWS::Region":           region,
		"AWS::URLSuffix":        "amazonaws.com",
		"AWS::AccountId":        "123456789012",
		"AWS::Partition":        "aws",
		"AWS::StackName":        "loupe-e2e",
	} {
		refs[k] = v
	}
	return &lambdahost.Resolver{
		Refs: refs,
		Conditions: map[string]bool{
			"IsProd": false, "HasAlarmEmail": false, "HasPublicBaseUrl": false, "HasSenderMaxRate": false,
			// The stack's staff sign in with the chain's own provider (or links),
			// never a user pool of the stack's.
			"CreatesStaffUserPool": refs["CreateStaffUserPool"] == "true",
		},
	}
}

// startSecrets returns a Secrets Manager stand-in holding the stack's secrets.
func startSecrets(tb testing.TB) *secretstest.Server {
	sm := secretstest.Start(tb)
	sm.Put(webhookSecretName, webhookSecret)
	sm.Put(unsubscribeSecretName, unsubscribeSecret)
	sm.Put(apiTokenSecretName, apiToken)
	sm.Put(signInKeySecretName, signInKey)
	return sm
}

// invoker returns the InvokeFunc of function id, counting invocations per step.
func (s *stack) invoker(id string) lambdahost.InvokeFunc {
	return func(ctx context.Context, payload []byte) ([]byte, error) {
		s.mu.Lock()
		if s.invocations[s.step] == nil {
			s.invocations[s.step] = map[string]int{}
		}
		s.invocations[s.step][id]++
		s.mu.Unlock()
		return s.hosts[id].Invoke(ctx, payload)
	}
}

// has reports whether function id was built and runs.
func (s *stack) has(id string) bool { return s.hosts[id] != nil }

// begin starts counting under step.
func (s *stack) begin(step string) {
	s.mu.Lock()
	s.step = step
	if !slices.Contains(s.steps, step) {
		s.steps = append(s.steps, step)
	}
	s.mu.Unlock()
	s.dyn.SetStep(step)
	s.ses.SetStep(step)
	s.queue.SetStep(step)
}

// checking runs fn, the test's own reads, counted under the step "checks"
// so that they do not inflate the step being measured.
func (s *stack) checking(fn func()) {
	s.mu.Lock()
	prev := s.step
	s.mu.Unlock()
	s.begin("checks")
	defer s.begin(prev)
	fn()
}

// settle runs the event sources until nothing moves: stream records to the
// stream functions, the send queue to the sender.
func (s *stack) settle() {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	for range 10 {
		n, err := s.pump.Run(ctx)
		if err != nil {
			s.t.Fatalf("stream pump: %v", err)
		}
		s.mu.Lock()
		s.records[s.step] += n
		s.mu.Unlock()
		m := 0
		for _, qm := range s.qmaps {
			m += s.queue.Drain(ctx, qm)
		}
		if n == 0 && m == 0 {
			return
		}
	}
	s.t.Errorf("event sources did not settle after 10 rounds")
}

// publish sends an EventBridge event to every function whose rule matches it.
// Returns the number of functions invoked.
func (s *stack) publish(event []byte) int {
	s.t.Helper()
	n := 0
	for id, pats := range s.rules {
		if !lambdahost.MatchAny(pats, event) {
			continue
		}
		n++
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		_, err := s.invoker(id)(ctx, event)
		cancel()
		if err != nil {
			s.t.Errorf("eventbridge -> %s: %v", id, err)
		}
	}
	return n
}

// notify publishes message to SNS topic (its logical id) as SNS invokes a
// subscribed function: one record of an SNS event, asynchronously in AWS
// (here the call waits). Returns the number of functions invoked.
func (s *stack) notify(topic, message string) int {
	s.t.Helper()
	arn := "arn:aws:sns:" + region + ":123456789012:loupe-e2e-" + topic
	ev, err := json.Marshal(map[string]any{"Records": []map[string]any{{
		"EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": arn + ":sub",
		"Sns": map[string]any{"Type": "Notification", "MessageId": fmt.Sprintf("sns-%d", time.Now().UnixNano()),
			"TopicArn": arn, "Message": message, "Timestamp": time.Now().UTC().Format(time.RFC3339Nano),
			"SignatureVersion": "1", "MessageAttributes": map[string]any{}},
	}}})
	if err != nil {
		s.t.Fatal(err)
	}
	for _, id := range s.topics[topic] {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		_, err := s.invoker(id)(ctx, ev)
		cancel()
		if err != nil {
			s.t.Errorf("sns %s -> %s: %v", topic, id, err)
		}
	}
	return len(s.topics[topic])
}

// stepCounts is one step's requests, for LOUPE_E2E_COUNTS.
type stepCounts struct {
	Step          string         `json:"step"`
	DynamoDB      map[string]int `json:"dynamodb"`
	SESv2         map[string]int `json:"sesv2"`
	SQS           map[string]int `json:"sqs"`
	Invocations   map[string]int `json:"invocations"`
	StreamRecords int            `json:"stream_records"`
}

// report logs the counts per step and writes them to LOUPE_E2E_COUNTS.
func (s *stack) report() {
	s.t.Helper()
	dyn, ses, sqs := s.dyn.Counts(), s.ses.Counts(), s.queue.Counts()
	var out []stepCounts
	s.mu.Lock()
	for _, st := range s.steps {
		c := stepCounts{Step: st, DynamoDB: orEmpty(dyn[st]), SESv2: orEmpty(ses[st]), SQS: orEmpty(sqs[st]),
			Invocations: orEmpty(s.invocations[st]), StreamRecords: s.records[st]}
		out = append(out, c)
	}
	s.mu.Unlock()
	for _, c := range out {
		s.t.Logf("counts %-14s dynamodb %3d [%s] | sesv2 %d [%s] | sqs %d [%s] | invocations [%s] | stream records %d",
			c.Step, lambdahost.Total(c.DynamoDB), lambdahost.Format(c.DynamoDB), lambdahost.Total(c.SESv2),
			lambdahost.Format(c.SESv2), lambdahost.Total(c.SQS), lambdahost.Format(c.SQS),
			lambdahost.Format(c.Invocations), c.StreamRecords)
	}
	ready := map[string]float64{}
	for id, d := range s.ready {
		ready[id] = float64(d.Microseconds()) / 1000
		s.t.Logf("ready %-22s %6.1f ms (process start to first /next, native %s build)", id, ready[id], "linux")
	}
	path := os.Getenv("LOUPE_E2E_COUNTS")
	if path == "" {
		return
	}
	b, err := json.MarshalIndent(map[string]any{"steps": out, "ready_ms": ready}, "", "  ")
	if err != nil {
		s.t.Errorf("encode counts: %v", err)
		return
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		s.t.Errorf("write %s: %v", path, err)
	}
}

func orEmpty(m map[string]int) map[string]int {
	if m == nil {
		return map[string]int{}
	}
	return m
}

// outputs returns every function's captured stdout and stderr.
func (s *stack) outputs() map[string]string {
	out := map[string]string{}
	for id, h := range s.hosts {
		out[id] = h.Output()
	}
	return out
}

// describe is a short view of a response for failure messages.
func describe(resp *http.Response, body []byte) string {
	return fmt.Sprintf("%d %s", resp.StatusCode, strings.TrimSpace(string(body)))
}
