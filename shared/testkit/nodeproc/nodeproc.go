// Package nodeproc runs, for tests, a stand-in server installed from the
// repository's package-lock.json into node_modules (dynalite,
// aws-ses-v2-local): it finds node_modules/.bin/<name>, starts it on a free
// port of 127.0.0.1, waits until it answers HTTP, and kills it at the end.
// Packages dynalite and sestest are built on it; infra/e2e asks it whether
// the stand-ins can run.
//
// When node or the binary is missing a test is skipped, except when the
// environment variable CI is "true": there it fails.
package nodeproc

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/testkit/repo"
)

// startTimeout bounds how long Run waits for a server to answer.
const startTimeout = 20 * time.Second

// Spec says how to run one stand-in.
type Spec struct {
	// Bin is the binary's name under node_modules/.bin, e.g. "dynalite".
	Bin string
	// Args returns the command line for the chosen port (the host is
	// 127.0.0.1).
	Args func(port int) []string
	// Env is added to the test's environment.
	Env []string
	// ReadyPath is the path polled until the server answers, e.g.
	// "/health-check"; "" polls "/".
	ReadyPath string
	// ReadyOK, when set, waits for a 200 OK; otherwise any HTTP answer will
	// do.
	ReadyOK bool
}

// Server is one running stand-in.
type Server struct {
	// Endpoint is the server's base URL, "http://127.0.0.1:PORT".
	Endpoint string
	name     string
	cmd      *exec.Cmd
	done     chan struct{} // closed when the process has exited
	out      *syncBuffer   // its combined output, for failure messages
}

// Start finds spec.Bin, runs it as Run does and stops it when tb's test
// ends. It skips tb when node or the binary is missing (fails it instead when
// CI is "true"), and fails tb when the server does not start.
func Start(tb testing.TB, spec Spec) *Server {
	tb.Helper()
	bin, reason := Find(spec.Bin)
	if reason != "" {
		Unavailable(tb, spec.Bin, reason)
	}
	s, err := Run(bin, spec)
	if err != nil {
		tb.Fatalf("start %s: %v", spec.Bin, err)
	}
	tb.Cleanup(s.Stop)
	return s
}

// Require skips tb (fails it when CI is "true") unless every one of names can
// run: node is on PATH and node_modules/.bin/<name> exists.
func Require(tb testing.TB, names ...string) {
	tb.Helper()
	for _, n := range names {
		if _, reason := Find(n); reason != "" {
			Unavailable(tb, n, reason)
		}
	}
}

// Unavailable skips tb because name cannot run for reason, or fails it when
// CI is "true" (the suite must run there).
func Unavailable(tb testing.TB, name, reason string) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf("%s is required in CI: %s (run npm ci in the repository root)", name, reason)
	}
	tb.Skipf("%s unavailable: %s (run npm ci in the repository root)", name, reason)
}

// Find returns the path of node_modules/.bin/<name> in the repository, or
// (with an empty path) the reason it cannot run: node is not on PATH, there
// is no repository root, or the binary is missing.
func Find(name string) (path, reason string) {
	if _, err := exec.LookPath("node"); err != nil {
		return "", "node is not on PATH"
	}
	root, err := repo.Root()
	if err != nil {
		return "", err.Error()
	}
	bin := filepath.Join(root, "node_modules", ".bin", name)
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Sprintf("%s not found", bin)
	}
	return bin, ""
}

// Run starts bin (found by Find) as spec says on a free port, in the
// repository root, and waits until it answers. A port taken between choosing
// and binding is retried on another port, three tries in all. Returns the
// last error, with the process's output, when it does not come up within
// 20 s or exits first. The caller must Stop the server.
func Run(bin string, spec Spec) (*Server, error) {
	var err error
	for range 3 {
		var s *Server
		if s, err = runOnce(bin, spec); err == nil {
			return s, nil
		}
	}
	return nil, err
}

func runOnce(bin string, spec Spec) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	out := &syncBuffer{}
	cmd := exec.Command(bin, spec.Args(port)...)
	if root, err := repo.Root(); err == nil {
		cmd.Dir = root
	}
	cmd.Env = append(os.Environ(), spec.Env...)
	cmd.Stdout, cmd.Stderr = out, out
	DieWithTest(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("run %s: %w", bin, err)
	}
	s := &Server{
		Endpoint: "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		name:     spec.Bin,
		cmd:      cmd,
		done:     make(chan struct{}),
		out:      out,
	}
	go func() { _ = cmd.Wait(); close(s.done) }()
	if err := s.waitReady(spec); err != nil {
		s.Stop()
		return nil, fmt.Errorf("%w; output: %s", err, bytes.TrimSpace(out.Bytes()))
	}
	return s, nil
}

// waitReady polls the ready path until the server answers as spec wants.
func (s *Server) waitReady(spec Spec) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(startTimeout)
	for delay := 20 * time.Millisecond; ; delay = min(delay*2, 250*time.Millisecond) {
		select {
		case <-s.done:
			return fmt.Errorf("%s exited before answering", s.name)
		default:
		}
		resp, err := client.Get(s.Endpoint + spec.ReadyPath)
		if err == nil {
			resp.Body.Close()
			if !spec.ReadyOK || resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer within %s: %w", s.name, startTimeout, err)
		}
		time.Sleep(delay)
	}
}

// Stop kills the process and waits (at most 5 s) for it to exit. It is safe
// to call twice.
func (s *Server) Stop() {
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
