package kernels

// The blocks of C: a task computes its panels of A by its panels of B
// over its steps of K with the microkernels (and the edge tiles through
// a scratch tile).

// computeBlock computes the C tiles of block bi of A's panels by block bj
// of B's (blockSpan) over all of K.
func (g *GemmPlan[T]) computeBlock(bi, bj int, tile, pa0, pb0 []T) {
	ip0, ip1 := blockSpan(bi, g.mBlk, g.mPan)
	jp0, jp1 := blockSpan(bj, g.nBlk, g.nPan)
	g.computeRange(gemmRange[T]{ip0: ip0, ip1: ip1, jp0: jp0, jp1: jp1, k0: 0, k1: g.K, c: g.c, ldc: g.ldc, beta: g.beta,
		packA: g.rowTasks, packB: g.colTasks && !g.bPacked}, tile, pa0, pb0)
}

// gemmRange is what one call of computeRange computes: the C tiles of
// panels [ip0, ip1) of A by [jp0, jp1) of B over the steps [k0, k1) of K
// (whole K blocks) into c (leading dimension ldc), scaled by beta first;
// packA and packB say whether it packs those panels of A and of B itself
// (the task's own).
type gemmRange[T Float] struct {
	ip0, ip1, jp0, jp1, k0, k1 int
	c                          []T
	ldc                        int
	beta                       T
	packA, packB               bool
}

// computeRange computes r with the edge tile scratch tile and the packed
// operands pa0 and pb0.
func (g *GemmPlan[T]) computeRange(r gemmRange[T], tile, pa0, pb0 []T) {
	mr, nr, c, ldc, fn := g.mr, g.nr, r.c, r.ldc, g.kern.fn
	ip0, ip1, jp0, jp1 := r.ip0, r.ip1, r.jp0, r.jp1
	if r.beta != 0 && r.beta != 1 {
		i0, i1, j0, j1 := ip0*mr, min(ip1*mr, g.m), jp0*nr, min(jp1*nr, g.n)
		if g.swap {
			i0, i1, j0, j1 = j0, j1, i0, i1
		}
		scaleBlock(c, ldc, i0, i1, j0, j1, r.beta)
	}
	for k0 := r.k0; k0 < r.k1; k0 += g.kc {
		kl := min(g.kc, g.K-k0)
		acc := 1
		if k0 == r.k0 && r.beta == 0 {
			acc = 0
		}
		if r.packA { // this task's panels of A are its own to pack
			for ip := ip0; ip < ip1; ip++ {
				if g.directA && g.kern.unpackedFor(min(mr, g.m-ip*mr)) != nil {
					continue // read in place below
				}
				g.packAPanel(pa0, ip, k0)
			}
		}
		if r.packB { // and here those of B
			g.packBBlock(pb0, jp0, jp1, k0)
		}
		pa := pa0[k0*g.mPan*mr:]
		pb := pb0[k0*g.nPan*nr:]
		for ip := ip0; ip < ip1; ip++ {
			ap := &pa[ip*kl*mr]
			i0 := ip * mr
			rows := min(mr, g.m-i0)
			kfn, kr := fn, mr
			if rows < mr {
				kfn, kr = g.kern.edgeFor(rows)
			}
			var ufn func(k int, a *T, lda int, b, c *T, ldc int, acc int)
			if g.directA {
				if ufn = g.kern.unpackedFor(rows); ufn != nil {
					ap, kr = &g.a[i0*g.lda+k0], rows
				}
			}
			for jp := jp0; jp < jp1; jp++ {
				bp := &pb[jp*kl*nr]
				j0 := jp * nr
				cols := min(nr, g.n-j0)
				if rows == kr && cols == nr && !g.swap {
					if ufn != nil {
						ufn(kl, ap, g.lda, bp, &c[i0*ldc+j0], ldc, acc)
					} else {
						kfn(kl, ap, bp, &c[i0*ldc+j0], ldc, acc)
					}
					continue
				}
				// An edge tile: compute its kr rows, write back its inside.
				if ufn != nil {
					ufn(kl, ap, g.lda, bp, &tile[0], nr, 0)
				} else {
					kfn(kl, ap, bp, &tile[0], nr, 0)
				}
				if g.swap { // the tile is of Cᵀ: rows i0… are columns of C
					for j := range cols {
						dst := c[(j0+j)*ldc+i0:][:rows]
						src := tile[j:]
						if acc == 0 {
							for r := range dst {
								dst[r] = src[r*nr]
							}
						} else {
							for r := range dst {
								dst[r] += src[r*nr]
							}
						}
					}
					continue
				}
				for r := range rows {
					dst := c[(i0+r)*ldc+j0:][:cols]
					src := tile[r*nr:][:cols]
					if acc == 0 {
						copy(dst, src)
					} else {
						for j, v := range src {
							dst[j] += v
						}
					}
				}
			}
		}
	}
}

// scaleBlock multiplies rows [i0, i1) and columns [j0, j1) of c by beta
// (stores zeros when beta is 0, whatever c held).
func scaleBlock[T Float](c []T, ldc, i0, i1, j0, j1 int, beta T) {
	if beta == 1 {
		return
	}
	for i := i0; i < i1; i++ {
		row := c[i*ldc+j0 : i*ldc+j1]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}
