package lambdahost

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// Build builds the function logicalID into out with its own Makefile target,
// `make build-<LogicalId> ARTIFACTS_DIR=<dir of out> GOARCH_LAMBDA=<goarch>`,
// exactly as `sam build` does (CGO_ENABLED=0, GOOS=linux, -tags lambda.norpc,
// -trimpath, -ldflags '-s -w'), for goarch ("": the machine's own, so the
// binary can run here). out must end in "/bootstrap", the name the target
// writes. Returns make's output in the error when the build fails.
func Build(ctx context.Context, root, logicalID, goarch, out string) error {
	if goarch == "" {
		goarch = runtime.GOARCH
	}
	if filepath.Base(out) != "bootstrap" {
		return fmt.Errorf("build %s: output %s must be named bootstrap", logicalID, out)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return fmt.Errorf("build %s: %w", logicalID, err)
	}
	cmd := exec.CommandContext(ctx, "make", "-s", "build-"+logicalID,
		"ARTIFACTS_DIR="+filepath.Dir(out), "GOARCH_LAMBDA="+goarch, "GO="+goCommand())
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("make build-%s for %s: %w: %s", logicalID, goarch, err, b)
	}
	return nil
}

// goCommand returns $GOROOT/bin/go when GOROOT is set (go test sets it for
// the test binary), else "go" from PATH.
func goCommand() string {
	if root := os.Getenv("GOROOT"); root != "" {
		p := filepath.Join(root, "bin", "go")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return "go"
}
