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
	AdamUpdate(dst, p, g, m, v, c)
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
	AdamUpdate(dst[:1], p[:1], g[:1], m, v, c)
	if want := 0.5 - 1e-3*0.5/(0.5+1e-8); !near(dst[0], want) {
		t.Errorf("decoupled: p = %v, want %v", dst[0], want)
	}
	m, v = []float64{0}, []float64{0}
	c.Decoupled, c.L2 = false, true
	AdamUpdate(dst[:1], p[:1], g[:1], m, v, c) // g' = 0.5 + 0.5·1 = 1
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
		SGDUpdate(dst, []float64{1}, g, buf, tc.c)
		if !near(buf[0], tc.wantBuf) || !near(dst[0], tc.want) {
			t.Errorf("%s: buf %v p %v, want %v %v", tc.name, buf[0], dst[0], tc.wantBuf, tc.want)
		}
		// In place over the gradient: the same values.
		buf = []float64{0.2}
		SGDUpdate(g, []float64{1}, g, buf, tc.c)
		if !near(g[0], tc.want) {
			t.Errorf("%s in place: p %v, want %v", tc.name, g[0], tc.want)
		}
	}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-12*max(1, math.Abs(b)) }
