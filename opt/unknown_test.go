package opt

import (
	"math/rand/v2"
	"testing"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

// testDouble is an op the passes know nothing of: it doubles its operand.
var testDouble *ops.Op

var _ = ops.Register(&testDouble, &ops.Op{
	Name: "opt_test_double", Arity: 1,
	Infer: func(in []ops.Type, a ops.Attrs) (ops.Type, error) { return in[0], nil },
	Kernel: func(n *ops.Node, in [][]int, out []int) (ops.KernelFunc, error) {
		return func(_ *ops.Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
			for i := range o.Len() {
				o.Set(i, 2*in[0].At(i))
			}
		}, nil
	},
	NoGrad: "a test op",
})

// TestUnknownOps: an op outside the passes' tables is kept as it is, is a
// fusion boundary, and folds (with its own kernel) only when its operand is
// constant.
func TestUnknownOps(t *testing.T) {
	b := ops.NewBuilder()
	x := b.Input("x", f64(3, 4))
	d := b.Must(testDouble, nil, b.Must(ops.Exp, nil, b.Must(ops.Neg, nil, x)))
	b.Output("y", b.Must(ops.Tanh, nil, b.Must(ops.Mul, nil, d, x)))
	b.Output("c", b.Must(testDouble, nil, b.Full(f64(3, 4), 1.5)))
	g, err := Optimize(b.G, Options{Level: 1, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	if opCount(g, "opt_test_double") != 1 || opCount(g, "fused_elementwise") != 2 {
		t.Errorf("unknown op not a boundary:\n%v", g)
	}
	if c := g.Output("c"); c.Op != ops.Full || c.Attrs.Float("value", 0) != 3 {
		t.Errorf("constant operand not folded: %v", c)
	}
	in := randomInputs(b.G, rand.New(rand.NewPCG(9, 9)), false)
	compare(t, "unknown op", outputs(t, b.G, in), runSession(t, g, in), 0, 0)
}
