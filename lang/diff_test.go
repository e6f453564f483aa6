package lang

import (
	"math"
	"strings"
	"testing"
)

// Tests of jvp, vjp, hvp, nested grad and custom gradients. Expected values
// are worked out by hand or by central differences of functions written
// here in Go.

func TestJVPVJPHVPHandValues(t *testing.T) {
	x := f64([]int{3}, 1, -2, 0.5)
	u := f64([]int{3}, 0.5, 3, -1)
	y := f64([]int{3}, 2, 1, -4)
	w := f64([]int{3}, 1, -1, 2)
	cases := []struct {
		name, src string
		inputs    map[string]in
		want      [][]float64
	}{
		// d(x²)·u = 2xu.
		{"jvp", `fn f(x: f64[3], u: f64[3]) -> f64[3] { return jvp(x * x, x, u) }`,
			map[string]in{"x": x, "u": u}, [][]float64{{1, -12, -1}}},
		// uᵀ diag(exp x) = u·exp(x).
		{"vjp", `fn f(x: f64[3], u: f64[3]) -> f64[3] { return vjp(exp(x), x, u) }`,
			map[string]in{"x": x, "u": u}, [][]float64{{0.5 * math.E, 3 * math.Exp(-2), -math.Exp(0.5)}}},
		// The Hessian of sum(x³) is diag(6x).
		{"hvp", `fn f(x: f64[3], u: f64[3]) -> f64[3] { return hvp(sum(x ** 3), x, u) }`,
			map[string]in{"x": x, "u": u}, [][]float64{{3, -36, -3}}},
		// d(xy) along (u, w) = u·y + x·w.
		{"jvp tuple", `fn f(x: f64[3], y: f64[3], u: f64[3], w: f64[3]) -> f64[3] { return jvp(x * y, (x, y), (u, w)) }`,
			map[string]in{"x": x, "y": y, "u": u, "w": w}, [][]float64{{0.5*2 + 1*1, 3*1 + -2*-1, -1*-4 + 0.5*2}}},
		// vᵀJ of x·y w.r.t. (x, y) = (v·y, v·x).
		{"vjp tuple", "fn f(x: f64[3], y: f64[3], u: f64[3]) -> (f64[3], f64[3]) {\n a, b = vjp(x * y, (x, y), u)\n return a, b\n}",
			map[string]in{"x": x, "y": y, "u": u}, [][]float64{{1, 3, 4}, {0.5, -6, -0.5}}},
		// s = sum(x²y): ∂²s/∂x² = diag(2y), ∂²s/∂x∂y = diag(2x), ∂²s/∂y² = 0,
		// so H(u, w) = (2yu + 2xw, 2xu).
		{"hvp tuple", "fn f(x: f64[3], y: f64[3], u: f64[3], w: f64[3]) -> (f64[3], f64[3]) {\n a, b = hvp(sum(x * x * y), (x, y), (u, w))\n return a, b\n}",
			map[string]in{"x": x, "y": y, "u": u, "w": w},
			[][]float64{{2*2*0.5 + 2*1*1, 2*1*3 + 2*-2*-1, 2*-4*-1 + 2*0.5*2}, {2 * 1 * 0.5, 2 * -2 * 3, 2 * 0.5 * -1}}},
		// grad of a jvp: d/dx sum(3x²u) = 6xu.
		{"grad of jvp", `fn f(x: f64[3], u: f64[3]) -> f64[3] { return grad(sum(jvp(x ** 3, x, u)), x) }`,
			map[string]in{"x": x, "u": u}, [][]float64{{3, -36, -3}}},
		// Third order: d/dx sum(d/dx sum(d/dx sum(x⁴))) = d/dx sum(12x²) = 24x.
		{"grad of grad of grad", `fn f(x: f64[3], u: f64[3]) -> f64[3] { return grad(sum(grad(sum(grad(sum(x ** 4), x)), x)), x) }`,
			map[string]in{"x": x, "u": u}, [][]float64{{24, -48, 12}}},
		// hvp of a jvp: jvp(sum(x⁴), x, u) = sum(4x³·u), whose Hessian is
		// diag(24x·u); times w.
		{"hvp of jvp", `fn f(x: f64[3], u: f64[3], w: f64[3]) -> f64[3] { return hvp(jvp(sum(x ** 4), x, u), x, w) }`,
			map[string]in{"x": x, "u": u, "w": w}, [][]float64{{24 * 1 * 0.5 * 1, 24 * -2 * 3 * -1, 24 * 0.5 * -1 * 2}}},
		// jvp of a grad is the hvp.
		{"jvp of grad", `fn f(x: f64[3], u: f64[3]) -> f64[3] { return jvp(grad(sum(x ** 3), x), x, u) }`,
			map[string]in{"x": x, "u": u}, [][]float64{{3, -36, -3}}},
		// A scalar output: the directional derivative of sum(x²) is 2x·u.
		{"jvp scalar", `fn f(x: f64[3], u: f64[3]) -> f64 { return jvp(sum(x * x), x, u) }`,
			map[string]in{"x": x, "u": u}, [][]float64{{2 * (0.5 - 6 - 0.5)}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, _ := evalEntry(t, c.src, "f", c.inputs)
			for k := range c.want {
				near(t, c.name, out[k], c.want[k], 1e-12)
			}
		})
	}
}

// fdVec is the central difference of f at x along d.
func fdVec(f func([]float64) []float64, x, d []float64, eps float64) []float64 {
	xp, xm := make([]float64, len(x)), make([]float64, len(x))
	for k := range x {
		xp[k], xm[k] = x[k]+eps*d[k], x[k]-eps*d[k]
	}
	fp, fm := f(xp), f(xm)
	out := make([]float64, len(fp))
	for k := range fp {
		out[k] = (fp[k] - fm[k]) / (2 * eps)
	}
	return out
}

func TestJVPVJPAgainstFiniteDifferences(t *testing.T) {
	// y = tanh(x²)·log1p(exp(x)), elementwise.
	fy := func(x []float64) []float64 {
		out := make([]float64, len(x))
		for k, v := range x {
			out[k] = math.Tanh(v*v) * math.Log1p(math.Exp(v))
		}
		return out
	}
	x := []float64{0.3, -1.1, 0.7, 1.4}
	u := []float64{1, -0.5, 2, 0.25}
	src := `
fn j(x: f64[N], u: f64[N]) -> f64[N] { return jvp(tanh(x * x) * log1p(exp(x)), x, u) }
fn v(x: f64[N], u: f64[N]) -> f64[N] { return vjp(tanh(x * x) * log1p(exp(x)), x, u) }
fn h(x: f64[N], u: f64[N]) -> f64[N] { return hvp(sum(tanh(x * x) * log1p(exp(x))), x, u) }
`
	ins := map[string]in{"x": f64([]int{4}, x...), "u": f64([]int{4}, u...)}
	out, _ := evalEntry(t, src, "j", ins)
	near(t, "jvp", out[0], fdVec(fy, x, u, 1e-6), 1e-7)
	// The Jacobian is diagonal, so vᵀJ = J·v here.
	out, _ = evalEntry(t, src, "v", ins)
	near(t, "vjp", out[0], fdVec(fy, x, u, 1e-6), 1e-7)
	// The Hessian of sum(y) along u: the difference of the gradient, which
	// is y' elementwise, itself by central differences.
	dy := func(x []float64) []float64 {
		ones := make([]float64, len(x))
		out := make([]float64, len(x))
		for k := range x {
			e := make([]float64, len(x))
			e[k] = 1
			ones[k] = 1
			out[k] = fdVec(fy, x, e, 1e-5)[k]
		}
		return out
	}
	out, _ = evalEntry(t, src, "h", ins)
	near(t, "hvp", out[0], fdVec(dy, x, u, 1e-4), 1e-5)
}

func TestGradientPenalty(t *testing.T) {
	// loss = sum(tanh(x @ W)); g = ∂loss/∂x = W s with s = 1 - tanh²(x W);
	// the penalty sum(g²) differentiated w.r.t. W by central differences.
	const n = 3
	x := []float64{0.4, -0.7, 1.2}
	W := []float64{0.5, -0.3, 0.8, 0.1, 0.9, -0.6, -0.4, 0.2, 0.7}
	penalty := func(W []float64) float64 {
		s := make([]float64, n)
		for j := 0; j < n; j++ {
			z := 0.0
			for i := 0; i < n; i++ {
				z += x[i] * W[i*n+j]
			}
			th := math.Tanh(z)
			s[j] = 1 - th*th
		}
		p := 0.0
		for i := 0; i < n; i++ {
			g := 0.0
			for j := 0; j < n; j++ {
				g += W[i*n+j] * s[j]
			}
			p += g * g
		}
		return p
	}
	want := make([]float64, len(W))
	for k := range W {
		wp, wm := append([]float64(nil), W...), append([]float64(nil), W...)
		wp[k] += 1e-6
		wm[k] -= 1e-6
		want[k] = (penalty(wp) - penalty(wm)) / 2e-6
	}
	src := `fn f(x: f64[1, 3], W: f64[3, 3]) -> f64[3, 3] {
    loss = sum(tanh(x @ W))
    return grad(sum(grad(loss, x) ** 2), W)
}`
	out, _ := evalEntry(t, src, "f", map[string]in{"x": f64([]int{1, 3}, x...), "W": f64([]int{3, 3}, W...)})
	near(t, "gradient penalty", out[0], want, 1e-7)
}

const customSrc = `
// A softplus that is finite for large x, with the exact gradient sigmoid(x)
// everywhere (also at 0, where maximum's own gradient would be a choice).
fn softplus_s(x: f64[N]) -> f64[N] {
    return maximum(x, 0.0) + log1p(exp(-abs(x)))
} grad(x, y, g) {
    return g * sigmoid(x)
}

// Straight-through: sign forward, identity backward.
fn binarize(x: f64[N]) -> f64[N] {
    return sign(x)
} grad(x, y, g) {
    return g
}

// Two inputs and a compile-time value.
fn scaled(x: f64[N], w: f64[N], k: float) -> f64[N] {
    return x * w * k
} grad(a, b, k, y, g) {
    return g * b * k, g * a * k
}

// The block calls its own function.
fn myexp(x: f64[N]) -> f64[N] {
    return exp(x)
} grad(x, y, g) {
    return g * myexp(x)
}

fn exp_hvp(x: f64[N], u: f64[N]) -> (f64[N], f64[N]) { return grad(sum(myexp(x)), x), hvp(sum(myexp(x)), x, u) }
fn sp_grad(x: f64[N]) -> f64[N] { return grad(sum(softplus_s(x)), x) }
fn sp_value(x: f64[N]) -> f64[N] { return softplus_s(x) }
fn sp_hvp(x: f64[N], u: f64[N]) -> f64[N] { return hvp(sum(softplus_s(x)), x, u) }
fn ste(x: f64[N]) -> (f64[N], f64[N]) { return binarize(x), grad(sum(binarize(x) * x), x) }
fn two(x: f64[N], w: f64[N]) -> (f64[N], f64[N]) {
    a, b = grad(sum(scaled(x, w, 3.0) * x), (x, w))
    return a, b
}
`

func TestCustomGradients(t *testing.T) {
	sig := func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }
	xs := []float64{-800, -1, 0, 2, 800}
	x := map[string]in{"x": f64([]int{5}, xs...)}
	out, _ := evalEntry(t, customSrc, "sp_value", x)
	near(t, "softplus", out[0], []float64{0, math.Log1p(math.Exp(-1)), math.Ln2, 2 + math.Log1p(math.Exp(-2)), 800}, 1e-12)
	out, _ = evalEntry(t, customSrc, "sp_grad", x)
	wantG := make([]float64, len(xs))
	for k, v := range xs {
		wantG[k] = sig(v)
	}
	near(t, "softplus gradient", out[0], wantG, 1e-12)
	// Second order through the custom gradient: (g·sigmoid(x))' = s(1-s).
	u := []float64{1, 2, 3, -1, 5}
	out, _ = evalEntry(t, customSrc, "sp_hvp", map[string]in{"x": x["x"], "u": f64([]int{5}, u...)})
	wantH := make([]float64, len(xs))
	for k, v := range xs {
		wantH[k] = sig(v) * (1 - sig(v)) * u[k]
	}
	near(t, "softplus hvp", out[0], wantH, 1e-12)
	// Straight-through: d/dx sum(sign(x)·x) = g·x + sign(x) with g = 1
	// through sign.
	out, _ = evalEntry(t, customSrc, "ste", map[string]in{"x": f64([]int{3}, -1.5, 0.25, 2)})
	near(t, "ste value", out[0], []float64{-1, 1, 1}, 0)
	near(t, "ste gradient", out[1], []float64{-1.5 - 1, 0.25 + 1, 2 + 1}, 1e-12)
	// exp's gradient and Hessian through a block that calls itself.
	out, _ = evalEntry(t, customSrc, "exp_hvp", map[string]in{"x": f64([]int{2}, 0.5, -1), "u": f64([]int{2}, 2, 3)})
	near(t, "exp grad", out[0], []float64{math.Exp(0.5), math.Exp(-1)}, 1e-12)
	near(t, "exp hvp", out[1], []float64{2 * math.Exp(0.5), 3 * math.Exp(-1)}, 1e-12)
	// d/dx sum(3xw·x) = 6xw, d/dw = 3x².
	out, _ = evalEntry(t, customSrc, "two", map[string]in{"x": f64([]int{2}, 1, -2), "w": f64([]int{2}, 0.5, 4)})
	near(t, "d/dx", out[0], []float64{3, -48}, 1e-12)
	near(t, "d/dw", out[1], []float64{3, 12}, 1e-12)
}

func TestCustomGradientErrors(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"names", "fn f(x: f32[3]) -> f32[3] {\n return x\n} grad(x, g) {\n return g\n}\n",
			"t.nn:3:3: E309 f: the gradient takes 3 names"},
		{"duplicate", "fn f(x: f32[3]) -> f32[3] {\n return x\n} grad(x, x, g) {\n return g\n}\n",
			"t.nn:3:3: E309 f: the gradient's name x is given twice"},
		{"shape", "fn f(x: f32[N]) -> f32[N] {\n return x * 2.0\n} grad(x, y, g) {\n return sum(g)\n}\n",
			"t.nn:4:2: E309 f's gradient: the cotangent of x is f32; it must have x's type f32[N]"},
		{"count", "fn f(x: f32[3], w: f32[3]) -> f32[3] {\n return x * w\n} grad(x, w, y, g) {\n return g * w\n}\n",
			"t.nn:4:2: E309 f's gradient: returns 1 values for 2 float tensor parameters"},
		{"dtype", "fn f(x: f32[3]) -> f32[3] {\n return x\n} grad(x, y, g) {\n return cast(g, f64)\n}\n",
			"t.nn:4:2: E309 f's gradient: the cotangent of x is f64[3]"},
		{"no return", "fn f(x: f32[3]) -> f32[3] {\n return x\n} grad(x, y, g) {\n z = g\n}\n",
			"E309 f's gradient: missing return"},
		{"body error", "fn f(x: f32[3]) -> f32[3] {\n return x\n} grad(x, y, g) {\n return g * q\n}\n",
			"t.nn:4:13: E201 undefined name \"q\""},
		{"tuple result", "fn f(x: f32[3]) -> (f32[3], f32[3]) {\n return x, x\n} grad(x, y, g) {\n return g\n}\n",
			"E309 f: a function with its own gradient must return one float tensor"},
		{"method", "model M {\n fn f(x: f32[3]) -> f32[3] {\n  return x\n } grad(x, y, g) {\n  return g\n }\n}\n",
			"t.nn:4:4: E309 M.f: only a top-level function can declare its gradient"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load("t.nn", []byte(c.src))
			if err == nil {
				t.Fatalf("loaded without error; want %q", c.want)
			}
			got := ""
			for _, e := range err.(ErrorList) {
				got += e.Pos.String() + ": " + e.Code + " " + e.Msg + "\n"
			}
			if !strings.Contains(got, c.want) {
				t.Fatalf("errors:\n%s\nwant one containing %q", got, c.want)
			}
		})
	}
}

func TestProductErrors(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"hvp of a vector", `fn f(x: f32[3]) -> f32[3] { return hvp(x * x, x, x) }`, "E305 hvp: x * x is f32[3]; hvp differentiates a float scalar"},
		{"tangent type", `fn f(x: f32[3], t: f32[2]) -> f32[3] { return jvp(x * x, x, t) }`, "E305 jvp: the vector for x is f32[2]; it must have its type f32[3]"},
		{"cotangent type", `fn f(x: f32[3], t: f32[2]) -> f32[3] { return vjp(x * x, x, t) }`, "E305 vjp: the cotangent t is f32[2]; it must have x * x's type f32[3]"},
		{"tuple count", `fn f(x: f32[3], t: f32[3]) -> f32[3] { return jvp(x * x, (x, x), (t, t, t)) }`, "E305 jvp: (t, t, t) must be a tuple of 2 tensors, one per input, got a tuple of 3 values"},
		{"integer", `fn f(x: i32[3], t: i32[3]) -> f32[3] { return jvp(cast(x, f32), x, t) }`, "E305 jvp: cannot differentiate with respect to x of type i32[3]"},
		{"arity", `fn f(x: f32[3]) -> f32[3] { return jvp(x, x) }`, "E204 jvp takes 3 arguments, got 2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load("t.nn", []byte(c.src))
			if err == nil {
				t.Fatalf("loaded without error; want %q", c.want)
			}
			got := ""
			for _, e := range err.(ErrorList) {
				got += e.Code + " " + e.Msg + "\n"
			}
			if !strings.Contains(got, c.want) {
				t.Fatalf("errors:\n%s\nwant one containing %q", got, c.want)
			}
		})
	}
}

func TestFormatCustomGradient(t *testing.T) {
	src := "fn f(x: f32[N])->f32[N]{\nreturn x*2.0   // twice\n}   grad( x,y,g ){ // own\nreturn g*2.0\n}\n"
	want := "fn f(x: f32[N]) -> f32[N] {\n    return x * 2.0 // twice\n} grad(x, y, g) { // own\n    return g * 2.0\n}\n"
	checkFormatted(t, "t.nn", src, want)
}
