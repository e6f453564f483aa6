package kernels

// Conv is a prepared 2-D convolution (PyTorch's conv2d: cross-correlation)
// of an input x [N, C, H, W] with a kernel k [CO, C/G, KH, KW] giving
// [N, CO, OH, OW]. A 1-D convolution is the case H = KH = 1.
//
// The forward pass and both gradients run as im2col + gemm over batches of
// IPG images (images per gemm, fixed by the shapes alone): the column buffer
// of a batch and group holds (C/G)·KH·KW rows of IPG·OH·OW columns, image
// after image, so that one product covers the batch (CO/G × (C/G)·KH·KW ×
// IPG·OH·OW) rather than one small product per image. The last batch of the
// input may hold fewer images. Conv owns its column and product buffers
// (allocated when first run), so the kernels allocate nothing.
type Conv struct {
	N, C, H, W int
	CO, KH, KW int
	SH, SW     int // strides
	PH, PW     int // zero padding before the rows and columns (top, left)
	DH, DW     int // dilations
	G          int // groups
	OH, OW     int
	IPG        int // images per product
	cg, cog    int // channels per group in and out
	ck         int // cg·KH·KW
	hw, ohw    int
	direct     bool // 1×1 kernel, stride 1, no padding (output as large as x), one image per product: x is its own column buffer
	serial     bool // the products run on one goroutine (images run in parallel)

	tasks, per int // image batches split into tasks of per batches (see splitTasks)
	r32        *convRunner[float32]
	r64        *convRunner[float64]
	d32        *convDirect // the f32 forward pass when useDirect
}

// convTargetCols is the number of columns (output positions) a batched
// convolution product aims for: enough that the gemm's edge tiles and
// per-call packing of the kernel matter little, few enough that the column
// buffer ((C/G)·KH·KW rows) stays in the L2 cache.
const convTargetCols = 800

// convMaxColBytes bounds the column buffer of one batch of images (with
// convTargetCols, chosen by timing the ConvNet step: 3 or 4 images of 14×14
// per product for its second convolution).
const convMaxColBytes = 1024 << 10

// NewConv prepares the convolution of x [N, C, H, W] with k [CO, C/G, KH, KW];
// stride, pad and dil are [vertical, horizontal], the padding symmetric.
// The shapes must agree (the IR's type rule has checked them).
func NewConv(x, k []int, stride, pad, dil [2]int, groups int) *Conv {
	return NewConvPadded(x, k, stride, pad, pad, dil, groups)
}

// NewConvPadded is NewConv with padding lo before (top, left) and hi after
// (bottom, right) each spatial axis, which may differ (ONNX's pads, "same"
// with an odd total): only lo moves the windows; hi adds output positions.
func NewConvPadded(x, k []int, stride, lo, hi, dil [2]int, groups int) *Conv {
	c := &Conv{
		N: x[0], C: x[1], H: x[2], W: x[3],
		CO: k[0], KH: k[2], KW: k[3],
		SH: stride[0], SW: stride[1], PH: lo[0], PW: lo[1], DH: dil[0], DW: dil[1],
		G: groups,
	}
	c.OH = (c.H+lo[0]+hi[0]-c.DH*(c.KH-1)-1)/c.SH + 1
	c.OW = (c.W+lo[1]+hi[1]-c.DW*(c.KW-1)-1)/c.SW + 1
	if k[1] != c.C/groups {
		panic("kernels.NewConv: kernel channels do not match the input's")
	}
	c.layout()
	return c
}

// layout fixes, from the shapes, the channels per group, the images per
// product and the tasks (ConvScratch lays out a Conv the same way).
func (c *Conv) layout() {
	c.cg, c.cog = c.C/c.G, c.CO/c.G
	c.ck = c.cg * c.KH * c.KW
	c.hw, c.ohw = c.H*c.W, c.OH*c.OW
	c.IPG, c.tasks, c.per = 1, 1, 1
	if c.N == 0 {
		return
	}
	macs := c.cog * c.ck * c.ohw
	if macs >= convImageMACs {
		// One image's product is large enough to run on every core.
		c.direct = c.KH == 1 && c.KW == 1 && c.SH == 1 && c.SW == 1 && c.PH == 0 && c.PW == 0 && c.OH == c.H && c.OW == c.W
		c.per = c.N
		return
	}
	c.serial = true
	c.IPG = min(c.N, max(1, convTargetCols/max(c.ohw, 1)), max(1, convMaxColBytes/4/max(c.ck*c.ohw, 1)))
	batches := (c.N + c.IPG - 1) / c.IPG
	c.tasks, c.per = splitTasks(batches, c.G*c.IPG*macs/8)
}

// ColLen is the number of elements of the column buffer that the callers of
// ConvForward, ConvInputGrad and ConvWeightGrad pass: 0, since Conv keeps
// its own buffers.
func (c *Conv) ColLen() int { return 0 }

// TmpLen is the number of elements of the extra buffer callers of
// WeightGrad pass: 0, since Conv keeps its own buffers.
func (c *Conv) TmpLen() int { return 0 }

// Gemm is the matrix product a kernel uses: (*Matmul).F32 or (*Matmul).F64.
type Gemm[T Float] func(p *Matmul, out, x, w []T)

// im2col fills the columns [off, off+ohw) of col [ck, ld] from one image's
// group of channels xg [cg, H, W].
func im2col[T Float](c *Conv, col []T, ld, off int, xg []T) {
	if c.planeShift() {
		im2colShift(c, col, ld, off, xg)
		return
	}
	r := 0
	for ci := 0; ci < c.cg; ci++ {
		xc := xg[ci*c.hw : (ci+1)*c.hw]
		for kh := 0; kh < c.KH; kh++ {
			for kw := 0; kw < c.KW; kw++ {
				dst := col[r*ld+off : r*ld+off+c.ohw]
				r++
				for oh := 0; oh < c.OH; oh++ {
					d := dst[oh*c.OW : (oh+1)*c.OW]
					ih := oh*c.SH - c.PH + kh*c.DH
					if ih < 0 || ih >= c.H {
						clear(d)
						continue
					}
					row := xc[ih*c.W : (ih+1)*c.W]
					iw := kw*c.DW - c.PW
					lo, hi := c.validCols(iw)
					clear(d[:lo])
					clear(d[hi:])
					if c.SW == 1 {
						copy(d[lo:hi], row[iw+lo:iw+hi])
						continue
					}
					for ow := lo; ow < hi; ow++ {
						d[ow] = row[iw+ow*c.SW]
					}
				}
			}
		}
	}
}

// validCols is the range [lo, hi) of output columns ow whose input column
// iw + ow·SW lies in [0, W).
func (c *Conv) validCols(iw int) (lo, hi int) {
	if iw < 0 {
		lo = (-iw + c.SW - 1) / c.SW
	}
	hi = c.OW
	if last := iw + (c.OW-1)*c.SW; last >= c.W {
		hi = (c.W-1-iw)/c.SW + 1
		if c.W-1-iw < 0 {
			hi = 0
		}
	}
	lo = min(lo, hi)
	return lo, hi
}

// col2im adds the columns [off, off+ohw) of col [ck, ld] back into one
// image's group of channels dxg [cg, H, W]: the adjoint of im2col.
func col2im[T Float](c *Conv, dxg, col []T, ld, off int) {
	if c.planeShift() {
		col2imShift(c, dxg, col, ld, off)
		return
	}
	r := 0
	for ci := 0; ci < c.cg; ci++ {
		xc := dxg[ci*c.hw : (ci+1)*c.hw]
		for kh := 0; kh < c.KH; kh++ {
			for kw := 0; kw < c.KW; kw++ {
				src := col[r*ld+off : r*ld+off+c.ohw]
				r++
				for oh := 0; oh < c.OH; oh++ {
					ih := oh*c.SH - c.PH + kh*c.DH
					if ih < 0 || ih >= c.H {
						continue
					}
					s := src[oh*c.OW : (oh+1)*c.OW]
					row := xc[ih*c.W : (ih+1)*c.W]
					iw := kw*c.DW - c.PW
					lo, hi := c.validCols(iw)
					if c.SW == 1 {
						r := row[iw+lo : iw+hi]
						for j, v := range s[lo:hi] {
							r[j] += v
						}
						continue
					}
					for ow := lo; ow < hi; ow++ {
						row[iw+ow*c.SW] += s[ow]
					}
				}
			}
		}
	}
}

// planeShift reports whether each row of the column buffer is the input
// plane shifted by a constant offset (stride 1, output as wide as the input,
// as for a "same" padding), with zeros where the window leaves the plane.
func (c *Conv) planeShift() bool { return c.SH == 1 && c.SW == 1 && c.OW == c.W }

// shiftRange gives, for kernel tap (kh, kw) of a planeShift convolution,
// the output rows [oh0, oh1) and columns [lo, hi) that see the input, and
// the input offset d of output position p (input element p + d).
func (c *Conv) shiftRange(kh, kw int) (oh0, oh1, lo, hi, d int) {
	dh, dw := kh*c.DH-c.PH, kw*c.DW-c.PW
	oh0, oh1 = max(0, -dh), min(c.OH, c.H-dh)
	lo, hi = max(0, -dw), min(c.OW, c.W-dw)
	oh1 = max(oh0, oh1)
	hi = max(lo, hi)
	return oh0, oh1, lo, hi, dh*c.W + dw
}

// im2colShift is im2col for a planeShift convolution: one copy per kernel
// tap, then zeros where the window leaves the plane.
func im2colShift[T Float](c *Conv, col []T, ld, off int, xg []T) {
	r := 0
	for ci := 0; ci < c.cg; ci++ {
		xc := xg[ci*c.hw : (ci+1)*c.hw]
		for kh := 0; kh < c.KH; kh++ {
			for kw := 0; kw < c.KW; kw++ {
				dst := col[r*ld+off : r*ld+off+c.ohw]
				r++
				oh0, oh1, lo, hi, d := c.shiftRange(kh, kw)
				if oh0 >= oh1 || lo >= hi {
					clear(dst)
					continue
				}
				a, b := oh0*c.OW+lo, (oh1-1)*c.OW+hi
				clear(dst[:a])
				copy(dst[a:b], xc[a+d:b+d])
				clear(dst[b:])
				if lo > 0 || hi < c.OW {
					// The copy wrapped around the plane's edges: zero the
					// columns outside it.
					for oh := oh0; oh < oh1; oh++ {
						row := dst[oh*c.OW : (oh+1)*c.OW]
						clear(row[:lo])
						clear(row[hi:])
					}
				}
			}
		}
	}
}

// col2imShift is col2im for a planeShift convolution: the columns outside
// the plane are zeroed in col (a scratch buffer), then each kernel tap is
// one vector add.
func col2imShift[T Float](c *Conv, dxg, col []T, ld, off int) {
	r := 0
	for ci := 0; ci < c.cg; ci++ {
		xc := dxg[ci*c.hw : (ci+1)*c.hw]
		for kh := 0; kh < c.KH; kh++ {
			for kw := 0; kw < c.KW; kw++ {
				src := col[r*ld+off : r*ld+off+c.ohw]
				r++
				oh0, oh1, lo, hi, d := c.shiftRange(kh, kw)
				if oh0 >= oh1 || lo >= hi {
					continue
				}
				if lo > 0 || hi < c.OW {
					for oh := oh0; oh < oh1; oh++ {
						row := src[oh*c.OW : (oh+1)*c.OW]
						clear(row[:lo])
						clear(row[hi:])
					}
				}
				a, b := oh0*c.OW+lo, (oh1-1)*c.OW+hi
				dst, s := xc[a+d:b+d], src[a:b]
				if !simdUnary(simdAddAcc, dst, s) {
					addTo(dst, s)
				}
			}
		}
	}
}

// ConvForward computes out [N, CO, OH, OW] = conv(x, k). col (ColLen
// elements) is not used: Conv keeps its own buffers.
func ConvForward[T Float](c *Conv, out, x, k, col []T, mm Gemm[T]) {
	if o32, ok := any(out).([]float32); ok && c.useDirect() {
		d := c.directF32()
		a, aT := d.pack(any(k).([]float32))
		d.forward(o32, any(x).([]float32), a, aT, ConvEpilogue{})
		return
	}
	convRun(c, convFwdKind, out, x, k, mm)
}

// ConvInputGrad computes dx [N, C, H, W], the gradient of conv(x, k) with
// respect to x given the output's gradient gout (a transposed convolution).
// col (ColLen elements) is not used.
func ConvInputGrad[T Float](c *Conv, dx, gout, k, col []T, mm Gemm[T]) {
	convRun(c, convInKind, dx, gout, k, mm)
}

// ConvWeightGrad computes dk [CO, C/G, KH, KW], the gradient of conv(x, k)
// with respect to k given the output's gradient gout; col and tmp (ColLen
// and TmpLen elements) are not used.
//
// Each product sums its batch of images; each task sums its batches' terms
// into its own partial, in batch order, and the partials are added into dk
// in task order, so the result depends on the shapes alone.
func ConvWeightGrad[T Float](c *Conv, dk, x, gout, col, tmp []T, mm Gemm[T]) {
	r := convRun(c, convWtKind, dk, x, gout, mm)
	if c.tasks > 1 {
		clear(dk)
		for t := 0; t < c.tasks; t++ {
			addTo(dk, r.parts[t*len(dk):(t+1)*len(dk)])
		}
	}
}

func addTo[T Float](dst, src []T) {
	for i, v := range src {
		dst[i] += v
	}
}

// The convolution kernels a convRunner runs.
const (
	convFwdKind = iota
	convInKind
	convWtKind
)

// convPlans are the products of one participant: [0] for IPG images, [1]
// for the last, shorter batch (nil when IPG divides N).
type convPlans struct {
	fwd, dcol, dwt [2]*Matmul
}

// convRunner runs one convolution kernel over tasks of whole image batches.
// Every participant has its own column buffer, product plans and scratch;
// every task of the weight gradient has its own partial sum.
type convRunner[T Float] struct {
	c         *Conv
	kind      int
	out, a, b []T
	mm        Gemm[T]
	plans     []convPlans // per participant
	cols      [][]T       // per participant: [ck, IPG·ohw]
	ys        [][]T       // per participant: [cog, IPG·ohw], a batch's outputs or their gradients
	tmps      [][]T       // per participant: [cog, ck]
	parts     []T         // per task: a partial weight gradient
	par       *parFor
}

// convRun runs kind on out, a, b over all tasks and returns c's runner.
func convRun[T Float](c *Conv, kind int, out, a, b []T, mm Gemm[T]) *convRunner[T] {
	r := convRunnerOf[T](c)
	if c.N == 0 {
		clear(out)
		return r
	}
	r.kind, r.out, r.a, r.b, r.mm = kind, out, a, b, mm
	r.par.run()
	r.out, r.a, r.b, r.mm = nil, nil, nil, nil
	return r
}

func (r *convRunner[T]) task(w, t int) {
	c := r.c
	nb := (c.N + c.IPG - 1) / c.IPG
	b0, b1 := t*c.per, min((t+1)*c.per, nb)
	var d []T
	if r.kind == convWtKind {
		d = r.out
		if c.tasks > 1 {
			nk := len(r.out)
			d = r.parts[t*nk : (t+1)*nk]
		}
		clear(d)
	}
	for b := b0; b < b1; b++ {
		n0 := b * c.IPG
		sz := min(c.IPG, c.N-n0)
		pi := 0
		if sz < c.IPG {
			pi = 1
		}
		p := &r.plans[w]
		switch r.kind {
		case convFwdKind:
			convForwardBatch(c, p.fwd[pi], r.out, r.a, r.b, r.cols[w], r.ys[w], r.mm, n0, sz)
		case convInKind:
			convInputBatch(c, p.dcol[pi], r.out, r.a, r.b, r.cols[w], r.ys[w], r.mm, n0, sz)
		case convWtKind:
			convWeightBatch(c, p.dwt[pi], d, r.a, r.b, r.cols[w], r.ys[w], r.tmps[w], r.mm, n0, sz)
		}
	}
}

// gatherCols fills col [ck, sz·ohw] with the columns of images n0…n0+sz-1
// of x, group g, and returns it (x's own channels when c.direct).
func gatherCols[T Float](c *Conv, col, x []T, n0, sz, g int) []T {
	if c.direct {
		return x[(n0*c.C+g*c.cg)*c.hw : (n0*c.C+(g+1)*c.cg)*c.hw]
	}
	ld := sz * c.ohw
	for j := 0; j < sz; j++ {
		n := n0 + j
		im2col(c, col, ld, j*c.ohw, x[(n*c.C+g*c.cg)*c.hw:(n*c.C+(g+1)*c.cg)*c.hw])
	}
	return col[:c.ck*ld]
}

// gatherOut copies group g of the outputs (or output gradients) of images
// n0…n0+sz-1 into y [cog, sz·ohw] and returns it (the output's own rows for
// one image).
func gatherOut[T Float](c *Conv, y, out []T, n0, sz, g int) []T {
	if sz == 1 {
		return out[(n0*c.CO+g*c.cog)*c.ohw : (n0*c.CO+(g+1)*c.cog)*c.ohw]
	}
	ld := sz * c.ohw
	for co := 0; co < c.cog; co++ {
		for j := 0; j < sz; j++ {
			o := ((n0+j)*c.CO + g*c.cog + co) * c.ohw
			copy(y[co*ld+j*c.ohw:co*ld+(j+1)*c.ohw], out[o:o+c.ohw])
		}
	}
	return y[:c.cog*ld]
}

func convForwardBatch[T Float](c *Conv, fwd *Matmul, out, x, k, col, y []T, mm Gemm[T], n0, sz int) {
	ld := sz * c.ohw
	for g := 0; g < c.G; g++ {
		cl := gatherCols(c, col, x, n0, sz, g)
		kg := k[g*c.cog*c.ck : (g+1)*c.cog*c.ck]
		if sz == 1 {
			mm(fwd, out[(n0*c.CO+g*c.cog)*c.ohw:(n0*c.CO+(g+1)*c.cog)*c.ohw], kg, cl)
			continue
		}
		mm(fwd, y[:c.cog*ld], kg, cl)
		for co := 0; co < c.cog; co++ {
			for j := 0; j < sz; j++ {
				o := ((n0+j)*c.CO + g*c.cog + co) * c.ohw
				copy(out[o:o+c.ohw], y[co*ld+j*c.ohw:co*ld+(j+1)*c.ohw])
			}
		}
	}
}

func convInputBatch[T Float](c *Conv, dcol *Matmul, dx, gout, k, col, y []T, mm Gemm[T], n0, sz int) {
	ld := sz * c.ohw
	for g := 0; g < c.G; g++ {
		gg := gatherOut(c, y, gout, n0, sz, g)
		kg := k[g*c.cog*c.ck : (g+1)*c.cog*c.ck]
		if c.direct {
			mm(dcol, dx[(n0*c.C+g*c.cg)*c.hw:(n0*c.C+(g+1)*c.cg)*c.hw], kg, gg)
			continue
		}
		mm(dcol, col[:c.ck*ld], kg, gg)
		for j := 0; j < sz; j++ {
			n := n0 + j
			dxg := dx[(n*c.C+g*c.cg)*c.hw : (n*c.C+(g+1)*c.cg)*c.hw]
			clear(dxg)
			col2im(c, dxg, col, ld, j*c.ohw)
		}
	}
}

func convWeightBatch[T Float](c *Conv, dwt *Matmul, dk, x, gout, col, y, tmp []T, mm Gemm[T], n0, sz int) {
	for g := 0; g < c.G; g++ {
		cl := gatherCols(c, col, x, n0, sz, g)
		gg := gatherOut(c, y, gout, n0, sz, g)
		mm(dwt, tmp, gg, cl)
		addTo(dk[g*c.cog*c.ck:(g+1)*c.cog*c.ck], tmp)
	}
}

// convRunnerOf returns c's runner for T, made on first use.
func convRunnerOf[T Float](c *Conv) *convRunner[T] {
	var z T
	switch any(z).(type) {
	case float32:
		if c.r32 == nil {
			c.r32 = newConvRunner[float32](c)
		}
		return any(c.r32).(*convRunner[T])
	default:
		if c.r64 == nil {
			c.r64 = newConvRunner[float64](c)
		}
		return any(c.r64).(*convRunner[T])
	}
}

func newConvRunner[T Float](c *Conv) *convRunner[T] {
	r := &convRunner[T]{c: c}
	r.par = newParFor(c.tasks, r.task)
	buf := convBuffers(c) // ConvScratch counts these
	for w := 0; w < buf.np; w++ {
		var p convPlans
		for i, s := range buf.sizes {
			if s == 0 {
				continue
			}
			p.fwd[i] = convMatmul[T](c, []int{c.cog, c.ck}, []int{c.ck, s * c.ohw}, false, false)
			p.dcol[i] = convMatmul[T](c, []int{c.cog, c.ck}, []int{c.cog, s * c.ohw}, true, false)
			p.dwt[i] = convMatmul[T](c, []int{c.cog, s * c.ohw}, []int{c.ck, s * c.ohw}, false, true)
		}
		r.plans = append(r.plans, p)
		var col, y []T
		if buf.withCol {
			col = make([]T, buf.col)
		}
		if buf.withY {
			y = make([]T, buf.y)
		}
		r.cols = append(r.cols, col)
		r.ys = append(r.ys, y)
		r.tmps = append(r.tmps, make([]T, buf.tmp))
	}
	if buf.parts > 0 {
		r.parts = make([]T, buf.parts)
	}
	return r
}

// convMatmul prepares a product of the convolution for T, on the calling
// goroutine alone when c.serial (the images run in parallel instead).
func convMatmul[T Float](c *Conv, x, w []int, tx, tw bool) *Matmul {
	m := NewMatmul(x, w, tx, tw)
	var z T
	switch any(z).(type) {
	case float32:
		m.PrepareF32()
		if c.serial {
			m.g32.makeSerial()
		}
	default:
		m.PrepareF64()
		if c.serial {
			m.g64.makeSerial()
		}
	}
	return m
}

// makeSerial makes g run on the calling goroutine alone, with the blocking
// NewGemmPlan gives a serial product.
func (g *GemmPlan[T]) makeSerial() {
	if g.serial || g.mr == 0 || g.mPan == 0 {
		g.serial = true
		return
	}
	g.serial = true
	g.aCopies, g.bCopies = min(g.aCopies, 1), min(g.bCopies, 1)
	g.mtp = min(g.mPan, max(1, gemmMT/g.mr))
	g.ntp = min(g.nPan, max(1, gemmNT/g.nr))
	g.setBlocks()
}
