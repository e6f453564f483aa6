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
					for ow := range d {
						if iw >= 0 && iw < c.W {
							d[ow] = row[iw]
						} else {
							d[ow] = 0
						}
						iw += c.SW
					}
				}
			}
		}
	}
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
					for _, v := range s {
						if iw >= 0 && iw < c.W {
							row[iw] += v
						}
						iw += c.SW
					}
				}
			}
		}
	}
}

// ConvForward computes out [N, CO, OH, OW] = conv(x, k); col has ColLen
// elements.
func ConvForward[T Float](c *Conv, out, x, k, col []T, mm Gemm[T]) {
	for n := 0; n < c.N; n++ {
		for g := 0; g < c.G; g++ {
			xg := x[(n*c.C+g*c.cg)*c.hw : (n*c.C+(g+1)*c.cg)*c.hw]
			cl := xg
			if !c.direct {
				im2col(c, col, xg)
				cl = col
			}
			o := out[(n*c.CO+g*c.cog)*c.ohw : (n*c.CO+(g+1)*c.cog)*c.ohw]
			mm(c.fwd, o, k[g*c.cog*c.ck:(g+1)*c.cog*c.ck], cl)
		}
	}
}

// ConvInputGrad computes dx [N, C, H, W], the gradient of conv(x, k) with
// respect to x given the output's gradient gout (a transposed convolution);
// col has ColLen elements.
func ConvInputGrad[T Float](c *Conv, dx, gout, k, col []T, mm Gemm[T]) {
	if !c.direct {
		clear(dx)
	}
	for n := 0; n < c.N; n++ {
		for g := 0; g < c.G; g++ {
			dxg := dx[(n*c.C+g*c.cg)*c.hw : (n*c.C+(g+1)*c.cg)*c.hw]
			gg := gout[(n*c.CO+g*c.cog)*c.ohw : (n*c.CO+(g+1)*c.cog)*c.ohw]
			kg := k[g*c.cog*c.ck : (g+1)*c.cog*c.ck]
			if c.direct {
				mm(c.dcol, dxg, kg, gg)
				continue
			}
			mm(c.dcol, col, kg, gg)
			col2im(c, dxg, col)
		}
	}
}

// ConvWeightGrad computes dk [CO, C/G, KH, KW], the gradient of conv(x, k)
// with respect to k given the output's gradient gout; col has ColLen
// elements and tmp TmpLen.
func ConvWeightGrad[T Float](c *Conv, dk, x, gout, col, tmp []T, mm Gemm[T]) {
	clear(dk)
	for n := 0; n < c.N; n++ {
		for g := 0; g < c.G; g++ {
			xg := x[(n*c.C+g*c.cg)*c.hw : (n*c.C+(g+1)*c.cg)*c.hw]
			cl := xg
			if !c.direct {
				im2col(c, col, xg)
				cl = col
			}
			gg := gout[(n*c.CO+g*c.cog)*c.ohw : (n*c.CO+(g+1)*c.cog)*c.ohw]
			mm(c.dwt, tmp, gg, cl)
			d := dk[g*c.cog*c.ck : (g+1)*c.cog*c.ck]
			for i, v := range tmp {
				d[i] += v
			}
		}
	}
}
