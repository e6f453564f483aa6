//go:build !amd64 || noasm

package kernels

// addAsmLoops: no vector loops on this build; the binary ops run their Go
// loops.
func addAsmLoops[T Float](t *binaryTable[T]) {}
