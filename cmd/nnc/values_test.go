package main

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/nnclang/nnc"
)

// TestParseValueRanges: integers that do not fit their type, non-integers
// for integer types and floats beyond the type's range are errors, never
// wrapped or rounded into another value (issue 9, item 4).
func TestParseValueRanges(t *testing.T) {
	bad := []struct{ text, dt, want string }{
		{"2147483648", "i32", "2147483648 is out of the range of i32 (-2147483648 to 2147483647)"},
		{"4294967297", "i32", "4294967297 is out of the range of i32"},
		{"-2147483649", "i32", "-2147483649 is out of the range of i32"},
		{"[1, 2147483648]", "i32", "element 1: 2147483648 is out of the range of i32"},
		{"9223372036854775808", "i64", "9223372036854775808 is out of the range of i64"},
		{"1e19", "i64", "1e19 is out of the range of i64"},
		{"3e9", "i32", "3e9 is out of the range of i32"},
		{"1e999999999", "i32", "is out of the range of i32"},
		{"2.5", "i32", "2.5 is not an integer, but the input is i32"},
		{"1.0000000000000001", "i64", "1.0000000000000001 is not an integer"},
		{"1e-999999999", "i32", "is not an integer"},
		{"3.5e38", "f32", "3.5e38 is out of the range of f32"},
		{"1e309", "f64", "1e309 is out of the range of f64"},
		{"-1e39", "f32", "-1e39 is out of the range of f32"},
		{"2", "bool", "2 is not a bool"},
		{`"NaN"`, "i32", `"NaN" is not a value of type i32`},
		{`"nan"`, "f32", `"nan" is not a number`},
		{"1 2", "f32", "unexpected text after the value"},
		{"[1] x", "f32", "unexpected text after the value"},
		{"[[1], [2, 3]]", "f32", "ragged array"},
		{"{}", "f32", "unexpected JSON value"},
		{strings.Repeat("[", 65) + "1" + strings.Repeat("]", 65), "f32", "nested deeper than 64"},
	}
	for _, c := range bad {
		v, err := parseValue(c.text, c.dt)
		if err == nil {
			t.Errorf("parseValue(%.40q, %s) = %v, want an error", c.text, c.dt, v)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("parseValue(%.40q, %s): %v; want %q", c.text, c.dt, err, c.want)
		}
	}
	i32 := []struct {
		text string
		want []int32
	}{
		{"[2147483647, -2147483648]", []int32{2147483647, -2147483648}},
		{"[2.0, 1e3, 2.50e1, -0, 0e5, 12300e-2]", []int32{2, 1000, 25, 0, 0, 123}},
		{"[true, false]", []int32{1, 0}},
	}
	for _, c := range i32 {
		v, err := parseValue(c.text, "i32")
		if err != nil || len(v.I32) != len(c.want) {
			t.Fatalf("parseValue(%s): %v, %v", c.text, v, err)
		}
		for i := range c.want {
			if v.I32[i] != c.want[i] {
				t.Errorf("parseValue(%s)[%d] = %d, want %d", c.text, i, v.I32[i], c.want[i])
			}
		}
	}
	// i64 values beyond 2^53 are exact, not rounded through a float64.
	v, err := parseValue("[9007199254740993, 9223372036854775807, -9223372036854775808]", "i64")
	if err != nil || v.I64[0] != 9007199254740993 || v.I64[1] != math.MaxInt64 || v.I64[2] != math.MinInt64 {
		t.Errorf("i64: %v, %v", v, err)
	}
	// f32 rounds once, from the decimal text (0.1 is float32(0.1)).
	v, err = parseValue(`[0.1, 3.4028235e38, 1e-50, "NaN", "Inf", "-Inf", "+Inf"]`, "f32")
	if err != nil {
		t.Fatal(err)
	}
	if v.F32[0] != float32(0.1) || v.F32[1] != math.MaxFloat32 || v.F32[2] != 0 || !math.IsNaN(float64(v.F32[3])) ||
		!math.IsInf(float64(v.F32[4]), 1) || !math.IsInf(float64(v.F32[5]), -1) || !math.IsInf(float64(v.F32[6]), 1) {
		t.Errorf("f32: %v", v.F32)
	}
	v, err = parseValue("[[true, 0], [1, false]]", "bool")
	if err != nil || v.Bool[0] != true || v.Bool[1] != false || v.Bool[2] != true || v.Bool[3] != false {
		t.Errorf("bool: %v, %v", v, err)
	}
	v, err = parseValue("[[], []]", "f32")
	if err != nil || len(v.Shape) != 2 || v.Shape[0] != 2 || v.Shape[1] != 0 {
		t.Errorf("empty rows: %v, %v", v, err)
	}
}

// TestToJSONExact: integers print exactly (not through a float64) and
// non-finite floats as strings.
func TestToJSONExact(t *testing.T) {
	i := mustTensor(nnc.I64, 3)
	copy(i.I64, []int64{9007199254740993, math.MaxInt64, math.MinInt64})
	f := mustTensor(nnc.F32, 4)
	copy(f.F32, []float32{0.1, float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))})
	d := mustTensor(nnc.F64, 2)
	copy(d.F64, []float64{1e-7, math.Inf(-1)})
	b, err := marshalTensors([]string{"i", "f", "d"}, []*nnc.Tensor{i, f, d})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"i": {"dtype":"i64","shape":[3],"data":[9007199254740993,9223372036854775807,-9223372036854775808]}, ` +
		`"f": {"dtype":"f32","shape":[4],"data":[0.1,"NaN","Inf","-Inf"]}, ` +
		`"d": {"dtype":"f64","shape":[2],"data":[1e-7,"-Inf"]}}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
}

// TestMarshalTensorsErrors: mismatched lengths, nil or malformed tensors and
// repeated names are errors, not panics or a JSON object with a key twice.
func TestMarshalTensorsErrors(t *testing.T) {
	one := mustTensor(nnc.F32, 2)
	short := &nnc.Tensor{DType: nnc.F32, Shape: []int{3}, F32: []float32{1}}
	cases := []struct {
		names []string
		ts    []*nnc.Tensor
		want  string
	}{
		{[]string{"a", "b"}, []*nnc.Tensor{one}, "2 names for 1 tensors"},
		{[]string{"a"}, []*nnc.Tensor{one, one}, "1 names for 2 tensors"},
		{[]string{"a"}, []*nnc.Tensor{nil}, "a: nil tensor"},
		{[]string{"a"}, []*nnc.Tensor{short}, "a: f32[3] holds 1 elements, its shape says 3"},
		{[]string{"a"}, []*nnc.Tensor{{DType: nnc.F32, Shape: []int{-1}}}, "negative dimension"},
		{[]string{"a"}, []*nnc.Tensor{{DType: nnc.DType(0)}}, "unknown element type"},
		{[]string{"a"}, []*nnc.Tensor{{DType: nnc.F32, Shape: []int{1 << 40, 1 << 40}}}, "more elements than this machine can address"},
		{[]string{"x", "x"}, []*nnc.Tensor{one, one}, `the name "x" is given twice`},
	}
	for _, c := range cases {
		b, err := marshalTensors(c.names, c.ts)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("marshalTensors(%v): %s, %v; want an error with %q", c.names, b, err, c.want)
		}
	}
}

// TestEncodeJSON: the same bytes as encoding/json for finite values, and the
// strings "NaN", "Inf", "-Inf" for the others, at any depth.
func TestEncodeJSON(t *testing.T) {
	type inner struct {
		X float32 `json:"x"`
	}
	type Embedded struct {
		E int `json:"e"`
	}
	type outer struct {
		Embedded
		Name    string             `json:"name"`
		Skip    int                `json:"-"`
		Omit    []int              `json:"omit,omitempty"`
		Num     float64            `json:"num"`
		M       map[string]float64 `json:"m"`
		In      []inner            `json:"in"`
		P       *inner             `json:"p"`
		Any     any                `json:"any"`
		NoTag   bool
		private int
	}
	finite := outer{Embedded{7}, "a\"b<", 3, nil, 1e21, map[string]float64{"z": 0.5, "a": -2e-7}, []inner{{0.1}, {3e38}}, nil, []any{1, "s", 2.5}, true, 0}
	want, err := json.Marshal(finite)
	if err != nil {
		t.Fatal(err)
	}
	got, err := marshalJSON(finite)
	if err != nil || string(got) != string(want) {
		t.Errorf("finite values:\ngot  %s (%v)\nwant %s", got, err, want)
	}
	nan := outer{Num: math.NaN(), M: map[string]float64{"loss": math.Inf(1), "acc": math.Inf(-1)},
		In: []inner{{float32(math.NaN())}}, P: &inner{float32(math.Inf(1))}, Any: math.NaN()}
	got, err = marshalJSON(nan)
	wantNaN := `{"e":0,"name":"","num":"NaN","m":{"acc":"-Inf","loss":"Inf"},"in":[{"x":"NaN"}],"p":{"x":"Inf"},"any":"NaN","NoTag":false}`
	if err != nil || string(got) != wantNaN {
		t.Errorf("non-finite values:\ngot  %s (%v)\nwant %s", got, err, wantNaN)
	}
	// A report type of the package with a NaN.
	rep := nnc.GradCheckReport{Entry: "f", Eps: math.NaN(), Tol: 1e-5, Checks: []nnc.GradCheckItem{{Name: "x", MaxRelErr: math.Inf(1)}}}
	got, err = marshalJSON(rep)
	if err != nil || !strings.Contains(string(got), `"eps":"NaN"`) || !strings.Contains(string(got), `"max_rel_err":"Inf"`) {
		t.Errorf("nnc.GradCheckReport: %s, %v", got, err)
	}
	var cyc struct{ P any }
	cyc.P = &cyc
	if _, err := marshalJSON(&cyc); err == nil {
		t.Errorf("a cycle encoded without error")
	}
}

// mustTensor is nnc.NewTensor for shapes that cannot fail.
func mustTensor(dt nnc.DType, shape ...int) *nnc.Tensor {
	t, err := nnc.NewTensor(dt, shape...)
	if err != nil {
		panic(err)
	}
	return t
}
