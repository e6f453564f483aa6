//go:build amd64 && !noasm

package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The AVX-512 routines give bitwise the AVX2 ones' results (the rows mix
// them: eight-lane blocks, then four): exp in f64 and f32, sigmoid, erf,
// both GELU forms and their derivatives.
func TestSIMDAVX512MatchesAVX2(t *testing.T) {
	if !X86.HasAVX512F || !X86.HasAVX2 || !X86.HasFMA {
		t.Logf("no AVX-512F here: nothing to compare")
		return
	}
	rng := rand.New(rand.NewPCG(11, 12))
	x := sample64(rng, 1<<16, -750, 712)
	x = x[:len(x)&^7]
	a, b := make([]float64, len(x)), make([]float64, len(x))
	expAVX2F64(&a[0], &x[0], len(x))
	expAVX512F64(&b[0], &x[0], len(x))
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) && !(math.IsNaN(a[i]) && math.IsNaN(b[i])) {
			t.Fatalf("exp(%v): AVX2 %v, AVX-512 %v", x[i], a[i], b[i])
		}
	}
	y := sample32(rng, 1<<16, -105, 90)
	y = y[:len(y)&^15]
	for _, k := range []struct {
		name         string
		avx2, avx512 func(dst, x *float32, n int)
	}{{"exp", expAVX2F32N, expAVX512F32N}, {"sigmoid", sigmoidAVX2F32N, sigmoidAVX512F32N}, {"tanh", tanhAVX2F32N, tanhAVX512F32N},
		{"erf", erfAVX2F32L, erfAVX512F32L}, {"gelu", geluAVX2F32L, geluAVX512F32L},
		{"gelu_grad", geluGradAVX2F32L, geluGradAVX512F32L}, {"gelu_tanh", geluTanhAVX2F32, geluTanhAVX512F32},
		{"gelu_tanh_grad", geluTanhGradAVX2F32, geluTanhGradAVX512F32}} {
		if k.name == "erf" {
			// erf and GELU: the inputs over both branches (a < 1/2, < 1
			// and not), the tails, the clamps at a = 10.25 and |x| =
			// 10.25·√2, signed zeros and NaN.
			y = append(sample32(rng, 1<<16, -20, 20)[:1<<16-32],
				0, float32(math.Copysign(0, -1)), 1, -1, 0.99999994, -1.0000001, 10.25, -10.25,
				float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 1e-30, -1e-30, 3e38, -3e38, 14.85,
				0.5, -0.5, 0.70710677, -0.70710677, 1.4142135, -1.4142135, 14.495689, -14.495689,
				-14.2, -13.5, -13, 1e-40, -1e-40, 5.5, -5.5, 0.4999999)
		}
		c, d := make([]float32, len(y)), make([]float32, len(y))
		k.avx2(&c[0], &y[0], len(y))
		k.avx512(&d[0], &y[0], len(y))
		for i := range c {
			if math.Float32bits(c[i]) != math.Float32bits(d[i]) && !(c[i] != c[i] && d[i] != d[i]) {
				t.Fatalf("%s(%v) f32: AVX2 %v, AVX-512 %v", k.name, y[i], c[i], d[i])
			}
		}
	}
}
