//go:build !linux

package dynalite

import "os/exec"

// setProcAttr does nothing outside Linux; Cleanup and Main stop the process.
func setProcAttr(cmd *exec.Cmd) {}
