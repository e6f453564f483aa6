//go:build amd64 && !noasm

package kernels

// maxPool2x2F32 (pool_amd64.s, AVX2) pools rows row pairs of x, each of
// two rows of w elements, into rows of n outputs of dst: output j of a row
// is the first maximum of its 2x2 window r0[2j], r0[2j+1], r1[2j], r1[2j+1]
// (the first of equal values, which decides the sign of a zero), with r1 =
// r0 + w and the next pair at r0 + 2w. It returns nonzero when a window
// holds a NaN, whose output the caller must then recompute (the first NaN
// wins). It reads 2n ≤ w elements of each row.
//
//go:noescape
func maxPool2x2F32(dst, x *float32, rows, n, w int) (nan int)

// maxPool2x2F32Rows pools the rows·2 rows of width w of x into the rows
// of n elements of dst (2n ≤ w) with maxPool2x2F32 when the processor has
// AVX2; it reports false when it has not, or when a window holds a NaN
// (the caller then pools them in Go, overwriting what was written).
func maxPool2x2F32Rows(dst, x []float32, rows, n, w int) bool {
	if !X86.HasAVX2 || rows == 0 || n == 0 || 2*n > w || len(dst) < rows*n || len(x) < 2*rows*w {
		return false
	}
	return maxPool2x2F32(&dst[0], &x[0], rows, n, w) == 0
}

// maxPool2x2GradF32 (pool_amd64.s, AVX2) is the gradient of a tiling 2x2,
// stride-2 max pooling over rows row pairs of x of width w = 2n: each
// window's gradient g[j] goes to its first maximum in dx and zeros to its
// other three elements (every element of dx is written). It returns
// nonzero when a window holds a NaN, whose gradient the caller must then
// recompute (the first NaN takes it).
//
//go:noescape
func maxPool2x2GradF32(dx, x, grad *float32, rows, n, w int) (nan int)

// maxPool2x2GradF32Rows writes the gradient dx of the rows·2 rows of
// width w = 2n of x for the rows·n output gradients g with
// maxPool2x2GradF32 when the processor has AVX2; it reports false when it
// has not, or when a window holds a NaN (the caller then computes it all
// in Go, overwriting what was written).
func maxPool2x2GradF32Rows(dx, x, g []float32, rows, n, w int) bool {
	if !X86.HasAVX2 || rows == 0 || n == 0 || w != 2*n || len(dx) < 2*rows*w || len(x) < 2*rows*w || len(g) < rows*n {
		return false
	}
	return maxPool2x2GradF32(&dx[0], &x[0], &g[0], rows, n, w) == 0
}
