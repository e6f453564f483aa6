package ops

import "github.com/nnclang/nnc/kernels"

// Mask ops: comparisons giving 1 where they hold and 0 elsewhere, in the
// operands' float type, so that gradient rules can multiply by them, and
// sign. Their derivative is zero wherever it exists, so their VJPs pass
// nothing on. All of them fuse; the comparisons are cheap.

// Handles of the ops this file registers.
var (
	// Sign is the op "sign": -1, 0 or 1 by the sign of x; its derivative is zero
	Sign *Op
	// Greater is the op "greater".
	Greater *Op
	// Less is the op "less".
	Less *Op
	// Equal is the op "equal".
	Equal *Op
)

func init() {
	masks := []struct {
		h         **Op
		name, doc string
		r32       func(dst, x, y []float32)
		r64       func(dst, x, y []float64)
		tile      kernels.TileOp
	}{
		{&Greater, "greater", "1 where x > y, else 0", kernels.GreaterRow[float32], kernels.GreaterRow[float64], kernels.TileGreater},
		{&Less, "less", "1 where x < y, else 0", lessRow[float32], lessRow[float64], kernels.TileLess},
		{&Equal, "equal", "1 where x == y, else 0", kernels.EqualRow[float32], kernels.EqualRow[float64], kernels.TileEqual},
	}
	for _, m := range masks {
		Register(m.h, &Op{
			Name: m.name, Arity: 2,
			Doc:   m.doc + " (a float mask of the operands' type, broadcasting)",
			Infer: binaryInfer(m.name),
			VJP:   func(b *Builder, n *Node, g *Node) []*Node { return []*Node{nil, nil} },
			JVP: func(b *Builder, n *Node, t []*Node) *Node {
				return b.Full(n.Type, 0)
			},
			Kernel:      binaryKernel(m.r32, m.r64),
			Check:       withDomain(bcastCases, Distinct, Distinct),
			Flops:       perOut(1),
			Elementwise: &Elementwise{Rows: m.tile.Rows(), Cheap: true},
		})
	}
	Register(&Sign, &Op{
		Name: "sign", Arity: 1,
		Builtin: unaryBuiltin(),
		Doc:     "-1, 0 or 1 by the sign of x; its derivative is zero",
		Infer:   unaryInfer("sign"),
		VJP:     func(b *Builder, n *Node, g *Node) []*Node { return []*Node{nil} },
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			return b.Full(n.Type, 0)
		},
		Kernel:      unaryKernel(kernels.SignRow[float32], kernels.SignRow[float64]),
		Check:       []CheckCase{{In: []Type{T(3, 4)}, Domain: []Domain{AwayZero}}},
		Flops:       perOut(1),
		Elementwise: &Elementwise{Rows: unaryRows(kernels.SignRow[float32], kernels.SignRow[float64])},
	})
}

// lessRow is GreaterRow with the operands swapped.
func lessRow[T kernels.Float](dst, x, y []T) { kernels.GreaterRow(dst, y, x) }
