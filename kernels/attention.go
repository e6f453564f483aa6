package kernels

import "math"

// Attention is scaled dot-product attention for one batch of q [Tq, D],
// k [Tk, D] and v [Tk, Dv], prepared for fixed sizes: the forward
// out = softmax(q·kᵀ·scale)·v and its backward (dq, dk, dv for the
// incoming gradient g [Tq, Dv]), computed in strips of AttnRows query rows
// without a [Tq, Tk] score matrix: a strip's scores live in a scratch of
// AttnRows × Tk, filled by products over key tiles of AttnCols keys. Under
// a prefix mask (row i keeps keys [0, lens[i]), a causal mask) the key
// tiles past a strip's longest prefix are skipped in every product, and the
// masked scores are neither exponentiated nor read.
//
// A strip's probabilities are the same code in the forward and the
// backward, which recomputes them rather than storing [Tq, Tk]: the
// backward is, per strip,
//
//	P = softmax(q_s·kᵀ·scale), dP = g_s·vᵀ, dS = P∘(dP - rowsum(P∘dP))·scale,
//	dq_s = dS·k, dk += dSᵀ·q_s, dv += Pᵀ·g_s.
//
// One Attention must not run on two goroutines at once (its scratch and
// products' packing buffers are its own); it allocates only in
// NewAttention. Its products run serially for the small tiles, so the
// results do not depend on the number of threads.
type Attention[T Float] struct {
	Tq, Tk, D, Dv int
	Scale         T

	// The products by strip height (full, last) and key tile width (full,
	// last): qk = q_s·k_tᵀ, pv = P_t·v_t, gv = g_s·v_tᵀ, dsk = dS_t·k_t,
	// dsq = dS_tᵀ·q_s, pg = P_tᵀ·g_s.
	qk, pv, gv, dsk, dsq, pg [2][2]*GemmPlan[T]
	s, dp                    []T // AttnRows × Tk: a strip's P and dP/dS
}

// The strip height and key tile width of Attention.
const (
	AttnRows = 64
	AttnCols = 64
)

// AttentionScratch is the bytes of the buffers NewAttention[T] allocates
// for the sizes: the strip scratch and the products' packing buffers.
func AttentionScratch[T Float](tq, tk, d, dv int, backward bool) int64 {
	var total int64
	attnShapes(tq, tk, func(_, _, h, w int) {
		g := []int64{GemmScratch[T](int64(h), int64(w), int64(d)), GemmScratch[T](int64(h), int64(dv), int64(w))}
		if backward {
			g = append(g, GemmScratch[T](int64(h), int64(w), int64(dv)), GemmScratch[T](int64(h), int64(d), int64(w)),
				GemmScratch[T](int64(w), int64(d), int64(h)), GemmScratch[T](int64(w), int64(dv), int64(h)))
		}
		total = AddBytes(append(g, total)...)
	})
	n := 1
	if backward {
		n = 2
	}
	return AddBytes(total, MulBytes(int64(n), bufBytes(MulBytes(int64(min(tq, AttnRows)), int64(tk)), sizeOf[T]())))
}

// attnShapes calls f for each product shape of Attention: strip height
// variant i (h rows) by key tile variant j (w keys).
func attnShapes(tq, tk int, f func(i, j, h, w int)) {
	hs := [2]int{min(tq, AttnRows), tq % AttnRows}
	ws := [2]int{min(tk, AttnCols), tk % AttnCols}
	for i, h := range hs {
		for j, w := range ws {
			if h == 0 || w == 0 || (i == 1 && h == hs[0]) || (j == 1 && w == ws[0]) {
				continue
			}
			f(i, j, h, w)
		}
	}
}

// NewAttention prepares the forward (and with backward, the backward) of
// attention for the sizes.
func NewAttention[T Float](tq, tk, d, dv int, scale float64, backward bool) *Attention[T] {
	a := &Attention[T]{Tq: tq, Tk: tk, D: d, Dv: dv, Scale: T(scale)}
	attnShapes(tq, tk, func(i, j, h, w int) {
		a.qk[i][j] = NewGemmPlan[T](false, true, h, w, d)
		a.pv[i][j] = NewGemmPlan[T](false, false, h, dv, w)
		if backward {
			a.gv[i][j] = NewGemmPlan[T](false, true, h, w, dv)
			a.dsk[i][j] = NewGemmPlan[T](false, false, h, d, w)
			a.dsq[i][j] = NewGemmPlan[T](true, false, w, d, h)
			a.pg[i][j] = NewGemmPlan[T](true, false, w, dv, h)
		}
	})
	a.s = make([]T, min(tq, AttnRows)*tk)
	if backward {
		a.dp = make([]T, min(tq, AttnRows)*tk)
	}
	return a
}

// variant picks the plans' index for a strip of h rows or a tile of w
// columns: 0 for a full one, 1 for the shorter last one.
func variant(n, full int) int {
	if n == full {
		return 0
	}
	return 1
}

// probs writes the probabilities of query rows [i0, i0+h) to a.s (row
// stride Tk) and returns the number of key columns computed (a multiple of
// AttnCols, or Tk): columns past a row's kept keys are 0. lens, when not
// nil, is each row's kept prefix; mask, when not nil (and lens nil), sets
// the masked scores of row i (its Tk scores) to -Inf.
func (a *Attention[T]) probs(q, k []T, i0, h int, lens []int, mask func(i int, row []T)) int {
	tk, d := a.Tk, a.D
	nk := tk
	if lens != nil {
		nk = 0
		for _, c := range lens[i0 : i0+h] {
			nk = max(nk, c)
		}
	}
	hv := variant(h, min(a.Tq, AttnRows))
	cols := 0
	a.keyTiles(nk, func(j0, wv int, _ T) {
		a.qk[hv][wv].Run(a.Scale, q[i0*d:], d, k[j0*d:], d, 0, a.s[j0:], tk)
		cols = min(tk, j0+AttnCols)
	})
	a.softmaxStrip(h, cols, func(r int) int {
		if lens != nil {
			return lens[i0+r]
		}
		if mask != nil {
			mask(i0+r, a.s[r*tk:r*tk+cols])
		}
		return cols
	})
	return cols
}

// softmaxStrip turns the first cols scores of each of the h rows of a.s
// into probabilities: kept(r) masks row r (it may set masked scores to
// -Inf) and returns its kept prefix, the columns past which become 0. It is
// attnSoftmax row by row, with the exponentials of the whole strip in one
// call when its rows are contiguous (cols = Tk): short rows, as small
// heads have, then pay the vector routine's entry once, not once a row
// (each element's exponential has the same bits either way).
func (a *Attention[T]) softmaxStrip(h, cols int, kept func(r int) int) {
	tk := a.Tk
	if cols < tk {
		for r := 0; r < h; r++ {
			row := a.s[r*tk : r*tk+cols]
			c := kept(r)
			attnSoftmax(row[:c])
			clear(row[c:])
		}
		return
	}
	var lens [AttnRows]int
	for r := 0; r < h; r++ {
		row := a.s[r*tk : r*tk+cols]
		c := kept(r)
		lens[r] = c
		if c > 0 {
			subScalarRow(row[:c], rowShift(row[:c]))
		}
	}
	expRow(a.s[:h*tk], a.s[:h*tk])
	for r := 0; r < h; r++ {
		row := a.s[r*tk : r*tk+cols]
		c := lens[r]
		ScaleRow(row[:c], row[:c], T(1/sumLanes(row[:c])))
		clear(row[c:])
	}
}

// rowShift is the maximum softmax takes off a row (not empty): its largest
// element, or 0 when that is -Inf (a row masked whole).
func rowShift[T Float](row []T) T {
	m := maxOfRow(row)
	if math.IsInf(float64(m), -1) {
		m = 0
	}
	return m
}

// strips calls f for each strip of query rows: its first row, its height
// and the plans' index for that height.
func (a *Attention[T]) strips(f func(i0, h, hv int)) {
	for i0 := 0; i0 < a.Tq; i0 += AttnRows {
		h := min(AttnRows, a.Tq-i0)
		f(i0, h, variant(h, min(a.Tq, AttnRows)))
	}
}

// keyTiles calls f for each tile of the first cols keys: its first key, the
// plans' index for its width, and the beta that sums a product over the
// tiles (0 for the first, which overwrites).
func (a *Attention[T]) keyTiles(cols int, f func(j0, wv int, beta T)) {
	for j0 := 0; j0 < cols; j0 += AttnCols {
		beta := T(1)
		if j0 == 0 {
			beta = 0
		}
		f(j0, variant(min(AttnCols, a.Tk-j0), min(a.Tk, AttnCols)), beta)
	}
}

// Forward computes out [Tq, Dv] for one batch (see Attention; lens and mask
// as for probs).
func (a *Attention[T]) Forward(out, q, k, v []T, lens []int, mask func(i int, row []T)) {
	tk, dv := a.Tk, a.Dv
	if tk == 0 {
		clear(out[:a.Tq*dv])
		return
	}
	a.strips(func(i0, h, hv int) {
		cols := a.probs(q, k, i0, h, lens, mask)
		a.keyTiles(cols, func(j0, wv int, beta T) {
			a.pv[hv][wv].Run(1, a.s[j0:], tk, v[j0*dv:], dv, beta, out[i0*dv:], dv)
		})
	})
}

// Backward computes dq [Tq, D], dk [Tk, D] and dv [Tk, Dv] for one batch
// and the incoming gradient g [Tq, Dv] (see Attention; lens and mask as for
// probs). It needs an Attention prepared with backward.
func (a *Attention[T]) Backward(dq, dk, dv, q, k, v, g []T, lens []int, mask func(i int, row []T)) {
	tk, d, dvn := a.Tk, a.D, a.Dv
	clear(dk[:tk*d])
	clear(dv[:tk*dvn])
	if tk == 0 {
		clear(dq[:a.Tq*d])
		return
	}
	a.strips(func(i0, h, hv int) {
		cols := a.probs(q, k, i0, h, lens, mask)
		a.keyTiles(cols, func(j0, wv int, _ T) {
			a.gv[hv][wv].Run(1, g[i0*dvn:], dvn, v[j0*dvn:], dvn, 0, a.dp[j0:], tk)
		})
		for r := 0; r < h; r++ {
			p, dp := a.s[r*tk:r*tk+cols], a.dp[r*tk:r*tk+cols]
			subScalarRow(dp, T(dotLanes(p, dp)))
			if cols < tk {
				mulRow(dp, p)
				ScaleRow(dp, dp, a.Scale)
			}
		}
		if cols == tk { // the strip's rows are contiguous: one call each
			mulRow(a.dp[:h*tk], a.s[:h*tk])
			ScaleRow(a.dp[:h*tk], a.dp[:h*tk], a.Scale)
		}
		a.keyTiles(cols, func(j0, wv int, beta T) {
			a.dsk[hv][wv].Run(1, a.dp[j0:], tk, k[j0*d:], d, beta, dq[i0*d:], d)
			a.dsq[hv][wv].Run(1, a.dp[j0:], tk, q[i0*d:], d, 1, dk[j0*d:], d)
			a.pg[hv][wv].Run(1, a.s[j0:], tk, g[i0*dvn:], dvn, 1, dv[j0*dvn:], dvn)
		})
	})
}

// attnSoftmax is softmax of a row in place: the maximum (maxOfRow), the
// row less it, the exponentials by expRow's vector code, their sum in
// float64 lanes (sumLanes) and the scaling, each with AVX2 for f32 rows
// (rows_vec.go). A row of -Inf gives NaNs (0/0), a row with a NaN gives
// NaNs.
func attnSoftmax[T Float](row []T) {
	if len(row) == 0 {
		return
	}
	subScalarRow(row, rowShift(row))
	expRow(row, row)
	ScaleRow(row, row, T(1/sumLanes(row)))
}
