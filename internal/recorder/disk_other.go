//go:build !(linux || darwin || freebsd)

package recorder

import "errors"

// freeSpace is not known on this system: the free space is not checked.
func freeSpace(string) (uint64, error) {
	return 0, errors.New("free disk space is not known on this system")
}
