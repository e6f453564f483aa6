package nnc

import (
	"math"
	"testing"
)

// Custom gradients written in .nn, checked numerically by GradCheck (what
// `nnc gradcheck` runs): right ones pass, a wrong one fails with the
// analytic and numeric derivatives where they differ.

func gradcheckFile(t *testing.T, path string, inputs map[string][]float64) *GradCheckReport {
	t.Helper()
	p, err := CompileFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := p.Func("f")
	if err != nil {
		t.Fatal(err)
	}
	given := map[string]*Tensor{}
	for name, xs := range inputs {
		v, err := TensorOf(F32, []int{len(xs)}, xs)
		if err != nil {
			t.Fatal(err)
		}
		given[name] = v
	}
	rep, err := f.GradCheck(GradCheckOptions{Inputs: given, Seed: 3, Samples: -1})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestGradCheckCustomGradientRight(t *testing.T) {
	rep := gradcheckFile(t, "lang/testdata/customgrad/good.nn", nil)
	if !rep.OK || len(rep.Checks) != 2 {
		t.Fatalf("right custom gradients fail:\n%s", reportText(rep))
	}
	for _, c := range rep.Checks {
		if c.Checked != 3 || c.MaxRelErr > 1e-6 {
			t.Errorf("%s: %d checked, relative error %g", c.Name, c.Checked, c.MaxRelErr)
		}
	}
}

func TestGradCheckCustomGradientWrong(t *testing.T) {
	xs := []float64{0.5, -1.25, 2}
	rep := gradcheckFile(t, "lang/testdata/customgrad/wrong.nn", map[string][]float64{"x": {0.5, -1.25, 2}})
	if rep.OK {
		t.Fatalf("a wrong custom gradient passes:\n%s", reportText(rep))
	}
	w := rep.Worst()
	if w.Name != "x" || w.At < 0 || w.At >= len(xs) {
		t.Fatalf("worst item %+v", w)
	}
	// f = sum(x²·tanh x): the true derivative is 2x·tanh x + x²·sech² x; the
	// gradient block gives x·g for x², so the analytic one is
	// x·tanh x + x²·sech² x.
	x := xs[w.At]
	th := math.Tanh(x)
	numeric := 2*x*th + x*x*(1-th*th)
	analytic := x*th + x*x*(1-th*th)
	if math.Abs(w.Numeric-numeric) > 1e-6*math.Abs(numeric) || math.Abs(w.Analytic-analytic) > 1e-9*math.Abs(analytic) {
		t.Fatalf("at x = %g: analytic %g, numeric %g; want %g and %g", x, w.Analytic, w.Numeric, analytic, numeric)
	}
}

func TestGradCheckStraightThroughIsNotTheDerivative(t *testing.T) {
	rep := gradcheckFile(t, "lang/testdata/customgrad/ste.nn", map[string][]float64{"x": {0.5, -1.25, 2}})
	if rep.OK {
		t.Fatalf("a straight-through gradient passes as the derivative:\n%s", reportText(rep))
	}
	// f = sum(sign(x)·x): the derivative is sign(x); through the block it
	// is x + sign(x).
	w := rep.Worst()
	x := []float64{0.5, -1.25, 2}[w.At]
	s := math.Copysign(1, x)
	if math.Abs(w.Numeric-s) > 1e-6 || math.Abs(w.Analytic-(x+s)) > 1e-9 {
		t.Fatalf("at x = %g: analytic %g, numeric %g; want %g and %g", x, w.Analytic, w.Numeric, x+s, s)
	}
}
