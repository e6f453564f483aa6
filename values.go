package nnc

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/nnclang/nnc/runtime/tensor"
)

// MaxValueRank is the largest rank of a value ParseValue reads (the
// language's own limit on ranks).
const MaxValueRank = 64

// ParseValue reads an inline JSON value (a number or nested arrays) as a
// tensor of element type dt ("f32", "i32", ...). Ragged arrays are an error,
// and so is anything after the value.
//
// Every element must be representable in dt, exactly for integers:
//   - i32 and i64 take integers within their range. A number written with a
//     fraction or an exponent is taken when its value is an integer (2.0,
//     1e3); 2.5, 2147483648 for i32 and 1e19 for i64 are errors.
//   - f32 and f64 take numbers rounded to the nearest value of the type;
//     a number beyond the type's largest finite value (3.5e38 for f32) is an
//     error, one below its smallest subnormal rounds to zero. The strings
//     "NaN", "Inf", "+Inf" and "-Inf" (the spelling nnc prints) are NaN and
//     the infinities.
//   - bool takes true, false, 0 and 1.
//
// The JSON values true and false are 1 and 0 for the numeric types.
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
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("unexpected text after the value at offset %d", dec.InputOffset())
	}
	shape, leaves, err := flattenJSON(v)
	if err != nil {
		return nil, err
	}
	t := tensor.New(d, shape...)
	for i, leaf := range leaves {
		if err := setElem(t, i, leaf); err != nil {
			if len(shape) == 0 {
				return nil, err
			}
			return nil, fmt.Errorf("element %d: %w", i, err)
		}
	}
	return t, nil
}

// flattenJSON returns the shape of a decoded JSON value (numbers, bools,
// strings and nested arrays) and its leaves in row-major order.
func flattenJSON(v any) ([]int, []any, error) {
	var shape []int
	var leaves []any
	var walk func(v any, depth int) error
	walk = func(v any, depth int) error {
		x, isArray := v.([]any)
		if !isArray {
			switch v.(type) {
			case json.Number, bool, string:
			default:
				return fmt.Errorf("unexpected JSON value %v (want numbers in nested arrays)", v)
			}
			if depth != len(shape) {
				return fmt.Errorf("ragged array: a number at depth %d, expected %d", depth, len(shape))
			}
			leaves = append(leaves, v)
			return nil
		}
		if depth == len(shape) {
			if len(leaves) > 0 {
				return fmt.Errorf("ragged array: an array at depth %d", depth)
			}
			if depth == MaxValueRank {
				return fmt.Errorf("arrays nested deeper than %d (the largest rank)", MaxValueRank)
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
		return nil
	}
	if err := walk(v, 0); err != nil {
		return nil, nil, err
	}
	// Every dimension is the length of an array that was read, so the
	// product cannot overflow unless a zero dimension hides the others.
	n := 1
	for _, d := range shape {
		if d == 0 {
			n = 0
			break
		}
		n *= d
	}
	if n != len(leaves) {
		return nil, nil, fmt.Errorf("ragged array: %d numbers for shape %v", len(leaves), shape)
	}
	return shape, leaves, nil
}

// setElem stores one JSON leaf (json.Number, bool or string) at flat index
// i of t, checking that it is representable.
func setElem(t *Tensor, i int, leaf any) error {
	switch x := leaf.(type) {
	case bool:
		t.Set(i, map[bool]float64{false: 0, true: 1}[x])
		return nil
	case string:
		if !t.DType.IsFloat() {
			return fmt.Errorf("%q is not a value of type %v", x, t.DType)
		}
		f, ok := map[string]float64{"NaN": math.NaN(), "Inf": math.Inf(1), "+Inf": math.Inf(1), "-Inf": math.Inf(-1)}[x]
		if !ok {
			return fmt.Errorf("%q is not a number (the strings taken are \"NaN\", \"Inf\" and \"-Inf\")", x)
		}
		t.Set(i, f)
		return nil
	}
	s := string(leaf.(json.Number))
	switch t.DType {
	case tensor.F32, tensor.F64:
		bits := 64
		if t.DType == tensor.F32 {
			bits = 32
		}
		f, err := strconv.ParseFloat(s, bits)
		if err != nil {
			return fmt.Errorf("%s is out of the range of %v (largest finite value %g)", s, t.DType, maxFinite(t.DType))
		}
		t.Set(i, f)
	case tensor.I32:
		n, err := parseInteger(s, 32)
		if err != nil {
			return intError(s, err, t.DType, math.MinInt32, math.MaxInt32)
		}
		t.I32[i] = int32(n)
	case tensor.I64:
		n, err := parseInteger(s, 64)
		if err != nil {
			return intError(s, err, t.DType, math.MinInt64, math.MaxInt64)
		}
		t.I64[i] = n
	case tensor.Bool:
		n, err := parseInteger(s, 64)
		if err != nil || (n != 0 && n != 1) {
			return fmt.Errorf("%s is not a bool (true, false, 0 or 1)", s)
		}
		t.Bool[i] = n == 1
	}
	return nil
}

func maxFinite(d tensor.DType) float64 {
	if d == tensor.F32 {
		return math.MaxFloat32
	}
	return math.MaxFloat64
}

var (
	errNotInteger = errors.New("not an integer")
	errIntRange   = errors.New("out of range")
)

func intError(s string, err error, d tensor.DType, lo, hi int64) error {
	if err == errNotInteger {
		return fmt.Errorf("%s is not an integer, but the input is %v", s, d)
	}
	return fmt.Errorf("%s is out of the range of %v (%d to %d)", s, d, lo, hi)
}

// parseInteger reads a JSON number as an integer of the given bit size,
// exactly: 1e3 and 2.50e1 are integers, 2.5 and 1.0000000000000001 are not.
func parseInteger(s string, bits int) (int64, error) {
	if n, err := strconv.ParseInt(s, 10, bits); err == nil {
		return n, nil
	} else if errors.Is(err, strconv.ErrRange) {
		return 0, errIntRange
	}
	// JSON grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	mant, expStr, _ := strings.Cut(strings.ToLower(s), "e")
	intPart, frac, _ := strings.Cut(mant, ".")
	exp := 0
	if expStr != "" {
		e, err := strconv.Atoi(expStr)
		if err != nil || e > 1e6 || e < -1e6 {
			e = 1e6 // far beyond any int64, either way
			if strings.HasPrefix(expStr, "-") {
				e = -1e6
			}
		}
		exp = e
	}
	// The value is digits · 10^e.
	digits, e := intPart+frac, exp-len(frac)
	for e < 0 && strings.HasSuffix(digits, "0") {
		digits, e = digits[:len(digits)-1], e+1
	}
	digits = strings.TrimLeft(digits, "0")
	if digits == "" {
		return 0, nil
	}
	if e < 0 {
		return 0, errNotInteger
	}
	if len(digits)+e > 19 {
		return 0, errIntRange
	}
	n, err := strconv.ParseInt(sign+digits+strings.Repeat("0", e), 10, bits)
	if err != nil {
		return 0, errIntRange
	}
	return n, nil
}

// TensorJSON is a tensor as the command line prints it:
// {"dtype": "f32", "shape": [2, 3], "data": [1, 2, 3, 4, 5, 6]} with data flat
// and row-major. NaN and infinities print as the strings "NaN", "Inf", "-Inf";
// integers print exactly, floats as the shortest decimal that reads back to
// the same value of their type.
type TensorJSON struct {
	DType string `json:"dtype"`
	Shape []int  `json:"shape"`
	Data  []any  `json:"data"`
}

// ToJSON converts a tensor for printing. A nil or malformed tensor (one
// CheckTensor rejects) gives the zero TensorJSON, which has no element type
// and no data: call CheckTensor first where that can happen, or use
// MarshalTensors, which returns the error.
func ToJSON(t *Tensor) TensorJSON {
	if CheckTensor(t) != nil {
		return TensorJSON{}
	}
	j := TensorJSON{DType: t.DType.String(), Shape: append([]int{}, t.Shape...), Data: make([]any, t.Len())}
	for i := range j.Data {
		switch t.DType {
		case tensor.Bool:
			j.Data[i] = t.Bool[i]
		case tensor.I32:
			j.Data[i] = json.Number(strconv.FormatInt(int64(t.I32[i]), 10))
		case tensor.I64:
			j.Data[i] = json.Number(strconv.FormatInt(t.I64[i], 10))
		case tensor.F32:
			j.Data[i] = floatJSON(float64(t.F32[i]), 32)
		default:
			j.Data[i] = floatJSON(t.At(i), 64)
		}
	}
	return j
}

// floatJSON is a float as nnc prints it: a JSON number, or the strings
// "NaN", "Inf", "-Inf".
func floatJSON(v float64, bits int) any {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	if bits == 32 {
		return json.Number(strconv.FormatFloat(v, 'g', -1, 32))
	}
	return v
}

// CheckTensor reports whether t is a well-formed tensor: not nil, of a known
// element type, with non-negative dimensions and exactly as many elements in
// its data slice as its shape says.
func CheckTensor(t *Tensor) error {
	if t == nil {
		return errors.New("nil tensor")
	}
	n := 1
	for _, d := range t.Shape {
		if d < 0 {
			return fmt.Errorf("negative dimension in shape %v", t.Shape)
		}
		if d != 0 && n > math.MaxInt/d {
			return fmt.Errorf("shape %v has more elements than this machine can address", t.Shape)
		}
		n *= d
	}
	var have int
	switch t.DType {
	case tensor.F32:
		have = len(t.F32)
	case tensor.F64:
		have = len(t.F64)
	case tensor.I32:
		have = len(t.I32)
	case tensor.I64:
		have = len(t.I64)
	case tensor.Bool:
		have = len(t.Bool)
	default:
		return fmt.Errorf("unknown element type %v", t.DType)
	}
	if have != n {
		return fmt.Errorf("%v%v holds %d elements, its shape says %d", t.DType, t.Shape, have, n)
	}
	return nil
}

// MarshalTensors renders named tensors as one JSON object, keys in the given
// order. The names must be distinct and as many as the tensors, and every
// tensor well formed (CheckTensor).
func MarshalTensors(names []string, ts []*Tensor) ([]byte, error) {
	if len(names) != len(ts) {
		return nil, fmt.Errorf("MarshalTensors: %d names for %d tensors", len(names), len(ts))
	}
	seen := map[string]bool{}
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, name := range names {
		if seen[name] {
			return nil, fmt.Errorf("MarshalTensors: the name %q is given twice", name)
		}
		seen[name] = true
		if err := CheckTensor(ts[i]); err != nil {
			return nil, fmt.Errorf("MarshalTensors: %s: %v", name, err)
		}
		if i > 0 {
			buf.WriteString(", ")
		}
		k, err := json.Marshal(name)
		if err != nil {
			return nil, err
		}
		v, err := EncodeJSON(ToJSON(ts[i]))
		if err != nil {
			return nil, err
		}
		buf.Write(k)
		buf.WriteString(": ")
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// EncodeJSON is encoding/json's Marshal with nnc's encoding of the floats
// JSON cannot hold: NaN, +Inf and -Inf become the strings "NaN", "Inf" and
// "-Inf", wherever they are (struct fields, maps, slices, tensors). Every
// JSON document the command line prints goes through it. Finite values,
// struct tags (names, omitempty, "-"), embedded structs, sorted map keys and
// json.Marshaler types are as encoding/json does them.
func EncodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := encodeJSON(&buf, reflect.ValueOf(v), 0); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// maxJSONDepth bounds the nesting EncodeJSON follows (a cycle of pointers
// would otherwise never end).
const maxJSONDepth = 1000

var marshalerType = reflect.TypeFor[json.Marshaler]()

func encodeJSON(buf *bytes.Buffer, v reflect.Value, depth int) error {
	if depth > maxJSONDepth {
		return fmt.Errorf("EncodeJSON: values nested deeper than %d (a cycle?)", maxJSONDepth)
	}
	if !v.IsValid() {
		buf.WriteString("null")
		return nil
	}
	if v.Type().Implements(marshalerType) && !(v.Kind() == reflect.Pointer && v.IsNil()) {
		b, err := json.Marshal(v.Interface())
		if err != nil {
			return err
		}
		buf.Write(b)
		return nil
	}
	switch v.Kind() {
	case reflect.Float32, reflect.Float64:
		bits := 64
		if v.Kind() == reflect.Float32 {
			bits = 32
		}
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			b, _ := json.Marshal(floatJSON(f, bits))
			buf.Write(b)
			return nil
		}
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			buf.WriteString("null")
			return nil
		}
		return encodeJSON(buf, v.Elem(), depth+1)
	case reflect.Slice:
		if v.IsNil() {
			buf.WriteString("null")
			return nil
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			break // base64, as encoding/json writes []byte
		}
		return encodeList(buf, v, depth)
	case reflect.Array:
		return encodeList(buf, v, depth)
	case reflect.Map:
		return encodeMap(buf, v, depth)
	case reflect.Struct:
		buf.WriteByte('{')
		first := true
		if err := encodeFields(buf, v, &first, depth); err != nil {
			return err
		}
		buf.WriteByte('}')
		return nil
	}
	b, err := json.Marshal(v.Interface())
	if err != nil {
		return err
	}
	buf.Write(b)
	return nil
}

func encodeList(buf *bytes.Buffer, v reflect.Value, depth int) error {
	buf.WriteByte('[')
	for i := 0; i < v.Len(); i++ {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := encodeJSON(buf, v.Index(i), depth+1); err != nil {
			return err
		}
	}
	buf.WriteByte(']')
	return nil
}

func encodeMap(buf *bytes.Buffer, v reflect.Value, depth int) error {
	if v.IsNil() {
		buf.WriteString("null")
		return nil
	}
	type entry struct {
		key string
		val reflect.Value
	}
	entries := make([]entry, 0, v.Len())
	for it := v.MapRange(); it.Next(); {
		k, err := mapKey(it.Key())
		if err != nil {
			return err
		}
		entries = append(entries, entry{k, it.Value()})
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].key < entries[j].key })
	buf.WriteByte('{')
	for i, e := range entries {
		if i > 0 {
			buf.WriteByte(',')
		}
		kb, err := json.Marshal(e.key)
		if err != nil {
			return err
		}
		buf.Write(kb)
		buf.WriteByte(':')
		if err := encodeJSON(buf, e.val, depth+1); err != nil {
			return err
		}
	}
	buf.WriteByte('}')
	return nil
}

var textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()

// mapKey is the JSON name of a map key, by encoding/json's rules: a string
// kind as it is, then a text marshaler's text, then an integer in decimal.
func mapKey(k reflect.Value) (string, error) {
	if k.Kind() == reflect.String {
		return k.String(), nil
	}
	if k.Type().Implements(textMarshalerType) {
		if k.Kind() == reflect.Pointer && k.IsNil() {
			return "", nil
		}
		b, err := k.Interface().(encoding.TextMarshaler).MarshalText()
		return string(b), err
	}
	switch k.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(k.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(k.Uint(), 10), nil
	}
	return "", fmt.Errorf("EncodeJSON: unsupported map key type %v", k.Type())
}

// encodeFields writes the exported fields of struct v (and, inline, those
// of its untagged embedded structs).
func encodeFields(buf *bytes.Buffer, v reflect.Value, first *bool, depth int) error {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		fv := v.Field(i)
		if f.Anonymous && name == "" && f.IsExported() {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
				if fv.IsNil() {
					continue
				}
				fv = fv.Elem()
			}
			if ft.Kind() == reflect.Struct {
				if err := encodeFields(buf, fv, first, depth+1); err != nil {
					return err
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if strings.Contains(","+opts+",", ",omitempty,") && emptyJSON(fv) {
			continue
		}
		if !*first {
			buf.WriteByte(',')
		}
		*first = false
		kb, _ := json.Marshal(name)
		buf.Write(kb)
		buf.WriteByte(':')
		if err := encodeJSON(buf, fv, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// emptyJSON is encoding/json's test for omitempty.
func emptyJSON(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}
