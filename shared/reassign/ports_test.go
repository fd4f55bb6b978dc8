package reassign_test

import (
	"github.com/loupehq/loupe/shared/dynamo"
	"github.com/loupehq/loupe/shared/embedded"
	"github.com/loupehq/loupe/shared/reassign"
)

// Both adapters serve reassign's narrow records port and its batch store.
var (
	_ reassign.Records = (*dynamo.DB)(nil)
	_ reassign.Records = (*embedded.DB)(nil)
	_ reassign.Store   = (*dynamo.DB)(nil)
	_ reassign.Store   = (*embedded.DB)(nil)
	// Describe reads names through the records the service already holds.
	_ reassign.Directory = reassign.Records(nil)
)
