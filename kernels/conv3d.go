package kernels

// Conv3D is a prepared 3-D convolution (PyTorch's conv3d: cross-correlation)
// of an input x [N, C, D, H, W] with a kernel k [CO, C/G, KD, KH, KW] giving
// [N, CO, OD, OH, OW]. Each spatial array (In, K, S, Lo, Dil, Out) is
// [depth, height, width].
//
// The forward pass and both gradients run as im2col + gemm, one image and
// group at a time, over pieces of Chunk output depth planes: the column
// buffer holds (C/G)·KD·KH·KW rows of Chunk·OH·OW columns, at most about
// conv3DMaxCol elements (one plane when a plane alone is larger), so that
// a large volume does not need a column buffer as large as its output
// times the kernel. Conv3D owns its buffers (allocated when first run), so
// a kernel must not run concurrently with itself, as for Conv.
type Conv3D struct {
	N, C, CO, G int
	In, K, S    [3]int
	Lo, Dil     [3]int // padding before each axis; dilations
	Out         [3]int
	Chunk       int // output depth planes per piece

	cg, cog, ck int
	sp, osp     int   // spatial sizes of an input and an output plane
	ohw         int   // OH·OW
	idx         []int // per axis and (tap, output position), the input index or -1
	idxOff      [3]int

	fwd, dcol, dwt [2]*Matmul // for a whole piece and for the last, shorter one
	b32            *conv3DBufs[float32]
	b64            *conv3DBufs[float64]
}

// conv3DMaxCol bounds the elements of a Conv3D's column buffer (4 MiB of
// float32) unless one output depth plane needs more.
const conv3DMaxCol = 1 << 20

type conv3DBufs[T Float] struct{ col, y, tmp []T }

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
	c.ohw = c.Out[1] * c.Out[2]
	c.Chunk = max(1, min(c.Out[0], conv3DMaxCol/max(1, c.ck*c.ohw)))
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
	for p, planes := range c.pieceSizes() {
		cols := planes * c.ohw
		c.fwd[p] = NewMatmul([]int{c.cog, c.ck}, []int{c.ck, cols}, false, false)
		c.dcol[p] = NewMatmul([]int{c.cog, c.ck}, []int{c.cog, cols}, true, false)
		c.dwt[p] = NewMatmul([]int{c.cog, cols}, []int{c.ck, cols}, false, true)
	}
	return c
}

// pieceSizes are the depth planes of a whole piece and, when Chunk does not
// divide OD, of the last one.
func (c *Conv3D) pieceSizes() []int {
	if r := c.Out[0] % c.Chunk; r != 0 && c.Out[0] > c.Chunk {
		return []int{c.Chunk, r}
	}
	return []int{c.Chunk}
}

// axis returns the input indices of tap t along axis a, one per output
// position (-1 for padding).
func (c *Conv3D) axis(a, t int) []int {
	o := c.idxOff[a] + t*c.Out[a]
	return c.idx[o : o+c.Out[a]]
}

func conv3DBufsOf[T Float](c *Conv3D) *conv3DBufs[T] {
	cols := c.Chunk * c.ohw
	newBufs := func() *conv3DBufs[T] {
		return &conv3DBufs[T]{col: make([]T, c.ck*cols), y: make([]T, c.cog*cols), tmp: make([]T, c.cog*c.ck)}
	}
	var z T
	if _, ok := any(z).(float32); ok {
		if c.b32 == nil {
			c.b32 = any(newBufs()).(*conv3DBufs[float32])
		}
		return any(c.b32).(*conv3DBufs[T])
	}
	if c.b64 == nil {
		c.b64 = any(newBufs()).(*conv3DBufs[float64])
	}
	return any(c.b64).(*conv3DBufs[T])
}

// im2col3 fills col [ck, (od1-od0)·OH·OW] from one image's group of
// channels xg [cg, D, H, W] for the output depth planes [od0, od1)
// (toCol), or adds col into xg (col2im, !toCol).
func im2col3[T Float](c *Conv3D, col, xg []T, od0, od1 int, toCol bool) {
	r := 0
	hw := c.In[1] * c.In[2]
	cols := (od1 - od0) * c.ohw
	for ci := 0; ci < c.cg; ci++ {
		xc := xg[ci*c.sp : (ci+1)*c.sp]
		for kd := 0; kd < c.K[0]; kd++ {
			id := c.axis(0, kd)[od0:od1]
			for kh := 0; kh < c.K[1]; kh++ {
				ih := c.axis(1, kh)
				for kw := 0; kw < c.K[2]; kw++ {
					iw := c.axis(2, kw)
					dst := col[r*cols : (r+1)*cols]
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

// pieces calls f for each piece of output depth planes [od0, od1) with the
// index of its products (0 whole, 1 the last, shorter one).
func (c *Conv3D) pieces(f func(od0, od1, p int)) {
	for od0 := 0; od0 < c.Out[0]; od0 += c.Chunk {
		od1 := min(od0+c.Chunk, c.Out[0])
		p := 0
		if od1-od0 < c.Chunk {
			p = 1
		}
		f(od0, od1, p)
	}
}

// rows copies between the rows of a [rows, osp] matrix m, columns [lo, hi),
// and the packed [rows, hi-lo] matrix y: into y (toY) or back into m.
func rows[T Float](m, y []T, n, ld, lo, hi int, toY bool) {
	w := hi - lo
	for r := 0; r < n; r++ {
		if toY {
			copy(y[r*w:(r+1)*w], m[r*ld+lo:r*ld+hi])
		} else {
			copy(m[r*ld+lo:r*ld+hi], y[r*w:(r+1)*w])
		}
	}
}

// Conv3DForward computes out [N, CO, OD, OH, OW] = conv3d(x, k).
func Conv3DForward[T Float](c *Conv3D, out, x, k []T, mm Gemm[T]) {
	b := conv3DBufsOf[T](c)
	for n := 0; n < c.N; n++ {
		for g := 0; g < c.G; g++ {
			xg := x[(n*c.C+g*c.cg)*c.sp : (n*c.C+(g+1)*c.cg)*c.sp]
			og := out[(n*c.CO+g*c.cog)*c.osp : (n*c.CO+(g+1)*c.cog)*c.osp]
			kg := k[g*c.cog*c.ck : (g+1)*c.cog*c.ck]
			c.pieces(func(od0, od1, p int) {
				im2col3(c, b.col, xg, od0, od1, true)
				if od1-od0 == c.Out[0] {
					mm(c.fwd[p], og, kg, b.col)
					return
				}
				mm(c.fwd[p], b.y, kg, b.col)
				rows(og, b.y, c.cog, c.osp, od0*c.ohw, od1*c.ohw, false)
			})
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
			kg := k[g*c.cog*c.ck : (g+1)*c.cog*c.ck]
			dxg := dx[(n*c.C+g*c.cg)*c.sp : (n*c.C+(g+1)*c.cg)*c.sp]
			c.pieces(func(od0, od1, p int) {
				y := gg
				if od1-od0 != c.Out[0] {
					rows(gg, b.y, c.cog, c.osp, od0*c.ohw, od1*c.ohw, true)
					y = b.y
				}
				mm(c.dcol[p], b.col, kg, y)
				im2col3(c, b.col, dxg, od0, od1, false)
			})
		}
	}
}

// Conv3DWeightGrad computes dk [CO, C/G, KD, KH, KW], the gradient of
// conv3d(x, k) with respect to k given the output's gradient gout, summing
// the images and pieces in order.
func Conv3DWeightGrad[T Float](c *Conv3D, dk, x, gout []T, mm Gemm[T]) {
	b := conv3DBufsOf[T](c)
	clear(dk)
	for n := 0; n < c.N; n++ {
		for g := 0; g < c.G; g++ {
			xg := x[(n*c.C+g*c.cg)*c.sp : (n*c.C+(g+1)*c.cg)*c.sp]
			gg := gout[(n*c.CO+g*c.cog)*c.osp : (n*c.CO+(g+1)*c.cog)*c.osp]
			dkg := dk[g*c.cog*c.ck : (g+1)*c.cog*c.ck]
			c.pieces(func(od0, od1, p int) {
				im2col3(c, b.col, xg, od0, od1, true)
				y := gg
				if od1-od0 != c.Out[0] {
					rows(gg, b.y, c.cog, c.osp, od0*c.ohw, od1*c.ohw, true)
					y = b.y
				}
				mm(c.dwt[p], b.tmp, y, b.col)
				addTo(dkg, b.tmp)
			})
		}
	}
}

// Conv3DScratch is the bytes a Conv3D of x [N, C, D, H, W] and k
// [CO, C/G, KD, KH, KW] may allocate for T: its tap table, column buffer,
// gathered output rows, weight product and the packing buffers of its
// three products for a whole piece of output planes and the last one; out
// is the output's spatial size.
func Conv3DScratch[T Float](x, k []int, out [3]int) int64 {
	if len(x) != 5 || len(k) != 5 || k[1] <= 0 || x[1]%k[1] != 0 || k[0]%(x[1]/k[1]) != 0 {
		return 0 // not a convolution the type rules accept
	}
	cog := int64(k[0] / (x[1] / k[1]))
	ck, ohw, taps := int64(k[1]), int64(out[1])*int64(out[2]), int64(0)
	for a := 0; a < 3; a++ {
		ck = MulBytes(ck, int64(k[2+a]))
		taps = AddBytes(taps, MulBytes(int64(k[2+a]), int64(out[a])))
	}
	if ck <= 0 || ohw <= 0 || out[0] <= 0 {
		return bufBytes(taps, 8)
	}
	chunk := max(1, min(int64(out[0]), conv3DMaxCol/max(1, MulBytes(ck, ohw))))
	size := sizeOf[T]()
	sum := AddBytes(bufBytes(taps, 8), bufBytes(MulBytes(ck, chunk, ohw), size), bufBytes(MulBytes(cog, chunk, ohw), size),
		bufBytes(MulBytes(cog, ck), size))
	for _, planes := range []int64{chunk, int64(out[0]) % chunk} {
		if planes == 0 {
			continue
		}
		cols := MulBytes(planes, ohw)
		sum = AddBytes(sum, GemmScratch[T](cog, cols, ck), GemmScratch[T](ck, cols, cog), GemmScratch[T](cog, ck, cols))
	}
	return sum
}
