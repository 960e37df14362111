//go:build !linux

package recorder

import "os/exec"

// dieWithMeetd: only Linux can tie a child's life to its parent's; elsewhere a live ffmpeg left
// by a killed meetd runs on until it is stopped by hand.
func dieWithMeetd(cmd *exec.Cmd) {}
