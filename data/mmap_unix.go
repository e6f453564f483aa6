//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package data

import (
	"os"
	"syscall"
)

// mapFile maps size bytes of f into memory, copy-on-write: writing to the
// bytes changes this process's copy, never the file. The mapping lasts as
// long as the process (arrays backed by it may be referenced anywhere).
// It returns nil when the file cannot be mapped; the caller then reads it.
func mapFile(f *os.File, size int64) []byte {
	if size <= 0 || int64(int(size)) != size {
		return nil
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE)
	if err != nil {
		return nil
	}
	return b
}
