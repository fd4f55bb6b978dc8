package dynalite

import (
	"os/exec"
	"syscall"
)

// setProcAttr asks Linux to kill dynalite if the test binary dies without
// running its cleanup (a panic, a timeout), so no process outlives the tests.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
