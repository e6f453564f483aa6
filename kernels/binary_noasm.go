//go:build !amd64 || noasm

package kernels

// asmBinaryLoops: no vector loops on this build; the binary ops run their Go
// loops.
func asmBinaryLoops[T Float](op int) *binaryLoops[T] { return nil }
