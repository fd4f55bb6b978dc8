package pos_test

import (
	"github.com/loupehq/loupe/shared/dynamo"
	"github.com/loupehq/loupe/shared/embedded"
	"github.com/loupehq/loupe/shared/pos"
	"github.com/loupehq/loupe/shared/testkit/postest"
)

// The adapters and the in-memory fake serve the POS service's narrow port.
var (
	_ pos.Records = (*dynamo.DB)(nil)
	_ pos.Records = (*embedded.DB)(nil)
	_ pos.Records = (*postest.MemDB)(nil)
)
