package kernels

import "unsafe"

// Products of few rows (a batch of 1 to 8 through a dense layer) do not pay
// for packing: packing op(B) reads and writes all of it to use each element
// M times, which at M = 1 costs more than the product. A small-M plan runs
// register-blocked kernels straight on the operands instead (op(A) in place
// or transposed, op(B) row by row), over the same K blocks as the packed
// kernels and with the same fused multiply-add chain per element, so that
// its results are bitwise those of the packed path: a row of a batch of 1 is
// the same row of a batch of 128.

// smallKernel is a small-M kernel: it computes a rows×cols block of C from
// k steps of op(A) (element (r, l) at a[r·rs + l·ks]) and op(B) (row l at
// b[l·ldb]), storing it into C (row stride ldc) or, when acc != 0, adding
// it.
// mfn, for a 16-column kernel, is its masked form, which reads and writes
// only the columns whose element of mask (16 values) is -1.
type smallKernel[T Float] struct {
	rows, cols int
	fn         smallFn[T]
	mfn        func(k int, a *T, rs, ks int, b *T, ldb int, c *T, ldc int, acc int, mask *int32)
}

type smallFn[T Float] func(k int, a *T, rs, ks int, b *T, ldb int, c *T, ldc int, acc int)

// groupKernel is a one-row, 16-column kernel over several K blocks of
// equal length at once (gemm_small_gen.go's group; mfn masked): block b's
// steps at a[b·as + l·ks] and b[b·bs + l·ldb]. Each block's chain runs in
// accumulators of its own, so that the chains overlap where one row's
// 16-column kernel runs one chain at a time, bound by the latency of a
// fused multiply-add; the sums then go into C in block order, bitwise as
// the one-block kernels' runs one after another.
type groupKernel[T Float] struct {
	fn  func(k int, a *T, ks, as int, b *T, ldb, bs int, c *T, acc int)
	mfn func(k int, a *T, ks, as int, b *T, ldb, bs int, c *T, acc int, mask *int32)
}

// gemmSmallMax is the most rows of op(A) a product may have to run
// unpacked. A variable so that tests can compare with the packed path.
var gemmSmallMax = 8

// gemmSmallNT is the columns of C per task of a parallel small-M product:
// a multiple of every kernel width (64, 32, 24, 16), so that only the last
// task, at N, has columns left for the masked kernels.
const gemmSmallNT = 384

// gemmSmall is the state of a small-M plan.
type gemmSmall[T Float] struct {
	blocks []smallBlock[T] // the row blocks at the main width
	narrow []smallBlock[T] // the same rows 16 columns wide
	width  int             // the main width
	kc     int             // K block, as the packed path's
	tasks  int             // column ranges of gemmSmallNT
	mask   [16]int32       // the columns of the last strip, when fewer than 16
	pmask  [16]int32       // the same for the packed panels: N%16 columns
	big    *GemmPlan[T]    // the packed plan, made for a run with alpha != 1
	// groups, for a product of one row, are the grouped kernels by
	// blocks (groupKernels; nil: none).
	groups []groupKernel[T]

	// Per-run state.
	a, b, c       []T
	lda, ldb, ldc int
	beta          T
}

// smallBlock is a block of rows from r0 and its kernel (mfn: masked).
type smallBlock[T Float] struct {
	r0  int
	fn  smallFn[T]
	mfn func(k int, a *T, rs, ks int, b *T, ldb int, c *T, ldc int, acc int, mask *int32)
}

// newGemmSmall makes g (of M, N, K at least 1) a small-M plan when its
// kernel has small-M kernels and the shape suits them: at most
// gemmSmallMax rows of op(A), and op(B) not transposed (its rows are read
// in place). It reports whether it did.
func newGemmSmall[T Float](g *GemmPlan[T]) bool {
	ks := g.kern.small
	if len(ks) == 0 || g.TransB || g.M > gemmSmallMax {
		return false
	}
	find := func(rows, cols int) smallKernel[T] {
		for _, k := range ks {
			if k.rows == rows && k.cols == cols {
				return k
			}
		}
		return smallKernel[T]{}
	}
	sm := &gemmSmall[T]{width: 24}
	var rows []int // the row blocks
	switch m := g.M; {
	case m == 1:
		sm.width, rows = 64, []int{1}
	case m == 2:
		sm.width, rows = 32, []int{2}
	case m <= 4:
		rows = []int{m}
	default:
		rows = []int{4, m - 4}
	}
	r0 := 0
	for _, r := range rows {
		main, narrow := find(r, sm.width), find(r, 16)
		if main.fn == nil || narrow.fn == nil || narrow.mfn == nil {
			return false
		}
		sm.blocks = append(sm.blocks, smallBlock[T]{r0, main.fn, nil})
		sm.narrow = append(sm.narrow, smallBlock[T]{r0, narrow.fn, narrow.mfn})
		r0 += r
	}
	sm.tasks = blocks(g.N, gemmSmallNT)
	for j := range smallEdgeWidth((sm.tasks-1)*gemmSmallNT, g.N, sm.width) {
		sm.mask[j] = -1
	}
	for j := range g.N % 16 {
		sm.pmask[j] = -1
	}
	// The packed layout of op(B), for runs that take it from a PackCache.
	g.kc, g.nkc = gemmKC[T](g.K)
	g.nPan = blocks(g.N, g.nr)
	sm.kc = g.kc
	if g.M == 1 {
		sm.groups = groupKernels[T]()
	}
	g.sm = sm
	g.serial = g.M*g.N*g.K < gemmSmallSerialMACs || sm.tasks == 1
	g.maxPar = gemmParticipants()
	g.sync = planPoolSync(g.serial, g.maxPar)
	if !g.serial {
		poolReserve(g.maxPar)
	}
	return true
}

// gemmPlanScratch is GemmScratch for a product whose op(B) is transposed
// or not: a small-M plan (newGemmSmall) packs nothing of its own, and needs
// only its state and the pool's per-participant flags, plus, with more
// than four rows, op(B)'s panels, which RunPacked may keep in a cache.
func gemmPlanScratch[T Float](transB bool, m, n, k int64) int64 {
	kern := gemmKernelsFor[T]()[0]
	if len(kern.small) == 0 || transB || m < 1 || m > int64(gemmSmallMax) || n < 1 || k < 1 {
		return GemmScratch[T](m, n, k)
	}
	state := AddBytes(HeapBytes(int64(unsafe.Sizeof(gemmSmall[T]{}))), bufBytes(int64(gemmParticipants()), 4))
	if m > 4 { // may pack op(B) into a PackCache (RunPacked)
		state = AddBytes(state, bufBytes(MulBytes(int64(blocks(int(n), kern.nr)), int64(kern.nr), k), sizeOf[T]()))
	}
	return state
}

// gemmKC returns the K block of the packed kernels for k steps of T (the
// blocks nearly equal, none longer than gemmKCBytes allows) and the number
// of blocks.
func gemmKC[T Float](k int) (kc, nkc int) {
	kcMax := gemmKCBytes / int(sizeOf[T]())
	nkc = (k + kcMax - 1) / kcMax
	kc = (k + nkc - 1) / nkc
	return kc, (k + kc - 1) / kc
}

// runSmall is Run for a small-M plan (operands checked).
func (g *GemmPlan[T]) runSmall(alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	sm := g.sm
	if alpha != 1 { // packing scales op(A) by alpha: leave it to the packed path
		if sm.big == nil {
			sm.big = newGemm(g.kern, g.TransA, g.TransB, g.M, g.N, g.K, false, true)
		}
		sm.big.Run(alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	if beta != 0 && beta != 1 {
		scaleBlock(c, ldc, 0, g.M, 0, g.N, beta)
		beta = 1
	}
	sm.a, sm.b, sm.c = a, b, c
	sm.lda, sm.ldb, sm.ldc, sm.beta = lda, ldb, ldc, beta
	par := 1
	if !g.serial {
		par = min(poolWorkers(), g.maxPar, sm.tasks)
	}
	g.sync.tasks.begin(0, sm.tasks, par)
	poolRun(g, par, &g.sync)
	sm.a, sm.b, sm.c = nil, nil, nil
}

// smallTasks takes column ranges of a small-M product until none is left.
func (g *GemmPlan[T]) smallTasks(id int) {
	for t := g.sync.tasks.take(id); t >= 0; t = g.sync.tasks.take(id) {
		g.smallColumns(t*gemmSmallNT, min((t+1)*gemmSmallNT, g.N))
	}
}

// smallColumns computes columns [j0, j1) of C: strips of the main width,
// then of 16 columns, then the rest (only at N) with the masked kernels.
func (g *GemmPlan[T]) smallColumns(j0, j1 int) {
	sm := g.sm
	a, b, c, ldb, ldc := sm.a, sm.b, sm.c, sm.ldb, sm.ldc
	rs, ks := sm.lda, 1 // op(A)[r, l] = a[r*rs + l*ks]
	if g.TransA {
		rs, ks = 1, sm.lda
	}
	for j := j0; j < j1; {
		bl, w := sm.blocks, sm.width
		if j+w > j1 {
			bl, w = sm.narrow, 16
		}
		if j+w > j1 {
			g.smallEdge(j, rs, ks)
			return
		}
		if w == 16 && sm.groups != nil {
			g.smallStrip(j, ks, false)
			j += w
			continue
		}
		for k0 := 0; k0 < g.K; k0 += sm.kc {
			kl := min(sm.kc, g.K-k0)
			acc := 1
			if k0 == 0 && sm.beta == 0 {
				acc = 0
			}
			for _, blk := range bl {
				blk.fn(kl, &a[blk.r0*rs+k0*ks], rs, ks, &b[k0*ldb+j], ldb, &c[blk.r0*ldc+j], ldc, acc)
			}
		}
		j += w
	}
}

// smallEdgeWidth is the number of columns that smallColumns(j0, j1)
// leaves to the masked kernels with strips of the given width.
func smallEdgeWidth(j0, j1, width int) int {
	for j := j0; j < j1; {
		w := width
		if j+w > j1 {
			w = 16
		}
		if j+w > j1 {
			return j1 - j
		}
		j += w
	}
	return 0
}

// smallEdge computes the last columns [j0, j1) of C, fewer than 16, with
// the masked kernels, which touch no other column of B or C.
func (g *GemmPlan[T]) smallEdge(j0, rs, ks int) {
	sm := g.sm
	if sm.groups != nil {
		g.smallStrip(j0, ks, true)
		return
	}
	a, b, c, ldb, ldc := sm.a, sm.b, sm.c, sm.ldb, sm.ldc
	for k0 := 0; k0 < g.K; k0 += sm.kc {
		kl := min(sm.kc, g.K-k0)
		acc := 1
		if k0 == 0 && sm.beta == 0 {
			acc = 0
		}
		for _, blk := range sm.narrow {
			blk.mfn(kl, &a[blk.r0*rs+k0*ks], rs, ks, &b[k0*ldb+j0], ldb, &c[blk.r0*ldc+j0], ldc, acc, &sm.mask[0])
		}
	}
}

// smallStrip computes the 16 columns of C from j0 of a one-row product
// (masked: its last columns, fewer than 16, with the mask) block by block
// of K as smallColumns and smallEdge do, up to 6 blocks of equal length at
// once through the grouped kernels: the same chains and the same additions
// into C in the same order, so the same bits.
func (g *GemmPlan[T]) smallStrip(j0, ks int, masked bool) {
	sm := g.sm
	a, b, c, ldb := sm.a, sm.b, sm.c, sm.ldb
	kc, nb := sm.kc, blocks(g.K, sm.kc)
	equal := nb // the blocks of kc steps: all but a shorter last one
	if g.K%kc != 0 {
		equal--
	}
	blk := sm.narrow[0]
	for bi := 0; bi < nb; {
		k0 := bi * kc
		acc := 1
		if bi == 0 && sm.beta == 0 {
			acc = 0
		}
		if n := min(equal-bi, len(sm.groups)-1); n >= 2 {
			gk := sm.groups[n]
			if masked {
				gk.mfn(kc, &a[k0*ks], ks, kc*ks, &b[k0*ldb+j0], ldb, kc*ldb, &c[j0], acc, &sm.mask[0])
			} else {
				gk.fn(kc, &a[k0*ks], ks, kc*ks, &b[k0*ldb+j0], ldb, kc*ldb, &c[j0], acc)
			}
			bi += n
			continue
		}
		kl := min(kc, g.K-k0)
		if masked {
			blk.mfn(kl, &a[k0*ks], 0, ks, &b[k0*ldb+j0], ldb, &c[j0], 0, acc, &sm.mask[0])
		} else {
			blk.fn(kl, &a[k0*ks], 0, ks, &b[k0*ldb+j0], ldb, &c[j0], 0, acc)
		}
		bi++
	}
}
