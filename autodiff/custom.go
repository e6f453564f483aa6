package autodiff

import (
	"fmt"
	"sync"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

// Custom gradients.
//
// A call site with its own gradient is one node of op "custom_vjp" whose
// operands are the call's primal inputs followed by its primal output, and
// whose "rule" attribute names a CustomRule registered with RegisterCustom.
// Its value is the primal output's (the kernel copies it), so the forward
// pass is unchanged; reverse mode asks the rule for the inputs' gradients
// instead of differentiating the primal computation, and sends nothing to the
// primal output. Forward mode uses the rule's JVP when it has one and the
// primal output's tangent otherwise. The gradient a rule builds is made of
// ordinary ops, so it can be differentiated again.
//
// Front ends register one rule per gradient definition (lang: one per .nn
// function declaring a gradient, named by its position) and call Custom at
// each call site.

// CustomOp is the handle of the op "custom_vjp", which carries a custom
// gradient.
var CustomOp *ops.Op

// CustomRule is a user-supplied derivative of one function.
type CustomRule struct {
	// VJP returns one gradient per primal input (nil: none flows there),
	// each of that input's type, given the call's inputs, its output and the
	// output's cotangent g (of the output's type). Errors are the user's
	// (a gradient of the wrong shape) and are returned by Grad and VJP.
	VJP func(b *ops.Builder, inputs []*ops.Node, out, g *ops.Node) ([]*ops.Node, error)
	// JVP, when not nil, returns the output's tangent given the inputs'
	// tangents (nil entries are zero). Without it, forward mode
	// differentiates the primal computation.
	JVP func(b *ops.Builder, inputs []*ops.Node, out *ops.Node, tangents []*ops.Node) (*ops.Node, error)
}

var (
	customMu    sync.RWMutex
	customRules = map[string]CustomRule{}
)

// RegisterCustom makes rule known under name, replacing any rule of that
// name. name should identify the gradient definition (for instance its
// source position and function name).
func RegisterCustom(name string, rule CustomRule) error {
	if name == "" || rule.VJP == nil {
		return fmt.Errorf("custom gradient: a rule needs a name and a VJP")
	}
	customMu.Lock()
	defer customMu.Unlock()
	customRules[name] = rule
	return nil
}

func lookupCustom(name string) (CustomRule, bool) {
	customMu.RLock()
	defer customMu.RUnlock()
	r, ok := customRules[name]
	return r, ok
}

// Custom marks out, computed from inputs, as a call site whose gradient is
// the rule registered as name, and returns the node to use in its place.
func Custom(b *ops.Builder, name string, inputs []*ops.Node, out *ops.Node) (*ops.Node, error) {
	if _, ok := lookupCustom(name); !ok {
		return nil, fmt.Errorf("custom gradient: no rule named %q", name)
	}
	if out == nil {
		return nil, fmt.Errorf("custom gradient %s: no output", name)
	}
	in := append(append([]*ops.Node(nil), inputs...), out)
	return b.Apply(CustomOp, ops.Attrs{"rule": name}, in...)
}

func init() {
	ops.Register(&CustomOp, &ops.Op{
		Name: "custom_vjp", Arity: -1,
		Doc: "custom_vjp(inputs..., out): out, whose gradient is the registered rule named by the \"rule\" attribute",
		Infer: func(in []ops.Type, a ops.Attrs) (ops.Type, error) {
			if len(in) == 0 {
				return ops.Type{}, fmt.Errorf("custom_vjp needs at least its output")
			}
			return in[len(in)-1], nil
		},
		// Grad and JVP treat custom_vjp nodes themselves (customVJP,
		// customJVP), returning the rule's failures as errors; these are
		// for callers that apply an op's rules directly, for whom a failing
		// rule is a broken invariant.
		VJP: func(b *ops.Builder, n *ops.Node, g *ops.Node) []*ops.Node {
			gs, err := customVJP(b, n, g)
			if err != nil {
				panic(err)
			}
			return gs
		},
		JVP: func(b *ops.Builder, n *ops.Node, t []*ops.Node) *ops.Node {
			out, err := customJVP(b, n, t)
			if err != nil {
				panic(err)
			}
			return out
		},
		Kernel: func(n *ops.Node, in [][]int, out []int) (ops.KernelFunc, error) {
			return func(_ *ops.Ctx, o *tensor.Tensor, in []*tensor.Tensor) { o.CopyFrom(in[len(in)-1]) }, nil
		},
		NoGrad: "its gradient is a user-supplied rule, checked per program by nnc gradcheck",
		Flops:  ops.NoFlops, // a copy of the primal output
	})
}
