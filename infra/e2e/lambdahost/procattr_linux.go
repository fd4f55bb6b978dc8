package lambdahost

import (
	"os/exec"
	"syscall"
)

// setProcAttr asks Linux to kill the function process if the test binary dies
// without running its cleanup, so no bootstrap outlives the tests.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
