//go:build amd64 && !noasm

package kernels

import "math"

// asmFlush says that this build's f32 assembly kernels flush subnormals
// (where the processor runs them: AVX2 and FMA).
const asmFlush = true

// flushSub32 (flush_amd64.s, AVX2) sets each subnormal of x[:n], n a
// multiple of 8, to zero of its sign.
//
//go:noescape
func flushSub32(x *float32, n int)

// flushSubnormals sets every subnormal of an f32 row to zero (of its
// sign) where the f32 products flush subnormals (AVX2 and FMA: the
// assembly kernels of docs/language.md's Element types), so that a
// recurrent cell's gradient, which vanishes over a long sequence, does not
// feed subnormals to the elementwise arithmetic of the steps before it (a
// microcode assist each on Intel processors; the products that read
// these values count them as zero already). f64 rows and other builds
// keep them.
func flushSubnormals[T Float](x []T) {
	x32, ok := any(x).([]float32)
	if !ok || !X86.HasAVX2 || !X86.HasFMA {
		return
	}
	m := len(x32) &^ 7
	if m > 0 {
		flushSub32(&x32[0], m)
	}
	for i, v := range x32[m:] {
		if b := math.Float32bits(v); b&0x7f800000 == 0 {
			x32[m+i] = math.Float32frombits(b & 0x80000000)
		}
	}
}
