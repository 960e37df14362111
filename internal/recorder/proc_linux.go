package recorder

import (
	"os/exec"
	"syscall"
)

// dieWithMeetd makes a live composition's ffmpeg end when meetd ends, even by kill -9: its
// chunks then stop where the recording stopped (doc/decisions/0012-live-composition.md).
func dieWithMeetd(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
