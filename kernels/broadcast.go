package kernels

// Shapes are []int, row-major (the last axis varies fastest). A broadcast
// follows NumPy's rules: shapes align at their last axes, and an axis of
// size 1 (or a missing leading axis) repeats.

// Bcast is a prepared broadcasting walk of an output shape over operand
// shapes (NumPy rules). It visits the output in rows along the innermost
// axis; in each row an operand is either contiguous or one repeated element.
type Bcast struct {
	outer   []int   // output dims except the last
	strides [][]int // per operand, strides for the outer dims (0 when broadcast)
	Row     int     // length of a row (the output's last dim; 1 for scalars)
	Inner   []int   // per operand: 1 when contiguous along the row, 0 when repeated
	Rows    int     // number of rows
	Same    bool    // every operand has the output's shape: one flat row
}

// NewBcast prepares the walk; shapes must already broadcast to out.
func NewBcast(out []int, in ...[]int) *Bcast {
	b := &Bcast{Same: true}
	for _, s := range in {
		if !sameInts(s, out) {
			b.Same = false
		}
	}
	n := 1
	for _, d := range out {
		n *= d
	}
	if b.Same || len(out) == 0 {
		b.Row, b.Rows = n, 1
		if len(out) == 0 {
			b.Row = 1
		}
		b.Inner = make([]int, len(in))
		for i, s := range in {
			if len(s) == len(out) {
				b.Inner[i] = 1
			}
		}
		b.strides = make([][]int, len(in))
		return b
	}
	r := len(out)
	b.Row = out[r-1]
	b.outer = out[:r-1]
	b.Rows = 1
	for _, d := range b.outer {
		b.Rows *= d
	}
	b.strides = make([][]int, len(in))
	b.Inner = make([]int, len(in))
	for k, s := range in {
		full := make([]int, r) // strides aligned to out
		st := 1
		for i := len(s) - 1; i >= 0; i-- {
			j := i + r - len(s)
			if s[i] != 1 {
				full[j] = st
			}
			st *= s[i]
		}
		if out[r-1] != 1 {
			b.Inner[k] = full[r-1]
		}
		b.strides[k] = full[:r-1]
	}
	return b
}

func sameInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Offsets fills off with the start offset of every operand for row r (the
// flat output offset is r*Row). idx is scratch of len(outer) dims.
func (b *Bcast) Offsets(r int, idx []int, off []int) {
	for k := range off {
		off[k] = 0
	}
	if len(b.outer) == 0 {
		return
	}
	rem := r
	for i := len(b.outer) - 1; i >= 0; i-- {
		idx[i] = rem % b.outer[i]
		rem /= b.outer[i]
	}
	for k, st := range b.strides {
		o := 0
		for i, x := range idx {
			o += x * st[i]
		}
		off[k] = o
	}
}

// Scratch returns the index buffer Offsets needs; allocate it once per plan.
func (b *Bcast) Scratch() []int { return make([]int, len(b.outer)) }

// Binary runs dst = f(a, b) elementwise with broadcasting. row computes one
// row: x and y have length len(dst), or length 1 when repeated. idx and off
// come from Scratch and make([]int, 2).
func Binary[T any](p *Bcast, dst, a, b []T, idx, off []int, row func(dst, x, y []T)) {
	n := p.Row
	if n == 0 {
		return // an empty output: no rows to compute (and none to read)
	}
	for r := 0; r < p.Rows; r++ {
		p.Offsets(r, idx, off)
		x := a[off[0] : off[0]+max(1, n*p.Inner[0])]
		y := b[off[1] : off[1]+max(1, n*p.Inner[1])]
		row(dst[r*n:(r+1)*n], x, y)
	}
}

// newBcastMerged is NewBcast with adjacent output axes merged wherever every
// operand is contiguous across both or repeated across both, and axes of
// size 1 dropped: a [C, 1, 1] bias over [N, C, H, W] is walked in N·C rows
// of H·W repeated elements rather than N·C·H rows of W. Rows then span
// several axes; elementwise kernels and reductions (NewReduceBcast) walk
// it.
func newBcastMerged(out []int, in ...[]int) *Bcast {
	b := NewBcast(out, in...)
	if b.Same || len(out) == 0 {
		return b
	}
	r := len(out)
	full := make([][]int, len(in)) // per operand, strides aligned to out
	for k, s := range in {
		full[k] = make([]int, r)
		st := 1
		for i := len(s) - 1; i >= 0; i-- {
			if s[i] != 1 {
				full[k][i+r-len(s)] = st
			}
			st *= s[i]
		}
	}
	// Merged axes from the innermost out: size and per-operand stride.
	var dims []int
	var strides [][]int
	for i := r - 1; i >= 0; i-- {
		if out[i] == 1 {
			continue
		}
		if n := len(dims); n > 0 {
			merge := true
			for k := range in {
				if full[k][i] != strides[n-1][k]*dims[n-1] {
					merge = false
					break
				}
			}
			if merge {
				dims[n-1] *= out[i]
				continue
			}
		}
		st := make([]int, len(in))
		for k := range in {
			st[k] = full[k][i]
		}
		dims = append(dims, out[i])
		strides = append(strides, st)
	}
	if len(dims) == 0 { // every axis has size 1
		return b
	}
	// dims and strides run innermost first; the walk wants them outermost first.
	m := len(dims)
	b.Row = dims[0]
	for k := range in {
		b.Inner[k] = min(strides[0][k], 1)
	}
	b.outer = make([]int, m-1)
	for i := range b.outer {
		b.outer[i] = dims[m-1-i]
	}
	b.Rows = 1
	for _, d := range b.outer {
		b.Rows *= d
	}
	for k := range in {
		b.strides[k] = make([]int, m-1)
		for i := range b.outer {
			b.strides[k][i] = strides[m-1-i][k]
		}
	}
	return b
}

// numElems is the product of the dimensions of a shape.
func numElems(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}
