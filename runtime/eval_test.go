package runtime

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nnclang/nnc/autodiff"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

// randomGraph builds a graph of random ops over f64 values of shapes [B, 4],
// [4], [4, 4] and scalars, dropout and reshapes included, with a gradient of a random scalar and an update
// of a param, so that sessions can be compared with ops.Evaluate.
func randomGraph(r *rand.Rand) *ops.Builder {
	b := ops.NewBuilder()
	B, four := ops.DimVar("B"), ops.DimConst(4)
	x := b.Input("x", ops.Type{DType: ops.F64, Shape: ops.Shape{B, four}})
	v := b.Input("v", ops.Type{DType: ops.F64, Shape: ops.Shape{four}})
	p := b.Param("p", ops.Type{DType: ops.F64, Shape: ops.Shape{four, four}}, nil)
	pool := []*ops.Node{x, v, p, b.Scalar(ops.F64, 0.5)}
	pick := func() *ops.Node {
		if r.IntN(2) == 0 { // favour recent values: deeper graphs
			return pool[len(pool)-1-r.IntN(min(3, len(pool)))]
		}
		return pool[r.IntN(len(pool))]
	}
	apply := func(op string, a ops.Attrs, in ...*ops.Node) {
		defer func() { _ = recover() }() // a rule that rejects odd attributes by panicking: skip
		if n, err := b.Apply(ops.MustLookup(op), a, in...); err == nil {
			pool = append(pool, n)
		}
	}
	unary := []string{"neg", "tanh", "sigmoid", "relu", "square", "abs"}
	binary := []string{"add", "sub", "mul", "maximum"}
	for len(pool) < 30 {
		switch r.IntN(12) {
		case 0, 1:
			apply(unary[r.IntN(len(unary))], nil, pick())
		case 2, 3:
			apply(binary[r.IntN(len(binary))], nil, pick(), pick())
		case 4:
			apply("matmul", nil, pick(), pick())
		case 5:
			a := ops.Attrs{"keepdims": r.IntN(2) == 0}
			if r.IntN(3) > 0 {
				a["axes"] = []int{r.IntN(2)}
			}
			apply([]string{"sum", "mean"}[r.IntN(2)], a, pick())
		case 6:
			apply([]string{"softmax", "log_softmax"}[r.IntN(2)], ops.Attrs{"axis": -1}, pick())
		case 7:
			apply("transpose", ops.Attrs{"perm": []int{1, 0}}, pick())
		case 8: // seeded by the run's seed: the session and Evaluate draw one mask
			pool = append(pool, ops.Dropout(b, pick(), 0.5))
		case 9: // flatten, often aliasing its operand's buffer
			n := pick()
			apply("reshape", ops.Attrs{"shape": ops.Shape{n.Type.Shape.NumElems()}}, n)
		case 10: // whole rows: a view of its operand at an offset
			apply("slice", ops.Attrs{"starts": []int{r.IntN(2)}, "stops": []int{2 + r.IntN(2)}}, pick())
		case 11: // columns of several rows: a copy
			apply("slice", ops.Attrs{"starts": []int{ops.SliceNone, 1}, "stops": []int{ops.SliceNone, 3}}, pick())
		}
	}
	last := pool[len(pool)-1]
	b.Output("last", last)
	for range 3 {
		n := pool[4+r.IntN(len(pool)-4)]
		b.Output(fmt.Sprint("n", n.ID), n)
	}
	y := b.SumTo(last, ops.Shape{})
	gs, err := autodiff.Grad(b, y, []*ops.Node{x, v, p})
	if err != nil {
		panic(err)
	}
	for i, g := range gs {
		b.Output(fmt.Sprint("grad", i), g)
	}
	b.Update(p, b.Must(ops.Sub, nil, p, b.Must(ops.Mul, nil, b.Scalar(ops.F64, 0.01), gs[2])))
	return b
}

func sameFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && !(math.IsNaN(a[i]) && math.IsNaN(b[i])) {
			return false
		}
	}
	return true
}

func TestSessionMatchesEvaluate(t *testing.T) {
	inPlace := 0 // steps written over a dying operand, over all graphs
	defer func() {
		if inPlace == 0 {
			t.Errorf("no random graph ran a step in place")
		}
	}()
	for seed := range uint64(25) {
		r := rand.New(rand.NewPCG(seed, 99))
		g := randomGraph(r).G
		store := NewStore()
		store.Set("p", randT(r, 4, 4))
		s := NewSession(g, store)
		for _, batch := range []int{3, 5, 3} {
			x, v := randT(r, batch, 4), randT(r, 4)
			pOld := store.Get("p").Clone()
			ref, err := ops.Evaluate(g, map[string]*tensor.Tensor{"x": x, "v": v, "p": pOld}, &ops.Ctx{Seed: seed})
			if err != nil {
				t.Fatalf("seed %d: Evaluate: %v", seed, err)
			}
			out, err := s.Run(seed, x, v)
			if err != nil {
				t.Fatalf("seed %d: Run: %v", seed, err)
			}
			for i, o := range g.Outputs {
				want := ref[o.Node]
				if !sameFloats(out[i].Float64s(), want.Float64s()) || !sameShape(out[i].Shape, want.Shape) {
					t.Fatalf("seed %d, B=%d: output %s (%s) = %v, Evaluate gives %v", seed, batch, o.Name, o.Node.Op.Name, out[i], want)
				}
			}
			if want := ref[g.Updates[0].Value]; !sameFloats(store.Get("p").F64, want.F64) {
				t.Fatalf("seed %d: updated p = %v, want %v", seed, store.Get("p"), want)
			}
			p, _ := s.Plan(x, v)
			checkPlan(t, p)
			for _, st := range p.Steps {
				if st.InPlace >= 0 {
					inPlace++
				}
			}
		}
	}
}

func randT(r *rand.Rand, dims ...int) *tensor.Tensor {
	x := tensor.New(tensor.F64, dims...)
	for i := range x.F64 {
		x.F64[i] = r.NormFloat64()
	}
	return x
}
