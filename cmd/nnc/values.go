package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/nnclang/nnc"
)

// maxValueRank is the largest rank of a value parseValue reads (the
// language's own limit on ranks).
const maxValueRank = 64

// parseValue reads an inline JSON value (a number or nested arrays) as a
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
func parseValue(text string, dt string) (*nnc.Tensor, error) {
	d, ok := nnc.ParseDType(dt)
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
	t, err := nnc.NewTensor(d, shape...)
	if err != nil {
		return nil, err
	}
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
			if depth == maxValueRank {
				return fmt.Errorf("arrays nested deeper than %d (the largest rank)", maxValueRank)
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
func setElem(t *nnc.Tensor, i int, leaf any) error {
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
	case nnc.F32, nnc.F64:
		bits := 64
		if t.DType == nnc.F32 {
			bits = 32
		}
		f, err := strconv.ParseFloat(s, bits)
		if err != nil {
			return fmt.Errorf("%s is out of the range of %v (largest finite value %g)", s, t.DType, maxFinite(t.DType))
		}
		t.Set(i, f)
	case nnc.I32:
		n, err := parseInteger(s, 32)
		if err != nil {
			return intError(s, err, t.DType, math.MinInt32, math.MaxInt32)
		}
		t.I32[i] = int32(n)
	case nnc.I64:
		n, err := parseInteger(s, 64)
		if err != nil {
			return intError(s, err, t.DType, math.MinInt64, math.MaxInt64)
		}
		t.I64[i] = n
	case nnc.Bool:
		n, err := parseInteger(s, 64)
		if err != nil || (n != 0 && n != 1) {
			return fmt.Errorf("%s is not a bool (true, false, 0 or 1)", s)
		}
		t.Bool[i] = n == 1
	}
	return nil
}

func maxFinite(d nnc.DType) float64 {
	if d == nnc.F32 {
		return math.MaxFloat32
	}
	return math.MaxFloat64
}

var (
	errNotInteger = errors.New("not an integer")
	errIntRange   = errors.New("out of range")
)

func intError(s string, err error, d nnc.DType, lo, hi int64) error {
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

// readValue reads the value of --in NAME=SPEC: a .npy file (nnc.LoadTensor),
// or inline JSON (parseValue) converted to the element type of typ
// ("f32[B, 64]").
func readValue(spec string, typ string) (*nnc.Tensor, error) {
	dt := typ
	if i := strings.IndexByte(dt, '['); i >= 0 {
		dt = dt[:i]
	}
	if strings.HasSuffix(spec, ".npy") {
		t, err := nnc.LoadTensor(spec)
		if err != nil {
			return nil, err
		}
		if t.DType.String() != dt {
			return nil, fmt.Errorf("%s holds %v, but the input is %s", spec, t.DType, typ)
		}
		return t, nil
	}
	return parseValue(spec, dt)
}
