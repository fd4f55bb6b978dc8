//go:build !linux

package lambdahost

import "os/exec"

// setProcAttr does nothing outside Linux; Close stops the process.
func setProcAttr(cmd *exec.Cmd) {}
