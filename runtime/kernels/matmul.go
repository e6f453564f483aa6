package kernels

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
)

// Matmul is a prepared batched matrix product with NumPy's rules: x is
// [..., M, K] and w is [..., K, N] with broadcast batch dimensions; a 1-D x is
// a row [1, K] and a 1-D w a column [K, 1]. With TX, x holds the transposes
// ([..., K, M]); with TW, w does ([..., N, K]). Each batch is one row-major
// gemm.
type Matmul struct {
	M, K, N int
	TX, TW  bool
	XOff    []int // per output batch, the element offset of its x matrix
	WOff    []int // per output batch, the element offset of its w matrix
}

// NewMatmul prepares the product of shapes x and w, which must be compatible
// (the IR's type rule has checked them); tx and tw say that x and w are
// stored transposed (only for operands of rank 2 or more). When w has no batch
// dimensions and x is not transposed, the batches of x are folded into one
// tall gemm.
func NewMatmul(x, w []int, tx, tw bool) *Matmul {
	if len(x) == 1 {
		x = []int{1, x[0]}
	}
	if len(w) == 1 {
		w = []int{w[0], 1}
	}
	p := &Matmul{TX: tx, TW: tw}
	p.M, p.K = x[len(x)-2], x[len(x)-1]
	if tx {
		p.M, p.K = p.K, p.M
	}
	k, n := w[len(w)-2], w[len(w)-1]
	if tw {
		k, n = n, k
	}
	if k != p.K {
		panic("kernels.NewMatmul: inner dimensions differ")
	}
	p.N = n
	bx, bw := x[:len(x)-2], w[:len(w)-2]
	if NumElems(bw) == 1 && !tx {
		p.M *= NumElems(bx)
		p.XOff, p.WOff = []int{0}, []int{0}
		return p
	}
	r := max(len(bx), len(bw))
	out := make([]int, r)
	for i := range out {
		out[i] = 1
		if j := i - (r - len(bx)); j >= 0 {
			out[i] = bx[j]
		}
		if j := i - (r - len(bw)); j >= 0 && bw[j] != 1 {
			out[i] = bw[j]
		}
	}
	sx := batchStrides(bx, r, p.M*p.K)
	sw := batchStrides(bw, r, p.K*p.N)
	nb := NumElems(out)
	p.XOff, p.WOff = make([]int, nb), make([]int, nb)
	idx := make([]int, r)
	for b := 0; b < nb; b++ {
		rem := b
		for i := r - 1; i >= 0; i-- {
			idx[i] = rem % out[i]
			rem /= out[i]
		}
		for i, v := range idx {
			p.XOff[b] += v * sx[i]
			p.WOff[b] += v * sw[i]
		}
	}
	return p
}

// batchStrides gives the element strides of batch shape s aligned right to
// rank r, with 0 for broadcast (size-1 or missing) axes; mat is the size of
// one matrix.
func batchStrides(s []int, r, mat int) []int {
	st := make([]int, r)
	acc := mat
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] != 1 {
			st[i+r-len(s)] = acc
		}
		acc *= s[i]
	}
	return st
}

// NumElems is the product of the dimensions of a shape.
func NumElems(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

// Each gemm is issued in panels of at most panelRows×panelCols of the result,
// small enough that gonum runs it serially: its parallel path starts
// goroutines and allocates, and a planned step must not allocate.
const (
	panelRows = 64
	panelCols = 3 * 64
)

// panel returns, for the rows [i, ...) of op(x) and columns [j, ...) of
// op(w), the offsets into one batch's x and w, their leading dimensions and
// transpose flags.
func (p *Matmul) panel(i, j int) (xo, lda, wo, ldb int, ta, tb blas.Transpose) {
	ta, tb = blas.NoTrans, blas.NoTrans
	xo, lda = i*p.K, p.K
	if p.TX { // x is K×M: rows of op(x) are its columns
		xo, lda, ta = i, p.M, blas.Trans
	}
	wo, ldb = j, p.N
	if p.TW { // w is N×K: columns of op(w) are its rows
		wo, ldb, tb = j*p.K, p.K, blas.Trans
	}
	return
}

// F32 computes out = op(x) @ op(w) in float32.
func (p *Matmul) F32(out, x, w []float32) {
	if p.K == 0 {
		clear(out)
		return
	}
	impl := blas32.Implementation()
	m, k, n := p.M, p.K, p.N
	xs, ws, os := m*k, k*n, m*n
	for b := range p.XOff {
		xb, wb, ob := x[p.XOff[b]:p.XOff[b]+xs], w[p.WOff[b]:p.WOff[b]+ws], out[b*os:(b+1)*os]
		for i := 0; i < m; i += panelRows {
			r := min(panelRows, m-i)
			for j := 0; j < n; j += panelCols {
				c := min(panelCols, n-j)
				xo, lda, wo, ldb, ta, tb := p.panel(i, j)
				impl.Sgemm(ta, tb, r, c, k, 1, xb[xo:], lda, wb[wo:], ldb, 0, ob[i*n+j:], n)
			}
		}
	}
}

// F64 computes out = op(x) @ op(w) in float64.
func (p *Matmul) F64(out, x, w []float64) {
	if p.K == 0 {
		clear(out)
		return
	}
	impl := blas64.Implementation()
	m, k, n := p.M, p.K, p.N
	xs, ws, os := m*k, k*n, m*n
	for b := range p.XOff {
		xb, wb, ob := x[p.XOff[b]:p.XOff[b]+xs], w[p.WOff[b]:p.WOff[b]+ws], out[b*os:(b+1)*os]
		for i := 0; i < m; i += panelRows {
			r := min(panelRows, m-i)
			for j := 0; j < n; j += panelCols {
				c := min(panelCols, n-j)
				xo, lda, wo, ldb, ta, tb := p.panel(i, j)
				impl.Dgemm(ta, tb, r, c, k, 1, xb[xo:], lda, wb[wo:], ldb, 0, ob[i*n+j:], n)
			}
		}
	}
}
