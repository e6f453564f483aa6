package runtime

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

func TestStore(t *testing.T) {
	s := NewStore()
	a, b := tensor.New(tensor.F32, 2), tensor.New(tensor.F64, 3)
	s.Set("l2.W", a)
	s.Set("l1.b", b)
	if s.Get("l2.W") != a || s.Get("l1.b") != b || s.Get("nope") != nil {
		t.Error("Get does not return what Set stored")
	}
	if got := s.Names(); !slices.Equal(got, []string{"l1.b", "l2.W"}) {
		t.Errorf("Names = %v", got)
	}
}

func meanVar(v []float64) (float64, float64) {
	var m, s float64
	for _, x := range v {
		m += x
	}
	m /= float64(len(v))
	for _, x := range v {
		s += (x - m) * (x - m)
	}
	return m, s / float64(len(v))
}

func TestInitParams(t *testing.T) {
	b := ops.NewBuilder()
	f32 := func(d ...int) ops.Type { return ops.Type{DType: ops.F32, Shape: ops.ShapeOf(d...)} }
	type want struct {
		mean, std  float64 // expected moments
		lo, hi     float64 // bounds for uniform families (lo == hi: unbounded)
		constValue float64
		constant   bool
	}
	cases := []struct {
		path  string
		typ   ops.Type
		attrs ops.Attrs
		want  want
	}{
		{"z", f32(10, 20), ops.Attrs{"init": "zeros"}, want{constant: true}},
		{"default", f32(5), nil, want{constant: true}},
		{"o", f32(10, 20), ops.Attrs{"init": "ones"}, want{constant: true, constValue: 1}},
		{"c", f32(7), ops.Attrs{"init": "constant", "value": 2.5}, want{constant: true, constValue: 2.5}},
		{"ic", ops.Type{DType: ops.I32, Shape: ops.ShapeOf(4)}, ops.Attrs{"init": "constant", "value": 3.0}, want{constant: true, constValue: 3}},
		{"n", f32(200, 100), ops.Attrs{"init": "normal", "mean": 1.0, "std": 0.5}, want{mean: 1, std: 0.5}},
		{"n01", f32(200, 100), ops.Attrs{"init": "normal"}, want{mean: 0, std: 1}},
		{"u", f32(200, 100), ops.Attrs{"init": "uniform", "low": -2.0, "high": 4.0}, want{mean: 1, std: 6 / math.Sqrt(12), lo: -2, hi: 4}},
		{"u01", f32(200, 100), ops.Attrs{"init": "uniform"}, want{mean: 0.5, std: 1 / math.Sqrt(12), lo: 0, hi: 1}},
		// glorot_uniform on [in=100, out=200]: a = √(6/300).
		{"gu", f64(100, 200), ops.Attrs{"init": "glorot_uniform"}, want{std: math.Sqrt(6.0/300) / math.Sqrt(3), lo: -math.Sqrt(6.0 / 300), hi: math.Sqrt(6.0 / 300)}},
		{"gug", f32(100, 200), ops.Attrs{"init": "glorot_uniform", "gain": 2.0}, want{std: 2 * math.Sqrt(6.0/300) / math.Sqrt(3), lo: -2 * math.Sqrt(6.0/300), hi: 2 * math.Sqrt(6.0/300)}},
		{"gn", f32(100, 200), ops.Attrs{"init": "glorot_normal"}, want{std: math.Sqrt(2.0 / 300)}},
		// he on a conv kernel [out=32, in=16, 3, 3]: fan_in = 16·9 = 144.
		{"hu", f32(32, 16, 3, 3), ops.Attrs{"init": "he_uniform"}, want{std: math.Sqrt(6.0/144) / math.Sqrt(3), lo: -math.Sqrt(6.0 / 144), hi: math.Sqrt(6.0 / 144)}},
		{"hn", f32(32, 16, 3, 3), ops.Attrs{"init": "he_normal"}, want{std: math.Sqrt(2.0 / 144)}},
		// rank 1 [n]: fan_in = fan_out = n.
		{"g1", f32(20000), ops.Attrs{"init": "glorot_normal"}, want{std: math.Sqrt(2.0 / 40000)}},
	}
	for _, c := range cases {
		if c.path == "ic" {
			b.State(c.path, c.typ, c.attrs)
		} else {
			b.Param(c.path, c.typ, c.attrs)
		}
	}
	store := NewStore()
	if err := InitParams(store, b.G, 42); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		x := store.Get(c.path)
		if x == nil {
			t.Fatalf("%s not initialized", c.path)
		}
		shape, _ := c.typ.Shape.Concrete()
		if x.DType != c.typ.DType || !slices.Equal(x.Shape, shape) {
			t.Errorf("%s: got %v%v, want %v", c.path, x.DType, x.Shape, c.typ)
			continue
		}
		v := x.Float64s()
		if c.want.constant {
			for _, e := range v {
				if e != c.want.constValue {
					t.Errorf("%s: element %v, want %v", c.path, e, c.want.constValue)
					break
				}
			}
			continue
		}
		m, variance := meanVar(v)
		n := float64(len(v))
		// The sample mean is within 5 standard errors; the sample std within 3%.
		if math.Abs(m-c.want.mean) > 5*c.want.std/math.Sqrt(n) {
			t.Errorf("%s: mean %v, want %v", c.path, m, c.want.mean)
		}
		if s := math.Sqrt(variance); math.Abs(s-c.want.std) > 0.03*c.want.std {
			t.Errorf("%s: std %v, want %v", c.path, s, c.want.std)
		}
		if c.want.lo != c.want.hi {
			lo, hi := slices.Min(v), slices.Max(v)
			span := c.want.hi - c.want.lo
			if lo < c.want.lo-1e-6 || hi > c.want.hi+1e-6 || lo > c.want.lo+0.01*span || hi < c.want.hi-0.01*span {
				t.Errorf("%s: range [%v, %v], want [%v, %v]", c.path, lo, hi, c.want.lo, c.want.hi)
			}
		}
	}
}

func f64(d ...int) ops.Type { return ops.T(d...) }

func TestInitParamsDeterministic(t *testing.T) {
	b1 := ops.NewBuilder()
	b1.Param("a", f64(5, 4), ops.Attrs{"init": "normal"})
	b1.Param("b", f64(3), ops.Attrs{"init": "uniform"})
	b2 := ops.NewBuilder()
	b2.Param("extra", f64(6), ops.Attrs{"init": "normal"})
	b2.Param("b", f64(3), ops.Attrs{"init": "uniform"})
	b2.Param("a", f64(5, 4), ops.Attrs{"init": "normal"})
	s1, s2, s3 := NewStore(), NewStore(), NewStore()
	for _, c := range []struct {
		s    *Store
		g    *ops.Graph
		seed uint64
	}{{s1, b1.G, 7}, {s2, b2.G, 7}, {s3, b1.G, 8}} {
		if err := InitParams(c.s, c.g, c.seed); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"a", "b"} {
		if !slices.Equal(s1.Get(name).F64, s2.Get(name).F64) {
			t.Errorf("%s changed when another param was added", name)
		}
		if slices.Equal(s1.Get(name).F64, s3.Get(name).F64) {
			t.Errorf("%s is the same for seeds 7 and 8", name)
		}
	}
	if slices.Equal(s1.Get("a").F64[:3], s1.Get("b").F64) {
		t.Error("a and b draw the same numbers")
	}
	// Present tensors are kept.
	keep := tensor.New(tensor.F64, 5, 4)
	s4 := NewStore()
	s4.Set("a", keep)
	if err := InitParams(s4, b1.G, 7); err != nil || s4.Get("a") != keep || keep.F64[0] != 0 {
		t.Errorf("InitParams replaced a stored tensor (err %v)", err)
	}
}

func TestInitParamsErrors(t *testing.T) {
	for _, c := range []struct {
		typ   ops.Type
		attrs ops.Attrs
		want  string
	}{
		{ops.Type{DType: ops.F32, Shape: ops.Shape{ops.DimVar("B")}}, nil, "param p: shape [B] must be constant"},
		{f64(3), ops.Attrs{"init": "orthogonl"}, `param p: unknown initializer "orthogonl"`},
		{ops.Type{DType: ops.I32, Shape: ops.ShapeOf(3)}, ops.Attrs{"init": "normal"}, "param p: initializer normal needs a float type, not i32[3]"},
	} {
		b := ops.NewBuilder()
		b.Param("p", c.typ, c.attrs)
		err := InitParams(NewStore(), b.G, 1)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want %q", err, c.want)
		}
	}
}
