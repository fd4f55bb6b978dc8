package nodeproc

import (
	"os/exec"
	"syscall"
)

// DieWithTest asks Linux to kill cmd's process if the test binary dies
// without running its cleanup (a panic, a timeout), so no process outlives
// the tests. Call it before cmd.Start; it never fails.
func DieWithTest(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
