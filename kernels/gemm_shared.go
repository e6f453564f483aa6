package kernels

import "unsafe"

// Packed operands shared between products. A weight that several products
// multiply by (a recurrent weight in every step of an unrolled loop, in the
// forward and the backward pass) or that one product multiplies by on every
// run of an inference plan needs packing only once while it does not
// change. A PackCache holds such packed op(B) operands, keyed by where the
// operand's data is and how it is packed, and valid for one generation:
// whoever runs the products calls Invalidate whenever the operands may have
// changed (before each run of a training step, for example), and a product
// run with a cache packs its op(B) only when the cache has no copy of this
// generation.

// PackCache keeps packed op(B) operands of products (see GemmPlan.RunPacked)
// between invalidations. Its entries are allocated by the first product that
// packs each operand in each layout, then reused: a steady run allocates
// nothing. A PackCache must not be used by two goroutines at once.
type PackCache struct {
	gen     uint64
	entries []*packEntry
	packed  int64
	lasting bool
}

// SetLasting says whether the cache is expected to stay valid from one
// run to the next (the params of an inference session that do not
// change). Only then do products that read op(B) in place (small-M
// products of 5 to 8 rows) pack it into the cache, to run faster on the
// packed panels from then on; otherwise they use it only when another
// product has packed it in the same generation.
func (c *PackCache) SetLasting(on bool) { c.lasting = on }

// packEntry is one packed operand: its key, the generation its contents
// belong to, and the buffer ([]float32 or []float64).
type packEntry struct {
	key packKey
	gen uint64
	buf any
}

// packKey says which operand an entry holds and how it is packed.
type packKey struct {
	data      uintptr // the address of op(B)'s first element
	k, n, ldb int
	tb        bool
	kc, nr    int
	kern      string
	size      int
}

// Invalidate marks every packed operand stale: the next product that needs
// one packs it again (into the same buffer).
func (c *PackCache) Invalidate() { c.gen++ }

// Entries is the number of packed operands the cache holds (for tests and
// reports).
func (c *PackCache) Entries() int { return len(c.entries) }

// Packed is the number of times an operand was packed into the cache (a
// product that found its operand current did not pack it).
func (c *PackCache) Packed() int64 { return c.packed }

// entry returns the entry of key, creating it (with a buffer of n
// elements of T) on first use, and whether its contents are current.
func packEntryFor[T Float](c *PackCache, key packKey, n int) ([]T, bool, *packEntry) {
	for _, e := range c.entries {
		if e.key == key {
			return e.buf.([]T), e.gen == c.gen, e
		}
	}
	e := &packEntry{key: key, gen: c.gen - 1, buf: make([]T, n)}
	c.entries = append(c.entries, e)
	return e.buf.([]T), false, e
}

// sharesB says whether the plan can take its packed op(B) from a cache: a
// packed (not small-M) product that is not computed transposed (whose
// op(B) panels are the operand b as given).
func (g *GemmPlan[T]) sharesB() bool {
	return g.sm == nil && !g.swap && g.M > 0 && g.N > 0 && g.K > 0
}

// RunPacked is Run with op(B) taken from, or packed into, cache: b must not
// change until the cache is invalidated. With a nil cache, or for a
// product that packs nothing of b (a product computed transposed, or a
// small-M product of one row block), it is Run. A small-M product of
// several row blocks (5 to 8 rows) runs its 16-column kernels on the
// cached panels, where each strip of op(B) is contiguous for every block.
func (g *GemmPlan[T]) RunPacked(cache *PackCache, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	if cache == nil || alpha == 0 || len(b) == 0 {
		g.Run(alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	if g.sm != nil && len(g.sm.blocks) > 1 && g.serial && alpha == 1 && beta == 0 {
		if cache.lasting || g.cacheCurrent(cache, b, ldb) {
			g.runSmallPacked(cache, a, lda, b, ldb, c, ldc)
		} else {
			g.Run(alpha, a, lda, b, ldb, beta, c, ldc)
		}
		return
	}
	if !g.sharesB() {
		g.Run(alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	buf, ok := g.cacheEntry(cache, b, ldb)
	own := g.packB
	g.packB, g.bPacked, g.bCache = buf, ok, true
	if !ok {
		cache.packed++
	}
	g.Run(alpha, a, lda, b, ldb, beta, c, ldc)
	g.packB, g.bPacked, g.bCache = own, false, false
	g.shared.gen = cache.gen
}

// cacheCurrent reports whether the cache holds b packed as this plan
// packs op(B), for its current generation, without making an entry.
func (g *GemmPlan[T]) cacheCurrent(cache *PackCache, b []T, ldb int) bool {
	key := g.packKey(b, ldb)
	for _, e := range cache.entries {
		if e.key == key {
			return e.gen == cache.gen
		}
	}
	return false
}

func (g *GemmPlan[T]) packKey(b []T, ldb int) packKey {
	return packKey{uintptr(unsafe.Pointer(&b[0])), g.K, g.N, ldb, g.TransB, g.kc, g.nr, g.kern.name, int(sizeOf[T]())}
}

// cacheEntry returns the cache's buffer for b packed as this plan packs
// op(B), and whether it holds b for the cache's current generation.
func (g *GemmPlan[T]) cacheEntry(cache *PackCache, b []T, ldb int) ([]T, bool) {
	key := g.packKey(b, ldb)
	if e := g.shared; e != nil && g.sharedIn == cache && e.key == key {
		return e.buf.([]T), e.gen == cache.gen
	}
	buf, ok, e := packEntryFor[T](cache, key, g.nPan*g.nr*g.K)
	g.shared, g.sharedIn = e, cache
	return buf, ok
}

// runSmallPacked computes C = op(A)·op(B) for a small-M plan of several
// row blocks from op(B)'s packed panels (packing them into the cache when
// it has no current copy), 16 columns at a time: the same kernels, K
// blocks and sums as smallColumns, so the same bits.
func (g *GemmPlan[T]) runSmallPacked(cache *PackCache, a []T, lda int, b []T, ldb int, c []T, ldc int) {
	checkMatrix("c", len(c), g.M, g.N, ldc)
	ar, ac := g.M, g.K
	if g.TransA {
		ar, ac = g.K, g.M
	}
	checkMatrix("a", len(a), ar, ac, lda)
	checkMatrix("b", len(b), g.K, g.N, ldb)
	buf, ok := g.cacheEntry(cache, b, ldb)
	if !ok {
		own := g.packB
		g.packB, g.b, g.ldb = buf, b, ldb
		for j := range g.nPan {
			g.packBPanel(g.packB, j)
		}
		g.packB, g.b = own, nil
		cache.packed++
		g.shared.gen = cache.gen
	}
	sm := g.sm
	rs, ks := lda, 1
	if g.TransA {
		rs, ks = 1, lda
	}
	nr := g.nr
	for j0 := 0; j0 < g.N; j0 += 16 {
		jp, jo := j0/nr, j0%nr // the panel and the column in it
		for k0 := 0; k0 < g.K; k0 += g.kc {
			kl := min(g.kc, g.K-k0)
			acc := 1
			if k0 == 0 {
				acc = 0
			}
			pb := &buf[k0*g.nPan*nr+jp*kl*nr+jo]
			for _, blk := range sm.narrow {
				ap, cp := &a[blk.r0*rs+k0*ks], &c[blk.r0*ldc+j0]
				if j0+16 <= g.N {
					blk.fn(kl, ap, rs, ks, pb, nr, cp, ldc, acc)
				} else {
					blk.mfn(kl, ap, rs, ks, pb, nr, cp, ldc, acc, &sm.pmask[0])
				}
			}
		}
	}
}
