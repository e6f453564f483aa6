package kernels

// The fused LSTM cell: the elementwise tail of one LSTM step after the two
// products, forward and backward, one kernel each. The gate pre-activations
// are [rows, 4h] in PyTorch's order i, f, g, o:
//
//	c' = σ(f)·c + σ(i)·tanh(g),  h' = σ(o)·tanh(c').
//
// The forward writes seven planes [7, rows, h]: h', c', and what the
// backward reads instead of recomputing it: σ(i), σ(f), tanh(g), σ(o),
// tanh(c'). Rows are independent; a parallel call splits them into tasks
// fixed by the shape, so results are bitwise the same for any number of
// threads. The activations are SigmoidRow's and TanhRow's vector rows,
// whose result for an element does not depend on where it sits in a row,
// and c' and h' are rounded after each product and sum: the forward is
// bitwise the unfused ops' (sigmoid, tanh, mul, add).

// LSTMPlanes is the number of [rows, h] planes of LSTMCell's result.
const LSTMPlanes = 7

// lstmWork is the cost of one hidden unit of one row, in parMinWork's units.
const lstmWork = 12

// LSTMCell computes one LSTM step: gates [rows, 4h], c [rows, h]; dst is
// [7, rows, h]: h', c', σ(i), σ(f), tanh(g), σ(o), tanh(c').
func LSTMCell[T Float](dst, gates, c []T, rows, h int) {
	runCell(lstmBody, lstmWork, lstmScratch, cellCallOf(CellLSTM, dst, rows, h, gates, c))
}

// LSTMCellGrad is LSTMCell's backward: from y, LSTMCell's result (only its
// activation planes 2 to 6 are read), the previous cell c and the incoming
// gradient g of all seven planes [7, rows, h], dst [5·rows, h] gets the
// gradient of the gates, [rows, 4h] (as [4·rows, h]: its first 4·rows·h
// elements), over that of c, [rows, h]: each is one run of memory, so the
// step's consumers read them in place.
func LSTMCellGrad[T Float](dst, y, c, g []T, rows, h int) {
	runCell(lstmBody, lstmWork, lstmScratch, cellCallOf(CellLSTMGrad, dst, rows, h, y, c, g))
}

// lstmRows runs rows [lo, hi) of LSTMCell (k.g all nil; k.a holds the
// gates) or of its backward (k.a holds y; k.g the planes' gradients).
func lstmRows[T Float](v lstmVec[T], k *cellCall[T], tmp []T, lo, hi int) {
	v.rows(k.dst, k.a, k.c, k.g, tmp, k.rows, k.h, lo, hi)
}

// lstmVec holds the vector rows (the fused programs' tile rows: AVX2 loops
// where the processor has them) the cell's arithmetic runs on.
type lstmVec[T Float] struct {
	add, sub, mul func(dst, x, y []T)
}

func newLSTMVec[T Float]() lstmVec[T] {
	a, s, m := TileAdd.Rows(), TileSub.Rows(), TileMul.Rows()
	if _, ok := any(*new(T)).(float32); ok {
		return lstmVec[T]{any(a.Binary32).(func(dst, x, y []T)), any(s.Binary32).(func(dst, x, y []T)), any(m.Binary32).(func(dst, x, y []T))}
	}
	return lstmVec[T]{any(a.Binary64).(func(dst, x, y []T)), any(s.Binary64).(func(dst, x, y []T)), any(m.Binary64).(func(dst, x, y []T))}
}

// lstmChunk is the columns of one chunk of the temporaries; a task's
// temporaries are three chunks and the constant 1.
const (
	lstmChunk   = 256
	lstmScratch = 3*lstmChunk + 1
)

// rows runs rows [lo, hi) of the forward (g[0] nil) or the backward.
func (v lstmVec[T]) rows(dst, a, c []T, g [7][]T, tmp []T, rows, h, lo, hi int) {
	plane := rows * h
	for r := lo; r < hi; r++ {
		at := r * h
		p := func(s []T, k int) []T { return s[k*plane+at : k*plane+at+h] }
		cp := c[at : at+h]
		if g[0] != nil {
			d, dc := dst[r*4*h:(r+1)*4*h], dst[4*plane+at:4*plane+at+h]
			for j := 0; j < h; j += lstmChunk {
				e := min(j+lstmChunk, h)
				q := func(s []T, k int) []T { return s[k*plane+at+j : k*plane+at+e] }
				var gc [7][]T
				for k, x := range g {
					if x != nil {
						gc[k] = x[at+j : at+e]
					}
				}
				v.gradChunk(d[j:], dc[j:], h, tmp, q(a, 2), q(a, 3), q(a, 4), q(a, 5), q(a, 6), cp[j:e], gc)
			}
			flushSubnormals(d) // the gradient vanishing over the steps
			flushSubnormals(dc)
			continue
		}
		gr := a[r*4*h : (r+1)*4*h]
		ai, af, ag, ao, tc := p(dst, 2), p(dst, 3), p(dst, 4), p(dst, 5), p(dst, 6)
		sigmoidRow(ai, gr[:h])
		sigmoidRow(af, gr[h:2*h])
		tanhRow(ag, gr[2*h:3*h])
		sigmoidRow(ao, gr[3*h:])
		c2, h2 := p(dst, 1), p(dst, 0)
		for j := 0; j < h; j += lstmChunk {
			e := min(j+lstmChunk, h)
			t := tmp[:e-j]
			v.mul(c2[j:e], af[j:e], cp[j:e]) // σ(f)·c
			v.mul(t, ai[j:e], ag[j:e])       // σ(i)·tanh(g)
			v.add(c2[j:e], c2[j:e], t)
		}
		tanhRow(tc, c2)
		v.mul(h2, ao, tc)
	}
}

// gradChunk writes columns [j, j+n) of one row of LSTMCellGrad's result: d
// is the row of the gates' gradient from column j on (gate k's part at
// k·h), dc the row of c's from column j on, tmp the
// task's temporaries, ai to tc the activations, cp the previous cell and g
// the gradients of the seven planes (nil: zeros), all n long:
//
//	dc' = g1 + (g0·σ(o) + g6)·(1 - tanh²(c'))
//	di = (dc'·tanh(g) + g2)·σ(i)·(1 - σ(i))
//	df = (dc'·c + g3)·σ(f)·(1 - σ(f))
//	dg = (dc'·σ(i) + g4)·(1 - tanh²(g))
//	do = (g0·tanh(c') + g5)·σ(o)·(1 - σ(o))
//	dc = dc'·σ(f)
func (v lstmVec[T]) gradChunk(d, dc []T, h int, tmp, ai, af, ag, ao, tc, cp []T, g [7][]T) {
	n := len(ai)
	dc2, t, u := tmp[:n], tmp[lstmChunk:lstmChunk+n], tmp[2*lstmChunk:2*lstmChunk+n]
	one := tmp[3*lstmChunk:]
	one[0] = 1
	v.mul(t, tc, tc)
	v.sub(t, one, t) // 1 - tanh²(c')
	v.mul(u, g[0], ao)
	if g[6] != nil {
		v.add(u, u, g[6])
	}
	v.mul(u, u, t)
	v.add(dc2, g[1], u)
	v.mul(dc[:n], dc2, af)
	// gate k's gradient: (a·b + g[k+2])·s·w, w = 1 - s (sigmoid), or
	// (a·b + g[4])·(1 - s²) (tanh)
	gate := func(out, a, b, gk, s []T, sig bool) {
		v.mul(u, a, b)
		if gk != nil {
			v.add(u, u, gk)
		}
		if sig {
			v.sub(t, one, s)
			v.mul(u, u, s)
		} else {
			v.mul(t, s, s)
			v.sub(t, one, t)
		}
		v.mul(out, u, t)
	}
	gate(d[:n], dc2, ag, g[2], ai, true)
	gate(d[h:h+n], dc2, cp, g[3], af, true)
	gate(d[2*h:2*h+n], dc2, ai, g[4], ag, false)
	gate(d[3*h:3*h+n], g[0], tc, g[5], ao, true)
}

// LSTMCellGrad2 is LSTMCellGrad for gradients of h' and c' alone, dh and dc
// [rows, h] (those of the activation planes zero).
func LSTMCellGrad2[T Float](dst, y, c, dh, dc []T, rows, h int) {
	runCell(lstmBody, lstmWork, lstmScratch, cellCallOf(CellLSTMGrad2, dst, rows, h, y, c, dh, dc))
}
