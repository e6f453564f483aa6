package ops

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nnclang/nnc/tensor"
)

// TestGRUCellBitsOfDecomposition: gru_cell's kernel gives the bits of its
// decomposition into unfused ops (f32, a width that is not a multiple of
// the vector rows' chunk).
func TestGRUCellBitsOfDecomposition(t *testing.T) {
	rows, h := 7, 301
	b := NewBuilder()
	f32 := func(d ...int) Type { return Type{F32, ShapeOf(d...)} }
	in := []*Node{b.Input("xw", f32(rows, 3*h)), b.Input("hw", f32(rows, 3*h)), b.Input("h", f32(rows, h))}
	fused, decomp := b.Must(GRUCell, nil, in...), gruDecomp(b, in[0], in[1], in[2])
	rng := rand.New(rand.NewPCG(1, 2))
	vals := map[string]*tensor.Tensor{}
	for _, n := range in {
		s, _ := n.Type.Shape.Concrete()
		data := make([]float64, elems(s))
		for i := range data {
			data[i] = 2 * rng.NormFloat64()
		}
		vals[n.Name()] = tensor.FromFloat64s(F32, s, data)
	}
	res, err := Evaluate(b.G, vals, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, want := res[fused].F32, res[decomp].F32
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("element %d: %v fused, %v unfused", i, got[i], want[i])
		}
	}
}
