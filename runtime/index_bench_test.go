package runtime

import (
	"testing"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

// The cost of checking indices: each benchmark runs one op through a
// session; compare with the same benchmarks before the check was added.

func benchOp(b *testing.B, build func(bb *ops.Builder) *ops.Node, in ...*tensor.Tensor) {
	bb := ops.NewBuilder()
	bb.Output("y", build(bb))
	s := NewSession(bb.G, NewStore())
	if _, err := s.Run(0, in...); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.Run(0, in...); err != nil {
			b.Fatal(err)
		}
	}
}

func benchIDs(n, bound int) *tensor.Tensor {
	t := tensor.New(tensor.I32, n)
	for i := range t.I32 {
		t.I32[i] = int32((i * 7919) % bound)
	}
	return t
}

// BenchmarkTake: take 4096 rows of a [1000, 64] f32 table.
func BenchmarkTake(b *testing.B) {
	benchOp(b, func(bb *ops.Builder) *ops.Node {
		x := bb.Input("x", ops.Type{DType: ops.F32, Shape: ops.ShapeOf(1000, 64)})
		i := bb.Input("i", ops.Type{DType: ops.I32, Shape: ops.ShapeOf(4096)})
		return bb.Must(ops.Take, ops.Attrs{"axis": 0}, x, i)
	}, tensor.New(tensor.F32, 1000, 64), benchIDs(4096, 1000))
}

// BenchmarkEmbedding: 4096 ids into a [10000, 64] f32 table.
func BenchmarkEmbedding(b *testing.B) {
	benchOp(b, func(bb *ops.Builder) *ops.Node {
		i := bb.Input("i", ops.Type{DType: ops.I32, Shape: ops.ShapeOf(4096)})
		w := bb.Input("w", ops.Type{DType: ops.F32, Shape: ops.ShapeOf(10000, 64)})
		return bb.Must(ops.Embedding, nil, i, w)
	}, benchIDs(4096, 10000), tensor.New(tensor.F32, 10000, 64))
}

// BenchmarkCrossEntropy: logits [256, 10] f32 with i32 labels.
func BenchmarkCrossEntropy(b *testing.B) {
	benchOp(b, func(bb *ops.Builder) *ops.Node {
		z := bb.Input("z", ops.Type{DType: ops.F32, Shape: ops.ShapeOf(256, 10)})
		y := bb.Input("y", ops.Type{DType: ops.I32, Shape: ops.ShapeOf(256)})
		return bb.Must(ops.CrossEntropy, nil, z, y)
	}, tensor.New(tensor.F32, 256, 10), benchIDs(256, 10))
}
