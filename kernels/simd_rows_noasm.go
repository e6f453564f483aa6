//go:build !amd64 || noasm

package kernels

// simdBinary has no vector loops on this build.
func simdBinary[T Float](op simdOp, dst, x, y []T) bool { return false }
