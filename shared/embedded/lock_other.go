//go:build !unix

package embedded

import (
	"os"
	"time"
)

// lockFile opens path; on systems without flock the data file's own lock
// (bbolt's) is the only one.
func lockFile(path string, timeout time.Duration) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
}
