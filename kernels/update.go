package kernels

import (
	"math"
	"unsafe"
)

// Optimizer updates, one Adam or SGD step over a parameter: adamUpdate and
// sgdUpdate are the definition, one scalar pass each; UpdateTiles, which
// the plans run, computes the same bits with vector rows.

// AdamCoef holds the scalars of one Adam step (see adamUpdate).
type AdamCoef[T Float] struct {
	B1, C1   T // β1 and 1-β1
	B2, C2   T // β2 and 1-β2
	Eps      T
	StepSize T // LR/(1-β1^t)
	BC2Sqrt  T // √(1-β2^t)
	// Decay is the L2 weight decay added to the gradient (L2) or the
	// factor the parameter is scaled by first (Decoupled, AdamW's
	// 1-LR·WeightDecay); unused when neither is set.
	Decay         T
	L2, Decoupled bool
}

// SGDCoef holds the scalars of one SGD-with-momentum step (see sgdUpdate).
type SGDCoef[T Float] struct {
	LR, Momentum T
	// Decay is the L2 weight decay added to the gradient when L2 is set.
	Decay    T
	L2       bool
	Nesterov bool
}

// adamUpdate runs one Adam step over a parameter in one pass: for every
// element it reads p, g, m and v, writes the new moments into m and v and
// the new parameter into dst:
//
//	g' = g + Decay·p                     (L2)
//	m = B1·m + C1·g'
//	v = B2·v + C2·g'²
//	p' = p·Decay (Decoupled), else p
//	dst = p' - StepSize·(m / (√v/BC2Sqrt + Eps))
//
// and, when mask is not nil, dst = dst·mask (a pruned parameter's mask,
// applied after the update). Every operation rounds to T, in the order of
// the unfused graph (train.Adam), so the result is the unfused ops'
// bitwise. dst may alias g or mask.
func adamUpdate[T Float](dst, p, g, m, v, mask []T, c AdamCoef[T]) {
	n := len(dst)
	p, g, m, v = p[:n], g[:n], m[:n], v[:n]
	for i := range dst {
		pi, gi := p[i], g[i]
		if c.L2 {
			gi += T(c.Decay * pi)
		}
		if c.Decoupled {
			pi = T(pi * c.Decay)
		}
		nm := T(c.B1*m[i]) + T(c.C1*gi)
		nv := T(c.B2*v[i]) + T(c.C2*T(gi*gi))
		den := T(T(math.Sqrt(float64(nv)))/c.BC2Sqrt) + c.Eps
		m[i], v[i] = nm, nv
		r := pi - T(c.StepSize*T(nm/den))
		if mask != nil {
			r *= mask[i]
		}
		dst[i] = r
	}
}

// sgdUpdate runs one SGD step with momentum over a parameter in one pass:
// for every element it reads p, g and the momentum buffer buf, writes the
// new buffer into buf and the new parameter into dst:
//
//	d = g + Decay·p                     (L2)
//	buf = Momentum·buf + d
//	d = d + Momentum·buf (Nesterov), else buf
//	dst = p - LR·d
//
// and, when mask is not nil, dst = dst·mask. Every operation rounds to T,
// in the order of the unfused graph (train.SGD), so the result is the
// unfused ops' bitwise. dst may alias g or mask.
func sgdUpdate[T Float](dst, p, g, buf, mask []T, c SGDCoef[T]) {
	n := len(dst)
	p, g, buf = p[:n], g[:n], buf[:n]
	for i := range dst {
		pi, d := p[i], g[i]
		if c.L2 {
			d += T(c.Decay * pi)
		}
		nb := T(c.Momentum*buf[i]) + d
		buf[i] = nb
		if c.Nesterov {
			d += T(c.Momentum * nb)
		} else {
			d = nb
		}
		r := pi - T(c.LR*d)
		if mask != nil {
			r *= mask[i]
		}
		dst[i] = r
	}
}

// UpdateTiles runs the optimizer updates adamUpdate and sgdUpdate compute,
// with the same arithmetic in the same order, as a few vector row
// functions (MulRow, AddRow, SqrtRow...) per tile of FusedTile elements:
// the tile's temporaries stay in the cache and each operation runs in
// vector lanes. It holds the temporaries, so a prepared kernel keeps one
// and calls it without allocating; it is not safe for concurrent use.
type UpdateTiles[T Float] struct {
	t0, t1, t2 []T
	s          [8]T // scalar operands, as one-element rows
	c32        [7]float32
}

// NewUpdateTiles allocates the temporaries.
func NewUpdateTiles[T Float]() *UpdateTiles[T] {
	return &UpdateTiles[T]{t0: make([]T, FusedTile), t1: make([]T, FusedTile), t2: make([]T, FusedTile)}
}

// sc stores v as scalar row i.
func (u *UpdateTiles[T]) sc(i int, v T) []T {
	u.s[i] = v
	return u.s[i : i+1 : i+1]
}

// Adam is adamUpdate (see there); mask may be nil; dst may alias g or
// mask.
func (u *UpdateTiles[T]) Adam(dst, p, g, m, v, mask []T, c AdamCoef[T]) {
	b1, c1, b2, c2 := u.sc(0, c.B1), u.sc(1, c.C1), u.sc(2, c.B2), u.sc(3, c.C2)
	eps, step, bc2, dec := u.sc(4, c.Eps), u.sc(5, c.StepSize), u.sc(6, c.BC2Sqrt), u.sc(7, c.Decay)
	start := 0
	if lanes := adamLanes(); lanes > 0 && sizeOf[T]() == 4 && !c.L2 && !c.Decoupled && mask == nil {
		// float32 without decay or mask: one vector pass over all but the
		// last few elements, the same operations in the same order.
		if start = len(dst) / lanes * lanes; start > 0 {
			for i, x := range [...]T{c.B1, c.C1, c.B2, c.C2, c.Eps, c.StepSize, c.BC2Sqrt} {
				u.c32[i] = float32(x)
			}
			f := func(s []T) *float32 { return (*float32)(unsafe.Pointer(&s[0])) }
			adamOnePass(start, f(dst), f(p), f(g), f(m), f(v), &u.c32)
		}
	}
	for o := start; o < len(dst); o += FusedTile {
		e := min(o+FusedTile, len(dst))
		l := e - o
		t0, t1, t2 := u.t0[:l], u.t1[:l], u.t2[:l]
		pt, gt, mt, vt := p[o:e], g[o:e], m[o:e], v[o:e]
		if c.L2 { // g + Decay·p
			MulRow(t0, pt, dec)
			AddRow(t0, gt, t0)
			gt = t0
		}
		MulRow(t1, mt, b1) // m = B1·m + C1·g
		MulRow(t2, gt, c1)
		AddRow(mt, t1, t2)
		MulRow(t1, gt, gt) // v = B2·v + C2·g²
		MulRow(t1, t1, c2)
		MulRow(t2, vt, b2)
		AddRow(vt, t2, t1)
		SqrtRow(t1, vt) // StepSize · m / (√v/BC2Sqrt + Eps)
		DivRow(t1, t1, bc2)
		AddRow(t1, t1, eps)
		DivRow(t1, mt, t1)
		MulRow(t1, t1, step)
		if c.Decoupled {
			MulRow(t2, pt, dec)
			pt = t2
		}
		u.store(dst[o:e], pt, t1, mask, o, e)
	}
}

// store writes dst = p - step, times mask[o:e] when mask is not nil (step
// is a temporary, overwritten).
func (u *UpdateTiles[T]) store(dst, p, step, mask []T, o, e int) {
	if mask == nil {
		SubRow(dst, p, step)
		return
	}
	SubRow(step, p, step)
	MulRow(dst, step, mask[o:e])
}

// SGD is sgdUpdate (see there); mask may be nil; dst may alias g or mask.
func (u *UpdateTiles[T]) SGD(dst, p, g, buf, mask []T, c SGDCoef[T]) {
	lr, mom, dec := u.sc(0, c.LR), u.sc(1, c.Momentum), u.sc(2, c.Decay)
	for o := 0; o < len(dst); o += FusedTile {
		e := min(o+FusedTile, len(dst))
		l := e - o
		t0, t1, t2 := u.t0[:l], u.t1[:l], u.t2[:l]
		pt, d, bt := p[o:e], g[o:e], buf[o:e]
		if c.L2 { // d = g + Decay·p
			MulRow(t0, pt, dec)
			AddRow(t0, d, t0)
			d = t0
		}
		MulRow(t1, bt, mom) // buf = Momentum·buf + d
		AddRow(bt, t1, d)
		step := bt
		if c.Nesterov { // d + Momentum·buf
			MulRow(t1, bt, mom)
			AddRow(t1, d, t1)
			step = t1
		}
		MulRow(t2, step, lr)
		u.store(dst[o:e], pt, t2, mask, o, e)
	}
}
