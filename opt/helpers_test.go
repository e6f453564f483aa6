package opt

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

// f64 is a concrete f64 type.
func f64(dims ...int) ops.Type { return ops.Type{DType: ops.F64, Shape: ops.ShapeOf(dims...)} }

// randomInputs draws values for every leaf of g: normal values, with a share
// of special ones (±0, ±Inf, NaN) when special is set.
func randomInputs(g *ops.Graph, rng *rand.Rand, special bool) map[string]*tensor.Tensor {
	vals := map[string]*tensor.Tensor{}
	for _, n := range g.Nodes {
		if !n.Op.Leaf {
			continue
		}
		s, ok := n.Type.Shape.Concrete()
		if !ok {
			panic(fmt.Sprintf("leaf %s has a symbolic shape", n.Name()))
		}
		t := tensor.New(n.Type.DType, s...)
		for i := range t.Len() {
			v := rng.NormFloat64()
			if special {
				switch rng.IntN(8) {
				case 0:
					v = math.Copysign(0, -1)
				case 1:
					v = 0
				case 2:
					v = math.Inf(1 - 2*rng.IntN(2))
				case 3:
					v = math.NaN()
				}
			}
			if n.Type.DType.IsInt() {
				v = float64(rng.IntN(3))
			}
			t.Set(i, v)
		}
		vals[n.Name()] = t
	}
	return vals
}

// outputs evaluates g with the reference interpreter and returns its outputs
// and update values by name ("update NAME" for updates).
func outputs(t *testing.T, g *ops.Graph, in map[string]*tensor.Tensor) map[string]*tensor.Tensor {
	t.Helper()
	vals, err := ops.Evaluate(g, in, nil)
	if err != nil {
		t.Fatalf("evaluate: %v\n%v", err, g)
	}
	out := map[string]*tensor.Tensor{}
	for _, o := range g.Outputs {
		out[o.Name] = vals[o.Node]
	}
	for _, u := range g.Updates {
		out["update "+u.Target.Name()] = vals[u.Value]
	}
	return out
}

// same reports whether a and b are bitwise equal, any NaN matching any NaN.
func same(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b) || (math.IsNaN(a) && math.IsNaN(b))
}

// near reports |a-b| <= atol + rtol*|b|, with equal infinities and NaNs
// matching.
func near(a, b, rtol, atol float64) bool {
	if same(a, b) || a == b {
		return true
	}
	return math.Abs(a-b) <= atol+rtol*math.Abs(b)
}

// compare requires the outputs of want and got to agree: bitwise when rtol
// and atol are 0, within the tolerance otherwise.
func compare(t *testing.T, what string, want, got map[string]*tensor.Tensor, rtol, atol float64) {
	t.Helper()
	if len(want) != len(got) {
		t.Fatalf("%s: %d results, want %d", what, len(got), len(want))
	}
	for name, w := range want {
		g := got[name]
		if g == nil {
			t.Fatalf("%s: no result %s", what, name)
		}
		if g.DType != w.DType || fmt.Sprint(g.Shape) != fmt.Sprint(w.Shape) {
			t.Fatalf("%s: %s is %v%v, want %v%v", what, name, g.DType, g.Shape, w.DType, w.Shape)
		}
		for i := range w.Len() {
			a, b := g.At(i), w.At(i)
			ok := same(a, b)
			if rtol != 0 || atol != 0 {
				ok = near(a, b, rtol, atol)
			}
			if !ok {
				t.Fatalf("%s: %s[%d] = %v, want %v", what, name, i, a, b)
			}
		}
	}
}

// opCount counts the nodes of op name in g.
func opCount(g *ops.Graph, name string) int {
	c := 0
	for _, n := range g.Nodes {
		if n.Op.Name == name {
			c++
		}
	}
	return c
}

// mustPass runs pass name on g with the verifier.
func mustPass(t *testing.T, name string, g *ops.Graph) *ops.Graph {
	t.Helper()
	p, ok := Lookup(name)
	if !ok {
		t.Fatalf("no pass %s", name)
	}
	out, err := runPass(p, g)
	if err != nil {
		t.Fatal(err)
	}
	if err := ops.Verify(out); err != nil {
		t.Fatalf("after %s: %v\n%v", name, err, out)
	}
	return out
}
