//go:build amd64 && !noasm

package kernels

// vecRows32 reports whether the f32 row helpers of rows_vec.go run AVX2
// code (a processor with AVX2, simdOff unset).
func vecRows32() bool { return X86.HasAVX2 && !simdOff }

// subScalarRow32 sets x[i] = x[i] - c (fused_amd64.s).
func subScalarRow32(x []float32, c float32) { subVS32(&x[0], &x[0], len(x), c) }

// scaleRow32 sets dst[i] = x[i]·c (len(dst) = len(x) > 0).
func scaleRow32(dst, x []float32, c float32) { mulVS32(&dst[0], &x[0], len(x), c) }

// mulRow32 sets dst[i] = x[i]·dst[i].
func mulRow32(dst, x []float32) { mulVV32(&dst[0], &x[0], &dst[0], len(dst)) }

// maxRow32AVX2 returns the largest of x[:n] (n a multiple of 8, at least
// 8) by VMAXPS over eight lanes (rows_vec_amd64.s).
//
//go:noescape
func maxRow32AVX2(x *float32, n int) float32

// dot16AVX2 sets acc[k] to the float64 sum of a[i]·b[i] over i ≡ k (mod
// 16), i < n (a multiple of 16), in order.
//
//go:noescape
func dot16AVX2(a, b *float32, n int, acc *[lnLanes]float64)
