package nodeproc_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/loupehq/loupe/shared/testkit/nodeproc"
)

func TestFind(t *testing.T) {
	if path, reason := nodeproc.Find("no-such-stand-in"); path != "" || reason == "" {
		t.Errorf("Find of a missing binary = %q, %q; want no path and a reason", path, reason)
	}
	root, err := nodeproc.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Errorf("RepoRoot %s holds no go.mod: %v", root, err)
	}
}
