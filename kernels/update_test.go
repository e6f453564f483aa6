package kernels

import (
	"math"
	"testing"
)

// TestAdamUpdate checks one Adam step against values worked out by hand:
// from zero moments the first step moves each element by about LR (here
// 1e-3) against its gradient's sign, whatever the gradient's size.
func TestAdamUpdate(t *testing.T) {
	p, g := []float64{1, -2}, []float64{0.5, -4}
	m, v := []float64{0, 0}, []float64{0, 0}
	c := AdamCoef[float64]{B1: 0.9, C1: 0.1, B2: 0.999, C2: 0.001, Eps: 1e-8,
		StepSize: 1e-3 / 0.1, BC2Sqrt: math.Sqrt(0.001)}
	dst := make([]float64, 2)
	adamUpdate(dst, p, g, m, v, nil, c)
	// m = 0.1·g; v = 0.001·g²; √v/√0.001 = |g|; p' = p - 0.01·0.1·g/(|g| + 1e-8).
	wantM, wantV := []float64{0.05, -0.4}, []float64{0.00025, 0.016}
	wantP := []float64{1 - 1e-3*0.5/(0.5+1e-8), -2 + 1e-3*4/(4+1e-8)}
	for i := range dst {
		if !near(m[i], wantM[i]) || !near(v[i], wantV[i]) || !near(dst[i], wantP[i]) {
			t.Errorf("element %d: m %v v %v p %v, want %v %v %v", i, m[i], v[i], dst[i], wantM[i], wantV[i], wantP[i])
		}
	}
	// AdamW: the parameter is scaled first; L2: the gradient gets Decay·p.
	m, v = []float64{0}, []float64{0}
	c.Decoupled, c.Decay = true, 0.5
	adamUpdate(dst[:1], p[:1], g[:1], m, v, nil, c)
	if want := 0.5 - 1e-3*0.5/(0.5+1e-8); !near(dst[0], want) {
		t.Errorf("decoupled: p = %v, want %v", dst[0], want)
	}
	m, v = []float64{0}, []float64{0}
	c.Decoupled, c.L2 = false, true
	adamUpdate(dst[:1], p[:1], g[:1], m, v, nil, c) // g' = 0.5 + 0.5·1 = 1
	if !near(m[0], 0.1) || !near(v[0], 0.001) {
		t.Errorf("l2: m %v v %v, want 0.1 0.001", m[0], v[0])
	}
}

// TestSGDUpdate checks SGD with momentum, Nesterov and L2 decay by hand.
func TestSGDUpdate(t *testing.T) {
	cases := []struct {
		name          string
		c             SGDCoef[float64]
		wantBuf, want float64
	}{
		// buf = 0.9·0.2 + 0.5 = 0.68; p = 1 - 0.1·0.68
		{"momentum", SGDCoef[float64]{LR: 0.1, Momentum: 0.9}, 0.68, 0.932},
		// d = 0.5 + 0.9·0.68 = 1.112; p = 1 - 0.1112
		{"nesterov", SGDCoef[float64]{LR: 0.1, Momentum: 0.9, Nesterov: true}, 0.68, 0.8888},
		// d = 0.5 + 0.1·1 = 0.6; buf = 0.18 + 0.6 = 0.78; p = 1 - 0.078
		{"l2", SGDCoef[float64]{LR: 0.1, Momentum: 0.9, Decay: 0.1, L2: true}, 0.78, 0.922},
	}
	for _, tc := range cases {
		buf, dst := []float64{0.2}, []float64{0}
		g := []float64{0.5}
		sgdUpdate(dst, []float64{1}, g, buf, nil, tc.c)
		if !near(buf[0], tc.wantBuf) || !near(dst[0], tc.want) {
			t.Errorf("%s: buf %v p %v, want %v %v", tc.name, buf[0], dst[0], tc.wantBuf, tc.want)
		}
		// In place over the gradient: the same values.
		buf = []float64{0.2}
		sgdUpdate(g, []float64{1}, g, buf, nil, tc.c)
		if !near(g[0], tc.want) {
			t.Errorf("%s in place: p %v, want %v", tc.name, g[0], tc.want)
		}
	}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-12*max(1, math.Abs(b)) }

// TestUpdateTilesMatchScalar: the tiled vector updates give the scalar
// loops' results bitwise, over several tiles and a ragged end, in f32,
// with every option and with the result written over the gradient; with a
// mask, written over the gradient and over the mask itself.
func TestUpdateTilesMatchScalar(t *testing.T) {
	const n = 2*FusedTile + 37
	rnd := func(seed int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(math.Sin(float64(i*seed+1))) * 2
		}
		return x
	}
	abs := func(x []float32) []float32 {
		for i := range x {
			x[i] = float32(math.Abs(float64(x[i])))
		}
		return x
	}
	mask := make([]float32, n)
	for i := range mask {
		if i%3 != 0 {
			mask[i] = 1
		}
	}
	u := NewUpdateTiles[float32]()
	adams := []AdamCoef[float32]{
		{B1: 0.9, C1: 0.1, B2: 0.999, C2: 0.001, Eps: 1e-8, StepSize: 0.01, BC2Sqrt: 0.03},
		{B1: 0.8, C1: 0.2, B2: 0.99, C2: 0.01, Eps: 1e-6, StepSize: 0.02, BC2Sqrt: 0.1, Decay: 0.1, L2: true},
		{B1: 0.8, C1: 0.2, B2: 0.99, C2: 0.01, Eps: 1e-6, StepSize: 0.02, BC2Sqrt: 0.1, Decay: 0.999, Decoupled: true},
	}
	for _, mk := range []string{"none", "over g", "over mask"} {
		for k, c := range adams {
			p, g := rnd(3), rnd(5)
			m1, v1 := rnd(7), abs(rnd(11))
			m2, v2 := append([]float32(nil), m1...), append([]float32(nil), v1...)
			want := make([]float32, n)
			mk1, mk2, dst := maskCase(mk, mask, g)
			adamUpdate(want, p, g, m1, v1, mk1, c)
			u.Adam(dst, p, g, m2, v2, mk2, c)
			for i := range want {
				if dst[i] != want[i] || m1[i] != m2[i] || v1[i] != v2[i] {
					t.Fatalf("adam %d, mask %s, element %d: p %v m %v v %v, scalar loop %v %v %v", k, mk, i, dst[i], m2[i], v2[i], want[i], m1[i], v1[i])
				}
				if mk1 != nil && mask[i] == 0 && want[i] != 0 {
					t.Fatalf("adam %d: masked element %d is %v", k, i, want[i])
				}
			}
		}
	}
	sgds := []SGDCoef[float32]{
		{LR: 0.1, Momentum: 0.9},
		{LR: 0.1, Momentum: 0.5, Nesterov: true, Decay: 0.01, L2: true},
	}
	for _, mk := range []string{"none", "over g", "over mask"} {
		for k, c := range sgds {
			p, g := rnd(3), rnd(5)
			b1 := rnd(7)
			b2 := append([]float32(nil), b1...)
			want := make([]float32, n)
			mk1, mk2, dst := maskCase(mk, mask, g)
			sgdUpdate(want, p, g, b1, mk1, c)
			u.SGD(dst, p, g, b2, mk2, c)
			for i := range want {
				if dst[i] != want[i] || b1[i] != b2[i] {
					t.Fatalf("sgd %d, mask %s, element %d: p %v buf %v, scalar loop %v %v", k, mk, i, dst[i], b2[i], want[i], b1[i])
				}
				if mk1 != nil && mask[i] == 0 && want[i] != 0 {
					t.Fatalf("sgd %d: masked element %d is %v", k, i, want[i])
				}
			}
		}
	}
}

// maskCase gives the masks of the scalar loop and of the tiles and the
// tiles' destination for the mask case mk: no mask and the result over g,
// the mask and the result over g, or the result over (a copy of) the mask.
func maskCase(mk string, mask, g []float32) (scalar, tiles, dst []float32) {
	switch mk {
	case "over g":
		return mask, mask, g
	case "over mask":
		c := append([]float32(nil), mask...)
		return mask, c, c
	}
	return nil, nil, g
}
