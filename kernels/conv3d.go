package kernels

// Conv3D is a prepared 3-D convolution (PyTorch's conv3d: cross-correlation)
// of an input x [N, C, D, H, W] with a kernel k [CO, C/G, KD, KH, KW] giving
// [N, CO, OD, OH, OW]. Each spatial array (In, K, S, Lo, Dil, Out) is
// [depth, height, width].
//
// The forward pass and both gradients run as im2col + gemm, one image and
// group at a time: the column buffer holds (C/G)·KD·KH·KW rows of
// OD·OH·OW columns. Conv3D owns its buffers (allocated when first run), so
// a kernel must not run concurrently with itself, as for Conv.
type Conv3D struct {
	N, C, CO, G int
	In, K, S    [3]int
	Lo, Dil     [3]int // padding before each axis; dilations
	Out         [3]int

	cg, cog, ck int
	sp, osp     int   // spatial sizes of an input and an output plane
	idx         []int // per axis and (tap, output position), the input index or -1
	idxOff      [3]int

	fwd, dcol, dwt *Matmul
	b32            *conv3DBufs[float32]
	b64            *conv3DBufs[float64]
}

type conv3DBufs[T Float] struct{ col, tmp []T }

// NewConv3D prepares the convolution of x [N, C, D, H, W] with k
// [CO, C/G, KD, KH, KW], strides stride, padding lo before and hi after each
// spatial axis and dilations dil. The shapes must agree (the IR's type rule
// has checked them).
func NewConv3D(x, k []int, stride, lo, hi, dil [3]int, groups int) *Conv3D {
	c := &Conv3D{N: x[0], C: x[1], CO: k[0], G: groups, S: stride, Lo: lo, Dil: dil}
	copy(c.In[:], x[2:5])
	copy(c.K[:], k[2:5])
	if k[1] != c.C/groups {
		panic("kernels.NewConv3D: kernel channels do not match the input's")
	}
	c.cg, c.cog = c.C/groups, c.CO/groups
	c.sp, c.osp, c.ck = 1, 1, c.cg
	for a := 0; a < 3; a++ {
		c.Out[a] = (c.In[a]+lo[a]+hi[a]-dil[a]*(c.K[a]-1)-1)/stride[a] + 1
		c.sp *= c.In[a]
		c.osp *= c.Out[a]
		c.ck *= c.K[a]
	}
	for a := 0; a < 3; a++ {
		c.idxOff[a] = len(c.idx)
		for t := 0; t < c.K[a]; t++ {
			for o := 0; o < c.Out[a]; o++ {
				i := o*c.S[a] - c.Lo[a] + t*c.Dil[a]
				if i < 0 || i >= c.In[a] {
					i = -1
				}
				c.idx = append(c.idx, i)
			}
		}
	}
	c.fwd = NewMatmul([]int{c.cog, c.ck}, []int{c.ck, c.osp}, false, false)
	c.dcol = NewMatmul([]int{c.cog, c.ck}, []int{c.cog, c.osp}, true, false)
	c.dwt = NewMatmul([]int{c.cog, c.osp}, []int{c.ck, c.osp}, false, true)
	return c
}

// axis returns the input indices of tap t along axis a, one per output
// position (-1 for padding).
func (c *Conv3D) axis(a, t int) []int {
	o := c.idxOff[a] + t*c.Out[a]
	return c.idx[o : o+c.Out[a]]
}

func conv3DBufsOf[T Float](c *Conv3D) *conv3DBufs[T] {
	var z T
	if _, ok := any(z).(float32); ok {
		if c.b32 == nil {
			c.b32 = &conv3DBufs[float32]{col: make([]float32, c.ck*c.osp), tmp: make([]float32, c.cog*c.ck)}
		}
		return any(c.b32).(*conv3DBufs[T])
	}
	if c.b64 == nil {
		c.b64 = &conv3DBufs[float64]{col: make([]float64, c.ck*c.osp), tmp: make([]float64, c.cog*c.ck)}
	}
	return any(c.b64).(*conv3DBufs[T])
}

// im2col3 fills col [ck, osp] from one image's group of channels xg
// [cg, D, H, W] (toCol), or adds col into xg (col2im, !toCol).
func im2col3[T Float](c *Conv3D, col, xg []T, toCol bool) {
	r := 0
	hw := c.In[1] * c.In[2]
	for ci := 0; ci < c.cg; ci++ {
		xc := xg[ci*c.sp : (ci+1)*c.sp]
		for kd := 0; kd < c.K[0]; kd++ {
			id := c.axis(0, kd)
			for kh := 0; kh < c.K[1]; kh++ {
				ih := c.axis(1, kh)
				for kw := 0; kw < c.K[2]; kw++ {
					iw := c.axis(2, kw)
					dst := col[r*c.osp : (r+1)*c.osp]
					r++
					p := 0
					for _, d := range id {
						for _, h := range ih {
							row := d*hw + h*c.In[2]
							for _, w := range iw {
								switch {
								case d < 0 || h < 0 || w < 0:
									if toCol {
										dst[p] = 0
									}
								case toCol:
									dst[p] = xc[row+w]
								default:
									xc[row+w] += dst[p]
								}
								p++
							}
						}
					}
				}
			}
		}
	}
}

// Conv3DForward computes out [N, CO, OD, OH, OW] = conv3d(x, k).
func Conv3DForward[T Float](c *Conv3D, out, x, k []T, mm Gemm[T]) {
	b := conv3DBufsOf[T](c)
	for n := 0; n < c.N; n++ {
		for g := 0; g < c.G; g++ {
			xg := x[(n*c.C+g*c.cg)*c.sp : (n*c.C+(g+1)*c.cg)*c.sp]
			im2col3(c, b.col, xg, true)
			og := out[(n*c.CO+g*c.cog)*c.osp : (n*c.CO+(g+1)*c.cog)*c.osp]
			mm(c.fwd, og, k[g*c.cog*c.ck:(g+1)*c.cog*c.ck], b.col)
		}
	}
}

// Conv3DInputGrad computes dx [N, C, D, H, W], the gradient of conv3d(x, k)
// with respect to x given the output's gradient gout (a transposed
// convolution).
func Conv3DInputGrad[T Float](c *Conv3D, dx, gout, k []T, mm Gemm[T]) {
	b := conv3DBufsOf[T](c)
	clear(dx)
	for n := 0; n < c.N; n++ {
		for g := 0; g < c.G; g++ {
			gg := gout[(n*c.CO+g*c.cog)*c.osp : (n*c.CO+(g+1)*c.cog)*c.osp]
			mm(c.dcol, b.col, k[g*c.cog*c.ck:(g+1)*c.cog*c.ck], gg)
			im2col3(c, b.col, dx[(n*c.C+g*c.cg)*c.sp:(n*c.C+(g+1)*c.cg)*c.sp], false)
		}
	}
}

// Conv3DWeightGrad computes dk [CO, C/G, KD, KH, KW], the gradient of
// conv3d(x, k) with respect to k given the output's gradient gout, summing
// the images in order.
func Conv3DWeightGrad[T Float](c *Conv3D, dk, x, gout []T, mm Gemm[T]) {
	b := conv3DBufsOf[T](c)
	clear(dk)
	for n := 0; n < c.N; n++ {
		for g := 0; g < c.G; g++ {
			im2col3(c, b.col, x[(n*c.C+g*c.cg)*c.sp:(n*c.C+(g+1)*c.cg)*c.sp], true)
			gg := gout[(n*c.CO+g*c.cog)*c.osp : (n*c.CO+(g+1)*c.cog)*c.osp]
			mm(c.dwt, b.tmp, gg, b.col)
			addTo(dk[g*c.cog*c.ck:(g+1)*c.cog*c.ck], b.tmp)
		}
	}
}

// Conv3DScratch is the bytes a Conv3D of x [N, C, D, H, W] and k
// [CO, C/G, KD, KH, KW] may allocate for T: its tap table, column buffer,
// weight product and the packing buffers of its three products; out is the
// output's spatial size.
func Conv3DScratch[T Float](x, k []int, out [3]int) int64 {
	if len(x) != 5 || len(k) != 5 || k[1] <= 0 || x[1]%k[1] != 0 || k[0]%(x[1]/k[1]) != 0 {
		return 0 // not a convolution the type rules accept
	}
	cog := int64(k[0] / (x[1] / k[1]))
	ck, osp, taps := int64(k[1]), int64(1), int64(0)
	for a := 0; a < 3; a++ {
		ck = MulBytes(ck, int64(k[2+a]))
		osp = MulBytes(osp, int64(out[a]))
		taps = AddBytes(taps, MulBytes(int64(k[2+a]), int64(out[a])))
	}
	size := sizeOf[T]()
	return AddBytes(bufBytes(taps, 8), bufBytes(MulBytes(ck, osp), size), bufBytes(MulBytes(cog, ck), size),
		GemmScratch[T](cog, osp, ck), GemmScratch[T](ck, osp, cog), GemmScratch[T](cog, ck, osp))
}
