// Package lambdahost runs real Lambda `bootstrap` binaries the way Lambda
// does, for end-to-end tests: each process talks to a small Lambda Runtime
// API (/2018-06-01/runtime/invocation/next, /response, /error, /init/error)
// served on 127.0.0.1 by a Host. Around it: the template reader (Function,
// Resolver) that gives each process the environment template.yaml gives it, a
// stream pump standing in for DynamoDB Streams on dynalite (Pump), an SQS
// stand-in with an event source mapping (Queue), an API Gateway HTTP API
// (payload 2.0) as an http.RoundTripper (Gateway), and counting reverse
// proxies (Counter) in front of the AWS endpoints.
//
// It only ever binds 127.0.0.1 and every process it starts is stopped by
// Close.
package lambdahost

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loupehq/loupe/shared/testkit/nodeproc"
)

// Runtime API paths (version 2018-06-01).
const (
	pathPrefix = "/2018-06-01/runtime/"
	pathNext   = pathPrefix + "invocation/next"
	pathInit   = pathPrefix + "init/error"
)

// Config starts one function process.
type Config struct {
	Name    string            // function name (AWS_LAMBDA_FUNCTION_NAME)
	Binary  string            // path of the bootstrap
	Env     map[string]string // the function's environment, without the runtime's own
	Timeout time.Duration     // per invocation (Lambda-Runtime-Deadline-Ms); 0: 30 s
	Memory  int               // MB, for AWS_LAMBDA_FUNCTION_MEMORY_SIZE; 0: 128
	Region  string            // AWS_REGION; "": us-east-1
	Dir     string            // working directory; "": the binary's folder
}

// FunctionError is what a function reported on /error or /init/error.
type FunctionError struct {
	Init    bool   // posted to /init/error
	Type    string `json:"errorType"`
	Message string `json:"errorMessage"`
	Raw     string // the body as posted
}

func (e *FunctionError) Error() string {
	where := "invocation"
	if e.Init {
		where = "init"
	}
	return fmt.Sprintf("function %s error: %s: %s", where, e.Type, e.Message)
}

// result is the outcome of one invocation.
type result struct {
	body []byte
	err  error
}

type invocation struct {
	id       string
	payload  []byte
	deadline time.Time
	done     chan result
}

// Host is one running function process behind its own Runtime API server.
// Invocations are serialised, as one Lambda execution environment serves one
// request at a time.
type Host struct {
	cfg    Config
	srv    *http.Server
	ln     net.Listener
	cmd    *exec.Cmd
	exited chan struct{}
	exit   error
	out    syncBuffer // stdout and stderr, interleaved

	started   time.Time
	readyOnce sync.Once
	ready     chan struct{}
	readyAt   time.Time

	invokeMu sync.Mutex      // one invocation at a time
	pending  chan invocation // handed out on /next
	mu       sync.Mutex
	inflight map[string]invocation
	initErr  *FunctionError
	seq      atomic.Int64
	count    atomic.Int64
}

// Start listens on a free port of 127.0.0.1, starts cfg.Binary with
// AWS_LAMBDA_RUNTIME_API pointing there and returns at once; Ready waits for
// the first /next. Returns an error when the port or the process cannot be had.
func Start(cfg Config) (*Host, error) {
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Memory == 0 {
		cfg.Memory = 128
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start %s: listen: %w", cfg.Name, err)
	}
	h := &Host{
		cfg:      cfg,
		ln:       ln,
		exited:   make(chan struct{}),
		ready:    make(chan struct{}),
		pending:  make(chan invocation),
		inflight: map[string]invocation{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+pathNext, h.next)
	mux.HandleFunc("POST "+pathPrefix+"invocation/{id}/response", h.response)
	mux.HandleFunc("POST "+pathPrefix+"invocation/{id}/error", h.invokeError)
	mux.HandleFunc("POST "+pathInit, h.initError)
	h.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go h.srv.Serve(ln)

	cmd := exec.Command(cfg.Binary)
	cmd.Dir = cfg.Dir
	cmd.Env = h.environ()
	cmd.Stdout, cmd.Stderr = &h.out, &h.out
	nodeproc.DieWithTest(cmd)
	h.started = time.Now()
	if err := cmd.Start(); err != nil {
		h.srv.Close()
		return nil, fmt.Errorf("start %s: %w", cfg.Name, err)
	}
	h.cmd = cmd
	go func() {
		h.exit = cmd.Wait()
		close(h.exited)
	}()
	return h, nil
}

// environ is the process environment: what Lambda's provided.al2023 runtime
// sets, then the function's own variables.
func (h *Host) environ() []string {
	c := h.cfg
	env := map[string]string{
		"AWS_LAMBDA_RUNTIME_API":          h.ln.Addr().String(),
		"AWS_LAMBDA_FUNCTION_NAME":        c.Name,
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(c.Memory),
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + c.Name,
		"AWS_LAMBDA_LOG_STREAM_NAME":      "2026/01/01/[$LATEST]e2e",
		"AWS_LAMBDA_LOG_FORMAT":           "JSON",
		"AWS_LAMBDA_LOG_LEVEL":            "INFO",
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_EXECUTION_ENV":               "AWS_Lambda_provided.al2023",
		"AWS_REGION":                      c.Region,
		"AWS_DEFAULT_REGION":              c.Region,
		"AWS_ACCESS_KEY_ID":               "AKIDE2E",
		"AWS_SECRET_ACCESS_KEY":           "e2e-secret",
		"AWS_SESSION_TOKEN":               "e2e-session",
		"AWS_EC2_METADATA_DISABLED":       "true",
		"AWS_CONFIG_FILE":                 os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE":     os.DevNull,
		"_HANDLER":                        "bootstrap",
		"LAMBDA_TASK_ROOT":                c.Dir,
		"LANG":                            "en_US.UTF-8",
		"TZ":                              ":UTC",
		"PATH":                            "/usr/local/bin:/usr/bin:/bin",
	}
	for k, v := range c.Env {
		env[k] = v
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// Name returns the function name.
func (h *Host) Name() string { return h.cfg.Name }

// Ready waits until the process first asks for an invocation (GET /next) and
// returns the time from process start to then. Returns the init error the
// function posted, an error when the process exits first, or ctx's error.
func (h *Host) Ready(ctx context.Context) (time.Duration, error) {
	select {
	case <-h.ready:
		return h.readyAt.Sub(h.started), nil
	case <-h.exited:
		if e := h.takeInitErr(); e != nil {
			return 0, e
		}
		return 0, fmt.Errorf("%s exited before ready: %v; output: %s", h.cfg.Name, h.exit, tail(h.Output(), 2000))
	case <-ctx.Done():
		return 0, fmt.Errorf("%s not ready: %w", h.cfg.Name, ctx.Err())
	}
}

func (h *Host) takeInitErr() *FunctionError {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.initErr
}

// Invoke hands payload to the function as the next invocation and returns
// the body it posted to /response. Returns a *FunctionError for /error or
// /init/error, an error when the process exits or the deadline passes.
func (h *Host) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	h.invokeMu.Lock()
	defer h.invokeMu.Unlock()
	inv := invocation{
		id:       fmt.Sprintf("e2e-%s-%06d", h.cfg.Name, h.seq.Add(1)),
		payload:  payload,
		deadline: time.Now().Add(h.cfg.Timeout),
		done:     make(chan result, 1),
	}
	h.count.Add(1)
	ctx, cancel := context.WithDeadline(ctx, inv.deadline.Add(time.Second))
	defer cancel()
	select {
	case h.pending <- inv:
	case <-h.exited:
		return nil, h.exitErr()
	case <-ctx.Done():
		return nil, fmt.Errorf("invoke %s: not picked up: %w", h.cfg.Name, ctx.Err())
	}
	select {
	case r := <-inv.done:
		return r.body, r.err
	case <-h.exited:
		return nil, h.exitErr()
	case <-ctx.Done():
		return nil, fmt.Errorf("invoke %s: %w", h.cfg.Name, ctx.Err())
	}
}

// Invocations returns how many invocations were attempted.
func (h *Host) Invocations() int64 { return h.count.Load() }

func (h *Host) exitErr() error {
	if e := h.takeInitErr(); e != nil {
		return e
	}
	return fmt.Errorf("%s exited: %v; output: %s", h.cfg.Name, h.exit, tail(h.Output(), 2000))
}

// Output returns everything the process wrote to stdout and stderr so far.
func (h *Host) Output() string { return h.out.String() }

// Close stops the process (SIGKILL, as Lambda's shutdown does after its
// grace period) and the Runtime API server. It is safe to call twice.
func (h *Host) Close() {
	if h.cmd != nil && h.cmd.Process != nil {
		select {
		case <-h.exited:
		default:
			_ = h.cmd.Process.Kill()
			<-h.exited
		}
	}
	_ = h.srv.Close()
}

func (h *Host) next(w http.ResponseWriter, r *http.Request) {
	h.readyOnce.Do(func() {
		h.readyAt = time.Now()
		close(h.ready)
	})
	var inv invocation
	select {
	case inv = <-h.pending:
	case <-r.Context().Done():
		return
	}
	h.mu.Lock()
	h.inflight[inv.id] = inv
	h.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Lambda-Runtime-Aws-Request-Id", inv.id)
	w.Header().Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
	w.Header().Set("Lambda-Runtime-Invoked-Function-Arn",
		"arn:aws:lambda:"+h.cfg.Region+":123456789012:function:"+h.cfg.Name)
	w.Header().Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(inv.payload)
}

func (h *Host) finish(w http.ResponseWriter, r *http.Request, res func(body []byte) result) {
	id := r.PathValue("id")
	body, err := io.ReadAll(io.LimitReader(r.Body, 6<<20+1))
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	inv, ok := h.inflight[id]
	delete(h.inflight, id)
	h.mu.Unlock()
	if !ok {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"errorMessage":"unknown request id","errorType":"InvalidRequestID"}`))
		return
	}
	if len(body) > 6<<20 {
		inv.done <- result{err: errors.New("response payload over 6 MB")}
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		return
	}
	inv.done <- res(body)
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write([]byte(`{"status":"OK"}`))
}

func (h *Host) response(w http.ResponseWriter, r *http.Request) {
	h.finish(w, r, func(body []byte) result { return result{body: body} })
}

func (h *Host) invokeError(w http.ResponseWriter, r *http.Request) {
	h.finish(w, r, func(body []byte) result { return result{err: parseFunctionError(body, false)} })
}

func (h *Host) initError(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	h.mu.Lock()
	h.initErr = parseFunctionError(body, true)
	h.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write([]byte(`{"status":"OK"}`))
}

func parseFunctionError(body []byte, init bool) *FunctionError {
	e := &FunctionError{Init: init, Raw: string(body)}
	_ = json.Unmarshal(body, e)
	return e
}

// syncBuffer is a bytes.Buffer safe for the process's two writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
