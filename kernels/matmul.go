package kernels

// Matmul is a prepared batched matrix product with NumPy's rules: x is
// [..., M, K] and w is [..., K, N] with broadcast batch dimensions; a 1-D x is
// a row [1, K] and a 1-D w a column [K, 1]. With TX, x holds the transposes
// ([..., K, M]); with TW, w does ([..., N, K]). Each batch is one row-major
// gemm (see GemmPlan), whose packing buffers are allocated once, by
// PrepareF32 or PrepareF64 or else by the first call.
type Matmul struct {
	M, K, N int
	TX, TW  bool
	XOff    []int // per output batch, the element offset of its x matrix
	WOff    []int // per output batch, the element offset of its w matrix

	g32 *GemmPlan[float32]
	g64 *GemmPlan[float64]
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
	if numElems(bw) == 1 && !tx {
		p.M *= numElems(bx)
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
	nb := numElems(out)
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

// gemmArgs returns the leading dimensions of one batch's x and w.
func (p *Matmul) gemmArgs() (lda, ldb int) {
	lda, ldb = p.K, p.N
	if p.TX { // x is K×M
		lda = p.M
	}
	if p.TW { // w is N×K
		ldb = p.K
	}
	return lda, ldb
}

// PrepareF32 allocates the float32 product's packing buffers now rather than
// on the first call to F32 (a planned kernel calls it, so that even its first
// run allocates nothing).
func (p *Matmul) PrepareF32() {
	if p.g32 == nil {
		p.g32 = NewGemmPlan[float32](p.TX, p.TW, p.M, p.N, p.K)
	}
}

// PrepareF64 is PrepareF32 for float64.
func (p *Matmul) PrepareF64() {
	if p.g64 == nil {
		p.g64 = NewGemmPlan[float64](p.TX, p.TW, p.M, p.N, p.K)
	}
}

// PrepareShared prepares the product of dtype T (float32 or float64) to
// take its packing buffers from the Workspace its runs are given (F32In,
// F32PackedIn and their float64 forms) instead of allocating its own.
func PrepareShared[T Float](p *Matmul) {
	var z T
	switch any(z).(type) {
	case float32:
		if p.g32 == nil {
			p.g32 = NewGemmPlanShared[float32](p.TX, p.TW, p.M, p.N, p.K)
		}
	default:
		if p.g64 == nil {
			p.g64 = NewGemmPlanShared[float64](p.TX, p.TW, p.M, p.N, p.K)
		}
	}
}

// F32In is F32 with the packing buffers lent by ws (nil: the product's
// own).
func (p *Matmul) F32In(ws *Workspace, out, x, w []float32) {
	p.PrepareF32()
	p.g32.SetWorkspace(ws)
	matmulBatches(p, p.g32, out, x, w)
}

// F64In is F32In for float64.
func (p *Matmul) F64In(ws *Workspace, out, x, w []float64) {
	p.PrepareF64()
	p.g64.SetWorkspace(ws)
	matmulBatches(p, p.g64, out, x, w)
}

// F32PackedIn is F32Packed with the packing buffers lent by ws (nil: the
// product's own).
func (p *Matmul) F32PackedIn(cache *PackCache, ws *Workspace, out, x, w []float32) {
	p.PrepareF32()
	p.g32.SetWorkspace(ws)
	matmulPacked(p, p.g32, cache, out, x, w)
}

// F64PackedIn is F32PackedIn for float64.
func (p *Matmul) F64PackedIn(cache *PackCache, ws *Workspace, out, x, w []float64) {
	p.PrepareF64()
	p.g64.SetWorkspace(ws)
	matmulPacked(p, p.g64, cache, out, x, w)
}

// F32 computes out = op(x) @ op(w) in float32.
func (p *Matmul) F32(out, x, w []float32) {
	p.PrepareF32()
	matmulBatches(p, p.g32, out, x, w)
}

// F64 computes out = op(x) @ op(w) in float64.
func (p *Matmul) F64(out, x, w []float64) {
	p.PrepareF64()
	matmulBatches(p, p.g64, out, x, w)
}

// F32Packed is F32 with w's packed form taken from, or kept in, cache (see
// PackCache): w must not change until the cache is invalidated. A product
// of several batches packs each as F32 does.
func (p *Matmul) F32Packed(cache *PackCache, out, x, w []float32) {
	p.PrepareF32()
	matmulPacked(p, p.g32, cache, out, x, w)
}

// F64Packed is F32Packed for float64.
func (p *Matmul) F64Packed(cache *PackCache, out, x, w []float64) {
	p.PrepareF64()
	matmulPacked(p, p.g64, cache, out, x, w)
}

func matmulPacked[T Float](p *Matmul, g *GemmPlan[T], cache *PackCache, out, x, w []T) {
	if cache == nil || len(p.XOff) != 1 {
		matmulBatches(p, g, out, x, w)
		return
	}
	lda, ldb := p.gemmArgs()
	g.RunPacked(cache, 1, x[:p.M*p.K], lda, w[:p.K*p.N], ldb, 0, out[:p.M*p.N], p.N)
}

// matmulBatches runs one gemm per output batch.
func matmulBatches[T Float](p *Matmul, g *GemmPlan[T], out, x, w []T) {
	xs, ws, os := p.M*p.K, p.K*p.N, p.M*p.N
	lda, ldb := p.gemmArgs()
	for b := range p.XOff {
		ob := out[b*os : (b+1)*os]
		g.Run(1, x[p.XOff[b]:p.XOff[b]+xs], lda, w[p.WOff[b]:p.WOff[b]+ws], ldb, 0, ob, p.N)
	}
}
