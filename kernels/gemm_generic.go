package kernels

import "unsafe"

// The pure-Go microkernel's tile: goMR rows by goNR columns.
const (
	goMR = 4
	goNR = 4
)

// gemmKernGo is the reference microkernel, used where no SIMD kernel runs
// (other architectures, the noasm build tag, processors without AVX2+FMA).
// It has the assembly kernels' contract: a holds k steps of goMR elements of
// op(A), b k steps of goNR elements of op(B); the goMR×goNR tile of sums over
// increasing k is stored into c (row stride ldc) or, when acc != 0, added to
// it.
func gemmKernGo[T Float](k int, a, b, c *T, ldc int, acc int) {
	as := unsafe.Slice(a, k*goMR)
	bs := unsafe.Slice(b, k*goNR)
	var c00, c01, c02, c03 T
	var c10, c11, c12, c13 T
	var c20, c21, c22, c23 T
	var c30, c31, c32, c33 T
	for len(as) >= goMR && len(bs) >= goNR {
		b0, b1, b2, b3 := bs[0], bs[1], bs[2], bs[3]
		a0, a1, a2, a3 := as[0], as[1], as[2], as[3]
		as, bs = as[goMR:], bs[goNR:]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	cs := unsafe.Slice(c, 3*ldc+goNR)
	r0 := cs[0:4:4]
	r1 := cs[ldc : ldc+4 : ldc+4]
	r2 := cs[2*ldc : 2*ldc+4 : 2*ldc+4]
	r3 := cs[3*ldc : 3*ldc+4 : 3*ldc+4]
	if acc != 0 {
		c00, c01, c02, c03 = r0[0]+c00, r0[1]+c01, r0[2]+c02, r0[3]+c03
		c10, c11, c12, c13 = r1[0]+c10, r1[1]+c11, r1[2]+c12, r1[3]+c13
		c20, c21, c22, c23 = r2[0]+c20, r2[1]+c21, r2[2]+c22, r2[3]+c23
		c30, c31, c32, c33 = r3[0]+c30, r3[1]+c31, r3[2]+c32, r3[3]+c33
	}
	r0[0], r0[1], r0[2], r0[3] = c00, c01, c02, c03
	r1[0], r1[1], r1[2], r1[3] = c10, c11, c12, c13
	r2[0], r2[1], r2[2], r2[3] = c20, c21, c22, c23
	r3[0], r3[1], r3[2], r3[3] = c30, c31, c32, c33
}
