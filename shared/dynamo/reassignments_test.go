package dynamo_test

import (
	"testing"

	"github.com/loupehq/loupe/shared/reassign"
	"github.com/loupehq/loupe/shared/testkit/reassigntest"
)

func TestReassignmentContract(t *testing.T) {
	reassigntest.Run(t, func(t *testing.T) reassign.Store { return open(t) })
}
