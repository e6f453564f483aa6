package kernels

// Products by ranges of rows. A caller that splits a whole sequence of
// kernels by rows (the runtime's row regions: an unrolled recurrence, where
// every step's rows depend only on the same rows of the step before) runs
// each range of rows through all of them on one goroutine, with no hand-off
// between the kernels. A RowProduct is the matrix product's part in that:
// op(B) is packed once, before the ranges run (Pack), and each range is a
// serial product of its rows of op(A) by the packed panels (RowPart.Run).
//
// Each element of C is the same chain of multiply-adds whatever range
// computes it (the K blocks in increasing order, each a fused multiply-add
// chain over increasing k; a range's last panel runs an edge kernel of
// fewer rows, which computes its elements as the full kernel does:
// TestGemmEdgeKernelsSameBits), so the results do not depend on how the
// rows are split.

// RowProduct computes C = A·op(B) by ranges of rows: A is m×k and row-major
// (untransposed), op(B) k×n, B or Bᵀ as transB says. Pack must run before
// the ranges of each run; the ranges may then run at once on several
// goroutines, each with a RowPart of its own.
type RowProduct[T Float] struct {
	m, n, k int
	tb      bool
	kern    gemmKernel[T]
	packer  *GemmPlan[T] // a plan of all m rows, which packs op(B)
	b       []T          // op(B)'s operand as given to Pack
	ldb     int
	pb      []T // op(B) packed for this run
}

// NewRowProduct prepares a product of A (m×k, row-major) by op(B) (k×n)
// computed by ranges of rows.
func NewRowProduct[T Float](transB bool, m, n, k int) *RowProduct[T] {
	kern := gemmKernelsFor[T]()[0]
	p := &RowProduct[T]{m: m, n: n, k: k, tb: transB, kern: kern}
	p.packer = newGemmOpt(kern, false, transB, m, n, k, gemmOpts{rows: true})
	return p
}

// Pack packs op(B), b with leading dimension ldb, for the ranges that
// follow, into cache when it is not nil (where a product by the same
// operand may have packed it already since the cache's last
// invalidation; b must not change until the next), else into memory of the
// product's own. It must not run while ranges of the product do.
func (p *RowProduct[T]) Pack(cache *PackCache, b []T, ldb int) {
	g := p.packer
	if g.M == 0 || g.N == 0 || g.K == 0 {
		return
	}
	br, bc := p.k, p.n
	if p.tb {
		br, bc = p.n, p.k
	}
	checkMatrix("b", len(b), br, bc, ldb)
	g.b, g.ldb = b, ldb
	packed := false
	if cache != nil {
		p.pb, packed = g.cacheEntry(cache, b, ldb)
		if !packed {
			cache.packed++
		}
		g.shared.gen = cache.gen
	} else if len(p.pb) == 0 {
		_, lb := g.packLens()
		p.pb = make([]T, lb) // the first run without a cache
	}
	if !packed {
		g.packBAll(p.pb)
	}
	g.b = nil
	p.b, p.ldb = b, ldb
}

// RowPartWorkspace is the elements of T that a RowPart of an m×k by k×n
// product borrows from its Workspace for a range of up to rows rows.
func RowPartWorkspace[T Float](rows, k int) int {
	if rows <= 0 || k <= 0 {
		return 0
	}
	mr := gemmKernelsFor[T]()[0].mr
	return (rows + mr - 1) / mr * mr * k
}

// RowPartBytes is the memory a RowPart of T keeps: its plan's edge tile.
func RowPartBytes[T Float]() int64 {
	k := gemmKernelsFor[T]()[0]
	return MulBytes(int64(k.mr*k.nr), sizeOf[T]())
}

// RowPart computes ranges of rows of a RowProduct on the goroutine that
// calls Run. Each goroutine running ranges at once needs its own.
type RowPart[T Float] struct {
	p   *RowProduct[T]
	g   *GemmPlan[T] // the plan of the last range's row count and lda
	lda int
}

// rowKernel returns kern, or for a range of rows that kern's tile height
// does not divide, a kernel of fewer rows that divides them in no more
// tiles and reads op(A) in place (a row-major op(A) whose rows are not a
// multiple of 4 KiB apart: GemmPlan.Run's directA): 16 rows as two tiles of
// 8 rather than one of 12 and an edge of 4 (a 16×512 by 512×128 product
// in 11.1 µs rather than 11.9 on the AVX-512 guest of BENCHMARKS.md). Its
// unpacked kernels compute each element as kern's kernels do, so the bits
// do not change.
func rowKernel[T Float](kern gemmKernel[T], rows, lda int) gemmKernel[T] {
	if rows%kern.mr == 0 || !gemmDirectA || lda*int(sizeOf[T]())%4096 == 0 {
		return kern
	}
	for i := len(kern.unpacked) - 1; i >= 0; i-- {
		u := kern.unpacked[i]
		if u.rows < kern.mr && rows%u.rows == 0 && rows/u.rows <= blocks(rows, kern.mr) {
			// every tile is whole and read in place: only the unpacked
			// kernels of u.rows rows or fewer are ever called
			return gemmKernel[T]{name: kern.name, mr: u.rows, nr: kern.nr, packT: kern.packT, packT8: kern.packT8,
				packRows: kern.packRows, packPanels: kern.packPanels, unpacked: kern.unpacked[:i+1]}
		}
	}
	return kern
}

// Part returns a new RowPart of p.
func (p *RowProduct[T]) Part() *RowPart[T] { return &RowPart[T]{p: p} }

// Run computes rows [lo, hi) of C = A·op(B) with op(B) as packed by the
// last Pack: a holds A with leading dimension lda, c holds C with ldc (both
// from row 0), and ws lends the packing of A's rows (RowPartWorkspace).
func (r *RowPart[T]) Run(ws *Workspace, a []T, lda int, c []T, ldc int, lo, hi int) {
	p := r.p
	if lo < 0 || hi > p.m || lo > hi {
		panic("kernels.RowPart.Run: rows out of range")
	}
	if lo == hi || p.n == 0 {
		return
	}
	if p.k == 0 {
		scaleBlock(c[lo*ldc:], ldc, 0, hi-lo, 0, p.n, 0)
		return
	}
	if p.pb == nil {
		panic("kernels.RowPart.Run: op(B) not packed (RowProduct.Pack)")
	}
	if r.g == nil || r.g.M != hi-lo || r.lda != lda {
		r.g = newGemmOpt(rowKernel(p.kern, hi-lo, lda), false, p.tb, hi-lo, p.n, p.k, gemmOpts{rows: true})
		r.lda = lda
	}
	g := r.g
	g.SetWorkspace(ws)
	g.packB, g.bPacked = p.pb, true
	g.Run(1, a[lo*lda:], lda, p.b, p.ldb, 0, c[lo*ldc:], ldc)
	g.packB, g.bPacked = nil, false
}
