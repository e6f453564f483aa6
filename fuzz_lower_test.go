package nnc_test

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/nnclang/nnc"
	"github.com/nnclang/nnc/tensor"
)

// progGen builds a random well-typed program from fuzz bytes: inputs
// x: f32[A, B], y: f32[B] and w: f32[B, C] with A, B, C in 1..4, then
// statements of elementwise, matmul, reduction, reshape, broadcast and
// transpose ops on small concrete shapes, and a scalar result.
type progGen struct {
	data []byte
	pos  int
	vars []genVar
	body strings.Builder
}

type genVar struct {
	name  string
	shape []int
}

func (g *progGen) next() int {
	if g.pos >= len(g.data) {
		return 0
	}
	b := g.data[g.pos]
	g.pos++
	return int(b)
}

func (g *progGen) pick() genVar { return g.vars[g.next()%len(g.vars)] }

func dimsText(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = fmt.Sprint(d)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func sameShape(a, b []int) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

// add declares a new variable of the given shape.
func (g *progGen) add(shape []int, format string, a ...any) {
	name := fmt.Sprintf("v%d", len(g.vars))
	fmt.Fprintf(&g.body, "    %s = %s\n", name, fmt.Sprintf(format, a...))
	g.vars = append(g.vars, genVar{name, shape})
}

// stmt adds one statement chosen by the next byte; a choice that does not
// apply to the operand picked falls through to an elementwise op.
func (g *progGen) stmt(w genVar) {
	v := g.pick()
	r := len(v.shape)
	switch g.next() % 12 {
	case 0:
		fn := []string{"relu", "tanh", "sigmoid", "abs", "exp", "softplus"}[g.next()%6]
		if fn == "exp" {
			g.add(v.shape, "exp(clip(%s, -4.0, 4.0))", v.name)
			return
		}
		g.add(v.shape, "%s(%s)", fn, v.name)
	case 1, 2:
		u := g.pick()
		op := []string{"+", "-", "*"}[g.next()%3]
		switch {
		case sameShape(u.shape, v.shape):
			g.add(v.shape, "%s %s %s", v.name, op, u.name)
		case len(u.shape) == 0:
			g.add(v.shape, "%s %s %s", v.name, op, u.name)
		case r >= 1 && len(u.shape) == 1 && u.shape[0] == v.shape[r-1]:
			g.add(v.shape, "%s %s %s", v.name, op, u.name) // broadcast along the last axis
		default:
			g.add(v.shape, "%s %s 0.5", v.name, op)
		}
	case 3:
		if r == 2 && v.shape[1] == w.shape[0] {
			g.add([]int{v.shape[0], w.shape[1]}, "%s @ %s", v.name, w.name)
			return
		}
		if r == 1 && v.shape[0] == w.shape[0] {
			g.add([]int{w.shape[1]}, "%s @ %s", v.name, w.name)
			return
		}
		g.add(v.shape, "-%s", v.name)
	case 4, 5:
		if r == 0 {
			g.add(nil, "%s * %s", v.name, v.name)
			return
		}
		ax := g.next() % r
		fn := []string{"sum", "mean", "max"}[g.next()%3]
		out := append(append([]int(nil), v.shape[:ax]...), v.shape[ax+1:]...)
		g.add(out, "%s(%s, axis = %d)", fn, v.name, ax)
	case 6:
		n := 1
		for _, d := range v.shape {
			n *= d
		}
		g.add([]int{n}, "reshape(%s, [%d])", v.name, n)
	case 7:
		if r <= 2 {
			m := 1 + g.next()%3
			out := append([]int{m}, v.shape...)
			g.add(out, "broadcast_to(%s, %s)", v.name, dimsText(out))
			return
		}
		g.add(v.shape, "%s * %s", v.name, v.name)
	case 8:
		if r == 2 {
			g.add([]int{v.shape[1], v.shape[0]}, "%s.T", v.name)
			return
		}
		g.add(v.shape, "square(%s)", v.name)
	case 9:
		if r >= 1 {
			g.add(v.shape, "softmax(%s, axis = %d)", v.name, r-1)
			return
		}
		g.add(v.shape, "tanh(%s)", v.name)
	case 10:
		if r >= 1 && v.shape[0] > 1 {
			out := append([]int{v.shape[0] - 1}, v.shape[1:]...)
			g.add(out, "%s[1:]", v.name)
			return
		}
		g.add(v.shape, "%s / (1.0 + %s * %s)", v.name, v.name, v.name)
	default:
		g.add(v.shape, "where(%s > 0.0, %s, 0.25 * %s)", v.name, v.name, v.name)
	}
}

// program returns the source of entry f and the input shapes.
func (g *progGen) program() (string, map[string][]int) {
	a, b, c := 1+g.next()%4, 1+g.next()%4, 1+g.next()%4
	shapes := map[string][]int{"x": {a, b}, "y": {b}, "w": {b, c}}
	g.vars = []genVar{{"x", shapes["x"]}, {"y", shapes["y"]}, {"w", shapes["w"]}}
	n := 1 + g.next()%16
	for k := 0; k < n; k++ {
		g.stmt(g.vars[2])
	}
	last := g.vars[len(g.vars)-1]
	src := fmt.Sprintf("fn f(x: f32%s, y: f32%s, w: f32%s) -> f32 {\n%s    return sum(%s) + 0.0 * sum(x)\n}\n",
		dimsText(shapes["x"]), dimsText(shapes["y"]), dimsText(shapes["w"]), g.body.String(), last.name)
	return src, shapes
}

// isInternal reports an error that is a bug of nnc rather than the user's.
func isInternal(err error) bool {
	var ie *nnc.InternalError
	if errors.As(err, &ie) {
		return true
	}
	s := err.Error()
	return strings.Contains(s, "internal") || strings.Contains(s, "panic") || strings.Contains(s, "E901")
}

// closeEnough compares a result of -O0 and -O1 (NaN matches NaN).
func closeEnough(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	if math.IsInf(a, 0) || math.IsInf(b, 0) {
		return a == b
	}
	return math.Abs(a-b) <= 1e-3+1e-3*math.Max(math.Abs(a), math.Abs(b))
}

// runLevel compiles src at one optimization level and runs f and its
// gradient with respect to x.
func runLevel(t *testing.T, src string, level int, in map[string]*nnc.Tensor) (val float64, grad []float64, runErr error) {
	p, err := nnc.Compile("fuzz.nn", []byte(src))
	if err != nil {
		if isInternal(err) {
			t.Fatalf("-O%d compile: internal error: %v\n%s", level, err, src)
		}
		t.Fatalf("-O%d: the generated program does not compile: %v\n%s", level, err, src)
	}
	p.SetOptLevel(level)
	f, err := p.Func("f")
	if err != nil {
		t.Fatalf("-O%d Func: %v\n%s", level, err, src)
	}
	out, err := f.Run(in)
	if err != nil {
		if isInternal(err) {
			t.Fatalf("-O%d Run: internal error: %v\n%s", level, err, src)
		}
		return 0, nil, err
	}
	v, gs, err := f.Grad([]string{"x"}, in)
	if err != nil {
		if isInternal(err) {
			t.Fatalf("-O%d Grad: internal error: %v\n%s", level, err, src)
		}
		return 0, nil, err
	}
	if out[0].At(0) != v.At(0) && !(math.IsNaN(out[0].At(0)) && math.IsNaN(v.At(0))) {
		t.Errorf("-O%d: Run gives %v, Grad's value %v\n%s", level, out[0].At(0), v.At(0), src)
	}
	return v.At(0), gs[0].Float64s(), nil
}

// FuzzLower generates random well-typed programs, compiles, lowers,
// optimizes and runs them (value and gradient) at -O0 and -O1: no panic
// or internal error, and both levels agree.
func FuzzLower(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	f.Add([]byte{3, 3, 3, 15, 3, 0, 2, 1, 0, 4, 1, 0, 6, 0, 7, 2, 8, 9, 10, 11})
	f.Add([]byte{0, 1, 2, 8, 1, 3, 2, 4, 0, 1, 5, 9, 9, 9, 7, 1, 6, 4, 3, 3})
	f.Add([]byte{2, 0, 3, 12, 7, 5, 3, 2, 11, 3, 10, 3, 4, 6, 1, 8, 0, 5, 2, 2, 9, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 256 {
			return
		}
		g := &progGen{data: data}
		src, shapes := g.program()
		in := map[string]*nnc.Tensor{}
		for _, name := range []string{"x", "y", "w"} {
			s := shapes[name]
			n := 1
			for _, d := range s {
				n *= d
			}
			v := make([]float64, n)
			for k := range v {
				v[k] = float64(int(g.next()%33)-16) / 8 // multiples of 1/8 in [-2, 2]
			}
			in[name] = tensor.FromFloat64s(tensor.F32, s, v)
		}
		v0, g0, err0 := runLevel(t, src, 0, in)
		v1, g1, err1 := runLevel(t, src, 1, in)
		if (err0 == nil) != (err1 == nil) {
			t.Fatalf("-O0 error: %v; -O1 error: %v\n%s", err0, err1, src)
		}
		if err0 != nil {
			return
		}
		if !closeEnough(v0, v1) {
			t.Errorf("value: -O0 %v, -O1 %v\n%s", v0, v1, src)
		}
		for k := range g0 {
			if !closeEnough(g0[k], g1[k]) {
				t.Errorf("d/dx[%d]: -O0 %v, -O1 %v\n%s", k, g0[k], g1[k], src)
				break
			}
		}
	})
}
