package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// gruRef is the GRU cell and its backward in float64, element by element,
// from the formulas: fwd is the five planes (h', r, z, n, hn), grad the
// gradients of xw [rows, 3h], hw [rows, 3h] and hp [rows, h] one after the
// other ([7·rows, h]) for the gradient g of the planes.
func gruRef(xw, hw, hp, g []float64, rows, h int) (fwd, grad []float64) {
	fwd, grad = make([]float64, 5*rows*h), make([]float64, 7*rows*h)
	sg := func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }
	pl := rows * h
	for i := range rows {
		x, w := xw[i*3*h:], hw[i*3*h:]
		d := [][]float64{grad[i*3*h:], grad[3*pl+i*3*h:], grad[6*pl+i*h:]}
		for j := range h {
			at := i*h + j
			r, z := sg(x[j]+w[j]), sg(x[h+j]+w[h+j])
			hn := w[2*h+j]
			n := math.Tanh(x[2*h+j] + r*hn)
			for k, v := range []float64{(1-z)*n + z*hp[at], r, z, n, hn} {
				fwd[k*pl+at] = v
			}
			gk := func(k int) float64 { return g[k*pl+at] }
			// h' = (1-z)·n + z·hp; n = tanh(a), a = xn + r·hn
			da := (gk(0)*(1-z) + gk(3)) * (1 - n*n)
			dr := (da*hn + gk(1)) * r * (1 - r)
			dz := (gk(0)*(hp[at]-n) + gk(2)) * z * (1 - z)
			for k, v := range []float64{dr, dz, da, dr, dz, da*r + gk(4), gk(0) * z} {
				d[k/3][k%3*h+j] = v
			}
		}
	}
	return fwd, grad
}

// TestGRUCellKernels: GRUCell, GRUCellGrad and GRUCellGradH in f32 and f64
// against the float64 formulas; the parallel call gives the serial rows'
// bits, and GRUCellGradH the bits of GRUCellGrad with zero planes 1 to 4.
func TestGRUCellKernels(t *testing.T) {
	for _, sz := range [][2]int{{1, 1}, {3, 7}, {2, 65}, {4, 301}, {64, 200}} { // the last splits into tasks
		rows, h := sz[0], sz[1]
		rng := rand.New(rand.NewPCG(uint64(rows), uint64(h)))
		xw, hw, hp, g := randSlice(rng, rows*3*h), randSlice(rng, rows*3*h), randSlice(rng, rows*h), randSlice(rng, 5*rows*h)
		fr, gr := gruRef(xw, hw, hp, g, rows, h)
		f64, g64 := make([]float64, len(fr)), make([]float64, len(gr))
		GRUCell(f64, xw, hw, hp, rows, h)
		GRUCellGrad(g64, f64, hp, g, rows, h)
		f32, g32 := make([]float32, len(fr)), make([]float32, len(gr))
		GRUCell(f32, to32(xw), to32(hw), to32(hp), rows, h)
		GRUCellGrad(g32, f32, to32(hp), to32(g), rows, h)
		gruNear(t, fmt.Sprintf("%dx%d: forward", rows, h), f64, f32, fr, 2e-6)
		gruNear(t, fmt.Sprintf("%dx%d: grad", rows, h), g64, g32, gr, 4e-6)
		s32, sg32 := make([]float32, len(fr)), make([]float32, len(gr))
		v, tmp := newLSTMVec[float32](), make([]float32, gruScratch)
		gruForward(v, s32, to32(xw), to32(hw), to32(hp), tmp, rows, h, 0, rows)
		var planes [cellMaxPlanes][]float32
		for k := range GRUPlanes {
			planes[k] = to32(g[k*rows*h : (k+1)*rows*h])
		}
		gruBackward(v, sg32, f32, to32(hp), planes, tmp, rows, h, 0, rows)
		if !bitsEqual32(s32, f32) || !bitsEqual32(sg32, g32) {
			t.Fatalf("%dx%d: the serial rows' bits differ from the call's", rows, h)
		}
		g0 := to32(g)
		clear(g0[rows*h:])
		want, got := make([]float32, len(gr)), make([]float32, len(gr))
		GRUCellGrad(want, f32, to32(hp), g0, rows, h)
		GRUCellGradH(got, f32, to32(hp), g0[:rows*h], rows, h)
		if !bitsEqual32(got, want) {
			t.Fatalf("%dx%d: GRUCellGradH's bits differ from GRUCellGrad's with zero planes", rows, h)
		}
	}
}

// gruNear fails t unless got64 is want to 1e-12 and got32 to tol32
// (relative, with an absolute floor).
func gruNear(t *testing.T, what string, got64 []float64, got32 []float32, want []float64, tol32 float64) {
	t.Helper()
	for k, w := range want {
		if math.Abs(got64[k]-w) > 1e-12 || math.Abs(float64(got32[k])-w) > tol32*(1+math.Abs(w)) {
			t.Fatalf("%s[%d] = %v (f64), %v (f32), want %v", what, k, got64[k], got32[k], w)
		}
	}
}
