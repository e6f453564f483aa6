package kernels

// UpdateTiles runs the optimizer updates AdamUpdate and SGDUpdate compute,
// with the same arithmetic in the same order, as a few vector row
// functions (MulRow, AddRow, SqrtRow...) per tile of FusedTile elements:
// the tile's temporaries stay in the cache and each operation runs in
// vector lanes. It holds the temporaries, so a prepared kernel keeps one
// and calls it without allocating; it is not safe for concurrent use.
type UpdateTiles[T Float] struct {
	t0, t1, t2 []T
	s          [8]T // scalar operands, as one-element rows
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

// Adam is AdamUpdate (see there); dst may alias g.
func (u *UpdateTiles[T]) Adam(dst, p, g, m, v []T, c AdamCoef[T]) {
	b1, c1, b2, c2 := u.sc(0, c.B1), u.sc(1, c.C1), u.sc(2, c.B2), u.sc(3, c.C2)
	eps, step, bc2, dec := u.sc(4, c.Eps), u.sc(5, c.StepSize), u.sc(6, c.BC2Sqrt), u.sc(7, c.Decay)
	for o := 0; o < len(dst); o += FusedTile {
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
		SubRow(dst[o:e], pt, t1)
	}
}

// SGD is SGDUpdate (see there); dst may alias g.
func (u *UpdateTiles[T]) SGD(dst, p, g, buf []T, c SGDCoef[T]) {
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
		SubRow(dst[o:e], pt, t2)
	}
}
