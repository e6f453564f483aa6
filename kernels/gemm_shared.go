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
}

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
// product that packs nothing of b (a small-M product, or one computed
// transposed), it is Run.
func (g *GemmPlan[T]) RunPacked(cache *PackCache, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	if cache == nil || !g.sharesB() || alpha == 0 || len(b) == 0 {
		g.Run(alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	key := packKey{uintptr(unsafe.Pointer(&b[0])), g.K, g.N, ldb, g.TransB, g.kc, g.nr, g.kern.name, int(sizeOf[T]())}
	var buf []T
	var ok bool
	if e := g.shared; e != nil && g.sharedIn == cache && e.key == key {
		buf, ok = e.buf.([]T), e.gen == cache.gen
	} else {
		buf, ok, g.shared = packEntryFor[T](cache, key, g.nPan*g.nr*g.K)
		g.sharedIn = cache
	}
	own := g.packB
	g.packB, g.bPacked = buf, ok
	if !ok {
		cache.packed++
	}
	g.Run(alpha, a, lda, b, ldb, beta, c, ldc)
	g.packB, g.bPacked = own, false
	g.shared.gen = cache.gen
}
