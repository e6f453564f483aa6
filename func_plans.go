package nnc

import (
	"fmt"
	"sync/atomic"

	"github.com/nnclang/nnc/runtime"
)

// planLimit is a Func's bound on the plans it keeps (SetMaxPlans) and the
// count of those it dropped.
type planLimit struct {
	max       atomic.Int64
	evictions atomic.Uint64
}

// apply sets the bound on a session about to run.
func (l *planLimit) apply(s *runtime.Session) {
	s.SetPlanLimit(int(l.max.Load()), &l.evictions)
}

// maxPlansLimit bounds SetMaxPlans.
const maxPlansLimit = 1 << 20

// SetMaxPlans bounds the input shapes the Func keeps compiled to n (0: no
// bound, the default). A Func plans each input shape it is called with
// (and an entry lowered per shape, one that unrolls a loop over a shape
// variable, compiles a variant per shape), and keeps the plans and their
// buffers for the next call with that shape; a caller that meets many
// shapes (a server answering requests of any batch size or sequence length)
// would keep them all. With a bound, a call with a new shape first drops
// the least recently used shape's plan: each session (one per call running
// at once) keeps at most n plans, and the Func at most n per-shape
// variants. A dropped shape is planned again when it comes back; results
// are the same. PlanEvictions counts the plans and variants dropped. n must
// be from 0 to 2^20.
func (f *Func) SetMaxPlans(n int) error {
	if !f.ok() {
		return errNoFunc
	}
	if n < 0 || n > maxPlansLimit {
		return fmt.Errorf("nnc: a bound of %d plans: want 0 (no bound) to %d", n, maxPlansLimit)
	}
	f.plans.max.Store(int64(n))
	return nil
}

// PlanEvictions is how many plans and per-shape variants the Func has
// dropped to stay within SetMaxPlans's bound (0 for a nil Func).
func (f *Func) PlanEvictions() uint64 {
	if !f.ok() {
		return 0
	}
	return f.plans.evictions.Load()
}

// evictVariants drops the least recently used per-shape variants until
// there is room for one more under the bound; f.mu is held. A variant
// still compiling is kept (its callers wait for it); calls running a
// dropped variant finish with it.
func (f *Func) evictVariants() {
	n := int(f.plans.max.Load())
	for n > 0 && len(f.cache) >= n {
		var oldest string
		var old *compiled
		for k, c := range f.cache {
			select {
			case <-c.ready:
			default:
				continue
			}
			if old == nil || c.used < old.used {
				oldest, old = k, c
			}
		}
		if old == nil {
			return
		}
		delete(f.cache, oldest)
		f.plans.evictions.Add(1)
	}
}
