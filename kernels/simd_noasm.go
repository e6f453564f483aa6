//go:build !amd64 || noasm

package kernels

// simdUnary has no vector routines on this build: the rows run math.Exp
// and the others.
func simdUnary[T Float](op simdOp, dst, x []T) bool { return false }

// simdMath: the vector math routines never run on this build.
func simdMath() bool { return false }
