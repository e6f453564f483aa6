//go:build amd64 && !noasm

package kernels

import (
	"math"
	"testing"
)

// TestAdamOnePassBothWidths runs both one-pass Adam kernels this machine
// has (UpdateTiles takes the widest) against adamUpdate, bitwise, with dst
// a new slice and dst over g.
func TestAdamOnePassBothWidths(t *testing.T) {
	const n = 1024 + 48
	c := AdamCoef[float32]{B1: 0.9, C1: 0.1, B2: 0.999, C2: 0.001, Eps: 1e-3, StepSize: 0.01, BC2Sqrt: 0.03}
	c32 := [7]float32{c.B1, c.C1, c.B2, c.C2, c.Eps, c.StepSize, c.BC2Sqrt}
	kerns := map[string]func(int, *float32, *float32, *float32, *float32, *float32, *[7]float32){}
	if X86.HasAVX2 {
		kerns["avx2"] = adamAVX2
	}
	if X86.HasAVX512F {
		kerns["avx512"] = adamAVX512
	}
	for name, k := range kerns {
		for _, overG := range []bool{false, true} {
			p, g, m, v := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
			for i := range p {
				p[i] = float32(math.Sin(float64(3*i + 1)))
				g[i] = float32(math.Sin(float64(5*i+1))) * 2
				m[i] = float32(math.Sin(float64(7*i + 1)))
				v[i] = float32(math.Abs(math.Sin(float64(11*i + 1))))
			}
			want, m1, v1 := make([]float32, n), append([]float32(nil), m...), append([]float32(nil), v...)
			adamUpdate(want, p, g, m1, v1, nil, c)
			dst := make([]float32, n)
			if overG {
				dst = g
			}
			k(n, &dst[0], &p[0], &g[0], &m[0], &v[0], &c32)
			for i := range want {
				if math.Float32bits(dst[i]) != math.Float32bits(want[i]) || m[i] != m1[i] || v[i] != v1[i] {
					t.Fatalf("%s (dst over g %v) element %d: p %v m %v v %v, adamUpdate %v %v %v", name, overG, i, dst[i], m[i], v[i], want[i], m1[i], v1[i])
				}
			}
		}
	}
}
