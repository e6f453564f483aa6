//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package data

import "os"

// mapFile maps nothing on this system: files are read into memory.
func mapFile(f *os.File, size int64) []byte { return nil }
