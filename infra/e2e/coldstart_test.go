package e2e

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/loupehq/loupe/infra/e2e/lambdahost"
)

// startsPerOp is how many processes one benchmark iteration starts, so that
// -benchtime 1x (make bench) still gives a median on a busy machine.
const startsPerOp = 5

// BenchmarkColdStart reports, per function, the size of its arm64 bootstrap
// as deployed (stripped, the Makefile's flags) and the time from process start
// to ready (its first GET /invocation/next) of the same code built for this
// machine, under the harness's Runtime API: median and worst of startsPerOp
// starts an iteration. Target: under 50 ms.
//
// Init calls one AWS service, Secrets Manager (pos-webhook, sender and
// dashboard-api read their secrets, current and previous, before they are
// ready), so its stand-in runs; the other SDK clients connect lazily and their endpoints
// point at a closed port.
//
//	go test ./infra/e2e/ -run '^$' -bench ColdStart -benchtime 5x
func BenchmarkColdStart(b *testing.B) {
	tmpl, bins := binaries(b)
	if b.Failed() {
		b.FailNow()
	}
	armDir := b.TempDir()
	res := (&stack{tmpl: tmpl, table: "loupe-bench", sendURL: "http://127.0.0.1:9/123456789012/loupe-bench"}).resolver()
	sm := startSecrets(b)
	ids := make([]string, 0, len(bins))
	for id := range bins {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		f := tmpl.Function(id)
		arm := filepath.Join(armDir, f.Dir, "bootstrap")
		if err := lambdahost.Build(context.Background(), built.root, f.LogicalID, "arm64", arm); err != nil {
			b.Fatal(err)
		}
		armInfo, err := os.Stat(arm)
		if err != nil {
			b.Fatal(err)
		}
		env, err := res.Env(f)
		if err != nil {
			b.Fatal(err)
		}
		for _, k := range []string{"AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SESV2", "AWS_ENDPOINT_URL_SQS"} {
			env[k] = "http://127.0.0.1:9"
		}
		env["AWS_ENDPOINT_URL_SECRETS_MANAGER"] = sm.URL
		b.Run(f.Dir, func(b *testing.B) {
			var all []time.Duration
			for b.Loop() {
				for range startsPerOp {
					all = append(all, coldStart(b, f.Dir, bins[id], env, f.MemorySize))
				}
			}
			slices.Sort(all)
			b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "ms-to-ready-p50")
			b.ReportMetric(float64(all[len(all)-1].Microseconds())/1000, "ms-to-ready-max")
			b.ReportMetric(float64(armInfo.Size())/(1<<20), "arm64-MiB")
		})
	}
}

// coldStart starts bin once and returns its time from process start to ready.
func coldStart(b *testing.B, name, bin string, env map[string]string, memory int) time.Duration {
	b.Helper()
	h, err := lambdahost.Start(lambdahost.Config{Name: "bench-" + name, Binary: bin, Env: env,
		Memory: memory, Dir: filepath.Dir(bin)})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d, err := h.Ready(ctx)
	if err != nil {
		b.Fatal(err)
	}
	return d
}
