package ops_test

import (
	"slices"
	"testing"

	"github.com/nnclang/nnc/ops"
)

// TestFusedMembers checks that a fused node's member ops are read from its
// program with the node's own operand convention (fused_matmul's x0 is its
// product, so it has one operand fewer than it has inputs), and that other
// nodes and broken programs give none.
func TestFusedMembers(t *testing.T) {
	leaf := func() *ops.Node { return &ops.Node{} }
	node := func(op *ops.Op, nIn int, prog string) *ops.Node {
		n := &ops.Node{Op: op, Attrs: ops.Attrs{"program": prog}}
		for range nIn {
			n.In = append(n.In, leaf())
		}
		return n
	}
	for _, c := range []struct {
		n    *ops.Node
		want []string
	}{
		{node(ops.FusedElementwise, 2, "t0=gelu_grad(x1); t1=mul(x0,t0)"), []string{"gelu_grad", "mul"}},
		{node(ops.FusedReduce, 1, "t0=exp(x0); t1=add(t0,0.5)"), []string{"exp", "add"}},
		// x, w and one epilogue operand: the program sees x0 (the product) and x1.
		{node(ops.FusedMatmul, 3, "t0=add(x0,x1); t1=relu(t0)"), []string{"add", "relu"}},
		// x2 is past fused_matmul's two program operands.
		{node(ops.FusedMatmul, 3, "t0=add(x0,x2)"), nil},
		{node(ops.FusedElementwise, 1, "t0=nosuchop(x0)"), nil},
		{node(ops.Relu, 1, "t0=exp(x0)"), nil},
	} {
		if got := ops.FusedMembers(c.n); !slices.Equal(got, c.want) {
			t.Errorf("%s %q: %v, want %v", c.n.Op.Name, c.n.Attrs.Str("program", ""), got, c.want)
		}
	}
}
