package serve

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/nnclang/nnc/tensor"
)

// The v2 protocol's names of the element types nnc has.
var datatypes = map[tensor.DType]string{
	tensor.F32:  "FP32",
	tensor.F64:  "FP64",
	tensor.I32:  "INT32",
	tensor.I64:  "INT64",
	tensor.Bool: "BOOL",
}

// Datatype is the v2 protocol's name of an element type ("FP32" for f32),
// "" for one it has no name for.
func Datatype(dt tensor.DType) string { return datatypes[dt] }

// inferRequest is the body of POST /v2/models/{name}/infer.
type inferRequest struct {
	ID         string            `json:"id,omitempty"`
	Parameters json.RawMessage   `json:"parameters,omitempty"`
	Inputs     []requestInput    `json:"inputs"`
	Outputs    []requestedOutput `json:"outputs,omitempty"`
}

type requestInput struct {
	Name       string          `json:"name"`
	Shape      []int64         `json:"shape"`
	Datatype   string          `json:"datatype"`
	Parameters json.RawMessage `json:"parameters,omitempty"`
	Data       json.RawMessage `json:"data"`
}

type requestedOutput struct {
	Name       string          `json:"name"`
	Parameters json.RawMessage `json:"parameters,omitempty"`
}

// tensorMeta is an input or output in the model metadata.
type tensorMeta struct {
	Name     string  `json:"name"`
	Datatype string  `json:"datatype"`
	Shape    []int64 `json:"shape"`
}

// modelMeta is the body of GET /v2/models/{name}.
type modelMeta struct {
	Name     string       `json:"name"`
	Versions []string     `json:"versions"`
	Platform string       `json:"platform"`
	Inputs   []tensorMeta `json:"inputs"`
	Outputs  []tensorMeta `json:"outputs"`
}

// decodeInput checks one request tensor against its spec and reads its
// data: a flat row-major array, or nested arrays of the tensor's shape
// (flattened in order), of JSON numbers (or, for floats, the strings
// "NaN", "Inf", "+Inf" and "-Inf") or, for BOOL, true and false.
func decodeInput(in *requestInput, spec *Spec) (*tensor.Tensor, error) {
	if in.Datatype != Datatype(spec.DType) {
		return nil, fmt.Errorf("input %s: datatype %q, the model takes %s", in.Name, in.Datatype, Datatype(spec.DType))
	}
	if len(in.Shape) != len(spec.Shape) {
		return nil, fmt.Errorf("input %s: shape %s has %d dimensions, the model takes %d (%s)", in.Name, shapeText(in.Shape), len(in.Shape), len(spec.Shape), shapeText(spec.Shape))
	}
	shape := make([]int, len(in.Shape))
	n := 1
	for i, d := range in.Shape {
		if d < 0 || d > math.MaxInt32 {
			return nil, fmt.Errorf("input %s: shape %s: dimension %d is %d", in.Name, shapeText(in.Shape), i, d)
		}
		if spec.Shape[i] >= 0 && d != spec.Shape[i] {
			return nil, fmt.Errorf("input %s: shape %s: dimension %d is %d, the model takes %d (%s; -1 is any size)", in.Name, shapeText(in.Shape), i, d, spec.Shape[i], shapeText(spec.Shape))
		}
		// Each element takes at least two bytes of the body, so a count
		// past the body's length is refused before anything is allocated.
		if d != 0 && n > len(in.Data)/int(d) {
			return nil, fmt.Errorf("input %s: shape %s holds more elements than its data", in.Name, shapeText(in.Shape))
		}
		shape[i] = int(d)
		n *= int(d)
	}
	if len(in.Data) == 0 {
		return nil, fmt.Errorf("input %s: no data", in.Name)
	}
	t := tensor.New(spec.DType, shape...)
	p := dataParser{buf: in.Data, t: t, n: n}
	if err := p.parse(); err != nil {
		return nil, fmt.Errorf("input %s: data: %v", in.Name, err)
	}
	if p.i != n {
		return nil, fmt.Errorf("input %s: data holds %d elements, shape %s has %d", in.Name, p.i, shapeText(in.Shape), n)
	}
	return t, nil
}

// shapeText is a shape as JSON writes it: [2,3].
func shapeText(shape []int64) string {
	b := []byte{'['}
	for i, d := range shape {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, d, 10)
	}
	return string(append(b, ']'))
}

// dataParser reads the elements of a data array into t, at most n.
type dataParser struct {
	buf []byte
	pos int
	t   *tensor.Tensor
	n   int
	i   int // elements read
}

func (p *dataParser) skipSpace() {
	for p.pos < len(p.buf) {
		switch p.buf[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *dataParser) parse() error {
	p.skipSpace()
	if p.pos >= len(p.buf) || p.buf[p.pos] != '[' {
		return fmt.Errorf("want an array")
	}
	if err := p.array(0); err != nil {
		return err
	}
	p.skipSpace()
	if p.pos != len(p.buf) {
		return fmt.Errorf("unexpected text after the array at byte %d", p.pos)
	}
	return nil
}

// array reads an array starting at '[' (nested up to 64 deep).
func (p *dataParser) array(depth int) error {
	if depth > 64 {
		return fmt.Errorf("arrays nested more than 64 deep")
	}
	p.pos++ // '['
	p.skipSpace()
	if p.pos < len(p.buf) && p.buf[p.pos] == ']' {
		p.pos++
		return nil
	}
	for {
		p.skipSpace()
		if p.pos >= len(p.buf) {
			return fmt.Errorf("unterminated array")
		}
		if p.buf[p.pos] == '[' {
			if err := p.array(depth + 1); err != nil {
				return err
			}
		} else if err := p.value(); err != nil {
			return err
		}
		p.skipSpace()
		if p.pos >= len(p.buf) {
			return fmt.Errorf("unterminated array")
		}
		switch p.buf[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			return nil
		default:
			return fmt.Errorf("want ',' or ']' at byte %d, got %q", p.pos, p.buf[p.pos])
		}
	}
}

// value reads one element (a number, a string for a non-finite float, or
// a boolean) and stores it.
func (p *dataParser) value() error {
	start := p.pos
	for p.pos < len(p.buf) {
		c := p.buf[p.pos]
		if c == ',' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			break
		}
		p.pos++
		if c == '"' && p.pos > start+1 {
			break
		}
	}
	tok := string(p.buf[start:p.pos])
	if tok == "" {
		return fmt.Errorf("a missing element at byte %d", start)
	}
	if p.i >= p.n {
		return fmt.Errorf("more elements than the shape holds (%d)", p.n)
	}
	if err := p.store(tok); err != nil {
		return fmt.Errorf("element %d: %v", p.i, err)
	}
	p.i++
	return nil
}

var nonFinite = map[string]float64{`"NaN"`: math.NaN(), `"Inf"`: math.Inf(1), `"+Inf"`: math.Inf(1), `"-Inf"`: math.Inf(-1)}

func (p *dataParser) store(tok string) error {
	t := p.t
	switch t.DType {
	case tensor.Bool:
		switch tok {
		case "true":
			t.Bool[p.i] = true
		case "false":
			t.Bool[p.i] = false
		default:
			return fmt.Errorf("%s is not true or false", tok)
		}
		return nil
	case tensor.F32, tensor.F64:
		v, ok := nonFinite[tok]
		if !ok {
			if !isNumber(tok) {
				return fmt.Errorf("%s is not a number", tok)
			}
			bits := 64
			if t.DType == tensor.F32 {
				bits = 32
			}
			var err error
			if v, err = strconv.ParseFloat(tok, bits); err != nil {
				return fmt.Errorf("%s is out of range for %s", tok, Datatype(t.DType))
			}
		}
		if t.DType == tensor.F32 {
			t.F32[p.i] = float32(v)
		} else {
			t.F64[p.i] = v
		}
		return nil
	default:
		bits := 64
		if t.DType == tensor.I32 {
			bits = 32
		}
		v, err := strconv.ParseInt(tok, 10, bits)
		if err != nil {
			return fmt.Errorf("%s is not an integer in range for %s", tok, Datatype(t.DType))
		}
		if t.DType == tensor.I32 {
			t.I32[p.i] = int32(v)
		} else {
			t.I64[p.i] = v
		}
		return nil
	}
}

// isNumber reports whether s is a JSON number.
func isNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - j
	}
	if i < len(s) && s[i] == '0' {
		i++
	} else if digits() == 0 {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// appendOutput appends one output tensor of the response as JSON, its
// data flat and row-major, floats in the shortest form that reads back to
// the same value, non-finite ones as "NaN", "Inf" and "-Inf".
func appendOutput(b []byte, name string, t *tensor.Tensor) []byte {
	b = append(b, `{"name":`...)
	b = strconv.AppendQuote(b, name)
	b = append(b, `,"datatype":"`...)
	b = append(b, Datatype(t.DType)...)
	b = append(b, `","shape":[`...)
	for i, d := range t.Shape {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(d), 10)
	}
	b = append(b, `],"data":[`...)
	n := t.Len()
	for i := 0; i < n; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		switch t.DType {
		case tensor.F32:
			b = appendFloat(b, float64(t.F32[i]), 32)
		case tensor.F64:
			b = appendFloat(b, t.F64[i], 64)
		case tensor.I32:
			b = strconv.AppendInt(b, int64(t.I32[i]), 10)
		case tensor.I64:
			b = strconv.AppendInt(b, t.I64[i], 10)
		case tensor.Bool:
			b = strconv.AppendBool(b, t.Bool[i])
		}
	}
	return append(b, "]}"...)
}

func appendFloat(b []byte, v float64, bits int) []byte {
	switch {
	case math.IsNaN(v):
		return append(b, `"NaN"`...)
	case math.IsInf(v, 1):
		return append(b, `"Inf"`...)
	case math.IsInf(v, -1):
		return append(b, `"-Inf"`...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, bits)
}
