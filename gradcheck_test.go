package nnc

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/nnclang/nnc/autodiff"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

const gradcheckSrc = `
import "std/nn"

model Net(hidden: int = 6) {
    l1   = nn.Dense(4, hidden)
    head = nn.Dense(hidden, 3)

    fn loss(x: f32[B, 4], y: i32[B]) -> f32 {
        return cross_entropy(head(tanh(l1(x))), y)
    }

    fn feats(x: f32[B, 4]) -> (f32[B, 3], f32) {
        h = head(tanh(l1(x)))
        return h, sum(h * h)
    }
}

fn f(x: f32[N]) -> f32 {
    return sum(exp(x))
}
`

func compileGradcheck(t *testing.T) *Program {
	t.Helper()
	p, err := Compile("gc.nn", []byte(gradcheckSrc))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestGradCheckModel(t *testing.T) {
	p := compileGradcheck(t)
	f, err := p.Func("Net.loss")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := f.GradCheck(GradCheckOptions{Seed: 1, Shapes: map[string]int{"B": 5}, Samples: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + reportText(rep))
	if !rep.OK {
		t.Fatalf("a correct gradient fails:\n%s", reportText(rep))
	}
	names := []string{}
	for _, c := range rep.Checks {
		names = append(names, c.Kind+":"+c.Name)
		if c.MaxRelErr > 1e-6 {
			t.Errorf("%s: relative error %g, want tiny in f64", c.Name, c.MaxRelErr)
		}
	}
	// Every float input and every parameter, not the integer labels.
	if got := strings.Join(names, " "); got != "input:x param:head.W param:head.b param:l1.W param:l1.b" {
		t.Errorf("checked %s", got)
	}
	for _, c := range rep.Checks {
		want := map[string]int{"x": 20, "head.W": 18, "head.b": 3, "l1.W": 24, "l1.b": 6}[c.Name]
		if c.Checked != want {
			t.Errorf("%s: %d elements checked, want all %d", c.Name, c.Checked, want)
		}
	}
}

func TestGradCheckTupleOutputAndGivenInput(t *testing.T) {
	p := compileGradcheck(t)
	f, err := p.Func("Net.feats")
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.New(tensor.F32, 2, 4)
	for i := range x.F32 {
		x.F32[i] = float32(i)/4 - 1
	}
	rep, err := f.GradCheck(GradCheckOptions{Inputs: map[string]*Tensor{"x": x}, Samples: 4})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || len(rep.Checks) != 5 || rep.Checks[0].Checked != 4 {
		t.Fatalf("tuple output:\n%s", reportText(rep))
	}
	if _, err := f.GradCheck(GradCheckOptions{Inputs: map[string]*Tensor{"z": x}}); err == nil {
		t.Error("no error for an unknown input")
	}
}

// A wrong custom gradient (twice the true one) is caught with relative
// error 1/2: |2e - e| / |2e|.
func TestGradCheckCatchesAWrongCustomGradient(t *testing.T) {
	if err := autodiff.RegisterCustom("gradcheck_test:double", autodiff.CustomRule{
		VJP: func(b *ops.Builder, in []*ops.Node, out, g *ops.Node) ([]*ops.Node, error) {
			two := b.Scalar(in[0].Type.DType, 2)
			return []*ops.Node{b.Must(ops.Mul, nil, two, b.Must(ops.Mul, nil, g, b.Must(ops.Exp, nil, in[0])))}, nil
		},
	}); err != nil {
		t.Fatal(err)
	}
	p := compileGradcheck(t)
	f, err := p.Func("f")
	if err != nil {
		t.Fatal(err)
	}
	// Wrap exp(x) (the operand of the final sum) in the custom rule.
	b := f.low.B
	sum := f.low.Outputs[0]
	c, err := autodiff.Custom(b, "gradcheck_test:double", []*ops.Node{sum.In[0].In[0]}, sum.In[0])
	if err != nil {
		t.Fatal(err)
	}
	f.low.Outputs[0] = b.Must(sum.Op, sum.Attrs, c)
	rep, err := f.GradCheck(GradCheckOptions{Shapes: map[string]int{"N": 4}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK || len(rep.Checks) != 1 || math.Abs(rep.Checks[0].MaxRelErr-0.5) > 1e-6 {
		t.Fatalf("wrong gradient not caught:\n%s", reportText(rep))
	}
	if w := rep.Worst(); w.Analytic/w.Numeric < 1.999 || w.Analytic/w.Numeric > 2.001 {
		t.Errorf("worst element: analytic %g numeric %g", w.Analytic, w.Numeric)
	}
}

// reportText prints a gradient check's report for a test's failure message.
func reportText(r *GradCheckReport) string {
	if r == nil {
		return "<nil report>"
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s: ok %v (tolerance %g, step %g)\n", r.Entry, r.OK, r.Tol, r.Eps)
	for _, c := range r.Checks {
		fmt.Fprintf(&sb, "  %+v\n", c)
	}
	return sb.String()
}
