package kernels

import "math"

// Pool3D is a prepared pooling of x [N, C, D, H, W] over windows K with
// strides S, dilations Dil, padding Lo before and Hi after each spatial axis,
// giving [N, C, Out...] (PyTorch's max_pool3d and avg_pool3d, ONNX's MaxPool
// and AveragePool with three spatial axes). Each array is [depth, height,
// width]; a 2-D pooling is the case In[0] = K[0] = Out[0] = 1 (ops runs 2-D
// average pooling with dilations so). The caller fixes Out (ceil_mode may
// make it one larger than the floor rule). The rules are Pool's: padding
// never wins a maximum, the first maximum in row-major order wins (NaN
// first), a window that sees no input element gives -Inf and passes no
// gradient; an average divides by the number of its taps within the input,
// or with IncludePad within [-Lo, In+Hi) (the padded input).
type Pool3D struct {
	NC         int
	In, K, S   [3]int
	Lo, Hi     [3]int
	Dil, Out   [3]int
	IncludePad bool
}

// span is the taps of one window along one axis: the first input index,
// their count, and the count of taps inside the padded input.
type span struct{ first, n, padded int }

func (p *Pool3D) span(a, o int) span {
	s := o*p.S[a] - p.Lo[a]
	first, n := taps(s, p.K[a], p.Dil[a], p.In[a])
	_, padded := taps(s+p.Lo[a], p.K[a], p.Dil[a], p.In[a]+p.Lo[a]+p.Hi[a])
	return span{first, n, padded}
}

// each calls f for each output position of one plane with its flat index
// and spans.
func (p *Pool3D) each(f func(o int, sd, sh, sw span)) {
	o := 0
	for od := 0; od < p.Out[0]; od++ {
		sd := p.span(0, od)
		for oh := 0; oh < p.Out[1]; oh++ {
			sh := p.span(1, oh)
			for ow := 0; ow < p.Out[2]; ow++ {
				f(o, sd, sh, p.span(2, ow))
				o++
			}
		}
	}
}

// visit calls f with the flat in-plane index of each tap of a window.
func (p *Pool3D) visit(sd, sh, sw span, f func(i int)) {
	hw := p.In[1] * p.In[2]
	for i, d := 0, sd.first; i < sd.n; i, d = i+1, d+p.Dil[0] {
		for j, h := 0, sh.first; j < sh.n; j, h = j+1, h+p.Dil[1] {
			row := d*hw + h*p.In[2]
			for k, w := 0, sw.first; k < sw.n; k, w = k+1, w+p.Dil[2] {
				f(row + w)
			}
		}
	}
}

func (p *Pool3D) planes() (sp, osp int) {
	return p.In[0] * p.In[1] * p.In[2], p.Out[0] * p.Out[1] * p.Out[2]
}

// argmax3 is the in-plane index of the first maximum of a window (NaN
// wins), or -1 when the window sees no input element.
func argmax3[T Float](p *Pool3D, xp []T, sd, sh, sw span) int {
	best, at := T(math.Inf(-1)), -1
	p.visit(sd, sh, sw, func(i int) {
		if at >= 0 && (best != best) {
			return
		}
		if v := xp[i]; at < 0 || v > best || v != v {
			best, at = v, i
		}
	})
	return at
}

// MaxPool3D computes out = the maximum of each window of x.
func MaxPool3D[T Float](p *Pool3D, out, x []T) {
	sp, osp := p.planes()
	for c := 0; c < p.NC; c++ {
		xp, op := x[c*sp:(c+1)*sp], out[c*osp:(c+1)*osp]
		p.each(func(o int, sd, sh, sw span) {
			op[o] = T(math.Inf(-1))
			if i := argmax3(p, xp, sd, sh, sw); i >= 0 {
				op[o] = xp[i]
			}
		})
	}
}

// MaxPool3DGrad computes dx, the gradient of MaxPool3D(x) given its
// result's gradient g: each window's g goes to its first maximum.
func MaxPool3DGrad[T Float](p *Pool3D, dx, x, g []T) {
	sp, osp := p.planes()
	clear(dx)
	for c := 0; c < p.NC; c++ {
		xp, dp, gp := x[c*sp:(c+1)*sp], dx[c*sp:(c+1)*sp], g[c*osp:(c+1)*osp]
		p.each(func(o int, sd, sh, sw span) {
			if i := argmax3(p, xp, sd, sh, sw); i >= 0 {
				dp[i] += gp[o]
			}
		})
	}
}

// MaxPool3DPick computes out (pooled-shaped) = h (shaped as x) read at the
// first maximum of each window of x, 0 where a window sees no element.
func MaxPool3DPick[T Float](p *Pool3D, out, x, h []T) {
	sp, osp := p.planes()
	for c := 0; c < p.NC; c++ {
		xp, hp, op := x[c*sp:(c+1)*sp], h[c*sp:(c+1)*sp], out[c*osp:(c+1)*osp]
		p.each(func(o int, sd, sh, sw span) {
			op[o] = 0
			if i := argmax3(p, xp, sd, sh, sw); i >= 0 {
				op[o] = hp[i]
			}
		})
	}
}

func (p *Pool3D) divisor(sd, sh, sw span) int {
	if p.IncludePad {
		return max(1, sd.padded*sh.padded*sw.padded)
	}
	return max(1, sd.n*sh.n*sw.n)
}

// AvgPool3D computes out = the mean of each window of x.
func AvgPool3D[T Float](p *Pool3D, out, x []T) {
	sp, osp := p.planes()
	for c := 0; c < p.NC; c++ {
		xp, op := x[c*sp:(c+1)*sp], out[c*osp:(c+1)*osp]
		p.each(func(o int, sd, sh, sw span) {
			var s T
			p.visit(sd, sh, sw, func(i int) { s += xp[i] })
			op[o] = s / T(p.divisor(sd, sh, sw))
		})
	}
}

// AvgPool3DGrad computes dx, the gradient of AvgPool3D given its result's
// gradient g: each window's share g/divisor is added to its taps.
func AvgPool3DGrad[T Float](p *Pool3D, dx, g []T) {
	sp, osp := p.planes()
	clear(dx)
	for c := 0; c < p.NC; c++ {
		dp, gp := dx[c*sp:(c+1)*sp], g[c*osp:(c+1)*osp]
		p.each(func(o int, sd, sh, sw span) {
			v := gp[o] / T(p.divisor(sd, sh, sw))
			p.visit(sd, sh, sw, func(i int) { dp[i] += v })
		})
	}
}
