package embedded

import (
	"path/filepath"
	"testing"

	"github.com/loupehq/loupe/shared/touch"
	"github.com/loupehq/loupe/shared/touch/ledgertest"
)

func openLedger(t *testing.T) *Ledger {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "loupe.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db.Ledger()
}

func TestLedgerContract(t *testing.T) {
	ledgertest.Run(t, func(t *testing.T) touch.Ledger { return openLedger(t) })
}

func TestCampaignsContract(t *testing.T) {
	ledgertest.RunCampaigns(t, func(t *testing.T) touch.Campaigns { return openLedger(t) })
}
