package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestFusedBroadcastTiles runs y = tanh(x*w + b) - 0.5 with x [r, c], w [c]
// (gathered per tile), b [r, 1] (repeated along rows) and a scalar s as the
// exponent of a final pow, over shapes smaller than, equal to and larger than
// a tile, and compares it with a plain loop written here.
func TestFusedBroadcastTiles(t *testing.T) {
	// registers: x0 x [r,c], x1 w [c], x2 b [r,1], x3 s [], imm 0.5 (4),
	// t0 (5) = x*w, t1 (6) = t0+b, t2 (7) = tanh, t3 (8) = t2-0.5, t4 (9) = |t3|, t5 = t4**s
	prog := []FusedInstr{
		{"mul", 0, 1}, {"add", 5, 2}, {"tanh", 6, -1}, {"sub", 7, 4}, {"abs", 8, -1}, {"pow", 9, 3},
	}
	for _, dims := range [][2]int{{1, 1}, {3, 5}, {7, 300}, {1000, 3}, {2, FusedTile}, {3, FusedTile + 7}} {
		r, c := dims[0], dims[1]
		rng := rand.New(rand.NewPCG(uint64(r), uint64(c)))
		x, w, b := make([]float64, r*c), make([]float64, c), make([]float64, r)
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		for i := range w {
			w[i] = rng.NormFloat64()
		}
		for i := range b {
			b[i] = rng.NormFloat64()
		}
		s := []float64{1.5}
		f, err := NewFused[float64](prog, []float64{0.5}, []int{r, c}, [][]int{{r, c}, {c}, {r, 1}, {}})
		if err != nil {
			t.Fatal(err)
		}
		out := make([]float64, r*c)
		f.Run(out, x, w, b, s)
		for i := range r {
			for j := range c {
				want := math.Pow(math.Abs(math.Tanh(x[i*c+j]*w[j]+b[i])-0.5), 1.5)
				if got := out[i*c+j]; got != want {
					t.Fatalf("%dx%d: out[%d,%d] = %v, want %v", r, c, i, j, got, want)
				}
			}
		}
		if a := testing.AllocsPerRun(3, func() { f.Run(out, x, w, b, s) }); a != 0 {
			t.Errorf("%dx%d: Run allocates %v times", r, c, a)
		}
	}
}

// TestFusedScalarResult: a program whose result is a scalar (both operands
// scalars) fills the output.
func TestFusedScalarResult(t *testing.T) {
	prog := []FusedInstr{{"mul", 0, 2}, {"exp", 3, -1}, {"add", 4, 1}} // exp(a*2) + b: a=0, b=1, imm 2=2, t0=3, t1=4
	f, err := NewFused[float32](prog, []float64{2}, []int{3}, [][]int{{}, {3}})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float32, 3)
	f.Run(out, []float32{0.5}, []float32{1, 2, 3})
	e := float32(math.Exp(float64(float32(0.5) * 2)))
	for i, want := range []float32{e + 1, e + 2, e + 3} {
		if out[i] != want {
			t.Errorf("out[%d] = %v, want %v", i, out[i], want)
		}
	}
	g, err := NewFused[float64]([]FusedInstr{{"neg", 0, -1}, {"mul", 1, 1}}, nil, []int{4}, [][]int{{}})
	if err != nil {
		t.Fatal(err)
	}
	o := make([]float64, 4)
	g.Run(o, []float64{3})
	for i, v := range o {
		if v != 9 {
			t.Errorf("(-3)² broadcast: out[%d] = %v", i, v)
		}
	}
}

// TestFusedErrors: bad programs are errors, not panics.
func TestFusedErrors(t *testing.T) {
	for _, prog := range [][]FusedInstr{
		nil,
		{{"frobnicate", 0, -1}},
		{{"add", 0, 2}}, // reads its own result
		{{"exp", 0, 0}}, // exp with two operands
	} {
		if _, err := NewFused[float64](prog, nil, []int{2}, [][]int{{2}}); err == nil {
			t.Errorf("%v: no error", prog)
		}
	}
}
