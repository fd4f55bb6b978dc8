package nodeproc_test

import (
	"testing"

	"github.com/loupehq/loupe/shared/testkit/nodeproc"
)

func TestFind(t *testing.T) {
	if path, reason := nodeproc.Find("no-such-stand-in"); path != "" || reason == "" {
		t.Errorf("Find of a missing binary = %q, %q; want no path and a reason", path, reason)
	}
}
