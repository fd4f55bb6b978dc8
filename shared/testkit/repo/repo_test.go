package repo_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/loupehq/loupe/shared/testkit/repo"
)

func TestRoot(t *testing.T) {
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Errorf("Root %s holds no go.mod: %v", root, err)
	}
}
