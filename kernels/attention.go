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

// probs writes the probabilities of query rows [i0, i0+h) to a.s and
// returns the number of key columns computed (a multiple of AttnCols, or
// Tk), which is also the strip's row stride in a.s (and a.dp): the rows are
// one run of memory however many key tiles a prefix mask skips. Columns
// past a row's kept keys are 0. lens, when not nil, is each row's kept
// prefix; mask, when not nil (and lens nil), sets the masked scores of row
// i (its Tk scores) to -Inf.
func (a *Attention[T]) probs(q, k []T, i0, h int, lens []int, mask func(i int, row []T)) int {
	tk, d := a.Tk, a.D
	nk := tk
	if lens != nil {
		nk = 0
		for _, c := range lens[i0 : i0+h] {
			nk = max(nk, c)
		}
	}
	cols := min(tk, (nk+AttnCols-1)/AttnCols*AttnCols)
	hv := variant(h, min(a.Tq, AttnRows))
	a.keyTiles(nk, func(j0, wv int, _ T) {
		a.qk[hv][wv].Run(a.Scale, q[i0*d:], d, k[j0*d:], d, 0, a.s[j0:], cols)
	})
	a.softmaxStrip(h, cols, func(r int) int {
		if lens != nil {
			return lens[i0+r]
		}
		if mask != nil {
			mask(i0+r, a.s[r*cols:(r+1)*cols])
		}
		return cols
	})
	return cols
}

// softmaxStrip turns the h rows of cols scores in a.s (row stride cols)
// into probabilities: kept(r) masks row r (it may set masked scores to
// -Inf) and returns its kept prefix, the columns past which become 0. Each
// row less its maximum (rowShift), the exponentials by expRow's vector code
// for the whole strip in one call (short rows, as small heads have, pay its
// entry once, not once a row; an element's exponential has the same bits
// wherever it sits), then each row's sum in float64 lanes (sumLanes) and
// the scaling, with AVX2 for f32 rows (rows_vec.go; softmaxRows32 calls
// the vector routines directly). A row of -Inf gives NaNs (0/0), a row
// with a NaN gives NaNs.
func (a *Attention[T]) softmaxStrip(h, cols int, kept func(r int) int) {
	var lens [AttnRows]int
	for r := 0; r < h; r++ {
		lens[r] = kept(r)
	}
	if s32, ok := any(a.s).([]float32); ok && vecRows32() {
		softmaxRows32(s32, h, cols, &lens)
		return
	}
	for r := 0; r < h; r++ {
		if c := lens[r]; c > 0 {
			row := a.s[r*cols : r*cols+c]
			subScalarRow(row, rowShift(row))
		}
	}
	expRow(a.s[:h*cols], a.s[:h*cols])
	for r := 0; r < h; r++ {
		row := a.s[r*cols : (r+1)*cols]
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
		if cols == 0 { // no row of the strip keeps a key
			clear(out[i0*dv : (i0+h)*dv])
		}
		a.keyTiles(cols, func(j0, wv int, beta T) {
			a.pv[hv][wv].Run(1, a.s[j0:], cols, v[j0*dv:], dv, beta, out[i0*dv:], dv)
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
		if cols == 0 { // no row of the strip keeps a key
			clear(dq[i0*d : (i0+h)*d])
		}
		a.keyTiles(cols, func(j0, wv int, _ T) {
			a.gv[hv][wv].Run(1, g[i0*dvn:], dvn, v[j0*dvn:], dvn, 0, a.dp[j0:], cols)
		})
		for r := 0; r < h; r++ {
			p, dp := a.s[r*cols:(r+1)*cols], a.dp[r*cols:(r+1)*cols]
			subScalarRow(dp, T(dotLanes(p, dp)))
		}
		// dS = P∘(dP - δ)·scale, the strip's rows one run: one call each
		mulRow(a.dp[:h*cols], a.s[:h*cols])
		ScaleRow(a.dp[:h*cols], a.dp[:h*cols], a.Scale)
		a.keyTiles(cols, func(j0, wv int, beta T) {
			a.dsk[hv][wv].Run(1, a.dp[j0:], cols, k[j0*d:], d, beta, dq[i0*d:], d)
			a.dsq[hv][wv].Run(1, a.dp[j0:], cols, q[i0*d:], d, 1, dk[j0*d:], d)
			a.pg[hv][wv].Run(1, a.s[j0:], cols, g[i0*dvn:], dvn, 1, dv[j0*dvn:], dvn)
		})
	})
}
