package nnc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/nnclang/nnc/runtime/tensor"
)

// ParseValue reads an inline JSON value (a number or nested arrays) as a
// tensor of element type dt ("f32", "i32", ...). Ragged arrays are an error.
func ParseValue(text string, dt string) (*Tensor, error) {
	d, ok := tensor.ParseDType(dt)
	if !ok {
		return nil, fmt.Errorf("unknown element type %q", dt)
	}
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("not a JSON number or array: %v", err)
	}
	var shape []int
	var flat []float64
	var walk func(v any, depth int) error
	walk = func(v any, depth int) error {
		switch x := v.(type) {
		case json.Number:
			if depth != len(shape) {
				return fmt.Errorf("ragged array: a number at depth %d, expected %d", depth, len(shape))
			}
			f, err := x.Float64()
			if err != nil {
				return err
			}
			flat = append(flat, f)
		case bool:
			if depth != len(shape) {
				return fmt.Errorf("ragged array")
			}
			flat = append(flat, map[bool]float64{false: 0, true: 1}[x])
		case []any:
			if depth == len(shape) {
				if len(flat) > 0 {
					return fmt.Errorf("ragged array: an array at depth %d", depth)
				}
				shape = append(shape, len(x))
			} else if depth > len(shape) || shape[depth] != len(x) {
				return fmt.Errorf("ragged array: length %d at depth %d", len(x), depth)
			}
			for _, e := range x {
				if err := walk(e, depth+1); err != nil {
					return err
				}
			}
		default:
			return fmt.Errorf("unexpected JSON value %v", v)
		}
		return nil
	}
	if err := walk(v, 0); err != nil {
		return nil, err
	}
	if len(flat) != tensor.NumElems(shape) {
		return nil, fmt.Errorf("ragged array")
	}
	if d.IsInt() {
		for _, f := range flat {
			if f != math.Trunc(f) {
				return nil, fmt.Errorf("%g is not an integer, but the input is %v", f, d)
			}
		}
	}
	return tensor.FromFloat64s(d, shape, flat), nil
}

// TensorJSON is a tensor as the command line prints it:
// {"dtype": "f32", "shape": [2, 3], "data": [1, 2, 3, 4, 5, 6]} with data flat
// and row-major. NaN and infinities print as the strings "NaN", "Inf", "-Inf".
type TensorJSON struct {
	DType string `json:"dtype"`
	Shape []int  `json:"shape"`
	Data  []any  `json:"data"`
}

// ToJSON converts a tensor for printing.
func ToJSON(t *Tensor) TensorJSON {
	j := TensorJSON{DType: t.DType.String(), Shape: append([]int{}, t.Shape...), Data: make([]any, t.Len())}
	for i := range j.Data {
		v := t.At(i)
		switch {
		case math.IsNaN(v):
			j.Data[i] = "NaN"
		case math.IsInf(v, 1):
			j.Data[i] = "Inf"
		case math.IsInf(v, -1):
			j.Data[i] = "-Inf"
		case t.DType == tensor.Bool:
			j.Data[i] = v != 0
		case t.DType == tensor.F32:
			j.Data[i] = json.Number(fmt.Sprint(float32(v)))
		default:
			j.Data[i] = v
		}
	}
	return j
}

// MarshalTensors renders named tensors as one JSON object, keys in the given
// order.
func MarshalTensors(names []string, ts []*Tensor) []byte {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, name := range names {
		if i > 0 {
			buf.WriteString(", ")
		}
		k, _ := json.Marshal(name)
		v, _ := json.Marshal(ToJSON(ts[i]))
		buf.Write(k)
		buf.WriteString(": ")
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes()
}
