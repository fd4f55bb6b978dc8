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
	"context"
	"fmt"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/loupehq/loupe/shared/testkit/nodeproc"
)

// EndpointEnv is the standard variable the AWS SDK reads the DynamoDB endpoint from.
const EndpointEnv = "AWS_ENDPOINT_URL_DYNAMODB"

// spec runs dynalite in memory with instant table operations.
var spec = nodeproc.Spec{
	Bin: "dynalite",
	Args: func(port int) []string {
		return []string{"--host", "127.0.0.1", "--port", strconv.Itoa(port),
			"--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0"}
	},
}

// Start starts a dedicated in-memory dynalite on a free port of 127.0.0.1 and
// returns its endpoint ("http://127.0.0.1:PORT"); tb.Cleanup stops it. It skips
// tb when node or the dynalite binary is missing (fails it instead when CI is
// "true"), and fails tb when dynalite does not start.
func Start(tb testing.TB) string {
	tb.Helper()
	return nodeproc.Start(tb, spec).Endpoint
}

var shared struct {
	enabled atomic.Bool // set by Main while m.Run runs
	once    sync.Once
	srv     *nodeproc.Server
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
		shared.srv.Stop()
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
		bin, reason := nodeproc.Find(spec.Bin)
		if reason != "" {
			shared.reason = reason
			return
		}
		shared.srv, shared.err = nodeproc.Run(bin, spec)
	})
	switch {
	case shared.reason != "":
		nodeproc.Unavailable(tb, spec.Bin, shared.reason)
	case shared.err != nil:
		tb.Fatalf("start dynalite: %v", shared.err)
	}
	return shared.srv.Endpoint
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
