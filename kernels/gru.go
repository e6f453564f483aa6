package kernels

// The fused GRU cell: the elementwise tail of one GRU step after the two
// products, forward and backward, one kernel each. With xw = x·W_ih + b_ih
// and hw = h·W_hh + b_hh, both [rows, 3h] in PyTorch's gate order r, z, n:
//
//	r = σ(xr + hr),  z = σ(xz + hz),  n = tanh(xn + r·hn),
//	h' = (1 - z)·n + z·h.
//
// The forward writes five planes [5, rows, h]: h', and what the backward
// reads instead of recomputing it: r, z, n and hn. Rows are independent
// and split into tasks fixed by the shape (results are bitwise the same
// for any number of threads). The activations are SigmoidRow's and
// TanhRow's vector rows and every sum and product is rounded on its own,
// in the order of the formulas: the forward is bitwise the unfused ops'.
// The arithmetic runs on lstm.go's vector rows and chunked temporaries.

// GRUPlanes is the number of [rows, h] planes of GRUCell's result.
const GRUPlanes = 5

// gruWork is the cost of one hidden unit of one row, in parMinWork's units.
const gruWork = 10

// gruScratch is a task's temporaries: two chunks and the constant 1.
const gruScratch = 2*lstmChunk + 1

// GRUCell computes one GRU step: xw and hw [rows, 3h], the previous state
// hp [rows, h]; dst is [5, rows, h]: h', r, z, n, hn.
func GRUCell[T Float](dst, xw, hw, hp []T, rows, h int) {
	runCell(gruBody, gruWork, gruScratch, cellCallOf(CellGRU, dst, rows, h, xw, hw, hp))
}

// GRUCellGrad is GRUCell's backward: from y, GRUCell's result (planes 1 to
// 4 are read), the previous state hp and the incoming gradient g of all
// five planes [5, rows, h], dst [7·rows, h] gets the gradient of xw
// ([rows, 3h]), then of hw (alike), then of hp ([rows, h]). The r and z
// blocks of xw's and hw's gradients are equal and written twice: 2h more
// writes a row, so that each gradient is one run of the result that the
// product behind it reads in place.
func GRUCellGrad[T Float](dst, y, hp, g []T, rows, h int) {
	runCell(gruBody, gruWork, gruScratch, cellCallOf(CellGRUGrad, dst, rows, h, y, hp, g))
}

// GRUCellGradH is GRUCellGrad for the gradient dh [rows, h] of h' alone
// (those of planes 1 to 4 zero).
func GRUCellGradH[T Float](dst, y, hp, dh []T, rows, h int) {
	runCell(gruBody, gruWork, gruScratch, cellCallOf(CellGRUGradH, dst, rows, h, y, hp, dh))
}

// gruRows runs rows [lo, hi) of the forward (k.g all nil; k.a and k.b are
// xw and hw) or the backward (k.a is y; k.g the planes' gradients).
func gruRows[T Float](v lstmVec[T], k *cellCall[T], tmp []T, lo, hi int) {
	if k.g[0] == nil {
		gruForward(v, k.dst, k.a, k.b, k.c, tmp, k.rows, k.h, lo, hi)
	} else {
		gruBackward(v, k.dst, k.a, k.c, k.g, tmp, k.rows, k.h, lo, hi)
	}
}

// gruForward runs rows [lo, hi) of GRUCell.
func gruForward[T Float](v lstmVec[T], dst, xw, hw, hp, tmp []T, rows, h, lo, hi int) {
	plane := rows * h
	one := tmp[2*lstmChunk:]
	one[0] = 1
	for row := lo; row < hi; row++ {
		at := row * h
		p := func(k int) []T { return dst[k*plane+at : k*plane+at+h] }
		h2, r, z, n, hn := p(0), p(1), p(2), p(3), p(4)
		x, w := xw[3*at:3*at+3*h], hw[3*at:3*at+3*h]
		v.add(r, x[:h], w[:h])
		sigmoidRow(r, r)
		v.add(z, x[h:2*h], w[h:2*h])
		sigmoidRow(z, z)
		copy(hn, w[2*h:])
		v.mul(n, r, hn)
		v.add(n, x[2*h:], n)
		tanhRow(n, n)
		hr := hp[at : at+h]
		for j := 0; j < h; j += lstmChunk {
			e := min(j+lstmChunk, h)
			t := tmp[:e-j]
			v.sub(h2[j:e], one, z[j:e])     // 1 - z
			v.mul(h2[j:e], h2[j:e], n[j:e]) // (1 - z)·n
			v.mul(t, z[j:e], hr[j:e])       // z·h
			v.add(h2[j:e], h2[j:e], t)
		}
	}
}

// gruBackward runs rows [lo, hi) of GRUCellGrad: with g0 to g4 the
// gradients of h', r, z, n and hn (nil: zeros),
//
//	dn = g0·(1 - z) + g3,  dxn = dn·(1 - n²),  dhn = dxn·r + g4
//	dr = (dxn·hn + g1)·r·(1 - r),  dz = (g0·(h - n) + g2)·z·(1 - z)
//	dh = g0·z
//
// and dst [7·rows, h] is xw's gradient [rows, 3h] (dr, dz, dxn; as [3·rows,
// h]), then hw's (dr, dz, dhn), then h's [rows, h] (dh): each one run of
// memory, so the step's consumers read them in place.
func gruBackward[T Float](v lstmVec[T], dst, y, hp []T, g [cellMaxPlanes][]T, tmp []T, rows, h, lo, hi int) {
	plane := rows * h
	one := tmp[2*lstmChunk:]
	one[0] = 1
	for row := lo; row < hi; row++ {
		dx, dw := dst[row*3*h:(row+1)*3*h], dst[3*plane+row*3*h:3*plane+(row+1)*3*h]
		dh := dst[6*plane+row*h : 6*plane+(row+1)*h]
		for j := 0; j < h; j += lstmChunk {
			e := min(j+lstmChunk, h)
			at, n := row*h+j, e-j
			q := func(k int) []T { return y[k*plane+at : k*plane+at+n] }
			r, z, nn, hn := q(1), q(2), q(3), q(4)
			var gk [GRUPlanes][]T
			for k, x := range g[:GRUPlanes] {
				if x != nil {
					gk[k] = x[at : at+n]
				}
			}
			t, u := tmp[:n], tmp[lstmChunk:lstmChunk+n]
			blk := func(k int) []T {
				switch {
				case k < 3:
					return dx[k*h+j : k*h+e]
				case k < 6:
					return dw[(k-3)*h+j : (k-3)*h+e]
				}
				return dh[j:e]
			}
			v.mul(blk(6), gk[0], z) // dh
			v.sub(t, one, z)
			v.mul(t, t, gk[0])
			if gk[3] != nil {
				v.add(t, t, gk[3]) // dn
			}
			v.mul(u, nn, nn)
			v.sub(u, one, u)
			v.mul(blk(2), t, u) // dxn
			dxn := blk(2)
			v.mul(blk(5), dxn, r)
			if gk[4] != nil {
				v.add(blk(5), blk(5), gk[4]) // dhn
			}
			v.mul(u, dxn, hn)
			if gk[1] != nil {
				v.add(u, u, gk[1])
			}
			v.mul(u, u, r)
			v.sub(t, one, r)
			v.mul(blk(0), u, t) // dr
			v.sub(u, hp[at:at+n], nn)
			v.mul(u, u, gk[0])
			if gk[2] != nil {
				v.add(u, u, gk[2])
			}
			v.mul(u, u, z)
			v.sub(t, one, z)
			v.mul(blk(1), u, t) // dz
			copy(blk(3), blk(0))
			copy(blk(4), blk(1))
		}
		flushSubnormals(dx) // the gradient vanishing over the steps
		flushSubnormals(dw)
		flushSubnormals(dh)
	}
}
