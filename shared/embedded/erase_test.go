package embedded_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/loupehq/loupe/shared/embedded"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/testkit/erasuretest"
	"github.com/loupehq/loupe/shared/wire"
)

// TestEraseLeavesNothingInTheFile runs the erasure scenario and searches the
// raw bbolt file: the compaction that ends an erasure leaves no freed page
// with the client's bytes.
func TestEraseLeavesNothingInTheFile(t *testing.T) {
	erasuretest.Run(t, func(t *testing.T) erasuretest.Target {
		path := filepath.Join(t.TempDir(), "loupe.db")
		db, err := embedded.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		ports := wire.Ports{Records: db, Compliance: db.Compliance(), Ledger: db.Ledger(), Forget: []loupe.Forgetter{db.Forget}}
		svc := wire.Build(wire.Config{}, ports)
		return erasuretest.Target{
			Records: db, Erase: svc.Erase, Apply: svc.POS.Apply, Compliance: svc.Compliance.HandleChange,
			Dump: func(t *testing.T) []byte {
				b, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				return b
			},
		}
	})
}
