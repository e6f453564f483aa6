package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// lstmRef is the LSTM cell and its backward in float64, element by element,
// from the formulas (no code shared with the kernels): fwd is the seven
// planes, grad the gradients of gates and c for the gradient g of the
// seven planes.
func lstmRef(gates, c, g []float64, rows, h int) (fwd, grad []float64) {
	fwd, grad = make([]float64, 7*rows*h), make([]float64, 5*rows*h)
	sg := func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }
	pl := rows * h
	for r := range rows {
		for j := range h {
			at := r*h + j
			gi, gf, gg, gO := gates[r*4*h+j], gates[r*4*h+h+j], gates[r*4*h+2*h+j], gates[r*4*h+3*h+j]
			i, f, gt, o := sg(gi), sg(gf), math.Tanh(gg), sg(gO)
			c2 := f*c[at] + i*gt
			tc := math.Tanh(c2)
			for k, v := range []float64{o * tc, c2, i, f, gt, o, tc} {
				fwd[k*pl+at] = v
			}
			gk := func(k int) float64 { return g[k*pl+at] }
			// h' = o·tc, c' = f·c + i·gt, planes 2-6 their own gradients
			dtc := gk(0)*o + gk(6)
			dc2 := gk(1) + dtc*(1-tc*tc)
			d := grad[r*4*h:] // the gates' gradient [rows, 4h], then c's [rows, h]
			d[j] = (dc2*gt + gk(2)) * i * (1 - i)
			d[h+j] = (dc2*c[at] + gk(3)) * f * (1 - f)
			d[2*h+j] = (dc2*i + gk(4)) * (1 - gt*gt)
			d[3*h+j] = (gk(0)*tc + gk(5)) * o * (1 - o)
			grad[4*pl+at] = dc2 * f
		}
	}
	return fwd, grad
}

// TestLSTMCellKernels: LSTMCell and LSTMCellGrad in f32 and f64 against the
// float64 formulas, serial and split into parallel tasks (which
// must give the same bits).
func TestLSTMCellKernels(t *testing.T) {
	for _, sz := range [][2]int{{1, 1}, {3, 7}, {2, 64}, {4, 300}, {64, 200}} { // the last splits into tasks
		rows, h := sz[0], sz[1]
		rng := rand.New(rand.NewPCG(uint64(rows), uint64(h)))
		gates, c, g := randSlice(rng, rows*4*h), randSlice(rng, rows*h), randSlice(rng, 7*rows*h)
		fr, gr := lstmRef(gates, c, g, rows, h)
		f64, g64 := make([]float64, len(fr)), make([]float64, len(gr))
		LSTMCell(f64, gates, c, rows, h)
		LSTMCellGrad(g64, f64, c, g, rows, h)
		f32, g32 := make([]float32, len(fr)), make([]float32, len(gr))
		LSTMCell(f32, to32(gates), to32(c), rows, h)
		LSTMCellGrad(g32, f32, to32(c), to32(g), rows, h)
		for k := range fr {
			if math.Abs(f64[k]-fr[k]) > 1e-12 || math.Abs(float64(f32[k])-fr[k]) > 2e-6*(1+math.Abs(fr[k])) {
				t.Fatalf("%dx%d: forward[%d] = %v (f64), %v (f32), want %v", rows, h, k, f64[k], f32[k], fr[k])
			}
		}
		for k := range gr {
			if math.Abs(g64[k]-gr[k]) > 1e-12 || math.Abs(float64(g32[k])-gr[k]) > 4e-6*(1+math.Abs(gr[k])) {
				t.Fatalf("%dx%d: grad[%d] = %v (f64), %v (f32), want %v", rows, h, k, g64[k], g32[k], gr[k])
			}
		}
		// The serial rows give the same bits as the (possibly parallel) call.
		s32, sg32 := make([]float32, len(fr)), make([]float32, len(gr))
		v, tmp := newLSTMVec[float32](), make([]float32, lstmScratch)
		v.rows(s32, to32(gates), to32(c), [7][]float32{}, tmp, rows, h, 0, rows)
		g32p := to32(g)
		var planes [7][]float32
		for k := range planes {
			planes[k] = g32p[k*rows*h : (k+1)*rows*h]
		}
		v.rows(sg32, f32, to32(c), planes, tmp, rows, h, 0, rows)
		for k := range s32 {
			if math.Float32bits(s32[k]) != math.Float32bits(f32[k]) {
				t.Fatalf("%dx%d: forward[%d] serial %v, parallel %v", rows, h, k, s32[k], f32[k])
			}
		}
		for k := range sg32 {
			if math.Float32bits(sg32[k]) != math.Float32bits(g32[k]) {
				t.Fatalf("%dx%d: grad[%d] serial %v, parallel %v", rows, h, k, sg32[k], g32[k])
			}
		}
	}
}

// TestLSTMCellGrad2: the gradients of h' and c' alone give the bits of the
// seven planes' gradient with zeros in planes 2 to 6.
func TestLSTMCellGrad2(t *testing.T) {
	rows, h := 5, 300
	rng := rand.New(rand.NewPCG(3, 4))
	gates, c, g := to32(randSlice(rng, rows*4*h)), to32(randSlice(rng, rows*h)), to32(randSlice(rng, 7*rows*h))
	clear(g[2*rows*h:])
	y := make([]float32, 7*rows*h)
	LSTMCell(y, gates, c, rows, h)
	want, got := make([]float32, 5*rows*h), make([]float32, 5*rows*h)
	LSTMCellGrad(want, y, c, g, rows, h)
	LSTMCellGrad2(got, y, c, g[:rows*h], g[rows*h:2*rows*h], rows, h)
	for k := range want {
		if math.Float32bits(want[k]) != math.Float32bits(got[k]) {
			t.Fatalf("grad[%d] = %v, want %v", k, got[k], want[k])
		}
	}
}

// BenchmarkLSTMCell: the fused cell forward and backward at the LSTM
// benchmark's batch 32 (ns per hidden unit: ns/op / (rows·h)).
func BenchmarkLSTMCell(b *testing.B) {
	for _, h := range []int{128, 512} {
		rows := 32
		rng := rand.New(rand.NewPCG(1, 2))
		gates, c, g := to32(randSlice(rng, rows*4*h)), to32(randSlice(rng, rows*h)), to32(randSlice(rng, 7*rows*h))
		fwd, grad := make([]float32, 7*rows*h), make([]float32, 5*rows*h)
		b.Run(fmt.Sprintf("fwd/%dx%d", rows, h), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				LSTMCell(fwd, gates, c, rows, h)
			}
		})
		b.Run(fmt.Sprintf("grad/%dx%d", rows, h), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				LSTMCellGrad(grad, fwd, c, g, rows, h)
			}
		})
		b.Run(fmt.Sprintf("sigmoid/%dx%d", rows, h), func(b *testing.B) {
			for b.Loop() {
				SigmoidRow(fwd[:rows*h], gates[:rows*h])
			}
		})
	}
}
