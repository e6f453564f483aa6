package kernels

// A product whose result is small and whose operands are long along K
// splits K in two (gemmKParts), when it takes its buffers from a Workspace:
// an MLP's forward of 128 rows by a 784×512 weight, a transformer's weight
// gradient over 1,024 rows of x and dy. The tasks of the first half of K
// write C, those of the second a partial result P of the plan's own, which
// is then added into C by rows. Each participant so reads one half of the
// rows of op(B) (and of a transposed op(A)): the half it wrote itself in
// the steps before, a weight's rows that the optimizer's update split the
// same way, the rows of x and dy that the steps before split so. Splitting
// N instead, as such a product did, makes every core read one half of
// every row, which on the guest of gemm_pool.go costs a transfer between
// the cores for each line the other core wrote, and a rewrite for each
// line the other core read (BenchmarkCoreRewrite). The halves are fixed by
// the shape (never by the number of threads or of CPUs), so the result is
// bitwise the same for any number of threads; with more than two
// participants each half splits N too. Plans with buffers of their own
// (NewGemmPlan) do not split K: for such shapes their results may differ
// from a shared plan's in the last bits.

// gemmKParts is the number of parts of K of a plan that splits K.
const gemmKParts = 2

// kSplitFits says whether the plan splits K: the product is not serial,
// the rows of C fit one task, op(B) is untransposed (so that a part of K
// is a run of B's rows), K spans an even number of K blocks (after making
// it even: kSplitBlocks) of at least as many steps as C has rows, and the
// partial result fits gemmPrivateB. It depends on the shape alone.
func (g *GemmPlan[T]) kSplitFits() bool {
	if g.serial || g.sm != nil || g.swap || g.tb || g.mPan > max(1, gemmMT/g.mr) || g.K < g.m {
		return false
	}
	if _, nkc := kSplitBlocks(g.K, g.kc, g.nkc); nkc < gemmKParts || nkc%gemmKParts != 0 {
		return false
	}
	return MulBytes(MulBytes(int64(g.m), int64(g.n)), sizeOf[T]()) <= gemmPrivateB
}

// kSplitBlocks is the K blocking of a plan that splits K: kc and nkc with
// nkc made even (an odd count of blocks would split K unevenly).
func kSplitBlocks(k, kc, nkc int) (int, int) {
	if nkc%2 == 1 {
		nkc++
		kc = (k + nkc - 1) / nkc
		nkc = (k + kc - 1) / kc
	}
	return kc, nkc
}

// setKSplit makes the plan split K: one block of rows, the columns split
// among half the participants when a participant's copy of op(A) fits
// gemmPrivateB, the partial result's elements counted in the packing
// buffers (packLens).
func (g *GemmPlan[T]) setKSplit() {
	g.kSplit = true
	g.kc, g.nkc = kSplitBlocks(g.K, g.kc, g.nkc)
	g.mtp, g.mBlk = g.mPan, 1
	g.nBlk = min(g.nPan, max(1, g.maxPar/gemmKParts))
	if MulBytes(MulBytes(int64(g.mPan), int64(g.mr)), MulBytes(int64(g.K), sizeOf[T]())) > gemmPrivateB {
		g.nBlk = 1
	}
	g.ntp = blocks(g.nPan, g.nBlk)
	g.rowTasks, g.colTasks = false, false
	g.kPartLen = g.m * g.n
}

// kPart is the steps [k0, k1) of part s of K: whole K blocks.
func (g *GemmPlan[T]) kPart(s int) (k0, k1 int) {
	return s * g.nkc / gemmKParts * g.kc, min((s+1)*g.nkc/gemmKParts*g.kc, g.K)
}

// kTasks is a participant's share of a run that splits K: task t computes
// column block t mod nBlk over part t / nBlk of K, into C or into the
// partial result. The task packs its part of op(A) (into the participant's
// own copy when the columns split too: privateA, once a part) and its
// panels of op(B) for that part.
func (g *GemmPlan[T]) kTasks(id int) {
	tile := g.tiles[id*g.mr*g.nr : (id+1)*g.mr*g.nr]
	pa, packed := g.packA, 0
	if g.privateA {
		la := g.mPan * g.mr * g.K
		pa = g.packA[id*la : (id+1)*la]
	}
	for t := g.sync.tasks.take(id); t >= 0; t = g.sync.tasks.take(id) {
		s, bj := t/g.nBlk, t%g.nBlk
		k0, k1 := g.kPart(s)
		packA := !g.privateA || packed&(1<<s) == 0
		packed |= 1 << s
		c, ldc, beta := g.c, g.ldc, g.beta
		if s > 0 {
			c, ldc, beta = g.kPartial(), g.n, 0
		}
		jp0, jp1 := blockSpan(bj, g.nBlk, g.nPan)
		g.computeRange(gemmRange[T]{ip0: 0, ip1: g.mPan, jp0: jp0, jp1: jp1, k0: k0, k1: k1, c: c, ldc: ldc, beta: beta,
			packA: packA, packB: !g.bPacked}, tile, pa, g.packB)
	}
}

// kPartial is the partial result of the second part of K, m×n: the last
// kPartLen elements of the packing buffer of op(A).
func (g *GemmPlan[T]) kPartial() []T { return g.packA[len(g.packA)-g.kPartLen:] }

// kReduceTasks adds the partial result into C, rows [t·m/tasks, …) a task.
func (g *GemmPlan[T]) kReduceTasks(id int) {
	p := g.kPartial()
	for t := g.sync.tasks.take(id); t >= 0; t = g.sync.tasks.take(id) {
		i0, i1 := blockSpan(t, g.kReduce, g.m)
		for i := i0; i < i1; i++ {
			d := g.c[i*g.ldc : i*g.ldc+g.n]
			binaryRow(ewAdd, d, d, p[i*g.n:(i+1)*g.n])
		}
	}
}

// runKSplit runs the tasks of a plan that splits K on np participants,
// then adds the partial result into C in tasks of rows.
func (g *GemmPlan[T]) runKSplit(np int) {
	g.phase = gemmPhaseCompute
	tasks := gemmKParts * g.nBlk
	np = min(np, tasks)
	g.sync.tasks.begin(0, tasks, np)
	poolRun(g, np, &g.sync)
	g.kReduce = min(g.m, 2*g.maxPar)
	if np < 2 || g.m*g.n < parMinWork/4 {
		g.kReduce, np = 1, 1
	}
	np = min(np, g.kReduce)
	g.phase = gemmPhaseReduce
	g.sync.tasks.begin(0, g.kReduce, np)
	poolRun(g, np, &g.sync)
}
