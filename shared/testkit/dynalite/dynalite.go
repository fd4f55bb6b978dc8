// Package dynalite runs dynalite, an in-memory DynamoDB stand-in installed from
// the repository's package-lock.json, for tests. The SDK reaches it through the
// standard AWS_ENDPOINT_URL_DYNAMODB environment variable, nothing custom.
//
// Typical use, one dynalite process per test package and one table per test:
//
//	func TestMain(m *testing.M) { os.Exit(dynalite.Main(m)) }
//
//	func TestX(t *testing.T) {
//		client := dynalite.Client(t, dynalite.Shared(t))
//		table := dynalite.TableName(t)
//		...
//	}
//
// When node or node_modules/.bin/dynalite is missing the tests are skipped,
// except when the environment variable CI is "true": there they fail.
package dynalite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// EndpointEnv is the standard variable the AWS SDK reads the DynamoDB endpoint from.
const EndpointEnv = "AWS_ENDPOINT_URL_DYNAMODB"

// startTimeout bounds how long Start waits for dynalite to answer.
const startTimeout = 20 * time.Second

// server is one running dynalite process.
type server struct {
	endpoint string
	cmd      *exec.Cmd
	done     chan struct{} // closed when the process has exited
	out      *syncBuffer   // its combined output, for failure messages
}

// Start starts a dedicated in-memory dynalite on a free port of 127.0.0.1 and
// returns its endpoint ("http://127.0.0.1:PORT"); tb.Cleanup stops it. It skips
// tb when node or the dynalite binary is missing (fails it instead when CI is
// "true"), and fails tb when dynalite does not start.
func Start(tb testing.TB) string {
	tb.Helper()
	bin, reason := binary()
	if reason != "" {
		unavailable(tb, reason)
	}
	s, err := start(bin)
	if err != nil {
		tb.Fatalf("start dynalite: %v", err)
	}
	tb.Cleanup(s.stop)
	return s.endpoint
}

var shared struct {
	enabled atomic.Bool // set by Main while m.Run runs
	once    sync.Once
	srv     *server
	reason  string // why dynalite is unavailable (skip), or ""
	err     error  // why it failed to start (fatal), or nil
}

// Main runs the package's tests with one dynalite process shared by every
// Shared call, stops it afterwards and returns m.Run's exit code. Call it from
// TestMain: os.Exit(dynalite.Main(m)).
func Main(m *testing.M) int {
	shared.enabled.Store(true)
	code := m.Run()
	shared.enabled.Store(false)
	if shared.srv != nil {
		shared.srv.stop()
	}
	return code
}

// Shared returns the endpoint of the package's shared dynalite, starting it on
// first use. Without Main in the package's TestMain it falls back to Start (a
// process per call, so none outlives the test). It skips or fails tb as Start does.
func Shared(tb testing.TB) string {
	tb.Helper()
	if !shared.enabled.Load() {
		return Start(tb)
	}
	shared.once.Do(func() {
		bin, reason := binary()
		if reason != "" {
			shared.reason = reason
			return
		}
		shared.srv, shared.err = start(bin)
	})
	switch {
	case shared.reason != "":
		unavailable(tb, shared.reason)
	case shared.err != nil:
		tb.Fatalf("start dynalite: %v", shared.err)
	}
	return shared.srv.endpoint
}

// Client returns a DynamoDB client for endpoint, configured the standard way:
// it sets AWS_ENDPOINT_URL_DYNAMODB with tb.Setenv (so tb must not be parallel)
// and loads the default config with region us-east-1, static dummy credentials
// and no shared config files. It fails tb when the config does not load.
func Client(tb testing.TB, endpoint string) *dynamodb.Client {
	tb.Helper()
	tb.Setenv(EndpointEnv, endpoint)
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("dynalite", "dynalite", "")),
		config.WithSharedConfigFiles([]string{}),
		config.WithSharedCredentialsFiles([]string{}),
		config.WithRetryMaxAttempts(3),
	)
	if err != nil {
		tb.Fatalf("load aws config: %v", err)
	}
	return dynamodb.NewFromConfig(cfg)
}

var tableSeq atomic.Int64

var notTableChar = regexp.MustCompile(`[^a-zA-Z0-9_.-]+`)

// TableName returns a table name unique in this test binary, derived from
// tb.Name(): a fresh table per test keeps tests independent on a shared dynalite.
func TableName(tb testing.TB) string {
	name := notTableChar.ReplaceAllString(tb.Name(), "_")
	if len(name) > 200 {
		name = name[:200]
	}
	return fmt.Sprintf("t%d_%s", tableSeq.Add(1), name)
}

// unavailable skips tb, or fails it when CI is "true" (the suite must run there).
func unavailable(tb testing.TB, reason string) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf("dynalite is required in CI: %s (run npm ci in the repository root)", reason)
	}
	tb.Skipf("dynalite unavailable: %s (run npm ci in the repository root)", reason)
}

// binary returns the path of node_modules/.bin/dynalite, or a reason why it
// cannot run.
func binary() (path, reason string) {
	if _, err := exec.LookPath("node"); err != nil {
		return "", "node is not on PATH"
	}
	root, err := repoRoot()
	if err != nil {
		return "", err.Error()
	}
	bin := filepath.Join(root, "node_modules", ".bin", "dynalite")
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Sprintf("%s not found", bin)
	}
	return bin, ""
}

// repoRoot walks up from the working directory to the directory holding go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find repository root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// start runs dynalite on a free port and waits until it answers HTTP. A port
// taken between choosing and binding is retried on another port.
func start(bin string) (*server, error) {
	var err error
	for range 3 {
		var s *server
		if s, err = startOnce(bin); err == nil {
			return s, nil
		}
	}
	return nil, err
}

func startOnce(bin string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	out := &syncBuffer{}
	cmd := exec.Command(bin,
		"--host", "127.0.0.1", "--port", strconv.Itoa(port),
		"--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0")
	cmd.Stdout, cmd.Stderr = out, out
	setProcAttr(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("run %s: %w", bin, err)
	}
	s := &server{
		endpoint: "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		cmd:      cmd,
		done:     make(chan struct{}),
		out:      out,
	}
	go func() { _ = cmd.Wait(); close(s.done) }()
	if err := s.waitReady(); err != nil {
		s.stop()
		return nil, fmt.Errorf("%w; output: %s", err, bytes.TrimSpace(out.Bytes()))
	}
	return s, nil
}

// waitReady polls the endpoint until dynalite answers any HTTP response.
func (s *server) waitReady() error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(startTimeout)
	for delay := 20 * time.Millisecond; ; delay = min(delay*2, 250*time.Millisecond) {
		select {
		case <-s.done:
			return errors.New("dynalite exited before answering")
		default:
		}
		resp, err := client.Get(s.endpoint)
		if err == nil {
			resp.Body.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("dynalite did not answer within %s: %w", startTimeout, err)
		}
		time.Sleep(delay)
	}
}

// stop kills the process and waits for it to exit.
func (s *server) stop() {
	_ = s.cmd.Process.Kill()
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
	}
}

// freePort returns a TCP port of 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// syncBuffer is a bytes.Buffer safe for the process's writers and our reader.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 64<<10 { // keep the start-up output, not a flood
		return len(p), nil
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}
