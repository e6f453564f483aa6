package main

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/nnclang/nnc"
)

// printedTensor is a tensor as the command line prints it:
// {"dtype": "f32", "shape": [2, 3], "data": [1, 2, 3, 4, 5, 6]} with data flat
// and row-major. NaN and infinities print as the strings "NaN", "Inf", "-Inf";
// integers print exactly, floats as the shortest decimal that reads back to
// the same value of their type.
type printedTensor struct {
	DType string `json:"dtype"`
	Shape []int  `json:"shape"`
	Data  []any  `json:"data"`
}

// toJSON converts a tensor for printing. A nil or malformed tensor (one
// nnc.CheckTensor rejects) gives the zero printedTensor, which has no element type
// and no data: call nnc.CheckTensor first where that can happen, or use
// marshalTensors, which returns the error.
func toJSON(t *nnc.Tensor) printedTensor {
	if nnc.CheckTensor(t) != nil {
		return printedTensor{}
	}
	j := printedTensor{DType: t.DType.String(), Shape: append([]int{}, t.Shape...), Data: make([]any, t.Len())}
	for i := range j.Data {
		switch t.DType {
		case nnc.Bool:
			j.Data[i] = t.Bool[i]
		case nnc.I32:
			j.Data[i] = json.Number(strconv.FormatInt(int64(t.I32[i]), 10))
		case nnc.I64:
			j.Data[i] = json.Number(strconv.FormatInt(t.I64[i], 10))
		case nnc.F32:
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

// marshalTensors renders named tensors as one JSON object, keys in the given
// order. The names must be distinct and as many as the tensors, and every
// tensor well formed (nnc.CheckTensor).
func marshalTensors(names []string, ts []*nnc.Tensor) ([]byte, error) {
	if len(names) != len(ts) {
		return nil, fmt.Errorf("JSON: %d names for %d tensors", len(names), len(ts))
	}
	seen := map[string]bool{}
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, name := range names {
		if seen[name] {
			return nil, fmt.Errorf("JSON: the name %q is given twice", name)
		}
		seen[name] = true
		if err := nnc.CheckTensor(ts[i]); err != nil {
			return nil, fmt.Errorf("JSON: %s: %v", name, err)
		}
		if i > 0 {
			buf.WriteString(", ")
		}
		k, err := json.Marshal(name)
		if err != nil {
			return nil, err
		}
		v, err := marshalJSON(toJSON(ts[i]))
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

// marshalJSON is encoding/json's Marshal with nnc's encoding of the floats
// JSON cannot hold: NaN, +Inf and -Inf become the strings "NaN", "Inf" and
// "-Inf", wherever they are (struct fields, maps, slices, tensors). Every
// JSON document the command line prints goes through it. Finite values,
// struct tags (names, omitempty, "-"), embedded structs, sorted map keys and
// json.Marshaler types are as encoding/json does them.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := encodeJSON(&buf, reflect.ValueOf(v), 0); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// maxJSONDepth bounds the nesting marshalJSON follows (a cycle of pointers
// would otherwise never end).
const maxJSONDepth = 1000

var marshalerType = reflect.TypeFor[json.Marshaler]()

func encodeJSON(buf *bytes.Buffer, v reflect.Value, depth int) error {
	if depth > maxJSONDepth {
		return fmt.Errorf("JSON: values nested deeper than %d (a cycle?)", maxJSONDepth)
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
	return "", fmt.Errorf("JSON: unsupported map key type %v", k.Type())
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
