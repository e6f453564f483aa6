package kernels

import (
	"math"
	"unsafe"
)

// Scratch sizes. A prepared kernel owns buffers besides its result: a
// matrix product packs its operands into panels, a convolution lowers its
// input into columns (im2col), a fused program keeps a tile per register.
// The functions below compute, from the shapes alone and without
// allocating, the bytes of the buffers that the kernels of this package
// allocate when they are prepared and when they first run, so that the
// runtime can hold a plan's kernels to its memory limit before it prepares
// any. They use the layout functions the kernels use (gemmSwap,
// convBuffers...), and count the larger size where the shapes alone do not
// decide. They leave out the kernels' bookkeeping, which does not grow
// with the data (structs, closures, slice headers, index vectors of the
// rank's length), as the runtime leaves out its plans' own. Every product
// saturates at math.MaxInt64: absurd shapes give a huge size, never a
// wrapped one.

// MulBytes multiplies non-negative sizes, saturating at math.MaxInt64.
func MulBytes(xs ...int64) int64 {
	p := int64(1)
	for _, x := range xs {
		if x <= 0 {
			return 0
		}
		if p > math.MaxInt64/x {
			return math.MaxInt64
		}
		p *= x
	}
	return p
}

// AddBytes adds non-negative sizes, saturating at math.MaxInt64.
func AddBytes(xs ...int64) int64 {
	s := int64(0)
	for _, x := range xs {
		if s > math.MaxInt64-x {
			return math.MaxInt64
		}
		s += x
	}
	return s
}

// numElems64 is the product of a shape's dimensions, saturating.
func numElems64(s []int) int64 {
	p := int64(1)
	for _, d := range s {
		if d == 0 {
			return 0
		}
		p = MulBytes(p, int64(d))
	}
	return p
}

// HeapBytes is the heap a buffer of n bytes takes: Go rounds an
// allocation above 32 KiB up to whole 8 KiB pages (smaller ones round to
// size classes, a few bytes that the kernels' bookkeeping covers).
func HeapBytes(n int64) int64 {
	const page = 8 << 10
	if n <= 32<<10 || n > math.MaxInt64-page {
		return n
	}
	return (n + page - 1) / page * page
}

// bufBytes is the heap a buffer of elems elements of size bytes takes.
func bufBytes(elems, size int64) int64 { return HeapBytes(MulBytes(elems, size)) }

func sizeOf[T Float]() int64 {
	var z T
	return int64(unsafe.Sizeof(z))
}

// GemmScratch is the bytes of the buffers NewGemmPlan[T] allocates for a
// product of op(A) m×k by op(B) k×n: the packed panels of both operands
// (padded to whole tiles) and an edge tile per participant.
func GemmScratch[T Float](m, n, k int64) int64 {
	kern := gemmKernelsFor[T]()[0]
	return gemmScratch(kern.mr, kern.nr, m, n, k, sizeOf[T]())
}

// hugeDim is a dimension past which a product's scratch is reported as
// math.MaxInt64 rather than computed (its packed operands alone would
// exceed any memory).
const hugeDim = 1 << 50

func gemmScratch(mr, nr int, m, n, k, size int64) int64 {
	if m == 0 || n == 0 || k == 0 {
		return 0
	}
	if m > hugeDim || n > hugeDim || k > hugeDim || m > math.MaxInt/2 || n > math.MaxInt/2 {
		return math.MaxInt64
	}
	if gemmSwap(mr, nr, int(m), int(n)) {
		m, n = n, m
	}
	return AddBytes(
		bufBytes(MulBytes(int64(blocks(int(m), mr)), int64(mr), k), size),
		bufBytes(MulBytes(int64(blocks(int(n), nr)), int64(nr), k), size),
		bufBytes(MulBytes(int64(gemmParticipants()), int64(mr), int64(nr)), size))
}

// matmulDims reads the gemm of NewMatmul(x, w, tx, tw): op(x) m×k by
// op(w) k×n, the batch dimensions of x and w, and whether the batches of
// x fold into one tall product (m then counts their rows).
func matmulDims(x, w []int, tx, tw bool) (m, n, k int64, bx, bw []int, folded bool) {
	if len(x) == 1 {
		x = []int{1, x[0]}
	}
	if len(w) == 1 {
		w = []int{w[0], 1}
	}
	m, k = int64(x[len(x)-2]), int64(x[len(x)-1])
	if tx {
		m, k = k, m
	}
	n = int64(w[len(w)-1])
	if tw {
		n = int64(w[len(w)-2])
	}
	bx, bw = x[:len(x)-2], w[:len(w)-2]
	if numElems64(bw) == 1 && !tx {
		return MulBytes(m, numElems64(bx)), n, k, bx, bw, true
	}
	return m, n, k, bx, bw, false
}

// MatmulScratch is the bytes of the buffers NewMatmul(x, w, tx, tw)
// allocates with the gemm plan for T that its first call (or
// PrepareF32/PrepareF64) makes: the per-batch operand offsets and the
// packing buffers.
func MatmulScratch[T Float](x, w []int, tx, tw bool) int64 {
	m, n, k, bx, bw, folded := matmulDims(x, w, tx, tw)
	extra := MulBytes(sharedExtra[T](tx, tw, m, n, k), sizeOf[T]())
	if folded {
		return AddBytes(gemmPlanScratch[T](tw, m, n, k), extra)
	}
	r := max(len(bx), len(bw))
	nb := int64(1)
	for i := range r {
		d := int64(1)
		if j := i - (r - len(bx)); j >= 0 {
			d = int64(bx[j])
		}
		if j := i - (r - len(bw)); j >= 0 && bw[j] != 1 {
			d = int64(bw[j])
		}
		nb = MulBytes(nb, d)
	}
	// An offset per batch into each operand.
	offs := bufBytes(nb, int64(unsafe.Sizeof(int(0))))
	return AddBytes(offs, offs, gemmPlanScratch[T](tw, m, n, k), extra)
}

// MatmulWorkspace is the elements of T that a product prepared with
// PrepareShared borrows from its Workspace while it runs: its packed
// operands (none for a small-M product, which packs nothing of its own).
// MatmulScratch counts them too, as bytes.
func MatmulWorkspace[T Float](x, w []int, tx, tw bool) int64 {
	m, n, k, _, _, _ := matmulDims(x, w, tx, tw)
	kern := gemmKernelsFor[T]()[0]
	if !(len(kern.small) == 0 || tw || m < 1 || m > int64(gemmSmallMax) || n < 1 || k < 1) {
		return 0 // small-M (gemmPlanScratch)
	}
	if m == 0 || n == 0 || k == 0 {
		return 0
	}
	if m > hugeDim || n > hugeDim || k > hugeDim {
		return math.MaxInt64
	}
	extra := sharedExtra[T](tx, tw, m, n, k) // of the sizes as given: the plan swaps them itself
	mr, nr := int64(kern.mr), int64(kern.nr)
	if gemmSwap(kern.mr, kern.nr, int(m), int(n)) {
		m, n = n, m
	}
	packed := AddBytes(MulBytes(int64(blocks(int(m), int(mr))), MulBytes(mr, k)), MulBytes(int64(blocks(int(n), int(nr))), MulBytes(nr, k)))
	return AddBytes(packed, extra)
}

// sharedExtra is the elements of the packings of op(A) and op(B) beyond
// the first that a plan NewGemmPlanShared makes for op(A) m×k by op(B) k×n
// holds (privateCopies): found by making the plan, when an operand is
// small enough for them.
func sharedExtra[T Float](tx, tw bool, m, n, k int64) int64 {
	limit := int64(gemmPrivateB) / sizeOf[T]()
	if m < 1 || n < 1 || k < 1 || min(MulBytes(n, k), MulBytes(m, k)) > limit || MulBytes(m, MulBytes(n, k)) > 1<<60 {
		return 0
	}
	g := newGemm(gemmKernelsFor[T]()[0], tx, tw, int(m), int(n), int(k), true, false)
	if g.sm != nil {
		return 0
	}
	return int64(max(g.aCopies, 1)-1)*int64(g.mPan*g.mr*g.K) + int64(max(g.bCopies, 1)-1)*int64(g.nPan*g.nr*g.K) + int64(g.kPartLen)
}

// ConvScratch is the bytes of the buffers a Conv allocates on its first run
// for T: for each participant, its column buffer (unless the convolution
// reads its input in place), batch outputs, weight product and the packing
// buffers of its three products (for a full batch of images and for the
// last, shorter one); and the partial weight gradients of its tasks. x is
// the input's shape [N, C, H, W], k the kernel's [CO, C/G, KH, KW], stride
// and pad NewConv's, and oh, ow the output's spatial size.
func ConvScratch[T Float](x, k []int, stride, pad [2]int, oh, ow int) int64 {
	c := &Conv{N: x[0], C: x[1], H: x[2], W: x[3], CO: k[0], KH: k[2], KW: k[3],
		SH: stride[0], SW: stride[1], PH: pad[0], PW: pad[1], OH: oh, OW: ow}
	if k[1] <= 0 || x[1]%k[1] != 0 || k[0]%(x[1]/k[1]) != 0 {
		return 0 // not a convolution the type rules accept
	}
	c.G = x[1] / k[1]
	c.layout()
	buf := convBuffers(c)
	size := sizeOf[T]()
	var per int64
	for _, s := range buf.sizes {
		if s == 0 {
			continue
		}
		cols := MulBytes(int64(s), int64(c.ohw))
		per = AddBytes(per,
			GemmScratch[T](int64(c.cog), cols, int64(c.ck)), // fwd: [cog, ck] @ [ck, cols]
			GemmScratch[T](int64(c.ck), cols, int64(c.cog)), // dcol: [cog, ck]ᵀ @ [cog, cols]
			GemmScratch[T](int64(c.cog), int64(c.ck), cols)) // dwt: [cog, cols] @ [ck, cols]ᵀ
	}
	per = AddBytes(per, bufBytes(buf.col, size), bufBytes(buf.y, size), bufBytes(buf.tmp, size))
	return AddBytes(MulBytes(int64(buf.np), per), bufBytes(buf.parts, size))
}

// convBufs are the buffers newConvRunner allocates, in elements: for each
// of np participants a column buffer col (withCol), batch outputs y
// (withY), a weight product tmp and the products' plans for batches of
// sizes[i] images; parts for the partial weight gradients.
type convBufs struct {
	np             int
	sizes          [2]int
	col, y, tmp    int64
	parts          int64
	withCol, withY bool
}

// convBuffers lays out c's runner buffers (newConvRunner allocates them).
func convBuffers(c *Conv) convBufs {
	b := convBufs{np: min(gemmParticipants(), c.tasks), sizes: [2]int{c.IPG, c.N % c.IPG}}
	b.withCol, b.withY = !c.direct, c.IPG > 1
	if b.withCol {
		b.col = MulBytes(int64(c.ck), int64(c.IPG), int64(c.ohw))
	}
	if b.withY {
		b.y = MulBytes(int64(c.cog), int64(c.IPG), int64(c.ohw))
	}
	b.tmp = MulBytes(int64(c.cog), int64(c.ck))
	if c.tasks > 1 {
		b.parts = MulBytes(int64(c.tasks), int64(c.CO), int64(c.ck))
	}
	return b
}

// FusedScratch is the bytes of the buffers NewFused allocates for a
// program of nInstr instructions and nImms immediates over inputs of the
// given element counts, for a result of elems elements (-1 when unknown:
// tiles of FusedTile, every input gathered): a tile for each instruction
// but the last (which writes the result's tile) and for each input that is
// gathered (neither the result's size nor a scalar), and the immediates.
func FusedScratch[T Float](nInstr, nImms int, elems int64, in []int64) int64 {
	tile := int64(FusedTile)
	if elems >= 0 {
		tile = min(tile, max(elems, 1))
	}
	tiles := int64(max(nInstr-1, 0))
	for _, n := range in {
		if elems < 0 || n != elems && n != 1 {
			tiles++
		}
	}
	return AddBytes(MulBytes(tiles, bufBytes(tile, sizeOf[T]())), bufBytes(int64(nImms), sizeOf[T]()))
}

// FusedProgramScratch is the bytes of the buffers NewFused allocates for
// prog with nImms immediates over inputs of in elements each and an output
// of elems: the temporaries' tiles as it reuses them (planFusedTiles), a
// gather tile for each input that is neither the output's size nor one
// element, and the immediates. FusedScratch bounds it from the counts
// alone.
func FusedProgramScratch[T Float](prog []FusedInstr, nImms int, elems int64, in []int64) int64 {
	tile := min(int64(FusedTile), max(elems, 1))
	base := len(in) + nImms
	nr := base + len(prog)
	scalar := make([]bool, nr)
	lastUse := make([]int, nr)
	gathers := int64(0)
	for k, n := range in {
		switch {
		case n == 1:
			scalar[k] = true
		case n != elems:
			gathers++
		}
	}
	for i := range nImms {
		scalar[len(in)+i] = true
	}
	for i, ins := range prog {
		for _, r := range []int{ins.A, ins.B} {
			if r >= 0 && r < nr {
				lastUse[r] = i
			}
		}
	}
	plan := planFusedTiles(prog, base, lastUse, scalar)
	return AddBytes(MulBytes(int64(plan.tiles)+gathers, bufBytes(tile, sizeOf[T]())), bufBytes(int64(nImms), sizeOf[T]()))
}

// FusedReduceScratch is the bytes of the buffers NewFusedReduce allocates:
// its program's (FusedScratch with tiles of FusedTile) and a tile of rows.
func FusedReduceScratch[T Float](nInstr, nImms int, in []int64) int64 {
	return AddBytes(FusedScratch[T](nInstr, nImms, -1, in), bufBytes(FusedTile, sizeOf[T]()))
}

// UpdateTilesScratch is the bytes of the tiles NewUpdateTiles allocates.
func UpdateTilesScratch[T Float]() int64 { return 3 * bufBytes(FusedTile, sizeOf[T]()) }

// ReduceScratch is the bytes of the buffer SumTo, ReduceMax and ReduceMin
// allocate reducing an input of shape src to dst elements, walked as
// NewBcast(src, keep) walks it: a parallel reduction keeps a partial
// result per task (at most a quarter of the input, parallelReduce's
// condition), in a runner that later calls reuse.
func ReduceScratch[T Float](src []int, dst int64) int64 {
	n := numElems64(src)
	if n < parMinWork || len(src) == 0 || dst >= n || n > math.MaxInt {
		return 0 // serial: one row, or too little work
	}
	row := src[len(src)-1]
	tasks, _ := splitTasks(int(n)/row, row)
	if tasks < 2 || MulBytes(int64(tasks), dst, 4) > n {
		return 0
	}
	return bufBytes(MulBytes(int64(tasks), dst), sizeOf[T]())
}
