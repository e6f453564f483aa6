//go:build !amd64 || noasm

package kernels

import "unsafe"

// erfGeluCall is not reached on this build (simdMath is false); it runs the
// scalar rows so that it is correct if it ever is.
func erfGeluCall(op erfGeluOp, dst, x *float32, n int) {
	d, s := unsafe.Slice(dst, n), unsafe.Slice(x, n)
	switch op {
	case opErf:
		erfRowGo(d, s)
	case opGeluGrad, opGeluTanhGrad:
		geluGradRowGo(d, s, op == opGeluTanhGrad)
	default:
		geluRowGo(d, s, op == opGeluTanh)
	}
}
