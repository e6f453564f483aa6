package main

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/nnclang/nnc"
)

// toJSON never panics: a nil or malformed tensor gives the zero printedTensor.
func TestToJSONMalformed(t *testing.T) {
	for name, x := range map[string]*nnc.Tensor{
		"nil":      nil,
		"short":    {DType: nnc.F32, Shape: []int{2, 4}, F32: make([]float32, 3)},
		"no dtype": {Shape: []int{1}},
		"negative": {DType: nnc.I64, Shape: []int{-2}},
	} {
		var j printedTensor
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s: panic %v", name, r)
				}
			}()
			j = toJSON(x)
		}()
		if !reflect.DeepEqual(j, printedTensor{}) {
			t.Errorf("%s: toJSON = %+v, want the zero printedTensor", name, j)
		}
	}
	b, err := marshalJSON(toJSON(&nnc.Tensor{DType: nnc.I32, Shape: []int{2}, I32: []int32{-3, 7}}))
	if err != nil || string(b) != `{"dtype":"i32","shape":[2],"data":[-3,7]}` {
		t.Errorf("toJSON(i32[2]) encodes as %s, %v", b, err)
	}
}

// textKey is a map key with a text form.
type textKey struct{ n int }

func (k textKey) MarshalText() ([]byte, error) { return []byte(fmt.Sprintf("k%d", k.n)), nil }

// marshalJSON spells NaN and the infinities as strings in maps of every key
// type encoding/json takes, with keys named and ordered as encoding/json
// names and orders them.
func TestEncodeJSONMapKeys(t *testing.T) {
	for _, c := range []struct {
		v, finite any // finite: v with NaN and ±Inf replaced by 0
		want      string
	}{
		{map[int]float64{2: math.NaN(), 10: 1.5, -1: math.Inf(1)}, map[int]float64{2: 0, 10: 1.5, -1: 0},
			`{"-1":"Inf","10":1.5,"2":"NaN"}`},
		{map[uint8]float32{200: float32(math.Inf(-1)), 3: 0.25}, map[uint8]float32{200: 0, 3: 0.25},
			`{"200":"-Inf","3":0.25}`},
		{map[textKey][]float64{{2}: {math.NaN()}, {10}: {1}}, map[textKey][]float64{{2}: {0}, {10}: {1}},
			`{"k10":[1],"k2":["NaN"]}`},
		{map[string]map[int]float64{"m": {1: math.NaN()}}, map[string]map[int]float64{"m": {1: 0}},
			`{"m":{"1":"NaN"}}`},
	} {
		got, err := marshalJSON(c.v)
		if err != nil || string(got) != c.want {
			t.Errorf("marshalJSON(%v) = %s, %v; want %s", c.v, got, err, c.want)
		}
		// The key order is encoding/json's.
		std, err := json.Marshal(c.finite)
		if err != nil {
			t.Fatal(err)
		}
		mine, _ := marshalJSON(c.finite)
		if string(std) != string(mine) {
			t.Errorf("marshalJSON(%v) = %s, encoding/json gives %s", c.finite, mine, std)
		}
	}
	if _, err := marshalJSON(map[float64]int{1: 1}); err == nil || !strings.Contains(err.Error(), "unsupported map key type float64") {
		t.Errorf("a float key: err = %v", err)
	}
}

// TestValueErrors: the CLI's value reading and printing refuse what they
// cannot handle with an error naming it (never a panic).
func TestValueErrors(t *testing.T) {
	short := &nnc.Tensor{DType: nnc.F32, Shape: []int{3}, F32: make([]float32, 2)}
	good := mustTensor(nnc.F32, 2)
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		fn   func() error
		want string
	}{
		{"marshalTensors short", func() error { _, err := marshalTensors([]string{"a"}, []*nnc.Tensor{short}); return err }, "holds 2 elements, its shape says 3"},
		{"marshalTensors nil", func() error { _, err := marshalTensors([]string{"a"}, []*nnc.Tensor{nil}); return err }, "JSON: a: nil tensor"},
		{"marshalTensors mismatched lengths", func() error { _, err := marshalTensors(nil, []*nnc.Tensor{good}); return err }, "0 names for 1 tensors"},
		{"marshalJSON float map key", func() error { _, err := marshalJSON(map[float64]float64{1: math.NaN()}); return err }, "unsupported map key type float64"},
		{"readValue unknown type", func() error { _, err := readValue("[1]", "q8[1]"); return err }, `unknown element type "q8"`},
		{"readValue missing .npy", func() error { _, err := readValue(dir+"/none.npy", "f32[2]"); return err }, "no such file"},
		{"parseValue ragged", func() error { _, err := parseValue("[[1], [2, 3]]", "f32"); return err }, "ragged array"},
	} {
		if err := c.fn(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}
}
