package train

import (
	"cmp"
	"fmt"
	"math"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/tensor"
)

// Prune is gradual magnitude pruning (Zhu & Gupta, "To prune, or not to
// prune", 2017). Every pruned parameter p has a mask, the state
// MaskState(p) (ones at first), and the step graph multiplies p's new value
// by it, so a pruned weight stays zero whatever the optimizer does. After
// steps Start, Start+Every, ... and End (t counting parameter updates),
// Apply recomputes the masks for the target sparsity
//
//	s(t) = Sparsity·(1 - (1 - (t-Start)/(End-Start))³)    (Sparsity from End on)
//
// pruning the round(s·n) weights of smallest magnitude (Python's round,
// half to even, as torch.nn.utils.prune counts them) among the n of a
// parameter (Scope "layer") or of all the pruned parameters together
// ("global"), and zeroes them. Ties go to the weights already pruned, then
// to the lower index (a parameter's elements in row-major order; for
// "global", the parameters in the order of their paths), so the pruned set
// only grows. The parameters pruned are those Params selects (path.Match
// patterns, see Group), by default every parameter of two or more
// dimensions (weights, not biases or normalization scales).
type Prune struct {
	Sparsity          float64
	Start, End, Every int64
	Scope             string
	Params            []string

	names []string // the pruned parameters, sorted; set by the build
}

// The scopes of Prune.
const (
	ScopeLayer  = "layer"
	ScopeGlobal = "global"
)

// MaskState is the name of the pruning mask of the parameter at path p.
func MaskState(p string) string { return p + "/prune.mask" }

// maskState declares p's mask in b.
func maskState(b *ops.Builder, p *ops.Node) *ops.Node {
	return b.State(MaskState(p.Name()), p.Type, ops.Attrs{"init": "ones"})
}

// Check reports settings Prune cannot work with.
func (pr *Prune) Check() error {
	switch {
	case !(pr.Sparsity > 0 && pr.Sparsity < 1):
		return settingErr("prune", "sparsity must be in (0, 1), got %v", pr.Sparsity)
	case pr.Start < 0 || pr.End < pr.Start:
		return settingErr("prune", "want 0 <= start <= end (steps), got start %d, end %d", pr.Start, pr.End)
	case pr.Every < 1:
		return settingErr("prune", "every must be a positive number of steps, got %d", pr.Every)
	case pr.Scope != "" && pr.Scope != ScopeLayer && pr.Scope != ScopeGlobal:
		return settingErr("prune", "scope must be %q or %q, got %q", ScopeLayer, ScopeGlobal, pr.Scope)
	}
	for _, p := range pr.Params {
		if _, err := path.Match(p, ""); err != nil || p == "" {
			return settingErr("prune", "params: %q is not a pattern", p)
		}
	}
	return nil
}

// prunes reports whether pr prunes parameter p.
func (pr *Prune) prunes(p *ops.Node) bool {
	if pr.Params == nil {
		return p.Type.Shape.Rank() >= 2
	}
	for _, pat := range pr.Params {
		if ok, _ := path.Match(pat, p.Name()); ok {
			return true
		}
	}
	return false
}

// selects records the parameters pr prunes among params; none is an error.
func (pr *Prune) selects(params []*ops.Node) error {
	pr.names = pr.names[:0]
	var all []string
	for _, p := range params {
		all = append(all, p.Name())
		if pr.prunes(p) {
			pr.names = append(pr.names, p.Name())
		}
	}
	sort.Strings(pr.names)
	if len(pr.names) == 0 {
		what := "no parameter has two or more dimensions"
		if pr.Params != nil {
			what = "params " + strings.Join(pr.Params, ", ") + " match no parameter"
		}
		return settingErr("prune", "%s (the parameters: %s)", what, strings.Join(all, ", "))
	}
	return nil
}

// Pruned lists the paths of the pruned parameters (after the step was
// built), sorted.
func (pr *Prune) Pruned() []string { return slices.Clone(pr.names) }

// maskUpdates multiplies the new value of every pruned parameter by its
// mask.
func (pr *Prune) maskUpdates(b *ops.Builder, params []*ops.Node) {
	for _, p := range params {
		if !pr.prunes(p) {
			continue
		}
		if i := updateOf(b.G, p); i >= 0 {
			b.G.Updates[i].Value = b.Mul(b.G.Updates[i].Value, maskState(b, p))
		}
	}
}

// Target is the sparsity the masks have after step t.
func (pr *Prune) Target(t int64) float64 {
	switch {
	case t < pr.Start:
		return 0
	case t >= pr.End:
		return pr.Sparsity
	}
	r := 1 - float64(t-pr.Start)/float64(pr.End-pr.Start)
	return pr.Sparsity * (1 - r*r*r)
}

// Due reports whether the masks are recomputed after step t.
func (pr *Prune) Due(t int64) bool {
	return t >= pr.Start && t <= pr.End && ((t-pr.Start)%pr.Every == 0 || t == pr.End)
}

// Apply recomputes the masks in store after step t when Due(t): it sets
// each pruned parameter's mask and zeroes the pruned weights, in the
// parameter and in its moving average when there is one. It reports
// whether it did.
func (pr *Prune) Apply(store *runtime.Store, t int64) (bool, error) {
	if !pr.Due(t) {
		return false, nil
	}
	ws := make([]*tensor.Tensor, len(pr.names))
	ms := make([]*tensor.Tensor, len(pr.names))
	for i, name := range pr.names {
		ws[i], ms[i] = store.Get(name), store.Get(MaskState(name))
		if ws[i] == nil || ms[i] == nil || ws[i].Len() != ms[i].Len() {
			return false, fmt.Errorf("train: the store has no parameter %s with its mask %s", name, MaskState(name))
		}
	}
	s := pr.Target(t)
	if pr.Scope == ScopeGlobal {
		MagnitudeMasks(ws, ms, s)
	} else {
		for i := range ws {
			MagnitudeMasks(ws[i:i+1], ms[i:i+1], s)
		}
	}
	for i, name := range pr.names {
		applyMask(ws[i], ms[i])
		if a := store.Get(EMAState(name)); a != nil && a.Len() == ms[i].Len() {
			applyMask(a, ms[i])
		}
	}
	return true, nil
}

// MagnitudeMasks sets masks (each of its weight's length, holding 0 where
// a weight is already pruned) to prune the round(s·n) weights of smallest
// magnitude among the n of weights together: 0 there, 1 elsewhere. Ties
// go to weights already pruned, then to the lower position (weights in
// order, each in row-major order). A NaN weight counts as the smallest.
func MagnitudeMasks(weights, masks []*tensor.Tensor, s float64) {
	n := 0
	for _, w := range weights {
		n += w.Len()
	}
	type entry struct {
		mag    float64
		kept   bool // not yet pruned
		tensor int
		index  int
	}
	es := make([]entry, 0, n)
	for t, w := range weights {
		for i := range w.Len() {
			es = append(es, entry{math.Abs(w.At(i)), masks[t].At(i) != 0, t, i})
		}
	}
	k := int(math.RoundToEven(s * float64(n)))
	k = min(max(k, 0), n)
	slices.SortFunc(es, func(a, b entry) int {
		if c := cmp.Compare(a.mag, b.mag); c != 0 {
			return c
		}
		if a.kept != b.kept {
			if a.kept {
				return 1
			}
			return -1
		}
		if a.tensor != b.tensor {
			return a.tensor - b.tensor
		}
		return a.index - b.index
	})
	for j, e := range es {
		v := 1.0
		if j < k {
			v = 0
		}
		masks[e.tensor].Set(e.index, v)
	}
}

// applyMask multiplies w by m elementwise.
func applyMask(w, m *tensor.Tensor) {
	for i := range w.Len() {
		if m.At(i) == 0 {
			w.Set(i, 0)
		}
	}
}

// Sparsity is the fraction of t's elements that are zero (0 for an empty
// tensor).
func Sparsity(t *tensor.Tensor) float64 {
	if t.Len() == 0 {
		return 0
	}
	z := 0
	for i := range t.Len() {
		if t.At(i) == 0 {
			z++
		}
	}
	return float64(z) / float64(t.Len())
}
