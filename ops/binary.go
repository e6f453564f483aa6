package ops

import "github.com/nnclang/nnc/runtime/kernels"

// Elementwise binary ops with NumPy broadcasting.

func init() {
	bcastCases := []CheckCase{
		{In: []Type{T(3, 4), T(3, 4)}},
		{In: []Type{T(3, 4), T(4)}},
		{In: []Type{T(2, 1, 3), T(4, 1)}},
		{In: []Type{T(), T(2, 3)}},
	}
	Register(&Op{
		Name: "add", Arity: 2,
		Doc:   "x + y",
		Infer: binaryInfer("add"),
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			return []*Node{SumTo(b, g, n.In[0].Type.Shape), SumTo(b, g, n.In[1].Type.Shape)}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			x := BroadcastTo(b, Tangent(b, t[0], n.In[0]), n.Type.Shape)
			y := BroadcastTo(b, Tangent(b, t[1], n.In[1]), n.Type.Shape)
			return b.Must("add", nil, x, y)
		},
		Kernel: binaryKernel(kernels.AddRow[float32], kernels.AddRow[float64]),
		Check:  bcastCases,
	})
}
