package touch_test

import (
	"testing"

	"github.com/loupehq/loupe/shared/testkit/ledgertest"
	"github.com/loupehq/loupe/shared/touch"
)

func TestMemLedgerContract(t *testing.T) {
	ledgertest.Run(t, func(t *testing.T) touch.Ledger { return &touch.MemLedger{} })
}

func TestMemCampaignsContract(t *testing.T) {
	ledgertest.RunCampaigns(t, func(t *testing.T) touch.Campaigns { return &touch.MemCampaigns{} })
}
