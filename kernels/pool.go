package kernels

import "math"

// Pool is a prepared 2-D pooling of x [N, C, H, W] with windows KH×KW,
// strides SH, SW, dilations DH, DW and padding PH, PW before (top, left) and
// PHE, PWE after (bottom, right), giving [N, C, OH, OW] (PyTorch's
// max_pool2d and avg_pool2d, ONNX's MaxPool and AveragePool; the caller
// fixes OH and OW, which ceil_mode may make one larger than the floor rule,
// so that the last window hangs off the end). Padding never wins a
// maximum; an average counts the padding within [-PH, H+PHE) when
// IncludePad is set (count_include_pad), never the part of a window past
// it. A maximum over a window that sees no input element (only possible
// with dilations) is -Inf and passes no gradient.
type Pool struct {
	NC, H, W   int
	KH, KW     int
	SH, SW     int
	PH, PW     int
	PHE, PWE   int
	DH, DW     int
	OH, OW     int
	IncludePad bool

	inside     bool // every window lies in the plane (no padding is read)
	tasks, per int  // planes split into tasks of per planes (see splitTasks)
	r32        *planeRunner[float32]
	r64        *planeRunner[float64]
}

// NewPool prepares the pooling of shape x [N, C, H, W] with symmetric
// padding and the floor rule for the output size; k, stride and pad are
// [vertical, horizontal].
func NewPool(x []int, k, stride, pad [2]int, includePad bool) *Pool {
	oh := (x[2]+2*pad[0]-k[0])/stride[0] + 1
	ow := (x[3]+2*pad[1]-k[1])/stride[1] + 1
	return NewPoolGeom(x, k, stride, pad, pad, [2]int{1, 1}, [2]int{oh, ow}, includePad)
}

// NewPoolGeom prepares the pooling of shape x [N, C, H, W] to out [OH, OW]
// with padding lo before and hi after each axis and dilation dil; all are
// [vertical, horizontal]. The caller has checked that the sizes agree.
func NewPoolGeom(x []int, k, stride, lo, hi, dil, out [2]int, includePad bool) *Pool {
	p := &Pool{NC: x[0] * x[1], H: x[2], W: x[3], KH: k[0], KW: k[1], SH: stride[0], SW: stride[1],
		PH: lo[0], PW: lo[1], PHE: hi[0], PWE: hi[1], DH: dil[0], DW: dil[1], OH: out[0], OW: out[1],
		IncludePad: includePad}
	p.inside = p.PH == 0 && p.PW == 0 && p.DH == 1 && p.DW == 1 &&
		(p.OH-1)*p.SH+p.KH <= p.H && (p.OW-1)*p.SW+p.KW <= p.W
	p.tasks, p.per = splitTasks(p.NC, p.H*p.W+p.OH*p.OW*p.KH*p.KW)
	return p
}

// window returns the rows [h0, h1) and columns [w0, w1) of the input that
// output (oh, ow) sees, clipped to the input (dilation 1).
func (p *Pool) window(oh, ow int) (h0, h1, w0, w1 int) {
	h0, w0 = oh*p.SH-p.PH, ow*p.SW-p.PW
	h1, w1 = min(h0+p.KH, p.H), min(w0+p.KW, p.W)
	return max(h0, 0), h1, max(w0, 0), w1
}

// taps returns the first input index and the count of the taps of a
// window starting at s (which may be negative) of k taps d apart along an
// axis of n elements: those in [0, n).
func taps(s, k, d, n int) (first, count int) {
	if d == 1 {
		lo, hi := max(s, 0), min(s+k, n)
		return lo, max(0, hi-lo)
	}
	i0 := 0
	if s < 0 {
		i0 = (-s + d - 1) / d
	}
	if i0 >= k || s+i0*d >= n {
		return 0, 0
	}
	i1 := min(k, (n-1-s)/d+1)
	return s + i0*d, i1 - i0
}

// argmax is the flat index within one plane of the first maximum of the
// window of (oh, ow) in xp (NaN wins, as in PyTorch), or -1 when the
// window sees no element of the plane.
func argmax[T Float](p *Pool, xp []T, oh, ow int) int {
	if p.fast2x2() {
		return argmax2x2(xp, oh*p.SH*p.W+ow*p.SW, p.W)
	}
	h0, nh := taps(oh*p.SH-p.PH, p.KH, p.DH, p.H)
	w0, nw := taps(ow*p.SW-p.PW, p.KW, p.DW, p.W)
	if nh == 0 || nw == 0 {
		return -1
	}
	best, at := T(math.Inf(-1)), h0*p.W+w0
	for i, h := 0, h0; i < nh; i, h = i+1, h+p.DH {
		for j, w := 0, w0; j < nw; j, w = j+1, w+p.DW {
			if v := xp[h*p.W+w]; v > best || v != v {
				best, at = v, h*p.W+w
				if v != v {
					return at
				}
			}
		}
	}
	return at
}

// fast2x2 says that the windows are 2×2 and lie in the plane, so that
// argmax2x2 applies.
func (p *Pool) fast2x2() bool { return p.inside && p.KH == 2 && p.KW == 2 }

// tiles2x2 says that the windows are 2×2 with stride 2 and tile the plane
// exactly (H = 2·OH, W = 2·OW): every element lies in one window.
func (p *Pool) tiles2x2() bool {
	return p.fast2x2() && p.SH == 2 && p.SW == 2 && p.H == 2*p.OH && p.W == 2*p.OW
}

// argmax2x2 is argmax for an unpadded 2×2 window whose first element is
// xp[i] in a plane of width w (the window is inside the plane). It finds
// the maximum without branches and then the first element equal to it
// (selections the compiler makes conditional moves): on data such as a
// relu's output, a compare-and-branch scan mispredicts about every other
// window.
func argmax2x2[T Float](xp []T, i, w int) int {
	a, b, c, d := xp[i], xp[i+1], xp[i+w], xp[i+w+1]
	m := max(max(a, b), max(c, d))
	if m != m { // a NaN: the first one wins
		switch {
		case a != a:
			return i
		case b != b:
			return i + 1
		case c != c:
			return i + w
		}
		return i + w + 1
	}
	at := i + w + 1
	if c == m {
		at = i + w
	}
	if b == m {
		at = i + 1
	}
	if a == m {
		at = i
	}
	return at
}

// MaxPool computes out = the maximum of each window of x.
func MaxPool[T Float](p *Pool, out, x []T) {
	runPlanes(p, planeMax, out, x, nil)
}

func maxPoolPlanes[T Float](p *Pool, out, x []T, c0, c1 int) {
	hw, ohw := p.H*p.W, p.OH*p.OW
	if p.tiles2x2() {
		// The planes are contiguous pairs of rows: f32 runs them all at
		// once in assembly where it can.
		if o32, ok := any(out).([]float32); ok &&
			maxPool2x2F32Rows(o32[c0*ohw:c1*ohw], any(x).([]float32)[c0*hw:c1*hw], (c1-c0)*p.OH, p.OW, p.W) {
			return
		}
		for c := c0; c < c1; c++ {
			xp, op := x[c*hw:(c+1)*hw], out[c*ohw:(c+1)*ohw]
			for oh := 0; oh < p.OH; oh++ {
				maxPool2x2Row(op[oh*p.OW:(oh+1)*p.OW], xp, 2*oh*p.W, p.W)
			}
		}
		return
	}
	if p.fast2x2() {
		for c := c0; c < c1; c++ {
			xp, op := x[c*hw:(c+1)*hw], out[c*ohw:(c+1)*ohw]
			for oh := 0; oh < p.OH; oh++ {
				orow := op[oh*p.OW : (oh+1)*p.OW]
				i := oh * p.SH * p.W
				for ow := range orow {
					orow[ow] = xp[argmax2x2(xp, i, p.W)]
					i += p.SW
				}
			}
		}
		return
	}
	for c := c0; c < c1; c++ {
		xp, op := x[c*hw:(c+1)*hw], out[c*ohw:(c+1)*ohw]
		for oh := 0; oh < p.OH; oh++ {
			for ow := 0; ow < p.OW; ow++ {
				if at := argmax(p, xp, oh, ow); at >= 0 {
					op[oh*p.OW+ow] = xp[at]
				} else {
					op[oh*p.OW+ow] = T(math.Inf(-1))
				}
			}
		}
	}
}

// maxPool2x2Row sets orow[j] to the first maximum of the 2×2 window at
// xp[i+2j] of a plane of width w (a row of a tiling 2×2, stride-2 pooling).
func maxPool2x2Row[T Float](orow, xp []T, i, w int) {
	r0, r1 := xp[i:i+w], xp[i+w:i+2*w]
	for ow := range orow {
		j := 2 * ow
		m := max(max(r0[j], r0[j+1]), max(r1[j], r1[j+1]))
		if m == 0 || m != m {
			// The first maximum decides the sign of a zero and which NaN.
			m = xp[argmax2x2(xp, i+j, w)]
		}
		orow[ow] = m
	}
}

// MaxPoolGrad computes dx: each output's gradient g goes to the first
// maximum of its window of x (summed where windows overlap).
func MaxPoolGrad[T Float](p *Pool, dx, x, g []T) {
	runPlanes(p, planeMaxGrad, dx, x, g)
}

func maxPoolGradPlanes[T Float](p *Pool, dx, x, g []T, c0, c1 int) {
	hw, ohw := p.H*p.W, p.OH*p.OW
	if p.tiles2x2() {
		// Every element of x is in exactly one window: each window's four
		// gradients are written at once, without clearing dx first (all
		// the planes at once in assembly where f32 can).
		if d32, ok := any(dx).([]float32); ok && maxPool2x2GradF32Rows(d32[c0*hw:c1*hw],
			any(x).([]float32)[c0*hw:c1*hw], any(g).([]float32)[c0*ohw:c1*ohw], (c1-c0)*p.OH, p.OW, p.W) {
			return
		}
		for c := c0; c < c1; c++ {
			xp, dp, gp := x[c*hw:(c+1)*hw], dx[c*hw:(c+1)*hw], g[c*ohw:(c+1)*ohw]
			for oh := 0; oh < p.OH; oh++ {
				i := 2 * oh * p.W
				for _, v := range gp[oh*p.OW : (oh+1)*p.OW] {
					at := argmax2x2(xp, i, p.W)
					dp[i], dp[i+1], dp[i+p.W], dp[i+p.W+1] = 0, 0, 0, 0
					dp[at] = v
					i += 2
				}
			}
		}
		return
	}
	clear(dx[c0*hw : c1*hw])
	if p.fast2x2() {
		for c := c0; c < c1; c++ {
			xp, dp, gp := x[c*hw:(c+1)*hw], dx[c*hw:(c+1)*hw], g[c*ohw:(c+1)*ohw]
			for oh := 0; oh < p.OH; oh++ {
				base := oh * p.SH * p.W
				grow := gp[oh*p.OW : (oh+1)*p.OW]
				i := base
				for _, v := range grow {
					dp[argmax2x2(xp, i, p.W)] += v
					i += p.SW
				}
			}
		}
		return
	}
	for c := c0; c < c1; c++ {
		xp, dp, gp := x[c*hw:(c+1)*hw], dx[c*hw:(c+1)*hw], g[c*ohw:(c+1)*ohw]
		for oh := 0; oh < p.OH; oh++ {
			for ow := 0; ow < p.OW; ow++ {
				if at := argmax(p, xp, oh, ow); at >= 0 {
					dp[at] += gp[oh*p.OW+ow]
				}
			}
		}
	}
}

// MaxPoolPick computes out [N, C, OH, OW] = h at the first maximum of each
// window of x: the adjoint of MaxPoolGrad in its gradient operand.
func MaxPoolPick[T Float](p *Pool, out, x, h []T) {
	runPlanes(p, planeMaxPick, out, x, h)
}

func maxPoolPickPlanes[T Float](p *Pool, out, x, h []T, c0, c1 int) {
	hw, ohw := p.H*p.W, p.OH*p.OW
	for c := c0; c < c1; c++ {
		xp, hp, op := x[c*hw:(c+1)*hw], h[c*hw:(c+1)*hw], out[c*ohw:(c+1)*ohw]
		for oh := 0; oh < p.OH; oh++ {
			for ow := 0; ow < p.OW; ow++ {
				op[oh*p.OW+ow] = 0
				if at := argmax(p, xp, oh, ow); at >= 0 {
					op[oh*p.OW+ow] = hp[at]
				}
			}
		}
	}
}

// divisor is the number of elements the average of (oh, ow) divides by:
// with IncludePad, the window's part in the padded input [-PH, H+PHE) ×
// [-PW, W+PWE) (PyTorch's and ONNX's rule, which leaves out what a
// ceil_mode window hangs past the padding); else its part in the input. It
// is at least 1.
func (p *Pool) divisor(oh, ow int) int {
	if p.IncludePad {
		h0, w0 := oh*p.SH-p.PH, ow*p.SW-p.PW
		h1, w1 := min(h0+p.KH, p.H+p.PHE), min(w0+p.KW, p.W+p.PWE)
		return max(1, (h1-h0)*(w1-w0))
	}
	h0, h1, w0, w1 := p.window(oh, ow)
	return max(1, max(0, h1-h0)*max(0, w1-w0))
}

// AvgPool computes out = the mean of each window of x.
func AvgPool[T Float](p *Pool, out, x []T) {
	runPlanes(p, planeAvg, out, x, nil)
}

func avgPoolPlanes[T Float](p *Pool, out, x []T, c0, c1 int) {
	hw, ohw := p.H*p.W, p.OH*p.OW
	for c := c0; c < c1; c++ {
		xp, op := x[c*hw:(c+1)*hw], out[c*ohw:(c+1)*ohw]
		for oh := 0; oh < p.OH; oh++ {
			for ow := 0; ow < p.OW; ow++ {
				h0, h1, w0, w1 := p.window(oh, ow)
				var s T
				for h := h0; h < h1; h++ {
					for _, v := range xp[h*p.W+w0 : h*p.W+w1] {
						s += v
					}
				}
				op[oh*p.OW+ow] = s / T(p.divisor(oh, ow))
			}
		}
	}
}

// AvgPoolGrad computes dx, the gradient of AvgPool given the output's
// gradient g: each window's share g/divisor is added to its elements.
func AvgPoolGrad[T Float](p *Pool, dx, g []T) {
	runPlanes(p, planeAvgGrad, dx, g, nil)
}

func avgPoolGradPlanes[T Float](p *Pool, dx, g []T, c0, c1 int) {
	hw, ohw := p.H*p.W, p.OH*p.OW
	clear(dx[c0*hw : c1*hw])
	for c := c0; c < c1; c++ {
		dp, gp := dx[c*hw:(c+1)*hw], g[c*ohw:(c+1)*ohw]
		for oh := 0; oh < p.OH; oh++ {
			for ow := 0; ow < p.OW; ow++ {
				h0, h1, w0, w1 := p.window(oh, ow)
				v := gp[oh*p.OW+ow] / T(p.divisor(oh, ow))
				for h := h0; h < h1; h++ {
					d := dp[h*p.W+w0 : h*p.W+w1]
					for i := range d {
						d[i] += v
					}
				}
			}
		}
	}
}

// The pooling kernels, by the planes they run on.
const (
	planeMax = iota
	planeMaxGrad
	planeMaxPick
	planeAvg
	planeAvgGrad
)

// planeRunner runs one pooling kernel over tasks of whole planes (every
// output element depends on one plane, so the split changes nothing in
// the result).
type planeRunner[T Float] struct {
	p    *Pool
	kind int
	out  []T
	a, b []T // the operands: x and g or h, or g alone
	par  *parFor
}

func (r *planeRunner[T]) task(_, t int) {
	p := r.p
	c0, c1 := t*p.per, min((t+1)*p.per, p.NC)
	switch r.kind {
	case planeMax:
		maxPoolPlanes(p, r.out, r.a, c0, c1)
	case planeMaxGrad:
		maxPoolGradPlanes(p, r.out, r.a, r.b, c0, c1)
	case planeMaxPick:
		maxPoolPickPlanes(p, r.out, r.a, r.b, c0, c1)
	case planeAvg:
		avgPoolPlanes(p, r.out, r.a, c0, c1)
	case planeAvgGrad:
		avgPoolGradPlanes(p, r.out, r.a, c0, c1)
	}
}

// runPlanes runs kernel kind on out and operands a, b: in tasks of planes
// when p has several, else directly.
func runPlanes[T Float](p *Pool, kind int, out, a, b []T) {
	if p.tasks <= 1 {
		r := planeRunner[T]{p: p, kind: kind, out: out, a: a, b: b}
		r.task(0, 0)
		return
	}
	r := planeRunnerOf[T](p)
	r.kind, r.out, r.a, r.b = kind, out, a, b
	r.par.run()
	r.out, r.a, r.b = nil, nil, nil
}

// planeRunnerOf returns p's runner for T, made on first use.
func planeRunnerOf[T Float](p *Pool) *planeRunner[T] {
	var z T
	switch any(z).(type) {
	case float32:
		if p.r32 == nil {
			p.r32 = newPlaneRunner[float32](p)
		}
		return any(p.r32).(*planeRunner[T])
	default:
		if p.r64 == nil {
			p.r64 = newPlaneRunner[float64](p)
		}
		return any(p.r64).(*planeRunner[T])
	}
}

func newPlaneRunner[T Float](p *Pool) *planeRunner[T] {
	r := &planeRunner[T]{p: p}
	r.par = newParFor(p.tasks, r.task)
	return r
}
