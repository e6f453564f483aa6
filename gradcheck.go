package nnc

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"

	"github.com/nnclang/nnc/autodiff"
	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/tensor"
)

// GradCheckOptions say how GradCheck runs. The zero value of a field means
// "not given" and takes the default said with it; a value no setting can
// take (a negative, NaN or infinite Eps or Tol, a negative size in Shapes)
// is an error.
type GradCheckOptions struct {
	// Inputs are values for the entry's inputs by name; the others are
	// drawn at random: floats from normal(0, 1), integers from {0, 1}.
	// Each must be a well-formed tensor of the input's type.
	Inputs map[string]*Tensor
	// Shapes gives the sizes of shape variables for random inputs; a
	// variable not given is 3. Every name must be a shape variable of the
	// entry's inputs, and agree with the given Inputs.
	Shapes map[string]int
	// Seed drives the random inputs, the random output weights and the
	// sampled elements.
	Seed uint64
	// Eps is the central-difference step (0: 1e-5; the check runs in f64).
	Eps float64
	// Tol is the largest accepted relative error (0: 1e-5).
	Tol float64
	// Samples is the number of elements checked per input or parameter,
	// drawn at random without repetition (0: 64; negative: all).
	Samples int
}

// check validates the options and fills in the defaults.
func (o *GradCheckOptions) check() error {
	for _, v := range []struct {
		name string
		x    *float64
	}{{"Eps", &o.Eps}, {"Tol", &o.Tol}} {
		if math.IsNaN(*v.x) || math.IsInf(*v.x, 0) || *v.x < 0 {
			return fmt.Errorf("gradcheck: GradCheckOptions.%s is %v: want a positive, finite number (0: the default 1e-5)", v.name, *v.x)
		}
		if *v.x == 0 {
			*v.x = 1e-5
		}
	}
	if o.Samples == 0 {
		o.Samples = 64
	}
	for _, k := range slices.Sorted(maps.Keys(o.Shapes)) {
		if o.Shapes[k] < 0 {
			return fmt.Errorf("gradcheck: GradCheckOptions.Shapes gives %s = %d: want a size from 0", k, o.Shapes[k])
		}
	}
	return nil
}

// GradCheckItem is the check of the gradient with respect to one input or
// parameter.
type GradCheckItem struct {
	Name    string `json:"name"`
	Kind    string `json:"kind"` // "input" or "param"
	Type    string `json:"type"`
	Checked int    `json:"checked"` // elements compared
	// MaxRelErr is the worst relative error over the checked elements:
	// |a - n| / max(|a|, |n|, 1e-3·max|n| + 1e-8) for analytic a and
	// numeric n, so that elements near zero are measured against the
	// tensor's scale.
	MaxRelErr float64 `json:"max_rel_err"`
	At        int     `json:"at"` // flat index of the worst element
	Analytic  float64 `json:"analytic"`
	Numeric   float64 `json:"numeric"`
}

// GradCheckReport is the outcome of GradCheck.
type GradCheckReport struct {
	Entry  string          `json:"entry"`
	Eps    float64         `json:"eps"`
	Tol    float64         `json:"tol"`
	OK     bool            `json:"ok"`
	Checks []GradCheckItem `json:"checks"`
}

// Worst returns the item with the largest relative error (nil when there
// is nothing to check, or for a nil report).
func (r *GradCheckReport) Worst() *GradCheckItem {
	if r == nil {
		return nil
	}
	var w *GradCheckItem
	for i := range r.Checks {
		if w == nil || r.Checks[i].MaxRelErr > w.MaxRelErr || math.IsNaN(r.Checks[i].MaxRelErr) {
			w = &r.Checks[i]
		}
	}
	return w
}

// gradWrt is one float input or parameter GradCheck differentiates by.
type gradWrt struct {
	node *ops.Node
	name string
	kind string
	typ  ops.Type
}

// gradDraw is a random tensor GradCheck draws once the memory is checked.
type gradDraw struct {
	name  string
	dt    ops.DType
	shape []int
}

// GradCheck checks the entry's gradient numerically: the entry's graph is
// rebuilt in f64, its outputs are contracted with fixed random weights into
// a scalar (a scalar output is used as it is), and the gradient with respect
// to every float input and parameter, built by autodiff, is compared with
// central differences at sampled elements. Custom gradients are checked
// like any other. Parameters are the Func's current values, copied when the
// check starts (parameter writes wait for the copy, runs proceed). An entry
// that unrolls over a shape variable is checked for the sizes given by
// opts.Inputs and opts.Shapes (3 for the others).
func (f *Func) GradCheck(opts GradCheckOptions) (rep *GradCheckReport, err error) {
	defer recoverInternal(&err)
	if !f.ok() {
		return nil, errNoFunc
	}
	if err := opts.check(); err != nil {
		return nil, err
	}
	low, env, err := f.gradcheckLowering(opts)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(opts.Seed, 0x6772616463686b))
	b := ops.NewBuilder()
	m, err := promote(b, low.B.G)
	if err != nil {
		return nil, fmt.Errorf("gradcheck %s: %v", f.entry, err)
	}
	vals := map[string]*tensor.Tensor{}
	// Random values are drawn, in this order, once the memory is checked.
	var draws []gradDraw
	for _, n := range low.Inputs {
		if t, ok := opts.Inputs[n.Name()]; ok {
			vals[n.Name()] = toF64(t)
			continue
		}
		shape, err := n.Type.Shape.Eval(env)
		if err != nil {
			return nil, fmt.Errorf("gradcheck: input %s: %v", n.Name(), err)
		}
		if err := runtime.CheckShape(m[n.ID].Type.DType, shape); err != nil {
			return nil, fmt.Errorf("gradcheck: input %s: %v", n.Name(), err)
		}
		draws = append(draws, gradDraw{n.Name(), m[n.ID].Type.DType, shape})
	}
	err = f.readParams(func(store *runtime.Store) error {
		for _, n := range append(append([]*ops.Node(nil), low.Params...), low.States...) {
			t := store.Get(n.Name())
			if t == nil {
				return fmt.Errorf("gradcheck: %s has no value", n.Name())
			}
			vals[n.Name()] = toF64(t)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	y, draws, err := f.gradcheckScalar(b, low, m, env, draws)
	if err != nil {
		return nil, err
	}
	var xs []gradWrt
	for _, n := range low.Inputs {
		if n.Type.DType.IsFloat() {
			xs = append(xs, gradWrt{m[n.ID], n.Name(), "input", n.Type})
		}
	}
	for _, n := range low.Params {
		if n.Type.DType.IsFloat() {
			xs = append(xs, gradWrt{m[n.ID], n.Name(), "param", n.Type})
		}
	}
	nodes := make([]*ops.Node, len(xs))
	for i, x := range xs {
		nodes[i] = x.node
	}
	grads, err := autodiff.Grad(b, y, nodes)
	if err != nil {
		return nil, fmt.Errorf("gradcheck %s: %v", f.entry, err)
	}
	b.Output("y", y)
	for i, g := range grads {
		b.Output(xs[i].name, g)
	}
	// The reference interpreter keeps every value: refuse, before anything
	// large is allocated, a check that would not fit the memory limit.
	var drawn int64
	for _, d := range draws {
		_, n, _ := runtime.ShapeBytes(d.dt, d.shape) // checked when listed
		drawn = min(drawn+n, math.MaxInt64/2)
	}
	if err := gradcheckMemory(b.G, env, drawn); err != nil {
		return nil, fmt.Errorf("gradcheck %s: %w", f.entry, err)
	}
	for _, d := range draws {
		vals[d.name] = randomTensor(rng, d.dt, d.shape)
	}
	all, err := ops.Evaluate(b.G, vals, &ops.Ctx{})
	if err != nil {
		return nil, fmt.Errorf("gradcheck %s: %v", f.entry, err)
	}
	eval := scalarEval(b.G, y, vals)
	rep = &GradCheckReport{Entry: f.entry, Eps: opts.Eps, Tol: opts.Tol, OK: true}
	for i, x := range xs {
		item, err := checkOne(rng, x, vals[x.name], all[grads[i]].F64, opts, eval)
		if err != nil {
			return nil, err
		}
		if !(item.MaxRelErr <= opts.Tol) {
			rep.OK = false
		}
		rep.Checks = append(rep.Checks, item)
	}
	return rep, nil
}

// scalarEval returns a function that computes y, of graph g, from the
// values in vals (read at each call, so that finite differences can change
// them in place), through a session that runs y alone.
func scalarEval(g *ops.Graph, y *ops.Node, vals map[string]*tensor.Tensor) func() (float64, error) {
	yg := &ops.Graph{Nodes: g.Nodes, Outputs: []ops.Output{{Name: "y", Node: y}}}
	store := runtime.NewStore()
	var inputs []*tensor.Tensor
	for _, n := range yg.Inputs() {
		inputs = append(inputs, vals[n.Name()])
	}
	for _, n := range append(yg.Params(), yg.States()...) {
		store.Set(n.Name(), vals[n.Name()])
	}
	sess := runtime.NewSession(yg, store)
	return func() (float64, error) {
		out, err := sess.Run(0, inputs...)
		if err != nil {
			return 0, err
		}
		return out[0].F64[0], nil
	}
}

// gradcheckLowering validates opts.Inputs and opts.Shapes against the
// entry's inputs and binds every shape variable: from the given inputs,
// then from Shapes, then 3. It returns the lowering to check: the Func's
// own, or, for an entry that unrolls over a shape variable, one lowered for
// those sizes.
func (f *Func) gradcheckLowering(opts GradCheckOptions) (*lang.Lowered, map[string]int64, error) {
	// The inputs with their declared types, shape variables and all.
	sig := f.low.Inputs
	if f.perShape {
		sb := ops.NewBuilder()
		sig = make([]*ops.Node, len(f.sig))
		for i, a := range f.sig {
			sig[i] = sb.Input(a.Name, a.Type)
		}
	}
	var names []string
	var types []ops.Type
	for _, n := range sig {
		names = append(names, n.Name())
		types = append(types, n.Type)
	}
	vars := typeVars(types...)
	for _, name := range slices.Sorted(maps.Keys(opts.Inputs)) {
		if !slices.Contains(names, name) {
			return nil, nil, fmt.Errorf("gradcheck: %s has no input %q (inputs: %s)", f.entry, name, strings.Join(names, ", "))
		}
		if err := checkTensor("input", name, opts.Inputs[name]); err != nil {
			return nil, nil, fmt.Errorf("gradcheck: %w", err)
		}
	}
	// Given inputs bind shape variables first; random ones use them.
	var given []*ops.Node
	var givenVals []*tensor.Tensor
	for _, n := range sig {
		if t, ok := opts.Inputs[n.Name()]; ok {
			given = append(given, n)
			givenVals = append(givenVals, t)
		}
	}
	env := map[string]int64{}
	if len(given) > 0 {
		bound, err := ops.BindShapes(given, givenVals)
		if err != nil {
			return nil, nil, fmt.Errorf("gradcheck: %v", err)
		}
		env = bound
	}
	for _, k := range slices.Sorted(maps.Keys(opts.Shapes)) {
		v := int64(opts.Shapes[k])
		if !slices.Contains(vars, k) {
			return nil, nil, fmt.Errorf("gradcheck: GradCheckOptions.Shapes gives %s, which is no shape variable of %s's inputs (%s)", k, f.entry, varList(vars))
		}
		if have, ok := env[k]; ok && have != v {
			return nil, nil, fmt.Errorf("gradcheck: GradCheckOptions.Shapes gives %s = %d, but the given inputs have %s = %d", k, v, k, have)
		}
		env[k] = v
	}
	for _, v := range vars {
		if _, ok := env[v]; !ok {
			env[v] = 3
		}
	}
	if !f.perShape {
		return f.low, env, nil
	}
	low, err := f.prog.lower(f.entry, lang.LowerOptions{Shapes: env})
	if err != nil {
		return nil, nil, fmt.Errorf("gradcheck %s: %w", f.entry, err)
	}
	return low, env, nil
}

// gradcheckScalar builds the scalar GradCheck differentiates: the output
// itself, or Σ_k sum(out_k · R_k) with random weights R_k, which it adds to
// draws.
func (f *Func) gradcheckScalar(b *ops.Builder, low *lang.Lowered, m []*ops.Node, env map[string]int64, draws []gradDraw) (*ops.Node, []gradDraw, error) {
	var y *ops.Node
	for k, o := range low.Outputs {
		o64 := m[o.ID]
		if !o64.Type.DType.IsFloat() {
			continue
		}
		term := o64
		if len(low.Outputs) > 1 || len(o64.Type.Shape) > 0 {
			name := fmt.Sprintf("gradcheck.weight%d", k)
			w := b.Input(name, o64.Type)
			shape, err := o64.Type.Shape.Eval(env)
			if err != nil {
				return nil, nil, fmt.Errorf("gradcheck: output %d: %v", k, err)
			}
			if err := runtime.CheckShape(ops.F64, shape); err != nil {
				return nil, nil, fmt.Errorf("gradcheck: output %d: %v", k, err)
			}
			draws = append(draws, gradDraw{name, ops.F64, shape})
			term = b.SumTo(b.Must(ops.Mul, nil, o64, w), ops.Shape{})
		}
		if y == nil {
			y = term
		} else {
			y = b.Must(ops.Add, nil, y, term)
		}
	}
	if y == nil {
		return nil, nil, fmt.Errorf("gradcheck: %s has no float output", f.entry)
	}
	return y, draws, nil
}

// checkOne compares the analytic gradient an of x, whose f64 value v eval
// reads, with central differences at sampled elements.
func checkOne(rng *rand.Rand, x gradWrt, v *tensor.Tensor, an []float64, opts GradCheckOptions, eval func() (float64, error)) (GradCheckItem, error) {
	idx := sample(rng, v.Len(), opts.Samples)
	num := make([]float64, len(idx))
	scale := 0.0
	for k, j := range idx {
		old := v.F64[j]
		v.F64[j] = old + opts.Eps
		hi, err := eval()
		if err != nil {
			return GradCheckItem{}, err
		}
		v.F64[j] = old - opts.Eps
		lo, err := eval()
		if err != nil {
			return GradCheckItem{}, err
		}
		v.F64[j] = old
		num[k] = (hi - lo) / (2 * opts.Eps)
		scale = math.Max(scale, math.Abs(num[k]))
	}
	item := GradCheckItem{Name: x.name, Kind: x.kind, Type: x.typ.String(), Checked: len(idx), At: -1}
	floor := 1e-3*scale + 1e-8
	for k, j := range idx {
		a, n := an[j], num[k]
		e := math.Abs(a-n) / math.Max(math.Max(math.Abs(a), math.Abs(n)), floor)
		if math.IsNaN(a) || math.IsNaN(n) {
			e = math.NaN()
		}
		if item.At < 0 || e > item.MaxRelErr || math.IsNaN(e) {
			item.MaxRelErr, item.At, item.Analytic, item.Numeric = e, j, a, n
		}
		if math.IsNaN(e) {
			break
		}
	}
	return item, nil
}

// gradcheckMemory refuses a gradient check whose memory would not fit the
// memory limit: its values — the random inputs (drawn bytes), every value
// of g as the reference interpreter keeps it (the plan's NaiveBytes) and
// the plan of the finite differences (its PeakBytes) — and the scratch its
// kernels allocate (the plan's ScratchBytes: packed matrix operands,
// convolution columns, fused tiles).
func gradcheckMemory(g *ops.Graph, env map[string]int64, drawn int64) error {
	p, err := runtime.NewPlan(g, env)
	if err != nil {
		return err
	}
	values := drawn
	for _, b := range []int64{p.NaiveBytes(), p.PeakBytes()} {
		values = min(values+b, math.MaxInt64/2)
	}
	scratch := min(p.ScratchBytes(), math.MaxInt64/2)
	need := values + scratch // both at most MaxInt64/2
	limit, set := runtime.MemoryLimit()
	if need <= limit {
		return nil
	}
	return &runtime.MemoryError{What: "the check", Need: need, Limit: limit, Set: set, Values: values, Scratch: scratch}
}

// sample returns up to k distinct indices in [0, n), sorted; all of them
// when k is negative or at least n.
func sample(rng *rand.Rand, n, k int) []int {
	if k < 0 || k >= n {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	}
	out := rng.Perm(n)[:k]
	sort.Ints(out)
	return out
}

func randomTensor(rng *rand.Rand, dt ops.DType, shape []int) *tensor.Tensor {
	t := tensor.New(dt, shape...)
	for j := range t.Len() {
		if dt.IsFloat() {
			t.Set(j, rng.NormFloat64())
		} else {
			t.Set(j, float64(rng.IntN(2)))
		}
	}
	return t
}

// toF64 copies a float tensor into f64 (other tensors are copied as they are).
func toF64(t *tensor.Tensor) *tensor.Tensor {
	if !t.DType.IsFloat() {
		return t.Clone()
	}
	out := tensor.New(tensor.F64, t.Shape...)
	for j := range t.Len() {
		out.F64[j] = t.At(j)
	}
	return out
}

// promote copies g into b with every f32 made f64: leaf types and the dtype
// attributes of constants, casts and random draws. It returns the map from
// g's node IDs to the copies.
func promote(b *ops.Builder, g *ops.Graph) ([]*ops.Node, error) {
	m := make([]*ops.Node, len(g.Nodes))
	for _, v := range g.Nodes {
		b.SetPos(v.Pos)
		t := v.Type
		if t.DType == ops.F32 {
			t.DType = ops.F64
		}
		switch v.Op {
		case ops.Input:
			m[v.ID] = b.Input(v.Name(), t)
			continue
		case ops.Param:
			m[v.ID] = b.Param(v.Name(), t, v.Attrs)
			continue
		case ops.State:
			m[v.ID] = b.State(v.Name(), t, v.Attrs)
			continue
		}
		attrs := ops.Attrs{}
		for k, a := range v.Attrs {
			switch x := a.(type) {
			case ops.DType:
				if x == ops.F32 {
					a = ops.F64
				}
			case ops.Type:
				if x.DType == ops.F32 {
					x.DType = ops.F64
					a = x
				}
			case *ops.Body:
				pb, err := promoteBody(x)
				if err != nil {
					return nil, fmt.Errorf("%s: promoting %s to f64: %v", v.Pos, v.Op.Name, err)
				}
				a = pb
			}
			attrs[k] = a
		}
		in := make([]*ops.Node, len(v.In))
		for k, x := range v.In {
			in[k] = m[x.ID]
		}
		n, err := b.Apply(v.Op, attrs, in...)
		if err != nil {
			return nil, fmt.Errorf("%s: promoting %s to f64: %v", v.Pos, v.Op.Name, err)
		}
		m[v.ID] = n
	}
	return m, nil
}

// promoteBody is a loop's body with every f32 made f64.
func promoteBody(body *ops.Body) (*ops.Body, error) {
	b := ops.NewBuilder()
	m, err := promote(b, body.G)
	if err != nil {
		return nil, err
	}
	ins := make([]*ops.Node, len(body.Ins))
	for k, x := range body.Ins {
		ins[k] = m[x.ID]
	}
	for _, o := range body.G.Outputs {
		b.Output(o.Name, m[o.Node.ID])
	}
	return ops.NewBody(b.G, ins, body.Carries, body.Seqs)
}
