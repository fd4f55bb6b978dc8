package lambdahost

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// Build builds root/functions/<dir> into out the way the Makefile's
// build-<LogicalId> target does (CGO_ENABLED=0, -tags lambda.norpc,
// -trimpath, -ldflags '-s -w'), for GOOS=linux and goarch ("" : the machine's
// own, so the binary can run here). Returns the go command's output in the
// error when the build fails.
func Build(ctx context.Context, root, dir, goarch, out string) error {
	if goarch == "" {
		goarch = runtime.GOARCH
	}
	cmd := exec.CommandContext(ctx, goCommand(), "build", "-tags", "lambda.norpc", "-trimpath",
		"-ldflags=-s -w", "-o", out, "./functions/"+dir)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build functions/%s for %s: %w: %s", dir, goarch, err, b)
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

// RepoRoot walks up from the working directory to the directory holding
// go.mod. Returns an error when there is none.
func RepoRoot() (string, error) {
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
			return "", errors.New("find repository root: no go.mod above the working directory")
		}
		dir = parent
	}
}
