package main

import (
	"math"
	"testing"

	"github.com/nnclang/nnc"
)

// FuzzParseValue feeds the command line's value parser arbitrary text for
// every element type: it never panics, a value it accepts is well formed,
// and printing that value and parsing the printed data again gives the same
// tensor, bit for bit (NaN payloads aside).
func FuzzParseValue(f *testing.F) {
	for _, s := range []string{
		"1", "-0", "2147483648", "4294967297", "[1, 2.5, 1e3]", "[[1, 2], [3, 4]]", `["NaN", "Inf", "-Inf"]`,
		"[true, false, 0, 1]", "[[], []]", "1e-400", "3.5e38", "9007199254740993", "[[1], [2, 3]]", "1 2",
		"1.0000000000000001", "12300e-2", "-9223372036854775808", "[[[[[[[[1]]]]]]]]",
	} {
		for dt := range 5 {
			f.Add(s, uint8(dt))
		}
	}
	dtypes := []string{"f32", "f64", "i32", "i64", "bool"}
	f.Fuzz(func(t *testing.T, text string, which uint8) {
		dt := dtypes[int(which)%len(dtypes)]
		v, err := parseValue(text, dt)
		if err != nil {
			return
		}
		if err := nnc.CheckTensor(v); err != nil {
			t.Fatalf("parseValue(%q, %s) gave a malformed tensor: %v", text, dt, err)
		}
		if v.DType.String() != dt {
			t.Fatalf("parseValue(%q, %s) gave %v", text, dt, v.DType)
		}
		b, err := marshalJSON(toJSON(v).Data)
		if err != nil {
			t.Fatalf("printing %v: %v", v, err)
		}
		w, err := parseValue(string(b), dt)
		if err != nil {
			t.Fatalf("parseValue(%q, %s) read back %s: %v", text, dt, b, err)
		}
		if w.Len() != v.Len() {
			t.Fatalf("read back %d elements of %d", w.Len(), v.Len())
		}
		for i := range v.Len() {
			a, c := v.At(i), w.At(i)
			same := a == c && math.Signbit(a) == math.Signbit(c) || math.IsNaN(a) && math.IsNaN(c)
			switch dt {
			case "i64":
				same = v.I64[i] == w.I64[i]
			case "f32":
				same = math.Float32bits(v.F32[i]) == math.Float32bits(w.F32[i]) || a != a && c != c
			}
			if !same {
				t.Fatalf("parseValue(%q, %s): element %d is %v, printed %s and read back as %v", text, dt, i, a, b, c)
			}
		}
	})
}
