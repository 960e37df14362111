package recorder

import (
	"os"
	"os/exec"
	"syscall"
)

// dieWithMeetd makes a live composition's ffmpeg end when meetd ends, even by kill -9: its
// chunks then stop where the recording stopped (doc/decisions/0012-live-composition.md).
func dieWithMeetd(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// pipeSize is what mediaPipe asks for: the default 64 KiB holds less than one key frame of a
// 720p screen share, and an ffmpeg that is still opening its other inputs reads none of them.
// 1 MiB (Linux's default pipe-max-size) is seconds of any track.
const pipeSize = 1 << 20

// mediaPipe is os.Pipe with a 1 MiB buffer where the kernel allows it (F_SETPIPE_SZ; the
// default size otherwise), so that a live ffmpeg's start or a burst of key frames does not make
// a track's write wait (doc/decisions/0012-live-composition.md, "Pipes").
func mediaPipe() (r, w *os.File, err error) {
	if r, w, err = os.Pipe(); err != nil {
		return nil, nil, err
	}
	_, _, _ = syscall.Syscall(syscall.SYS_FCNTL, w.Fd(), syscall.F_SETPIPE_SZ, pipeSize)
	return r, w, nil
}
