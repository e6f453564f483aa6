//go:build !amd64 || noasm

package kernels

// asmFlush: no assembly kernels, no flushing (see flush_amd64.go).
const asmFlush = false

// flushSubnormals: the pure-Go products keep subnormals, and so do the
// rows (see flush_amd64.go).
func flushSubnormals[T Float](x []T) {}
