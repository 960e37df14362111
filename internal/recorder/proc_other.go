//go:build !linux

package recorder

import (
	"os"
	"os/exec"
)

// dieWithMeetd: only Linux can tie a child's life to its parent's; elsewhere a live ffmpeg left
// by a killed meetd runs on until it is stopped by hand.
func dieWithMeetd(cmd *exec.Cmd) {}

// mediaPipe is os.Pipe: only Linux lets a pipe's buffer grow.
func mediaPipe() (r, w *os.File, err error) { return os.Pipe() }
