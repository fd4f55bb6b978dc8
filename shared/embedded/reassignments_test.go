package embedded_test

import (
	"path/filepath"
	"testing"

	"github.com/loupehq/loupe/shared/embedded"
	"github.com/loupehq/loupe/shared/reassign"
	"github.com/loupehq/loupe/shared/testkit/reassigntest"
)

func TestReassignmentContract(t *testing.T) {
	reassigntest.Run(t, func(t *testing.T) reassign.Store {
		db, err := embedded.Open(filepath.Join(t.TempDir(), "loupe.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}
