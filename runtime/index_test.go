package runtime

import (
	"errors"
	"testing"

	"github.com/nnclang/nnc/autodiff"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

// Integer operands out of their op's range end the run with an
// *ops.IndexError that names the op, its .nn position, the value, the range
// and where the value sits; values in range (negative ids of take and
// gather count from the end, as NumPy's take) give NumPy's results.

var posF = ops.Pos{File: "f.nn", Line: 3, Col: 12}

func i32s(shape []int, v ...int32) *tensor.Tensor {
	return &tensor.Tensor{DType: tensor.I32, Shape: shape, I32: v}
}

func i64s(shape []int, v ...int64) *tensor.Tensor {
	return &tensor.Tensor{DType: tensor.I64, Shape: shape, I64: v}
}

func idsT(dt ops.DType, dims ...int) ops.Type {
	return ops.Type{DType: dt, Shape: ops.ShapeOf(dims...)}
}

// runOne builds out = op(x, ids) at posF and runs it once.
func runOne(t *testing.T, build func(b *ops.Builder) *ops.Node, in ...*tensor.Tensor) ([]*tensor.Tensor, error) {
	t.Helper()
	b := ops.NewBuilder()
	b.SetPos(posF)
	b.Output("y", build(b))
	return NewSession(b.G, NewStore()).Run(0, in...)
}

func wantIndexError(t *testing.T, err error, msg string) {
	t.Helper()
	var ie *ops.IndexError
	if !errors.As(err, &ie) {
		t.Fatalf("error %v (%T), want an *ops.IndexError", err, err)
	}
	if err.Error() != msg {
		t.Errorf("error\n %q\nwant\n %q", err.Error(), msg)
	}
}

func TestTakeIndexOutOfRange(t *testing.T) {
	take := func(dt ops.DType) func(b *ops.Builder) *ops.Node {
		return func(b *ops.Builder) *ops.Node {
			x := b.Input("x", ops.Type{DType: ops.F32, Shape: ops.ShapeOf(5)})
			i := b.Input("i", ops.Type{DType: dt, Shape: ops.Shape{ops.DimVar("N")}})
			return b.Must(ops.Take, ops.Attrs{"axis": 0}, x, i)
		}
	}
	x := vals(tensor.F32, []int{5}, 1, 2, 3, 4, 5)
	_, err := runOne(t, take(ops.I32), x, i32s([]int{3}, 0, 7, -9))
	wantIndexError(t, err, "f.nn:3:12: take: index 7 out of range [-5, 5) at position 1 of the indices")
	_, err = runOne(t, take(ops.I64), x, i64s([]int{3}, 0, 1, -6))
	wantIndexError(t, err, "f.nn:3:12: take: index -6 out of range [-5, 5) at position 2 of the indices")

	// In range, negative ids count from the end: numpy.take([1,2,3,4,5], [0,-5,4,-1]).
	out, err := runOne(t, take(ops.I32), x, i32s([]int{4}, 0, -5, 4, -1))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := out[0].F32, []float32{1, 1, 5, 5}; !equalF32(got, want) {
		t.Errorf("take = %v, want %v", got, want)
	}
}

func TestTakeIndexErrorPositionInMatrix(t *testing.T) {
	// take(x [2, 3], ids [2, 2], axis 1): ids[1, 0] = 3 is outside [-3, 3).
	_, err := runOne(t, func(b *ops.Builder) *ops.Node {
		x := b.Input("x", ops.Type{DType: ops.F64, Shape: ops.ShapeOf(2, 3)})
		i := b.Input("i", idsT(ops.I32, 2, 2))
		return b.Must(ops.Take, ops.Attrs{"axis": 1}, x, i)
	}, vals(tensor.F64, []int{2, 3}, 1, 2, 3, 4, 5, 6), i32s([]int{2, 2}, 0, 2, 3, 1))
	wantIndexError(t, err, "f.nn:3:12: take: index 3 out of range [-3, 3) at position [1, 0] of the indices")
}

func TestGatherIndexOutOfRange(t *testing.T) {
	build := func(b *ops.Builder) *ops.Node {
		x := b.Input("x", ops.Type{DType: ops.F32, Shape: ops.ShapeOf(2, 3)})
		i := b.Input("i", idsT(ops.I64, 2, 1))
		return b.Must(ops.Gather, ops.Attrs{"axis": 1}, x, i)
	}
	x := vals(tensor.F32, []int{2, 3}, 1, 2, 3, 4, 5, 6)
	_, err := runOne(t, build, x, i64s([]int{2, 1}, 2, -4))
	wantIndexError(t, err, "f.nn:3:12: gather: index -4 out of range [-3, 3) at position [1, 0] of the indices")
	// numpy.take_along_axis([[1,2,3],[4,5,6]], [[2],[-3]], 1) = [[3],[4]].
	out, err := runOne(t, build, x, i64s([]int{2, 1}, 2, -3))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := out[0].F32, []float32{3, 4}; !equalF32(got, want) {
		t.Errorf("gather = %v, want %v", got, want)
	}
}

func TestScatterIndexOutOfRange(t *testing.T) {
	_, err := runOne(t, func(b *ops.Builder) *ops.Node {
		g := b.Input("g", ops.Type{DType: ops.F64, Shape: ops.ShapeOf(2)})
		i := b.Input("i", idsT(ops.I32, 2))
		return b.Must(ops.ScatterAdd, ops.Attrs{"axis": 0, "shape": ops.ShapeOf(4)}, g, i)
	}, vals(tensor.F64, []int{2}, 1, 2), i32s([]int{2}, 4, 0))
	wantIndexError(t, err, "f.nn:3:12: scatter_add: index 4 out of range [-4, 4) at position 0 of the indices")

	_, err = runOne(t, func(b *ops.Builder) *ops.Node {
		g := b.Input("g", ops.Type{DType: ops.F32, Shape: ops.ShapeOf(1, 2)})
		i := b.Input("i", idsT(ops.I32, 1, 2))
		return b.Must(ops.ScatterAddAlong, ops.Attrs{"axis": 1, "shape": ops.ShapeOf(1, 3)}, g, i)
	}, vals(tensor.F32, []int{1, 2}, 1, 2), i32s([]int{1, 2}, 0, 9))
	wantIndexError(t, err, "f.nn:3:12: scatter_add_along: index 9 out of range [-3, 3) at position [0, 1] of the indices")
}

func TestEmbeddingIdOutOfRange(t *testing.T) {
	build := func(b *ops.Builder) *ops.Node {
		i := b.Input("i", idsT(ops.I32, 3))
		w := b.Input("w", ops.Type{DType: ops.F32, Shape: ops.ShapeOf(4, 2)})
		return b.Must(ops.Embedding, nil, i, w)
	}
	w := vals(tensor.F32, []int{4, 2}, 0, 1, 2, 3, 4, 5, 6, 7)
	_, err := runOne(t, build, i32s([]int{3}, 3, 4, 0), w)
	wantIndexError(t, err, "f.nn:3:12: embedding: id 4 out of range [0, 4) at position 1 of the ids")
	_, err = runOne(t, build, i32s([]int{3}, -1, 0, 0), w)
	wantIndexError(t, err, "f.nn:3:12: embedding: id -1 out of range [0, 4) at position 0 of the ids")

	_, err = runOne(t, func(b *ops.Builder) *ops.Node {
		i := b.Input("i", idsT(ops.I64, 2))
		g := b.Input("g", ops.Type{DType: ops.F64, Shape: ops.ShapeOf(2, 2)})
		return b.Must(ops.EmbeddingGrad, ops.Attrs{"shape": ops.ShapeOf(4, 2)}, i, g)
	}, i64s([]int{2}, 1, 1<<40), vals(tensor.F64, []int{2, 2}, 1, 2, 3, 4))
	wantIndexError(t, err, "f.nn:3:12: embedding_grad: id 1099511627776 out of range [0, 4) at position 1 of the ids")
}

func TestCrossEntropyLabelOutOfRange(t *testing.T) {
	logits := vals(tensor.F32, []int{2, 3}, 1, 2, 3, 4, 5, 6)
	for _, c := range []struct {
		name  string
		attrs ops.Attrs
	}{{"plain", nil}, {"smoothing", ops.Attrs{"label_smoothing": 0.1}}} {
		t.Run(c.name, func(t *testing.T) {
			_, err := runOne(t, func(b *ops.Builder) *ops.Node {
				z := b.Input("z", ops.Type{DType: ops.F32, Shape: ops.ShapeOf(2, 3)})
				y := b.Input("y", idsT(ops.I32, 2))
				return b.Must(ops.CrossEntropy, c.attrs, z, y)
			}, logits, i32s([]int{2}, 0, 3))
			wantIndexError(t, err, "f.nn:3:12: cross_entropy: label 3 out of range [0, 3) at position 1 of the labels")
		})
	}
	_, err := runOne(t, func(b *ops.Builder) *ops.Node {
		z := b.Input("z", ops.Type{DType: ops.F64, Shape: ops.ShapeOf(2, 3)})
		y := b.Input("y", idsT(ops.I64, 2))
		w := b.Input("w", ops.Type{DType: ops.F64, Shape: ops.ShapeOf(3)})
		return b.Must(ops.CrossEntropy, nil, z, y, w)
	}, vals(tensor.F64, []int{2, 3}, 1, 2, 3, 4, 5, 6), i64s([]int{2}, -1, 0), vals(tensor.F64, []int{3}, 1, 1, 1))
	wantIndexError(t, err, "f.nn:3:12: cross_entropy: label -1 out of range [0, 3) at position 0 of the labels")
}

func TestOneHotLabelOutOfRange(t *testing.T) {
	build := func(b *ops.Builder) *ops.Node {
		y := b.Input("y", idsT(ops.I32, 3))
		return b.Must(ops.OneHot, ops.Attrs{"n": 4, "dtype": ops.F32}, y)
	}
	_, err := runOne(t, build, i32s([]int{3}, 0, 3, 4))
	wantIndexError(t, err, "f.nn:3:12: one_hot: label 4 out of range [0, 4) at position 2 of the labels")
	out, err := runOne(t, build, i32s([]int{3}, 0, 3, 1))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := out[0].F32, []float32{1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0}; !equalF32(got, want) {
		t.Errorf("one_hot = %v, want %v", got, want)
	}
}

// A training step whose labels are out of range stops before its updates:
// the params keep their values, and the next run with valid labels works.
func TestIndexErrorStopsUpdates(t *testing.T) {
	b := ops.NewBuilder()
	b.SetPos(posF)
	x := b.Input("x", ops.Type{DType: ops.F32, Shape: ops.ShapeOf(2, 2)})
	y := b.Input("y", idsT(ops.I32, 2))
	w := b.Param("w", ops.Type{DType: ops.F32, Shape: ops.ShapeOf(2, 3)}, nil)
	loss := b.Must(ops.CrossEntropy, nil, b.Must(ops.Matmul, nil, x, w), y)
	gs, err := autodiff.Grad(b, loss, []*ops.Node{w})
	if err != nil {
		t.Fatal(err)
	}
	b.Update(w, b.Must(ops.Sub, nil, w, gs[0]))
	b.Output("loss", loss)
	store := NewStore()
	store.Set("w", vals(tensor.F32, []int{2, 3}, 1, 2, 3, 4, 5, 6))
	s := NewSession(b.G, store)
	xv := vals(tensor.F32, []int{2, 2}, 1, 0, 0, 1)
	_, err = s.Run(0, xv, i32s([]int{2}, 2, 10))
	var ie *ops.IndexError
	if !errors.As(err, &ie) || ie.Value != 10 || ie.Hi != 3 {
		t.Fatalf("error %v, want label 10 out of range [0, 3)", err)
	}
	if got, want := store.Get("w").F32, []float32{1, 2, 3, 4, 5, 6}; !equalF32(got, want) {
		t.Errorf("w after the failed step = %v, want it unchanged %v", got, want)
	}
	if _, err := s.Run(0, xv, i32s([]int{2}, 2, 0)); err != nil {
		t.Fatalf("run with valid labels after the error: %v", err)
	}
	if got := store.Get("w").F32; equalF32(got, []float32{1, 2, 3, 4, 5, 6}) {
		t.Errorf("w was not updated by the valid step: %v", got)
	}
}

// ops.Evaluate (the reference interpreter, used by gradcheck) reports the
// same error.
func TestEvaluateIndexError(t *testing.T) {
	b := ops.NewBuilder()
	b.SetPos(posF)
	x := b.Input("x", ops.Type{DType: ops.F64, Shape: ops.ShapeOf(5)})
	i := b.Input("i", idsT(ops.I32, 3))
	b.Output("y", b.Must(ops.Take, ops.Attrs{"axis": 0}, x, i))
	_, err := ops.Evaluate(b.G, map[string]*tensor.Tensor{
		"x": vals(tensor.F64, []int{5}, 1, 2, 3, 4, 5),
		"i": i32s([]int{3}, 0, 7, -9),
	}, nil)
	wantIndexError(t, err, "f.nn:3:12: take: index 7 out of range [-5, 5) at position 1 of the indices")
}

func equalF32(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
