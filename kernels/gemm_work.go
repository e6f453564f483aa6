package kernels

// Workspace is memory that the products of one plan share for their packed
// operands. A plan runs its steps one after another and a product needs its
// packed panels only while it runs, so one buffer, as large as the largest
// product's, serves them all: an unrolled loop's hundreds of products then
// hold the panels of one, not of each (a product whose operand is a param
// packs it into a PackCache instead, kept for the run).
//
// A Workspace is not safe for concurrent use: the products that share it
// must not run at the same time.
type Workspace struct {
	f32 []float32
	f64 []float64
}

// Reserve makes room for n32 float32 and n64 float64 elements now, so that
// the products that take their panels from w allocate nothing when they
// run.
func (w *Workspace) Reserve(n32, n64 int) {
	if n32 > len(w.f32) {
		w.f32 = make([]float32, n32)
	}
	if n64 > len(w.f64) {
		w.f64 = make([]float64, n64)
	}
}

// Len is the elements of each type w holds.
func (w *Workspace) Len() (n32, n64 int) { return len(w.f32), len(w.f64) }

// workspaceBuf returns n elements of T from w, growing it when it holds
// fewer. Its contents are what the last user left.
func workspaceBuf[T Float](w *Workspace, n int) []T {
	var z T
	switch any(z).(type) {
	case float32:
		if n > len(w.f32) {
			w.f32 = make([]float32, n)
		}
		return any(w.f32[:n]).([]T)
	default:
		if n > len(w.f64) {
			w.f64 = make([]float64, n)
		}
		return any(w.f64[:n]).([]T)
	}
}

// SetWorkspace makes the plan take its packing buffers from w when it runs
// (nil: buffers of its own, allocated on its first run unless it has them).
// A plan that shares w packs op(A) and op(B) into w's memory at each run;
// the edge panels' padding, which the packing does not write, is cleared
// first.
func (g *GemmPlan[T]) SetWorkspace(w *Workspace) { g.ws = w }

// packLens are the elements of the packed op(A) and op(B) of a packed
// (not small-M) plan.
func (g *GemmPlan[T]) packLens() (a, b int) {
	return g.mPan*g.mr*g.K*max(g.aCopies, 1) + g.kPartLen, g.nPan * g.nr * g.K * max(g.bCopies, 1)
}

// bindPack gives the plan its packing buffers for one run: its own ones
// (allocated the first time) or, with a workspace, w's memory with the
// padding of the edge panels cleared. A packB already set (a cache's
// panels, RunPacked) is kept. unbindPack undoes a workspace's binding.
func (g *GemmPlan[T]) bindPack() {
	la, lb := g.packLens()
	if g.ws == nil {
		if g.packA == nil {
			g.packA = make([]T, la) // the padding stays zero
		}
		if g.packB == nil {
			g.packB = make([]T, lb)
		}
		return
	}
	if g.ownPack() {
		return
	}
	needB := g.packB == nil
	n := la
	if needB {
		n += lb
	}
	buf := workspaceBuf[T](g.ws, n)
	g.packA = buf[:la:la]
	oneA := (la - g.kPartLen) / max(g.aCopies, 1)
	for c := 0; c < la-g.kPartLen; c += oneA {
		clearEdge(g.packA[c:c+oneA], g.m, g.mr, g.mPan, g.K, g.kc)
	}
	if needB {
		g.packB = buf[la:n:n]
		one := lb / max(g.bCopies, 1)
		for c := 0; c < lb; c += one {
			clearEdge(g.packB[c:c+one], g.n, g.nr, g.nPan, g.K, g.kc)
		}
		g.boundB = true
	}
	g.boundA = true
}

// ownPack reports whether the plan holds packing buffers of its own (made
// before it was given a workspace), which it keeps using.
func (g *GemmPlan[T]) ownPack() bool { return g.packA != nil && !g.boundA }

// unbindPack forgets the workspace's memory after a run.
func (g *GemmPlan[T]) unbindPack() {
	if g.boundA {
		g.packA, g.boundA = nil, false
	}
	if g.boundB {
		g.packB, g.boundB = nil, false
	}
}

// clearEdge zeroes the last panel of every K block of a packed operand of
// rows rows in panels of r (pan of them), when the last is partial: the
// packing writes only its rows. Results do not depend on it (an edge tile
// is computed whole and only its inside written back, so the padding
// reaches only discarded entries), but the padding lanes then compute on
// zeros rather than on another product's values, which may be subnormal
// (microcode assists on some processors).
func clearEdge[T Float](p []T, rows, r, pan, k, kc int) {
	if rows%r == 0 {
		return
	}
	for k0 := 0; k0 < k; k0 += kc {
		kl := min(kc, k-k0)
		clear(p[k0*pan*r+(pan-1)*kl*r:][:kl*r])
	}
}
