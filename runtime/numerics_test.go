package runtime

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/nnclang/nnc/autodiff"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

// at sets the builder's position to line:col of "t.nn".
func at(b *ops.Builder, line, col int) { b.SetPos(ops.Pos{File: "t.nn", Line: line, Col: col}) }

func f32N(d ...int) ops.Type { return ops.Type{DType: ops.F32, Shape: ops.ShapeOf(d...)} }

// runChecked runs g once with o on a fresh session over store.
func runChecked(t *testing.T, g *ops.Graph, store *Store, o NumericsOptions, in ...*tensor.Tensor) ([]*tensor.Tensor, error) {
	t.Helper()
	s := NewSession(g, store)
	if err := s.SetNumerics(o); err != nil {
		t.Fatal(err)
	}
	return s.Run(7, in...)
}

func numericsError(t *testing.T, err error) *NumericsError {
	t.Helper()
	var e *NumericsError
	if !errors.As(err, &e) {
		t.Fatalf("err = %v, want a *NumericsError", err)
	}
	return e
}

// TestNumericsLogZero: y = 2 * log(x) on x = [4, 0, 1, 0]: log is the first
// op with a non-finite value (-Inf at [1] and [3]) from finite operands; the
// mul after it only carries the values on and is not blamed.
func TestNumericsLogZero(t *testing.T) {
	b := ops.NewBuilder()
	x := b.Input("x", f32N(4))
	at(b, 3, 9)
	l := b.Must(ops.Log, nil, x)
	at(b, 3, 5)
	b.Output("y", b.Mul(b.Scalar(ops.F32, 2), l))
	in := vals(tensor.F32, []int{4}, 4, 0, 1, 0)
	_, err := runChecked(t, b.G, NewStore(), NumericsOptions{Check: true}, in)
	e := numericsError(t, err)
	if e.Node != l || e.Pos().String() != "t.nn:3:9" || e.Node.Op != ops.Log {
		t.Fatalf("blamed %s at %s, want log at t.nn:3:9", e.Node.Op.Name, e.Pos())
	}
	want := ValueStats{Len: 4, NegInf: 2, Min: 0, Max: math.Log(4), Float: true}
	if got := e.Output; got.Len != want.Len || got.NegInf != 2 || got.NaN != 0 || got.PosInf != 0 || got.Min != 0 || float32(got.Max) != float32(want.Max) {
		t.Errorf("output stats %+v, want %+v", got, want)
	}
	if len(e.First) != 1 || e.First[0] != 1 {
		t.Errorf("first non-finite at %v, want [1]", e.First)
	}
	if len(e.Operands) != 1 || e.Operands[0].Stats.Zeros != 2 || e.Operands[0].Stats.Min != 0 || e.Operands[0].Stats.Max != 4 {
		t.Errorf("operands %+v, want one in [0, 4] with 2 zeros", e.Operands)
	}
	msg := e.Error()
	for _, s := range []string{"t.nn:3:9: log gave -Inf (2 of 4 values, first at [1] of f32[4]) from finite operands", "operand 1: input x f32[4]: in [0, 4], 2 zeros"} {
		if !strings.Contains(msg, s) {
			t.Errorf("message %q lacks %q", msg, s)
		}
	}
}

// TestNumericsZeroOverZero: d / d with a zero in d is NaN at that element.
func TestNumericsZeroOverZero(t *testing.T) {
	b := ops.NewBuilder()
	x := b.Input("x", f32N(2, 2))
	at(b, 5, 12)
	q := b.Div(x, x)
	b.Output("q", b.Must(ops.Sum, nil, q))
	_, err := runChecked(t, b.G, NewStore(), NumericsOptions{Check: true}, vals(tensor.F32, []int{2, 2}, 1, 2, 0, 3))
	e := numericsError(t, err)
	if e.Node != q || e.Output.NaN != 1 || e.Output.NonFinite() != 1 || e.First[0] != 1 || e.First[1] != 0 {
		t.Fatalf("got %+v, want div with 1 NaN first at [1 0]", e)
	}
	if !strings.HasPrefix(e.Error(), "t.nn:5:12: div gave NaN (1 of 4 values, first at [1 0] of f32[2, 2]) from finite operands\n\toperand 1: input x f32[2, 2]: in [0, 3], 1 zero") {
		t.Errorf("message %q", e.Error())
	}
}

// TestNumericsPassThrough: a NaN in the input is carried on by every op
// and is nobody's fault; a -Inf constant (a mask) is allowed; the checked
// run returns the same values as an unchecked one. With the output
// guarded, the NaN reaching it is traced to the input.
func TestNumericsPassThrough(t *testing.T) {
	b := ops.NewBuilder()
	x := b.Input("x", f32N(3))
	at(b, 2, 1)
	m := b.Must(ops.Where, nil, b.Must(ops.Greater, nil, x, b.Scalar(ops.F32, 0)), x, b.Full(f32N(3), math.Inf(-1)))
	sm := b.Must(ops.Softmax, ops.Attrs{"axis": -1}, m)
	b.Output("p", sm)
	b.Output("y", b.Must(ops.Sum, nil, b.Mul(x, sm)))
	in := vals(tensor.F32, []int{3}, 1, -2, 3)
	plain, err := NewSession(b.G, NewStore()).Run(0, in)
	if err != nil {
		t.Fatal(err)
	}
	want := plain[0].Clone()
	got, err := runChecked(t, b.G, NewStore(), NumericsOptions{Check: true}, in)
	if err != nil {
		t.Fatalf("a -Inf mask: %v", err)
	}
	for i := range want.F32 {
		if math.Float32bits(got[0].F32[i]) != math.Float32bits(want.F32[i]) {
			t.Fatalf("checked %v, unchecked %v", got[0].F32, want.F32)
		}
	}
	nan := vals(tensor.F32, []int{3}, 1, math.NaN(), 3)
	if _, err := runChecked(t, b.G, NewStore(), NumericsOptions{Check: true}, nan); err != nil {
		t.Fatalf("a NaN input carried on: %v", err)
	}
	_, err = runChecked(t, b.G, NewStore(), NumericsOptions{Check: true, Guard: "y"}, nan)
	e := numericsError(t, err)
	if e.Node != nil || len(e.Sources) != 1 || e.Sources[0].Node != x || e.Sources[0].Stats.NaN != 1 {
		t.Fatalf("got %+v, want the input x as the only source", e)
	}
	if msg := e.Error(); !strings.Contains(msg, "the output y is NaN") || !strings.Contains(msg, "input x (1 NaN of 3; finite values in [1, 3])") {
		t.Errorf("message %q", msg)
	}
}

// sgdStep builds loss = sum(sqrt(x * w)) (or sum((x*w)^2) with square)
// with its SGD update w -= lr * dloss/dw, the update's ops without a
// position, as train.BuildStep makes them.
func sgdStep(lr float64, square bool) (g *ops.Graph, w, fwd *ops.Node) {
	b := ops.NewBuilder()
	x := b.Input("x", f32N(3))
	w = b.Param("w", f32N(3), ops.Attrs{"init": "zeros"})
	at(b, 4, 7)
	xw := b.Mul(x, w)
	at(b, 4, 12)
	if square {
		fwd = b.Mul(xw, xw)
	} else {
		fwd = b.Must(ops.Sqrt, nil, xw)
	}
	at(b, 4, 3)
	loss := b.Must(ops.Sum, nil, fwd)
	b.Output("loss", loss)
	b.SetPos(ops.Pos{})
	gr, err := autodiff.Grad(b, loss, []*ops.Node{w})
	if err != nil {
		panic(err)
	}
	b.Update(w, b.Sub(w, b.Mul(b.Scalar(ops.F32, lr), gr[0])))
	return b.G, w, fwd
}

// TestNumericsGradient: sqrt(x*w) at x*w = 0 is 0, but its derivative
// 1/(2 sqrt(0)) is +Inf: the fault is in the gradient of sqrt, at sqrt's
// position; the param is not updated.
func TestNumericsGradient(t *testing.T) {
	g, w, sq := sgdStep(0.1, false)
	store := NewStore()
	store.Set("w", vals(tensor.F32, []int{3}, 1, 0, 2))
	_, err := runChecked(t, g, store, NumericsOptions{Check: true, Guard: "loss"}, vals(tensor.F32, []int{3}, 1, 1, 1))
	e := numericsError(t, err)
	if e.Grad != sq || e.Pos() != sq.Pos || e.Update != nil {
		t.Fatalf("got node %s at %s, grad %v, want the gradient of sqrt at t.nn:4:12", e.Node.Op.Name, e.Pos(), e.Grad)
	}
	if !strings.HasPrefix(e.Error(), "t.nn:4:12: in the gradient of sqrt: ") {
		t.Errorf("message %q", e.Error())
	}
	if got := store.Get("w").F32; got[0] != 1 || got[1] != 0 || got[2] != 2 {
		t.Errorf("w = %v after a failed step, want [1 0 2]", got)
	}
	_ = w
}

// TestNumericsUpdate: with x*w = 2e19 the loss (x*w)^2 = 4e38 overflows
// f32 (largest finite 3.4e38) in the forward pass; with x*w = 1e18 the
// loss 1e36 is finite, the gradient 2·1e18 too, and the update's lr·g =
// 1e30·2e18 overflows: a fault in the update of w, reported at w's
// position.
func TestNumericsUpdate(t *testing.T) {
	for _, tc := range []struct {
		wv     float64
		inFwd  bool
		prefix string
	}{
		{2e19, true, "t.nn:4:12: mul gave +Inf (1 of 3 values, first at [0] of f32[3]) from finite operands\n\toperand 1: mul at t.nn:4:7 f32[3]: in [0, 2e+19], 2 zeros"},
		{1e18, false, "t.nn:1:1: in the update of param w: mul gave +Inf (1 of 3 values, first at [0] of f32[3]) from finite operands\n\toperand 1: const 1e+30 f32: in [1e+30, 1e+30]\n\toperand 2: mul (backward) at t.nn:4:7 f32[3]: in [0, 2e+18], 2 zeros"},
	} {
		g, w, sq := sgdStep(1e30, true)
		w.Pos = ops.Pos{File: "t.nn", Line: 1, Col: 1}
		store := NewStore()
		store.Set("w", vals(tensor.F32, []int{3}, tc.wv, 0, 0))
		_, err := runChecked(t, g, store, NumericsOptions{Check: true, Guard: "loss"}, vals(tensor.F32, []int{3}, 1, 1, 1))
		e := numericsError(t, err)
		if tc.inFwd && (e.Node != sq || e.Grad != nil || e.Update != nil) {
			t.Errorf("w = %g: blamed %s (grad %v, update %v), want the forward square", tc.wv, e.Node.Op.Name, e.Grad, e.Update)
		}
		if !tc.inFwd && e.Update != w {
			t.Errorf("w = %g: update %v, want w", tc.wv, e.Update)
		}
		if !strings.HasPrefix(e.Error(), tc.prefix) {
			t.Errorf("w = %g: message %q, want prefix %q", tc.wv, e.Error(), tc.prefix)
		}
	}
}

// TestNumericsGuard: without Check, a non-finite guarded output stops the
// run before its updates with a *NonFiniteError; the store keeps w.
func TestNumericsGuard(t *testing.T) {
	g, _, _ := sgdStep(0.1, false)
	store := NewStore()
	store.Set("w", vals(tensor.F32, []int{3}, -1, 0, 2))
	_, err := runChecked(t, g, store, NumericsOptions{Guard: "loss"}, vals(tensor.F32, []int{3}, 1, 1, 1))
	var nf *NonFiniteError
	if !errors.As(err, &nf) || nf.Output != "loss" || nf.Stats.NaN != 1 {
		t.Fatalf("err = %v, want the loss NaN", err)
	}
	if err.Error() != "t.nn:4:3: the output loss is NaN" {
		t.Errorf("message %q", err.Error())
	}
	if got := store.Get("w").F32; got[0] != -1 || got[1] != 0 || got[2] != 2 {
		t.Errorf("w = %v after a stopped step, want [-1 0 2]", got)
	}
	// A finite step applies its update: w = [1 4] - 0.1 · x/(2 sqrt(x w)).
	store.Set("w", vals(tensor.F32, []int{3}, 1, 4, 1))
	if _, err := runChecked(t, g, store, NumericsOptions{Guard: "loss"}, vals(tensor.F32, []int{3}, 1, 1, 1)); err != nil {
		t.Fatal(err)
	}
	if got := store.Get("w").F32; got[0] != float32(1-0.1*0.5) || got[1] != float32(4-0.1*0.25) {
		t.Errorf("w = %v, want [0.95 3.975 0.95]", got)
	}
}

// TestNumericsUpdateFromSource: a NaN input that only the update reads
// reaches w's new value; the checks stop before the update, naming the
// input.
func TestNumericsUpdateFromSource(t *testing.T) {
	b := ops.NewBuilder()
	x := b.Input("x", f32N(2))
	w := b.Param("w", f32N(2), ops.Attrs{"init": "zeros"})
	b.Output("w2", b.Mul(w, w))
	b.Update(w, b.Add(w, x))
	store := NewStore()
	store.Set("w", vals(tensor.F32, []int{2}, 1, 2))
	_, err := runChecked(t, b.G, store, NumericsOptions{Check: true}, vals(tensor.F32, []int{2}, math.Inf(1), 0))
	e := numericsError(t, err)
	if e.Value != "the update of param w" || len(e.Sources) != 1 || e.Sources[0].Node != x || e.Sources[0].Stats.PosInf != 1 {
		t.Fatalf("got %+v", e)
	}
	if got := store.Get("w").F32; got[0] != 1 || got[1] != 2 {
		t.Errorf("w = %v, want [1 2]", got)
	}
}

// TestStatsOf counts by hand.
func TestStatsOf(t *testing.T) {
	inf := math.Inf(1)
	for _, dt := range []tensor.DType{tensor.F32, tensor.F64} {
		s := StatsOf(vals(dt, []int{7}, 0, -3, math.NaN(), inf, -inf, 0.5, 0))
		if s.Len != 7 || s.NaN != 1 || s.PosInf != 1 || s.NegInf != 1 || s.Zeros != 2 || s.Min != -3 || s.Max != 0.5 || !s.Float {
			t.Errorf("%v: %+v", dt, s)
		}
		if got := s.String(); got != "1 NaN, 1 +Inf, 1 -Inf of 7; finite values in [-3, 0.5], 2 zeros" {
			t.Errorf("%v: %q", dt, got)
		}
		if got := StatsOf(vals(dt, []int{2}, math.NaN(), inf)).String(); got != "1 NaN, 1 +Inf of 2; no finite value" {
			t.Errorf("%q", got)
		}
	}
	s := StatsOf(vals(tensor.I32, []int{3}, 4, -1, 0))
	if s.Min != -1 || s.Max != 4 || s.Zeros != 1 || s.NonFinite() != 0 || s.Float {
		t.Errorf("i32: %+v", s)
	}
	// The largest finite f32 is finite.
	if s := StatsOf(vals(tensor.F32, []int{2}, math.MaxFloat32, -math.MaxFloat32)); s.NonFinite() != 0 {
		t.Errorf("max float32: %+v", s)
	}
}

// TestSetNumericsUnknownOutput: a guard on an output that does not exist is
// an error.
func TestSetNumericsUnknownOutput(t *testing.T) {
	g, _, _ := sgdStep(0.1, false)
	s := NewSession(g, NewStore())
	if err := s.SetNumerics(NumericsOptions{Guard: "nope"}); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("err = %v", err)
	}
	if err := s.SetNumerics(NumericsOptions{Check: true, Forward: []string{"x"}}); err == nil {
		t.Error("unknown forward output accepted")
	}
}

// TestNumericsNoUpdates: a run with NoUpdates computes the outputs and
// leaves the store as it was.
func TestNumericsNoUpdates(t *testing.T) {
	g, _, _ := sgdStep(0.1, false)
	store := NewStore()
	store.Set("w", vals(tensor.F32, []int{3}, 1, 4, 1))
	out, err := runChecked(t, g, store, NumericsOptions{NoUpdates: true}, vals(tensor.F32, []int{3}, 1, 1, 1))
	if err != nil {
		t.Fatal(err)
	}
	if out[0].F32[0] != 4 {
		t.Errorf("loss %v, want 1+2+1", out[0].F32)
	}
	if got := store.Get("w").F32; got[0] != 1 || got[1] != 4 || got[2] != 1 {
		t.Errorf("w = %v, want [1 4 1]", got)
	}
}

// TestNumericsInPlaceOperand: exp(100 x) runs in place over the product
// it reads last; the product's range is measured again (the steps before
// exp rerun) rather than read from exp's overwritten buffer.
func TestNumericsInPlaceOperand(t *testing.T) {
	b := ops.NewBuilder()
	x := b.Input("x", f32N(3))
	at(b, 2, 20)
	m := b.Mul(x, b.Scalar(ops.F32, 100))
	at(b, 2, 9)
	ex := b.Must(ops.Exp, nil, m)
	at(b, 2, 5)
	b.Output("y", b.Must(ops.Sum, nil, ex))
	s := NewSession(b.G, NewStore())
	if err := s.SetNumerics(NumericsOptions{Check: true}); err != nil {
		t.Fatal(err)
	}
	in := vals(tensor.F32, []int{3}, 0.5, 1, -0.25)
	_, err := s.Run(0, in)
	e := numericsError(t, err)
	p, perr := s.Plan(in)
	if perr != nil {
		t.Fatal(perr)
	}
	inPlace := false
	for _, st := range p.Steps {
		inPlace = inPlace || st.Node == ex && st.InPlace == 0
	}
	if !inPlace {
		t.Fatal("exp does not run in place: the test does not test the replay")
	}
	if e.Node != ex || e.Output.PosInf != 1 || e.First[0] != 1 {
		t.Fatalf("got %+v", e)
	}
	if op := e.Operands[0]; op.Lost || op.Stats.Min != -25 || op.Stats.Max != 100 || op.Stats.Len != 3 {
		t.Errorf("operand %+v, want the product in [-25, 100]", op)
	}
}

// TestHasNonFinite: the bit test agrees with math.IsNaN and math.IsInf on
// the edge values, at every position (the unrolled loop and its tail).
func TestHasNonFinite(t *testing.T) {
	edges := []float64{0, math.Copysign(0, -1), math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32, 1, -1e-40}
	bad := []float64{math.NaN(), math.Inf(1), math.Inf(-1)}
	for _, dt := range []tensor.DType{tensor.F32, tensor.F64} {
		for n := 1; n <= 9; n++ {
			v := make([]float64, n)
			for i := range v {
				v[i] = edges[i%len(edges)]
			}
			if hasNonFinite(vals(dt, []int{n}, v...)) {
				t.Errorf("%v %v: finite values seen as non-finite", dt, v)
			}
			for pos := range n {
				for _, b := range bad {
					w := append([]float64(nil), v...)
					w[pos] = b
					if !hasNonFinite(vals(dt, []int{n}, w...)) {
						t.Errorf("%v %v: %v at %d not seen", dt, w, b, pos)
					}
				}
			}
		}
	}
	if hasNonFinite(vals(tensor.F64, []int{2}, math.MaxFloat64, -math.MaxFloat64)) {
		t.Error("max float64 seen as non-finite")
	}
}
