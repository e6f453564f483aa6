//go:build amd64 && !noasm

package kernels

// fillV32 (fill_amd64.s, AVX) sets dst[i] = c for i < n.
//
//go:noescape
func fillV32(dst *float32, n int, c float32)

// fillRow sets every element of dst to src[i]: with AVX stores for f32
// rows of at least 16 elements where the processor has AVX.
func fillRow[T Float](dst, src []T, i int) {
	c := src[i]
	if d32, ok := any(dst).([]float32); ok && len(d32) >= 16 && X86.HasAVX {
		fillV32(&d32[0], len(d32), any(src).([]float32)[i])
		return
	}
	for j := range dst {
		dst[j] = c
	}
}
