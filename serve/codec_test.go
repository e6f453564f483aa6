package serve

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/nnclang/nnc/tensor"
)

func TestDecodeInput(t *testing.T) {
	f32 := &Spec{Name: "x", DType: tensor.F32, Shape: []int64{-1, 2}}
	in := &requestInput{Name: "x", Shape: []int64{2, 2}, Datatype: "FP32", Data: json.RawMessage(`[ [0.1, "NaN"] , ["-Inf", -2.5e-3] ]`)}
	x, err := decodeInput(in, f32)
	if err != nil {
		t.Fatal(err)
	}
	if x.F32[0] != float32(0.1) || !math.IsNaN(float64(x.F32[1])) || !math.IsInf(float64(x.F32[2]), -1) || x.F32[3] != float32(-2.5e-3) {
		t.Errorf("decoded %v", x.F32)
	}
	out := string(appendOutput(nil, "y", x))
	if want := `{"name":"y","datatype":"FP32","shape":[2,2],"data":[0.1,"NaN","-Inf",-0.0025]}`; out != want {
		t.Errorf("appendOutput = %s, want %s", out, want)
	}
	for _, c := range []struct {
		spec *Spec
		dt   string
		data string
		want string
	}{
		{&Spec{DType: tensor.I32, Shape: []int64{3}}, "INT32", `[1,-2,2147483647]`, `[1,-2,2147483647]`},
		{&Spec{DType: tensor.I64, Shape: []int64{3}}, "INT64", `[1,-2,9007199254740993]`, `[1,-2,9007199254740993]`},
		{&Spec{DType: tensor.Bool, Shape: []int64{3}}, "BOOL", `[true,false,true]`, `[true,false,true]`},
		{&Spec{DType: tensor.F64, Shape: []int64{3}}, "FP64", `[0.1,1e300,"Inf"]`, `[0.1,1e+300,"Inf"]`},
	} {
		in := &requestInput{Name: "v", Shape: []int64{3}, Datatype: c.dt, Data: json.RawMessage(c.data)}
		v, err := decodeInput(in, c.spec)
		if err != nil {
			t.Errorf("%s %s: %v", c.dt, c.data, err)
			continue
		}
		got := string(appendOutput(nil, "v", v))
		if !strings.Contains(got, `"data":`+c.want+"}") {
			t.Errorf("%s %s: %s", c.dt, c.data, got)
		}
	}
	for _, c := range []struct{ dt, data, msg string }{
		{"INT32", `[1,2,2147483648]`, "not an integer in range"},
		{"INT32", `[1,2,3.5]`, "not an integer"},
		{"BOOL", `[1,0,1]`, "not true or false"},
		{"FP64", `[1,,2]`, "missing element"},
		{"FP64", `[1,2,3`, "unterminated"},
		{"FP64", `[1,2,3] x`, "after the array"},
		{"FP64", `{"a":1}`, "want an array"},
		{"FP64", `[01,2,3]`, "not a number"},
		{"FP64", `[1,2,-]`, "not a number"},
		{"FP64", `[1,2,1e]`, "not a number"},
		{"FP64", `[1,2,"nan"]`, "not a number"},
		{"FP64", strings.Repeat("[", 70) + strings.Repeat("]", 70), "nested more than 64"},
	} {
		dt := map[string]tensor.DType{"INT32": tensor.I32, "BOOL": tensor.Bool, "FP64": tensor.F64}[c.dt]
		in := &requestInput{Name: "v", Shape: []int64{3}, Datatype: c.dt, Data: json.RawMessage(c.data)}
		if _, err := decodeInput(in, &Spec{DType: dt, Shape: []int64{3}}); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s %s: error %v, want %q", c.dt, c.data, err, c.msg)
		}
	}
}

// FuzzDecodeInput: no data crashes the parser, and what it accepts has
// exactly the shape's elements.
func FuzzDecodeInput(f *testing.F) {
	for _, s := range []string{`[1,2,3,4]`, `[[1,2],[3,4]]`, `[1,"NaN",3,4]`, `[`, `[1,[2,[3,[4]]]]`, `[1e400,2,3,4]`, `[true,1,2,3]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		in := &requestInput{Name: "x", Shape: []int64{2, 2}, Datatype: "FP32", Data: json.RawMessage(data)}
		x, err := decodeInput(in, &Spec{Name: "x", DType: tensor.F32, Shape: []int64{-1, 2}})
		if err == nil && len(x.F32) != 4 {
			t.Fatalf("%q: %d elements", data, len(x.F32))
		}
	})
}
