//go:build amd64 && !noasm

package kernels

// dropoutVec reports whether f32 dropout masks run the AVX-512 code of
// random_amd64.s (AVX-512F, DQ for the 64-bit products, VL for the masked
// eight-float stores; simdOff unset).
func dropoutVec() bool {
	return X86.HasAVX512F && X86.HasAVX512DQ && X86.HasAVX512VL && !simdOff
}

// dropoutAVX512F32 sets dst[i], i < n (a multiple of eight), to 0 when
// splitMix64(base+i)>>11 < cut and to keep otherwise: dropoutRange's
// loop, eight counters at a time in 64-bit lanes, the same integer
// arithmetic, so the same mask.
//
//go:noescape
func dropoutAVX512F32(dst *float32, n int, base, cut uint64, keep float32)
