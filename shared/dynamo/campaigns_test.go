package dynamo_test

import (
	"testing"

	"github.com/loupehq/loupe/shared/testkit/ledgertest"
	"github.com/loupehq/loupe/shared/touch"
)

func TestCampaignsContract(t *testing.T) {
	ledgertest.RunCampaigns(t, func(t *testing.T) touch.Campaigns { return open(t).Ledger() })
}
