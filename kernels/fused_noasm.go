//go:build !amd64 || noasm

package kernels

// asmBinary has no assembly row functions to offer on this build: the fused
// interpreter runs its pure-Go rows.
func asmBinary[T Float](op string) func(dst, x, y []T) { return nil }

// asmUnary: no assembly rows on this build.
func asmUnary[T Float](op string) func(dst, x []T) { return nil }
