package kernels

// Conv is a prepared 2-D convolution (PyTorch's conv2d: cross-correlation)
// of an input x [N, C, H, W] with a kernel k [CO, C/G, KH, KW] giving
// [N, CO, OH, OW]. A 1-D convolution is the case H = KH = 1. The forward pass
// and both gradients run as im2col + gemm per image and group: the column
// buffer holds, for one image and group, the (C/G)·KH·KW input values each
// output position sees.
type Conv struct {
	N, C, H, W     int
	CO, KH, KW     int
	SH, SW         int // strides
	PH, PW         int // symmetric zero padding
	DH, DW         int // dilations
	G              int // groups
	OH, OW         int
	cg, cog, ck    int // channels per group in and out; cg·KH·KW
	hw, ohw        int
	direct         bool // 1×1 kernel, stride 1, no padding: x is its own column buffer
	fwd, dcol, dwt *Matmul

	tasks, per int // images split into tasks of per images (see splitTasks)
	r32        *convRunner[float32]
	r64        *convRunner[float64]
}

// NewConv prepares the convolution of x [N, C, H, W] with k [CO, C/G, KH, KW];
// stride, pad and dil are [vertical, horizontal]. The shapes must agree (the
// IR's type rule has checked them).
func NewConv(x, k []int, stride, pad, dil [2]int, groups int) *Conv {
	c := &Conv{
		N: x[0], C: x[1], H: x[2], W: x[3],
		CO: k[0], KH: k[2], KW: k[3],
		SH: stride[0], SW: stride[1], PH: pad[0], PW: pad[1], DH: dil[0], DW: dil[1],
		G: groups,
	}
	c.OH = (c.H+2*c.PH-c.DH*(c.KH-1)-1)/c.SH + 1
	c.OW = (c.W+2*c.PW-c.DW*(c.KW-1)-1)/c.SW + 1
	c.cg, c.cog = c.C/groups, c.CO/groups
	if k[1] != c.cg {
		panic("kernels.NewConv: kernel channels do not match the input's")
	}
	c.ck = c.cg * c.KH * c.KW
	c.hw, c.ohw = c.H*c.W, c.OH*c.OW
	c.direct = c.KH == 1 && c.KW == 1 && c.SH == 1 && c.SW == 1 && c.PH == 0 && c.PW == 0
	c.fwd = NewMatmul([]int{c.cog, c.ck}, []int{c.ck, c.ohw}, false, false)
	c.dcol = NewMatmul([]int{c.cog, c.ck}, []int{c.cog, c.ohw}, true, false)
	c.dwt = NewMatmul([]int{c.cog, c.ohw}, []int{c.ck, c.ohw}, false, true)
	c.tasks, c.per = 1, c.N
	if c.cog*c.ck*c.ohw < gemmSerialMACs {
		// Each image's products are serial, so images can run in parallel.
		c.tasks, c.per = splitTasks(c.N, c.G*c.cog*c.ck*c.ohw/8)
	}
	return c
}

// ColLen is the number of elements of the column buffer that Forward,
// InputGrad and WeightGrad need (0 when the input is its own buffer).
func (c *Conv) ColLen() int {
	if c.direct {
		return 0
	}
	return c.ck * c.ohw
}

// TmpLen is the number of elements of the extra buffer WeightGrad needs.
func (c *Conv) TmpLen() int { return c.cog * c.ck }

// Gemm is the matrix product a kernel uses: (*Matmul).F32 or (*Matmul).F64.
type Gemm[T Float] func(p *Matmul, out, x, w []T)

// im2col fills col [ck, ohw] from one image's group of channels xg [cg, H, W].
func im2col[T Float](c *Conv, col, xg []T) {
	r := 0
	for ci := 0; ci < c.cg; ci++ {
		xc := xg[ci*c.hw : (ci+1)*c.hw]
		for kh := 0; kh < c.KH; kh++ {
			for kw := 0; kw < c.KW; kw++ {
				dst := col[r*c.ohw : (r+1)*c.ohw]
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

// col2im adds the columns col [ck, ohw] back into one image's group of
// channels dxg [cg, H, W]: the adjoint of im2col.
func col2im[T Float](c *Conv, dxg, col []T) {
	r := 0
	for ci := 0; ci < c.cg; ci++ {
		xc := dxg[ci*c.hw : (ci+1)*c.hw]
		for kh := 0; kh < c.KH; kh++ {
			for kw := 0; kw < c.KW; kw++ {
				src := col[r*c.ohw : (r+1)*c.ohw]
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

// ConvForward computes out [N, CO, OH, OW] = conv(x, k); col has ColLen
// elements.
func ConvForward[T Float](c *Conv, out, x, k, col []T, mm Gemm[T]) {
	if c.tasks > 1 {
		r := convRunnerOf[T](c)
		r.kind, r.out, r.a, r.b, r.mm = convFwdKind, out, x, k, mm
		r.par.run()
		r.clear()
		return
	}
	convForward(c, c.fwd, out, x, k, col, mm, 0, c.N)
}

func convForward[T Float](c *Conv, fwd *Matmul, out, x, k, col []T, mm Gemm[T], n0, n1 int) {
	for n := n0; n < n1; n++ {
		for g := 0; g < c.G; g++ {
			xg := x[(n*c.C+g*c.cg)*c.hw : (n*c.C+(g+1)*c.cg)*c.hw]
			cl := xg
			if !c.direct {
				im2col(c, col, xg)
				cl = col
			}
			o := out[(n*c.CO+g*c.cog)*c.ohw : (n*c.CO+(g+1)*c.cog)*c.ohw]
			mm(fwd, o, k[g*c.cog*c.ck:(g+1)*c.cog*c.ck], cl)
		}
	}
}

// ConvInputGrad computes dx [N, C, H, W], the gradient of conv(x, k) with
// respect to x given the output's gradient gout (a transposed convolution);
// col has ColLen elements.
func ConvInputGrad[T Float](c *Conv, dx, gout, k, col []T, mm Gemm[T]) {
	if c.tasks > 1 {
		r := convRunnerOf[T](c)
		r.kind, r.out, r.a, r.b, r.mm = convInKind, dx, gout, k, mm
		r.par.run()
		r.clear()
		return
	}
	convInputGrad(c, c.dcol, dx, gout, k, col, mm, 0, c.N)
}

func convInputGrad[T Float](c *Conv, dcol *Matmul, dx, gout, k, col []T, mm Gemm[T], n0, n1 int) {
	if !c.direct {
		clear(dx[n0*c.C*c.hw : n1*c.C*c.hw])
	}
	for n := n0; n < n1; n++ {
		for g := 0; g < c.G; g++ {
			dxg := dx[(n*c.C+g*c.cg)*c.hw : (n*c.C+(g+1)*c.cg)*c.hw]
			gg := gout[(n*c.CO+g*c.cog)*c.ohw : (n*c.CO+(g+1)*c.cog)*c.ohw]
			kg := k[g*c.cog*c.ck : (g+1)*c.cog*c.ck]
			if c.direct {
				mm(dcol, dxg, kg, gg)
				continue
			}
			mm(dcol, col, kg, gg)
			col2im(c, dxg, col)
		}
	}
}

// ConvWeightGrad computes dk [CO, C/G, KH, KW], the gradient of conv(x, k)
// with respect to k given the output's gradient gout; col has ColLen
// elements and tmp TmpLen.
//
// With several tasks, each sums its images' terms into its own partial, in
// image order, and the partials are added into dk in task order.
func ConvWeightGrad[T Float](c *Conv, dk, x, gout, col, tmp []T, mm Gemm[T]) {
	if c.tasks > 1 {
		r := convRunnerOf[T](c)
		r.kind, r.out, r.a, r.b, r.mm = convWtKind, dk, x, gout, mm
		r.par.run()
		r.clear()
		clear(dk)
		for t := 0; t < c.tasks; t++ {
			addTo(dk, r.parts[t*len(dk):(t+1)*len(dk)])
		}
		return
	}
	convWeightGrad(c, c.dwt, dk, x, gout, col, tmp, mm, 0, c.N)
}

func addTo[T Float](dst, src []T) {
	for i, v := range src {
		dst[i] += v
	}
}

func convWeightGrad[T Float](c *Conv, dwt *Matmul, dk, x, gout, col, tmp []T, mm Gemm[T], n0, n1 int) {
	clear(dk)
	for n := n0; n < n1; n++ {
		for g := 0; g < c.G; g++ {
			xg := x[(n*c.C+g*c.cg)*c.hw : (n*c.C+(g+1)*c.cg)*c.hw]
			cl := xg
			if !c.direct {
				im2col(c, col, xg)
				cl = col
			}
			gg := gout[(n*c.CO+g*c.cog)*c.ohw : (n*c.CO+(g+1)*c.cog)*c.ohw]
			mm(dwt, tmp, gg, cl)
			d := dk[g*c.cog*c.ck : (g+1)*c.cog*c.ck]
			for i, v := range tmp {
				d[i] += v
			}
		}
	}
}

// The convolution kernels a convRunner runs.
const (
	convFwdKind = iota
	convInKind
	convWtKind
)

// convRunner runs one convolution kernel over tasks of whole images. Every
// participant has its own column buffer, product plans and weight-gradient
// scratch; every task of the weight gradient has its own partial sum.
type convRunner[T Float] struct {
	c          *Conv
	kind       int
	out, a, b  []T
	mm         Gemm[T]
	fwd, dcol  []*Matmul // per participant
	dwt        []*Matmul
	cols, tmps [][]T // per participant
	parts      []T   // per task: a partial weight gradient
	par        *parFor
}

func (r *convRunner[T]) clear() { r.out, r.a, r.b, r.mm = nil, nil, nil, nil }

func (r *convRunner[T]) task(w, t int) {
	c := r.c
	n0, n1 := t*c.per, min((t+1)*c.per, c.N)
	switch r.kind {
	case convFwdKind:
		convForward(c, r.fwd[w], r.out, r.a, r.b, r.cols[w], r.mm, n0, n1)
	case convInKind:
		convInputGrad(c, r.dcol[w], r.out, r.a, r.b, r.cols[w], r.mm, n0, n1)
	case convWtKind:
		nk := len(r.out)
		convWeightGrad(c, r.dwt[w], r.parts[t*nk:(t+1)*nk], r.a, r.b, r.cols[w], r.tmps[w], r.mm, n0, n1)
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
	np := r.par.participants()
	for w := 0; w < np; w++ {
		r.fwd = append(r.fwd, NewMatmul([]int{c.cog, c.ck}, []int{c.ck, c.ohw}, false, false))
		r.dcol = append(r.dcol, NewMatmul([]int{c.cog, c.ck}, []int{c.cog, c.ohw}, true, false))
		r.dwt = append(r.dwt, NewMatmul([]int{c.cog, c.ohw}, []int{c.ck, c.ohw}, false, true))
		r.cols = append(r.cols, make([]T, c.ColLen()))
		r.tmps = append(r.tmps, make([]T, c.TmpLen()))
	}
	r.parts = make([]T, c.tasks*c.CO*c.ck)
	return r
}
