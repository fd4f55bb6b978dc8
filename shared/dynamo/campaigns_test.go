package dynamo_test

import (
	"testing"

	"github.com/loupehq/loupe/shared/touch"
	"github.com/loupehq/loupe/shared/touch/ledgertest"
)

func TestCampaignsContract(t *testing.T) {
	ledgertest.RunCampaigns(t, func(t *testing.T) touch.Campaigns { return open(t).Ledger() })
}
