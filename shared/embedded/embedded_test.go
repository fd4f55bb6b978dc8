package embedded

import (
	"path/filepath"
	"testing"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/testkit/storetest"
)

// openTemp opens a DB in a fresh temporary directory, closed at cleanup.
func openTemp(t testing.TB) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "loupe.db")
	db, err := Open(path)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) loupe.DB {
		db, _ := openTemp(t)
		return db
	})
}
