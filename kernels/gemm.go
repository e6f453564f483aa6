package kernels

import (
	"fmt"
	"runtime"
)

// GemmPlan is a general matrix product prepared for one shape:
//
//	C = alpha·op(A)·op(B) + beta·C
//
// with op(A) of M×K and op(B) of K×N, all row-major with leading dimensions
// (row strides). op(A) is A, or with TransA the transpose of A stored as K×M;
// op(B) likewise with TransB.
//
// A run packs op(A) into panels of MR rows and op(B) into panels of NR
// columns, both cut into blocks of KC steps of K, then computes C in blocks
// of whole MR×NR tiles (of Cᵀ, as op(B)ᵀ·op(A)ᵀ, when that pads the tiles
// less: a C of few columns) with a register-tiled microkernel (AVX-512 or AVX2+FMA
// assembly when the processor has it, else pure Go). The packing buffers are
// allocated once, here, so a run allocates nothing; a GemmPlan must therefore not
// be run by two goroutines at once.
//
// Runs are parallel over tasks, each a block of C tiles, on up to GOMAXPROCS
// goroutines of a persistent pool. The result does not depend on the number
// of goroutines nor on which one takes which task: each element of C is
// written by exactly one task, which sums over K in the same order every time
// (KC blocks in increasing order, each a fused multiply-add chain over
// increasing k into a zeroed accumulator, then one addition into C).
type GemmPlan[T Float] struct {
	M, N, K        int
	TransA, TransB bool

	kern         gemmKernel[T]
	m, n         int  // the product as computed: swapped when swap
	ta, tb       bool // the transposes of the operands as computed
	swap         bool // computes Cᵀ = op(B)ᵀ·op(A)ᵀ, which pads less
	mr, nr, kc   int  // tile and K block
	nkc          int  // number of K blocks
	mPan, nPan   int  // panels of op(A) and op(B)
	mtp, ntp     int  // panels per task along M and N, at most (blockSpan)
	mBlk, nBlk   int  // tasks along M and N
	packA, packB []T
	// ws, when not nil, lends packA and packB for each run (boundA,
	// boundB: they are its memory; gemm_work.go).
	ws             *Workspace
	boundA, boundB bool
	tiles          []T // one mr×nr edge tile per participant
	maxPar         int // participants that tiles has room for
	serial         bool
	rowTasks       bool          // tasks span all of N, so each packs its own rows of A
	aCopies        int           // packings of op(A) the buffers hold: one per participant (see privateCopies), or 1
	bCopies        int           // the same for op(B)
	privateA       bool          // this run: each participant packs and reads a copy of op(A) of its own
	privateB       bool          // and of op(B)
	colTasks       bool          // tasks span all of M (and not all of N), so each packs its own columns of B
	kSplit         bool          // tasks split K in two and N (gemm_ksplit.go)
	kPartLen       int           // the elements of the partial result of a plan that splits K
	kReduce        int           // this run's tasks adding the partial result
	sm             *gemmSmall[T] // not nil: a small-M product, run unpacked
	// RunPacked's state: the cache entry last used and its cache, and
	// whether packB holds op(B) already for this run.
	shared   *packEntry
	sharedIn *PackCache
	bPacked  bool
	bCache   bool // packB is the cache's buffer for this run
	// directA: this run reads op(A) in place where an unpacked kernel
	// computes a panel's rows (a row-major op(A), alpha 1: packing would
	// only copy it).
	directA bool

	// Per-run state, read by the participants.
	alpha, beta   T
	a, b, c       []T
	lda, ldb, ldc int
	phase         int
	sync          poolSync
}

// gemmKernel is a microkernel and its tile; see gemm_gen.go for the contract
// of fn.
type gemmKernel[T Float] struct {
	name   string
	mr, nr int
	fn     func(k int, a, b, c *T, ldc int, acc int)
	// packT, when not nil, transposes four rows for packing: see
	// packStrided.
	packT func(dst, src *T, lds, n, ld int, alpha T)
	// packT8, when not nil, transposes eight rows for packing, eight
	// columns at a time: see packStrided.
	packT8 func(dst, src *T, lds, n, ld int, alpha T)
	// packRows, when not nil, copies rows of a multiple of four elements
	// for packing: see packCopy.
	packRows func(dst, src *T, lds, n, w, ld int, alpha T)
	// packPanels, when not nil, copies rows into several panels of a
	// multiple of eight columns: see packBRows.
	packPanels func(dst, src *T, lds, n, panels, nr, pstride, ld int, alpha T)
	// small, when not nil, are the small-M kernels (see gemm_small.go).
	small []smallKernel[T]
	// edge are kernels of fewer rows for the last panel of op(A), fewest
	// first (nil: none).
	edge []edgeKernel[T]
	// unpacked are kernels that read a row-major op(A) in place, by the
	// rows they compute (nil: none; see directA).
	unpacked []unpackedKernel[T]
}

// unpackedKernel computes the first rows of a tile as its gemmKernel's fn
// or edge kernel of those rows does, from op(A) in place (row r of step l
// at a[r·lda + l]) instead of a packed panel: the same chain of
// multiply-adds for each element, so the same bits.
type unpackedKernel[T Float] struct {
	rows int
	fn   func(k int, a *T, lda int, b, c *T, ldc int, acc int)
}

// unpackedFor returns the unpacked kernel of exactly rows rows, or nil.
func (k *gemmKernel[T]) unpackedFor(rows int) func(k int, a *T, lda int, b, c *T, ldc int, acc int) {
	for _, u := range k.unpacked {
		if u.rows == rows {
			return u.fn
		}
	}
	return nil
}

// edgeKernel computes the first rows of an mr×nr tile from the same packed
// panels as its gemmKernel's fn, with fn's contract for those rows and the
// same chain of multiply-adds for each element, so the same bits.
type edgeKernel[T Float] struct {
	rows int
	fn   func(k int, a, b, c *T, ldc int, acc int)
}

// edgeFor returns the kernel and its rows for a panel of rows rows: the
// edge kernel of fewest rows that covers them, else the full kernel.
func (k *gemmKernel[T]) edgeFor(rows int) (func(k int, a, b, c *T, ldc int, acc int), int) {
	for _, e := range k.edge {
		if rows <= e.rows {
			return e.fn, e.rows
		}
	}
	return k.fn, k.mr
}

// Blocking for this machine's caches (AMD EPYC: L1d 32 KiB and L2 1 MiB per
// core, L3 32 MiB): a packed A micro-panel of KC steps (MR·KC elements, about
// 12 KiB) stays in L1 while the microkernel sweeps the B panels of a task's
// block, whose KC×(gemmNT) elements (512 KiB) stay in L2.
const (
	gemmKCBytes = 1024 // KC·sizeof(T)
	gemmNT      = 512  // columns of C per task, at most
	gemmMT      = 192  // rows of C per task, at most
	// Products of fewer multiply-adds run on the calling goroutine alone.
	// A pool goroutine that has parked takes tens of microseconds to wake,
	// but in a training step the helpers are still spinning from the last
	// parallel kernel (poolSpin) and start within a microsecond or two: an
	// LSTM's recurrent product of 32×128×512 (2 M multiply-adds, 40 µs on
	// one core) then runs 1.4 times as fast on two. A 64³ product takes
	// about 5 µs.
	gemmSerialMACs = 64 * 64 * 64
	// gemmSmallSerialMACs is the same bound for products of 8 rows or
	// fewer (gemm_small.go): inference at small batches, where the pool
	// has often parked between calls.
	gemmSmallSerialMACs = 160 * 160 * 160
	// convImageMACs is the least multiply-adds of one image's product for
	// a convolution to run its images one after another, each product on
	// every core, rather than groups of images in parallel, each product
	// serial (Conv.layout).
	convImageMACs = 160 * 160 * 160
)

// gemmDirectA lets products read a row-major op(A) in place (directA). A
// variable so that tests can compare with the packed path.
var gemmDirectA = true

// Packings of fewer elements run on the calling goroutine alone (at about
// 20 GB/s, 2 MiB take about 100 µs, the wake-up cost it saves). A variable
// so that tests can take the parallel path on small shapes.
var gemmSerialPack = 512 * 1024

// NewGemmPlan prepares C = alpha·op(A)·op(B) + beta·C for op(A) of m×k and op(B)
// of k×n, with the fastest microkernel this machine supports.
func NewGemmPlan[T Float](transA, transB bool, m, n, k int) *GemmPlan[T] {
	return newGemmWith(gemmKernelsFor[T]()[0], transA, transB, m, n, k)
}

// gemmKernelsFor lists the microkernels for T that this machine runs, the
// fastest first and the pure-Go one last.
func gemmKernelsFor[T Float]() []gemmKernel[T] {
	var z T
	switch any(z).(type) {
	case float32:
		return any(gemmKernels32()).([]gemmKernel[T])
	case float64:
		return any(gemmKernels64()).([]gemmKernel[T])
	}
	panic(fmt.Sprintf("kernels: no gemm for %T", z))
}

func newGemmWith[T Float](kern gemmKernel[T], transA, transB bool, m, n, k int) *GemmPlan[T] {
	return newGemm(kern, transA, transB, m, n, k, true, true)
}

// NewGemmPlanShared is NewGemmPlan without packing buffers of its own: the
// plan takes them from the Workspace given with SetWorkspace when it runs
// (or, without one, allocates them on its first run). Its tasks may also
// keep private copies of a packed operand and, for a small result of long
// operands, split K (gemm_ksplit.go), which sums in another order than
// NewGemmPlan's plan: the results may differ from it in the last bits,
// never with the number of threads.
func NewGemmPlanShared[T Float](transA, transB bool, m, n, k int) *GemmPlan[T] {
	return newGemm(gemmKernelsFor[T]()[0], transA, transB, m, n, k, true, false)
}

// newGemm is newGemmWith, with small-M plans (gemm_small.go) only when
// small is true, and the packing buffers allocated now only when own is.
func newGemm[T Float](kern gemmKernel[T], transA, transB bool, m, n, k int, small, own bool) *GemmPlan[T] {
	return newGemmOpt(kern, transA, transB, m, n, k, gemmOpts{small: small, own: own})
}

// gemmOpts are newGemmOpt's choices: small-M plans allowed (small),
// packing buffers allocated now (own), and a plan for a range of rows of a
// RowProduct (rows): serial, never computed transposed, never splitting K.
type gemmOpts struct{ small, own, rows bool }

func newGemmOpt[T Float](kern gemmKernel[T], transA, transB bool, m, n, k int, o gemmOpts) *GemmPlan[T] {
	small, own := o.small && !o.rows, o.own
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("kernels.NewGemmPlan: negative size %d×%d×%d", m, n, k))
	}
	g := &GemmPlan[T]{M: m, N: n, K: k, TransA: transA, TransB: transB, kern: kern, mr: kern.mr, nr: kern.nr}
	if m == 0 || n == 0 || k == 0 {
		return g
	}
	g.m, g.n, g.ta, g.tb = m, n, transA, transB
	if small && newGemmSmall(g) {
		return g
	}
	if !o.rows && gemmSwap(g.mr, g.nr, m, n) {
		g.swap = true
		g.m, g.n, g.ta, g.tb = n, m, !transB, !transA
	}
	m, n = g.m, g.n
	g.kc, g.nkc = gemmKC[T](k)
	g.mPan = (m + g.mr - 1) / g.mr
	g.nPan = (n + g.nr - 1) / g.nr
	// The buffers: gemmScratch counts them, keep the two in step.
	if own {
		g.bindPack()
	}

	par := gemmParticipants()
	if o.rows {
		par = 1
	}
	g.maxPar = par
	g.tiles = make([]T, par*g.mr*g.nr)
	g.serial = o.rows || m*n*k < gemmSerialMACs
	g.sync = planPoolSync(g.serial, par)
	g.mtp = min(g.mPan, max(1, gemmMT/g.mr))
	g.ntp = min(g.nPan, max(1, gemmNT/g.nr))
	if !g.serial {
		g.splitTasks(par)
		poolReserve(par)
	}
	g.setBlocks()
	if !own {
		if g.kSplitFits() {
			g.setKSplit()
		}
		g.aCopies, g.bCopies = g.privateCopies()
	}
	return g
}

// splitTasks makes enough tasks to keep par participants busy. When all of
// M fits one task's rows and N has panels enough for the tasks, it splits
// N: each task then computes every row
// of its own columns and packs its own panels of op(B) (colTasks), which
// stay in its core's cache, while op(A) is read in place or packed once
// and only read by the others. Splitting M instead shares op(B)'s packed
// panels, which one core writes and the other reads, and rewriting lines
// the other core holds costs more than the packing itself (an MLP's
// 128×784 by 784×512 product, on two cores of an AMD EPYC of family 26:
// its 1.6 MB of packing took 28 µs a call on one core, 204 µs when the
// other core had read the panels in the call before). Otherwise it splits
// M, then N.
func (g *GemmPlan[T]) splitTasks(par int) {
	nFirst := blocks(g.mPan, g.mtp) == 1 && g.nPan >= 3*par
	for blocks(g.mPan, g.mtp)*blocks(g.nPan, g.ntp) < 3*par {
		switch {
		case nFirst && g.ntp > 1:
			g.ntp = (g.ntp + 1) / 2
		case g.mtp > 1:
			g.mtp = (g.mtp + 1) / 2
		case g.ntp > 1:
			g.ntp = (g.ntp + 1) / 2
		default:
			return
		}
	}
}

// setBlocks sets the task counts along M and N from the panels per task,
// and which operand the tasks pack for themselves. A parallel product's
// count of tasks is made a multiple of its participants where the panels
// allow (more tasks along the axis already split), so that the dealer's
// equal runs of tasks are equal work too: an MLP's 784×512 weight gradient
// was nine tasks of 8, 8, ... and 2 panels, dealt as 32 panels to one
// core and 34 to the other, or 48 and 38 for a 1024-row product.
func (g *GemmPlan[T]) setBlocks() {
	g.mBlk, g.nBlk = blocks(g.mPan, g.mtp), blocks(g.nPan, g.ntp)
	if par := g.maxPar; !g.serial && par > 1 {
		if g.nBlk == 1 || g.mBlk > 1 {
			g.mBlk = roundTasks(g.mBlk, g.nBlk, par, g.mPan)
		} else {
			g.nBlk = roundTasks(g.nBlk, 1, par, g.nPan)
		}
	}
	g.rowTasks = g.nBlk == 1
	g.colTasks = g.mBlk == 1 && g.nBlk > 1
}

func blocks(n, per int) int { return (n + per - 1) / per }

// roundTasks is the least count of tasks c ≥ blk along an axis of pan
// panels (at most pan) for which c·other is a multiple of par, or blk when
// there is none.
func roundTasks(blk, other, par, pan int) int {
	for c := blk; c <= pan; c++ {
		if c*other%par == 0 {
			return c
		}
	}
	return blk
}

// blockSpan is the panels [lo, hi) of block b of blk blocks over pan
// panels: the blocks differ by a panel at most.
func blockSpan(b, blk, pan int) (lo, hi int) { return b * pan / blk, (b + 1) * pan / blk }

// gemmSwap says whether an m×n product with mr×nr tiles is computed as its
// transpose: a narrow C (n much less than the tile's NR columns) wastes
// most of each tile; its transpose, computed as op(B)ᵀ·op(A)ᵀ, may fill
// them.
func gemmSwap(mr, nr, m, n int) bool {
	used := func(m, n int) float64 {
		return float64(m) * float64(n) / (float64(blocks(m, mr)*mr) * float64(blocks(n, nr)*nr))
	}
	return used(n, m) > 1.25*used(m, n)
}

// gemmParticipants is the number of goroutines a product prepares scratch
// for: GOMAXPROCS or the number of CPUs, whichever is larger.
func gemmParticipants() int { return max(runtime.GOMAXPROCS(0), runtime.NumCPU()) }

// Kernel names the microkernel this plan uses: "avx512", "avx2" or "go".
func (g *GemmPlan[T]) Kernel() string { return g.kern.name }

// Run computes c = alpha·op(a)·op(b) + beta·c. Element (i, j) of a matrix
// with leading dimension ld is at [i*ld+j]; a is M×K (K×M with TransA), b is
// K×N (N×K with TransB) and c is M×N. When beta is 0, c is not read. The
// slices must be long enough (a broken invariant panics).
func (g *GemmPlan[T]) Run(alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	m, n, k := g.M, g.N, g.K
	if m == 0 || n == 0 {
		return
	}
	checkMatrix("c", len(c), m, n, ldc)
	if k == 0 || alpha == 0 {
		scaleBlock(c, ldc, 0, m, 0, n, beta)
		return
	}
	ar, ac := m, k
	if g.TransA {
		ar, ac = k, m
	}
	br, bc := k, n
	if g.TransB {
		br, bc = n, k
	}
	checkMatrix("a", len(a), ar, ac, lda)
	checkMatrix("b", len(b), br, bc, ldb)

	if g.sm != nil {
		g.runSmall(alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	g.alpha, g.beta = alpha, beta
	g.a, g.b, g.c = a, b, c
	g.lda, g.ldb, g.ldc = lda, ldb, ldc
	if g.swap {
		g.a, g.b, g.lda, g.ldb = b, a, ldb, lda
	}
	// Rows a multiple of 4 KiB apart fall into one set of the 32 KiB,
	// 8-way L1 cache, where the 12 rows of a tile evict each other: those
	// are packed (a 32×256×1024 product ran 3.5% slower in place; rows
	// 2 KiB apart, 6 to a set, ran 2-5% faster than packed).
	g.directA = gemmDirectA && alpha == 1 && !g.ta && len(g.kern.unpacked) > 0 && g.lda*int(sizeOf[T]())%4096 != 0
	g.bindPack()
	par := 1
	if !g.serial {
		par = min(poolWorkers(), g.maxPar)
	}
	// Pack what the tasks share, then compute. Waiting for the packing is a
	// round trip through the pool, which costs more than small packings.
	if g.kSplit { // the tasks pack what they use (gemm_ksplit.go)
		g.privateA, g.privateB = g.aCopies > 1 && par > 1, false
		g.runKSplit(par)
		g.a, g.b, g.c = nil, nil, nil
		g.unbindPack()
		return
	}
	np := min(par, g.mBlk*g.nBlk)
	g.privateB = g.bCopies > 1 && !g.bCache && np > 1
	g.privateA = g.aCopies > 1 && !g.directA && np > 1
	first := 0
	if g.bPacked || g.colTasks || g.privateB { // op(B)'s panels are packed already, or by the tasks: only A's are left
		first = g.nPan
	}
	pt := g.prePanels()
	if g.privateA { // and A's by the tasks too
		pt = first
	}
	switch {
	case pt <= first: // nothing to pack before the blocks of C
	case par == 1 || g.prePackSize() < gemmSerialPack:
		g.sync.tasks.begin(first, pt, 1)
		g.packTasks(0)
	default:
		np := min(par, pt-first)
		g.sync.tasks.begin(first, pt, np)
		g.phase = gemmPhasePack
		poolRun(g, np, &g.sync)
	}
	g.phase = gemmPhaseCompute
	g.sync.tasks.begin(0, g.mBlk*g.nBlk, np)
	poolRun(g, np, &g.sync)
	g.a, g.b, g.c = nil, nil, nil
	g.unbindPack()
}

// prePanels is the number of panels packed before the blocks of C are
// computed: B's, and A's unless each task packs its own (rowTasks). The
// packing starts at B's panel count when B's are packed already or by the
// tasks (bPacked, colTasks).
func (g *GemmPlan[T]) prePanels() int {
	if g.rowTasks {
		return g.nPan
	}
	return g.mPan + g.nPan
}

// prePackSize is the number of elements packed before the blocks of C are
// computed.
func (g *GemmPlan[T]) prePackSize() int {
	n := g.nPan * g.nr * g.K
	if g.bPacked || g.colTasks {
		n = 0
	}
	if !g.rowTasks {
		n += g.mPan * g.mr * g.K
	}
	return n
}

// packTasks takes panels to pack until none is left: first B's (tasks
// below nPan), then (when shared) A's.
func (g *GemmPlan[T]) packTasks(id int) {
	for {
		t := g.sync.tasks.take(id)
		switch {
		case t < 0:
			return
		case t < g.nPan && g.kern.packPanels != nil && !g.tb:
			g.packBRows(g.packB, t*g.K/g.nPan, (t+1)*g.K/g.nPan)
		case t < g.nPan:
			g.packBPanel(g.packB, t)
		default:
			for k0 := 0; k0 < g.K; k0 += g.kc {
				g.packAPanel(g.packA, t-g.nPan, k0)
			}
		}
	}
}

func checkMatrix(name string, n, rows, cols, ld int) {
	if ld < cols || n < (rows-1)*ld+cols {
		panic(fmt.Sprintf("kernels.GemmPlan: %s is %d×%d with leading dimension %d in %d elements", name, rows, cols, ld, n))
	}
}

const (
	gemmPhasePack = iota
	gemmPhaseCompute
	gemmPhaseReduce // a plan that splits K adds its partial result
)

// work is one participant of a run: it takes tasks of the current phase
// (packing or blocks of C) until none is left.
func (g *GemmPlan[T]) work(id int) {
	if g.sm != nil {
		g.smallTasks(id)
		return
	}
	switch {
	case g.phase == gemmPhasePack:
		g.packTasks(id)
		return
	case g.phase == gemmPhaseReduce:
		g.kReduceTasks(id)
		return
	case g.kSplit:
		g.kTasks(id)
		return
	}
	tile := g.tiles[id*g.mr*g.nr : (id+1)*g.mr*g.nr]
	pa, pb, own := g.packA, g.packB, false
	for t := g.sync.tasks.take(id); t >= 0; t = g.sync.tasks.take(id) {
		if !own && g.privateB { // this participant's own copy of op(B)
			lb := g.nPan * g.nr * g.K
			pb = g.packB[id*lb : (id+1)*lb]
			g.packBAll(pb)
		}
		if !own && g.privateA { // of op(A)
			la := g.mPan * g.mr * g.K
			pa = g.packA[id*la : (id+1)*la]
			for k0 := 0; k0 < g.K; k0 += g.kc {
				for i := range g.mPan {
					g.packAPanel(pa, i, k0)
				}
			}
		}
		own = true
		g.computeBlock(t/g.nBlk, t%g.nBlk, tile, pa, pb)
	}
}

// packBAll packs all of op(B) into pb: an untransposed op(B) a row at a
// time (packBRows), else panel by panel.
func (g *GemmPlan[T]) packBAll(pb []T) {
	if g.kern.packPanels != nil && !g.tb {
		g.packBRows(pb, 0, g.K)
		return
	}
	for j := range g.nPan {
		g.packBPanel(pb, j)
	}
}

// The packed layout: K block p (steps [p·kc, p·kc+kl)) of panel i of A is
// the kl·mr elements at p·kc·mPan·mr + i·kl·mr, step-major (element (r, l)
// at l·mr+r); B's panels likewise with nr.

// packAPanel packs rows [i·mr, i·mr+mr) of alpha·op(A), K block k0.
func (g *GemmPlan[T]) packAPanel(pa []T, i, k0 int) {
	mr, alpha, a, lda := g.mr, g.alpha, g.a, g.lda
	i0 := i * mr
	rows := min(mr, g.m-i0)
	if g.directA && g.kern.unpackedFor(rows) != nil {
		return // computeBlock reads these rows in place
	}
	kl := min(g.kc, g.K-k0)
	dst := pa[k0*g.mPan*mr+i*kl*mr:][:kl*mr]
	if g.ta { // op(A)[r, l] = a[l*lda + r]: rows of a are steps
		packCopy(dst, mr, a[k0*lda+i0:], lda, rows, kl, alpha, g.kern.packRows)
		return
	}
	packStrided(dst, mr, a[i0*lda+k0:], lda, rows, kl, alpha, g.kern.packT, g.kern.packT8)
}

// packBPanel packs columns [j·nr, j·nr+nr) of op(B), every K block.
func (g *GemmPlan[T]) packBPanel(pb []T, j int) {
	for k0 := 0; k0 < g.K; k0 += g.kc {
		g.packBPanelK(pb, j, k0)
	}
}

// packBPanelK packs columns [j·nr, j·nr+nr) of op(B), K block k0.
func (g *GemmPlan[T]) packBPanelK(pb []T, j, k0 int) {
	nr, b, ldb := g.nr, g.b, g.ldb
	j0 := j * nr
	cols := min(nr, g.n-j0)
	kl := min(g.kc, g.K-k0)
	dst := pb[k0*g.nPan*nr+j*kl*nr:][:kl*nr]
	if !g.tb {
		packCopy(dst, nr, b[k0*ldb+j0:], ldb, cols, kl, 1, g.kern.packRows)
		return
	}
	packStrided(dst, nr, b[j0*ldb+k0:], ldb, cols, kl, 1, g.kern.packT, g.kern.packT8) // op(B)[l, c] = b[c*ldb + l]
}

// packBBlock packs panels [jp0, jp1) of op(B), K block k0 (a task's own
// panels, colTasks): an untransposed op(B)'s full panels a row at a time
// as packBRows does, the others panel by panel. The same elements go to
// the same places as packBPanel's.
func (g *GemmPlan[T]) packBBlock(pb []T, jp0, jp1, k0 int) {
	nr := g.nr
	if g.kern.packPanels != nil && !g.tb {
		if full := min(jp1, g.n/nr); full > jp0 {
			kl := min(g.kc, g.K-k0)
			dst := pb[k0*g.nPan*nr+jp0*kl*nr:]
			src := g.b[k0*g.ldb+jp0*nr:]
			_ = src[(kl-1)*g.ldb+(full-jp0)*nr-1] // what packPanels reads and writes is in range
			_ = dst[(full-jp0-1)*kl*nr+kl*nr-1]
			g.kern.packPanels(&dst[0], &src[0], g.ldb, kl, full-jp0, nr, kl*nr, nr, 1)
			jp0 = full
		}
	}
	for j := jp0; j < jp1; j++ {
		g.packBPanelK(pb, j, k0)
	}
}

// packBRows packs steps [l0, l1) of op(B), untransposed, into every
// panel, a row of B at a time: B is read in order, where packing it a
// panel at a time reads it in columns of NR, each row a cache line or two
// a page apart, which the prefetchers do not follow (packing the MLP's
// 784×512 weight was most of its product's time beyond the microkernel).
// The same elements go to the same places as packBPanel's.
func (g *GemmPlan[T]) packBRows(pb []T, l0, l1 int) {
	nr, b, ldb := g.nr, g.b, g.ldb
	full := g.n / nr // panels of nr columns; the last may have fewer
	for l0 < l1 {
		k0 := l0 / g.kc * g.kc
		kl := min(g.kc, g.K-k0)
		rows := min(l1, k0+kl) - l0
		dst := pb[k0*g.nPan*nr+(l0-k0)*nr:]
		src := b[l0*ldb:]
		if full > 0 {
			_ = src[(rows-1)*ldb+full*nr-1] // what packPanels reads and writes is in range
			_ = dst[(full-1)*kl*nr+rows*nr-1]
			g.kern.packPanels(&dst[0], &src[0], ldb, rows, full, nr, kl*nr, nr, 1)
		}
		if j0 := full * nr; j0 < g.n {
			packCopy(dst[full*kl*nr:], nr, src[j0:], ldb, g.n-j0, rows, 1, g.kern.packRows)
		}
		l0 += rows
	}
}

// packCopy sets dst[l*ld+j] = alpha*src[l*lds+j] for j < w and l < kl, with
// packRows (when not nil) on the first multiple of four columns.
func packCopy[T Float](dst []T, ld int, src []T, lds, w, kl int, alpha T, packRows func(dst, src *T, lds, n, w, ld int, alpha T)) {
	w4 := 0
	if packRows != nil && w >= 4 {
		w4 = w &^ 3
		_ = src[(kl-1)*lds+w4-1] // what packRows reads and writes is in range
		_ = dst[(kl-1)*ld+w4-1]
		packRows(&dst[0], &src[0], lds, kl, w4, ld, alpha)
		if w4 == w {
			return
		}
	}
	for l := range kl {
		s := src[l*lds+w4 : l*lds+w]
		d := dst[l*ld+w4 : l*ld+w]
		if alpha == 1 {
			copy(d, s)
			continue
		}
		for j, v := range s {
			d[j] = alpha * v
		}
	}
}

// packStrided sets dst[l*ld+r] = alpha*src[r*lds+l] for r < rows and l < kl:
// it gathers rows of src into columns of dst. With transposing routines
// (packT8 for eight rows and eight columns at a time, packT for four and
// four) it runs those on groups of rows, and gatherRows on the rest.
func packStrided[T Float](dst []T, ld int, src []T, lds, rows, kl int, alpha T, packT, packT8 func(dst, src *T, lds, n, ld int, alpha T)) {
	r0, n4 := 0, 0
	if packT != nil && kl >= 4 && rows >= 4 {
		n4 = kl &^ 3
		if n8 := kl &^ 7; packT8 != nil && n8 > 0 {
			for ; r0+8 <= rows; r0 += 8 {
				_ = src[(r0+7)*lds+n4-1] // what packT8 and packT read and write is in range
				_ = dst[(n4-1)*ld+r0+7]
				packT8(&dst[r0], &src[r0*lds], lds, n8, ld, alpha)
				if n8 < n4 {
					packT(&dst[n8*ld+r0], &src[r0*lds+n8], lds, n4-n8, ld, alpha)
					packT(&dst[n8*ld+r0+4], &src[(r0+4)*lds+n8], lds, n4-n8, ld, alpha)
				}
			}
		}
		for ; r0+4 <= rows; r0 += 4 {
			_ = src[(r0+3)*lds+n4-1] // what packT reads and writes is in range
			_ = dst[(n4-1)*ld+r0+3]
			packT(&dst[r0], &src[r0*lds], lds, n4, ld, alpha)
		}
	}
	// The rest: columns [n4, kl) of rows [0, r0), all of rows [r0, rows).
	gatherRows(dst[n4*ld:], ld, src[n4:], lds, 0, r0, kl-n4, alpha)
	gatherRows(dst, ld, src, lds, r0, rows, kl, alpha)
}

// gatherRows sets dst[l*ld+r] = alpha*src[r*lds+l] for r in [r0, r1) and
// l < kl, a cache line of each source row at a time, so that each line read
// is used whole while its destination is in L1.
func gatherRows[T Float](dst []T, ld int, src []T, lds, r0, r1, kl int, alpha T) {
	if r0 >= r1 || kl <= 0 {
		return
	}
	const chunk = 16
	for l0 := 0; l0 < kl; l0 += chunk {
		l1 := min(l0+chunk, kl)
		for r := r0; r < r1; r++ {
			s := src[r*lds+l0 : r*lds+l1]
			d := dst[l0*ld+r:]
			for i, v := range s {
				d[i*ld] = alpha * v
			}
		}
	}
}

// gemmPrivateB is the largest packed op(B), in bytes, that each participant
// of a product split by rows packs for itself (privateBCopies).
const gemmPrivateB = 1 << 20

// privateCopies is how many packings of op(A) and of op(B) a plan that
// takes its buffers from a Workspace makes room for. Every task reads all
// of op(B) when the tasks split M alone (rowTasks), all of op(A) when they
// split N alone (colTasks; unless op(A) is read in place, which a
// transposed op(A) never is); such an operand, when it packs into at most
// gemmPrivateB, gets one packing per participant, so that each core packs
// and reads a copy of its own. A shared copy is written by one core and
// read by the others, and the next run's packing then rewrites lines the
// others hold: on the guest of BENCHMARKS.md, session 20, packing a 512
// KiB op(B) took 6.3 µs a run on one core and 58 µs when the other core
// had read the panels (BenchmarkCoreRewrite), more than packing it twice
// in parallel.
func (g *GemmPlan[T]) privateCopies() (a, b int) {
	a, b = 1, 1
	if g.serial || g.maxPar < 2 {
		return a, b
	}
	if g.kSplit { // a copy of op(A) each when the columns split too (kSplitFits)
		if g.nBlk > 1 {
			a = g.maxPar
		}
		return a, b
	}
	size := sizeOf[T]()
	if g.rowTasks && MulBytes(MulBytes(int64(g.nPan), int64(g.nr)), MulBytes(int64(g.K), size)) <= gemmPrivateB {
		b = g.maxPar
	}
	if g.colTasks && g.ta && MulBytes(MulBytes(int64(g.mPan), int64(g.mr)), MulBytes(int64(g.K), size)) <= gemmPrivateB {
		a = g.maxPar
	}
	return a, b
}
