//go:build linux || darwin || freebsd

package recorder

import "syscall"

// freeSpace is the space in dir's file system that meetd may still use.
func freeSpace(dir string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return uint64(st.Bavail) * uint64(st.Bsize), nil
}
