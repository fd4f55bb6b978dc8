//go:build !linux

package nodeproc

import "os/exec"

// DieWithTest does nothing outside Linux: the caller's cleanup stops the
// process. It never fails.
func DieWithTest(cmd *exec.Cmd) {}
