package ops_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/nnclang/nnc/autodiff"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

// The registry-wide gradient checker: every op that has a gradient gives
// Check cases, and on each its VJP, its JVP and the VJP of its VJP must agree
// with central finite differences in f64; the forward and reverse transforms
// of package autodiff must pass the dot-product test against each other; and
// their composition (the Hessian-vector product, forward over reverse) must
// agree with finite differences of the gradient.

const (
	fdStep = 1e-6
	rtol   = 1e-6
	atol   = 1e-6
)

func TestEveryOpIsChecked(t *testing.T) {
	for _, op := range ops.All() {
		if op.NoGrad != "" {
			continue
		}
		if len(op.Check) == 0 {
			t.Errorf("%s: no gradient Check cases and no NoGrad reason", op.Name)
		}
		if op.VJP == nil {
			t.Errorf("%s: has a gradient but no VJP", op.Name)
		}
		if op.Kernel == nil {
			t.Errorf("%s: no kernel", op.Name)
		}
	}
}

func TestGradients(t *testing.T) {
	for _, op := range ops.All() {
		if op.NoGrad != "" {
			continue
		}
		for ci, c := range op.Check {
			t.Run(fmt.Sprintf("%s/%d", op.Name, ci), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(len(op.Name)), uint64(ci)))
				checkCase(t, op, c, rng)
			})
			if r, ok := resized(c, rand.New(rand.NewPCG(uint64(ci), 99))); ok && !tiedShapes(op) {
				t.Run(fmt.Sprintf("%s/%d/%v", op.Name, ci, r.In), func(t *testing.T) {
					rng := rand.New(rand.NewPCG(uint64(len(op.Name)), uint64(ci)+1000))
					checkCase(t, op, r, rng)
				})
			}
		}
	}
}

// tiedShapes reports whether op's operand sizes are tied by a factor that
// resizing would break (lstm_cell's gates [B, 4H] for c [B, H], gru_cell's
// xw [B, 3H] for h [B, H]; a loop's operands, whose types its body fixes).
func tiedShapes(op *ops.Op) bool {
	return op == ops.LSTMCell || op == ops.LSTMCellGrad || op == ops.GRUCell || op == ops.GRUCellGrad || op == ops.Loop
}

// resized is c with its operand shapes drawn at random: every dimension
// larger than 1 is replaced by a random size in [2, 5], equal dimensions by
// equal sizes, so that broadcasting and matching inner dimensions survive.
// Cases whose attributes hold sizes (shapes, class counts) are not resized.
func resized(c ops.CheckCase, rng *rand.Rand) (ops.CheckCase, bool) {
	for _, v := range c.Attrs {
		if _, ok := v.(ops.Shape); ok {
			return c, false
		}
	}
	if _, ok := c.Attrs["n"]; ok {
		return c, false
	}
	if slices.Contains(c.Domain, ops.RowPointers) {
		return c, false // a CSR structure's length is tied to the dense operands' rows
	}
	sizes := map[ops.Dim]int{}
	r := c
	r.In = make([]ops.Type, len(c.In))
	for i, ty := range c.In {
		shape := make(ops.Shape, len(ty.Shape))
		for j, d := range ty.Shape {
			if d == ops.DimConst(1) {
				shape[j] = d
				continue
			}
			if _, ok := sizes[d]; !ok {
				sizes[d] = 2 + rng.IntN(4)
			}
			shape[j] = ops.DimConst(int64(sizes[d]))
		}
		r.In[i] = ops.Type{DType: ty.DType, Shape: shape}
	}
	return r, true
}

// problem is one check case made concrete: a graph y = op(a0, a1, ...) and
// values for its operands.
type problem struct {
	b    *ops.Builder
	args []*ops.Node
	y    *ops.Node
	vals map[string]*tensor.Tensor
	rng  *rand.Rand
}

func argName(i int) string { return fmt.Sprintf("a%d", i) }

func newProblem(t *testing.T, op *ops.Op, c ops.CheckCase, rng *rand.Rand) *problem {
	t.Helper()
	p := &problem{b: ops.NewBuilder(), vals: map[string]*tensor.Tensor{}, rng: rng}
	for i, ty := range c.In {
		p.args = append(p.args, p.b.Input(argName(i), ty))
	}
	y, err := p.b.Apply(op, c.Attrs, p.args...)
	if err != nil {
		t.Fatalf("applying %s to %v: %v", op.Name, c.In, err)
	}
	if !y.Type.DType.IsFloat() {
		t.Fatalf("%s gives %v: only float results can be checked", op.Name, y.Type)
	}
	p.y = y
	// Distinct values come from one shuffled pool shared by all operands, so
	// that no two elements are closer than its spacing.
	total := 0
	for _, ty := range c.In {
		total += numElems(ty)
	}
	pool := rng.Perm(total)
	next := 0
	for i, ty := range c.In {
		dom := ops.AnyReal
		if i < len(c.Domain) {
			dom = c.Domain[i]
		}
		shape := concrete(t, ty)
		if v, ok := csrOperand(c, i, rng); ok {
			p.vals[argName(i)] = v
			continue
		}
		v := tensor.New(ty.DType, shape...)
		for j := range v.Len() {
			switch dom {
			case ops.AnyReal:
				v.Set(j, rng.NormFloat64())
			case ops.Positive:
				v.Set(j, 0.5+1.5*rng.Float64())
			case ops.AwayZero:
				x := 0.5 + 1.5*rng.Float64()
				if rng.IntN(2) == 0 {
					x = -x
				}
				v.Set(j, x)
			case ops.Labels:
				cs := concrete(t, c.In[0])
				v.Set(j, float64(rng.IntN(cs[len(cs)-1])))
			case ops.Distinct:
				v.Set(j, (float64(pool[next])-float64(total)/2+0.5)*0.3)
				next++
			case ops.Unit:
				v.Set(j, 0.1+0.8*rng.Float64())
			}
		}
		p.vals[argName(i)] = v
	}
	return p
}

func concrete(t *testing.T, ty ops.Type) []int {
	s, ok := ty.Shape.Concrete()
	if !ok {
		t.Fatalf("check case type %v is not concrete", ty)
	}
	return s
}

func numElems(ty ops.Type) int {
	s, _ := ty.Shape.Concrete()
	return tensor.NumElems(s)
}

// input declares a random normal input of type ty.
func (p *problem) input(name string, ty ops.Type) *ops.Node {
	n := p.b.Input(name, ty)
	s, _ := ty.Shape.Concrete()
	v := tensor.New(ty.DType, s...)
	for j := range v.Len() {
		v.Set(j, p.rng.NormFloat64())
	}
	p.vals[name] = v
	return n
}

func (p *problem) eval(t *testing.T) map[*ops.Node]*tensor.Tensor {
	t.Helper()
	res, err := ops.Evaluate(p.b.G, p.vals, &ops.Ctx{Seed: 1})
	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	return res
}

// floatArgs are the indices of the operands with float types.
func (p *problem) floatArgs() []int {
	var out []int
	for i, a := range p.args {
		if a.Type.DType.IsFloat() {
			out = append(out, i)
		}
	}
	return out
}

// fd returns the central difference of f along dir: perturbing operand i's
// element j when dir is nil, or every float operand along dir otherwise.
func (p *problem) fdElem(t *testing.T, i, j int, f func(map[*ops.Node]*tensor.Tensor) []float64) []float64 {
	v := p.vals[argName(i)]
	x := v.At(j)
	v.Set(j, x+fdStep)
	hi := f(p.eval(t))
	v.Set(j, x-fdStep)
	lo := f(p.eval(t))
	v.Set(j, x)
	return diff(hi, lo)
}

func diff(hi, lo []float64) []float64 {
	out := make([]float64, len(hi))
	for k := range hi {
		out[k] = (hi[k] - lo[k]) / (2 * fdStep)
	}
	return out
}

func near(a, b float64) bool {
	return math.Abs(a-b) <= rtol*math.Max(math.Abs(a), math.Abs(b))+atol
}

// dot is sum(x * r) as a scalar node.
func dot(b *ops.Builder, x, r *ops.Node) *ops.Node {
	return b.Must(ops.Sum, nil, b.Must(ops.Mul, nil, x, r))
}

func scalarOf(n *ops.Node) func(map[*ops.Node]*tensor.Tensor) []float64 {
	return func(res map[*ops.Node]*tensor.Tensor) []float64 { return []float64{res[n].At(0)} }
}

func checkCase(t *testing.T, op *ops.Op, c ops.CheckCase, rng *rand.Rand) {
	p := newProblem(t, op, c, rng)
	b, y := p.b, p.y

	// First order: the VJP of a random cotangent r against d/dx sum(y*r).
	r := p.input("r", y.Type)
	vjp := op.VJP(b, y, r)
	if len(vjp) != len(p.args) {
		t.Fatalf("VJP gives %d gradients for %d operands", len(vjp), len(p.args))
	}
	for i, g := range vjp {
		if g != nil && !g.Type.Equal(p.args[i].Type) {
			t.Fatalf("VJP for operand %d is %v, operand is %v", i, g.Type, p.args[i].Type)
		}
	}
	f := dot(b, y, r)
	res := p.eval(t)
	for _, i := range p.floatArgs() {
		for j := range p.vals[argName(i)].Len() {
			want := p.fdElem(t, i, j, scalarOf(f))[0]
			got := 0.0
			if vjp[i] != nil {
				got = res[vjp[i]].At(j)
			}
			if !near(got, want) {
				t.Errorf("VJP d/d%s[%d] = %.10g, finite differences %.10g", argName(i), j, got, want)
			}
		}
	}

	checkJVP(t, op, p)
	checkSecondOrder(t, p, vjp)
	checkDotAndHVP(t, op, c, rng)
}

// checkJVP compares the JVP along random tangents of every float operand (all
// at once, then each alone) with directional finite differences.
func checkJVP(t *testing.T, op *ops.Op, p *problem) {
	if op.JVP == nil {
		return // JVPs are optional; such ops are checked through their VJPs only
	}
	fl := p.floatArgs()
	tangents := make([]*ops.Node, len(p.args))
	for _, i := range fl {
		tangents[i] = p.input("t"+argName(i), p.args[i].Type)
	}
	sets := [][]int{fl}
	if len(fl) > 1 {
		for _, i := range fl {
			sets = append(sets, []int{i})
		}
	}
	for _, set := range sets {
		ts := make([]*ops.Node, len(p.args))
		for _, i := range set {
			ts[i] = tangents[i]
		}
		jvp := op.JVP(p.b, p.y, ts)
		if !jvp.Type.Equal(p.y.Type) {
			t.Fatalf("JVP along %v is %v, result is %v", set, jvp.Type, p.y.Type)
		}
		got := p.eval(t)[jvp].Float64s()
		move := func(sign float64) []float64 {
			saved := map[string][]float64{}
			for _, i := range set {
				v := p.vals[argName(i)]
				saved[argName(i)] = v.Float64s()
				dir := p.vals["t"+argName(i)]
				for j := range v.Len() {
					v.Set(j, v.At(j)+sign*fdStep*dir.At(j))
				}
			}
			out := p.eval(t)[p.y].Float64s()
			for name, s := range saved {
				v := p.vals[name]
				for j, x := range s {
					v.Set(j, x)
				}
			}
			return out
		}
		want := diff(move(1), move(-1))
		for k := range want {
			if !near(got[k], want[k]) {
				t.Errorf("JVP along operands %v: element %d = %.10g, finite differences %.10g", set, k, got[k], want[k])
			}
		}
	}
}

// checkSecondOrder differentiates the VJP graph itself: F = sum_i sum(vjp_i *
// s_i) for random s_i, whose gradient with respect to the operands comes from
// the VJPs of the nodes the first VJP made.
func checkSecondOrder(t *testing.T, p *problem, vjp []*ops.Node) {
	b := p.b
	var F *ops.Node
	for i, g := range vjp {
		if g == nil || !p.args[i].Type.DType.IsFloat() {
			continue
		}
		term := dot(b, g, p.input("s"+argName(i), g.Type))
		if F == nil {
			F = term
		} else {
			F = b.Must(ops.Add, nil, F, term)
		}
	}
	if F == nil {
		return // no gradient flows (mask ops)
	}
	grads := reverse(t, b, F)
	res := p.eval(t)
	for _, i := range p.floatArgs() {
		g := grads[p.args[i]]
		for j := range p.vals[argName(i)].Len() {
			want := p.fdElem(t, i, j, scalarOf(F))[0]
			got := 0.0
			if g != nil {
				got = res[g].At(j)
			}
			if !near(got, want) {
				t.Errorf("second order d/d%s[%d] = %.10g, finite differences %.10g", argName(i), j, got, want)
			}
		}
	}
}

// reverse is a minimal reverse-mode pass: the gradient of scalar y with
// respect to every node it depends on, using each op's VJP.
func reverse(t *testing.T, b *ops.Builder, y *ops.Node) map[*ops.Node]*ops.Node {
	t.Helper()
	nodes := append([]*ops.Node(nil), b.G.Nodes[:y.ID+1]...)
	grads := map[*ops.Node]*ops.Node{y: b.Scalar(y.Type.DType, 1)}
	for i := len(nodes) - 1; i >= 0; i-- {
		n := nodes[i]
		g := grads[n]
		if g == nil || n.Op.Leaf || n.Op.VJP == nil {
			continue
		}
		for k, d := range n.Op.VJP(b, n, g) {
			if d == nil {
				continue
			}
			x := n.In[k]
			if !d.Type.Equal(x.Type) {
				t.Fatalf("VJP of %s gives %v for operand %d of type %v", n.Op.Name, d.Type, k, x.Type)
			}
			if prev := grads[x]; prev != nil {
				d = b.Must(ops.Add, nil, prev, d)
			}
			grads[x] = d
		}
	}
	return grads
}

// checkDotAndHVP runs the transforms of package autodiff on y = op(args):
//
//   - the dot-product test: for random u (one per float operand) and v (of
//     y's type), ⟨v, J u⟩ from autodiff.JVP equals Σᵢ ⟨Jᵢᵀ v, uᵢ⟩ from
//     autodiff.VJP, to rounding;
//   - the Hessian-vector product of F = ⟨r, y⟩ (random r) along u, from
//     autodiff.HVP (forward over reverse) and from the gradient of ⟨∇F, u⟩
//     (reverse over reverse), against the central difference of ∇F along u.
func checkDotAndHVP(t *testing.T, op *ops.Op, c ops.CheckCase, rng *rand.Rand) {
	p := newProblem(t, op, c, rng)
	b, y := p.b, p.y
	fl := p.floatArgs()
	xs := make([]*ops.Node, len(fl))
	us := make([]*ops.Node, len(fl))
	for k, i := range fl {
		xs[k] = p.args[i]
		us[k] = p.input("u"+argName(i), p.args[i].Type)
	}
	v := p.input("v", y.Type)
	jus, err := autodiff.JVP(b, []*ops.Node{y}, xs, us)
	if err != nil {
		t.Fatalf("autodiff.JVP: %v", err)
	}
	vjs, err := autodiff.VJP(b, []*ops.Node{y}, xs, []*ops.Node{v})
	if err != nil {
		t.Fatalf("autodiff.VJP: %v", err)
	}
	F := dot(b, y, p.input("r", y.Type))
	grads, err := autodiff.Grad(b, F, xs)
	if err != nil {
		t.Fatalf("autodiff.Grad: %v", err)
	}
	hvs, err := autodiff.HVP(b, F, xs, us)
	if err != nil {
		t.Fatalf("autodiff.HVP: %v", err)
	}
	// The same product reverse over reverse: ∇⟨∇F, u⟩.
	var gu *ops.Node
	for k := range xs {
		term := dot(b, grads[k], us[k])
		if gu == nil {
			gu = term
		} else {
			gu = b.Must(ops.Add, nil, gu, term)
		}
	}
	var rrs []*ops.Node
	if gu != nil {
		if rrs, err = autodiff.Grad(b, gu, xs); err != nil {
			t.Fatalf("autodiff.Grad of the gradient: %v", err)
		}
	}

	res := p.eval(t)
	lhs := inner(res[v], res[jus[0]])
	rhs := 0.0
	for k := range xs {
		rhs += inner(res[vjs[k]], res[us[k]])
	}
	if math.Abs(lhs-rhs) > 1e-10*(1+math.Abs(lhs)+math.Abs(rhs)) {
		t.Errorf("dot-product test: <v, J u> = %.15g but <J^T v, u> = %.15g", lhs, rhs)
	}

	// ∇F at x ± h·u, every float operand moved at once.
	move := func(sign float64) map[*ops.Node]*tensor.Tensor {
		saved := map[string][]float64{}
		for _, i := range fl {
			a := p.vals[argName(i)]
			saved[argName(i)] = a.Float64s()
			u := p.vals["u"+argName(i)]
			for j := range a.Len() {
				a.Set(j, a.At(j)+sign*fdStep*u.At(j))
			}
		}
		out := p.eval(t)
		for name, s := range saved {
			for j, x := range s {
				p.vals[name].Set(j, x)
			}
		}
		return out
	}
	hi, lo := move(1), move(-1)
	for k, i := range fl {
		got := res[hvs[k]].Float64s()
		want := diff(hi[grads[k]].Float64s(), lo[grads[k]].Float64s())
		for j := range want {
			if !near(got[j], want[j]) {
				t.Errorf("HVP d/d%s[%d] = %.10g, finite differences of the gradient %.10g", argName(i), j, got[j], want[j])
			}
		}
		rr := res[rrs[k]].Float64s()
		for j := range want {
			if !near(rr[j], want[j]) {
				t.Errorf("reverse-over-reverse HVP d/d%s[%d] = %.10g, finite differences of the gradient %.10g", argName(i), j, rr[j], want[j])
			}
		}
	}
}

// inner is Σ a·b over the elements of two tensors of one shape.
func inner(a, b *tensor.Tensor) float64 {
	s := 0.0
	for j := range a.Len() {
		s += a.At(j) * b.At(j)
	}
	return s
}

// TestGradientCoverage states what the checker covers: every op with a
// gradient has Check cases, and each case runs every mode (VJP, JVP, the
// dot-product test, second order, HVP forward-over-reverse and
// reverse-over-reverse). Run with -v for the table.
func TestGradientCoverage(t *testing.T) {
	nOps, cases := 0, 0
	for _, op := range ops.All() {
		if op.NoGrad != "" {
			continue
		}
		if op.VJP == nil || op.JVP == nil {
			t.Errorf("%s: VJP %v, JVP %v: both are needed", op.Name, op.VJP != nil, op.JVP != nil)
		}
		nOps++
		cases += len(op.Check)
		t.Logf("%-34s cases %2d  VJP JVP dot 2nd HVP", op.Name, len(op.Check))
	}
	t.Logf("%d differentiable ops, %d cases (each also resized at random when its attributes hold no sizes), 5 modes each", nOps, cases)
}
