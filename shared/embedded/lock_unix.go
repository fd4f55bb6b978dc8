//go:build unix

package embedded

import (
	"errors"
	"os"
	"syscall"
	"time"
)

// lockFile takes an exclusive lock on path (created 0600), waiting at most
// timeout, and returns the open file that holds it. The data file has its own
// lock (bbolt's), but Compact replaces that file: this one, beside it, stays
// put, so a second process can never open the directory between the rename
// and the switch to the new file. Returns ErrInUse after timeout.
func lockFile(path string, timeout time.Duration) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(timeout)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) || time.Now().After(deadline) {
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, ErrInUse
			}
			return nil, err
		}
		time.Sleep(50 * time.Millisecond)
	}
}
