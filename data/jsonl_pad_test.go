package data

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/nnclang/nnc/tensor"
)

// raggedJSONL has a ragged field ids on lines 1, 2, 4 (line 3 is blank).
const raggedJSONL = `{"ids": [3, 1, 4], "y": 1}
{"ids": [], "y": 0}

{"ids": [5, 9, 2, 6, 5], "y": 1}
`

func TestJSONLPadLongest(t *testing.T) {
	d, err := DecodeJSONL(strings.NewReader(raggedJSONL), "r.jsonl", JSONLOptions{Pad: map[string]float64{"ids": -1}})
	if err != nil {
		t.Fatal(err)
	}
	ids, mask := d.Arrays["ids"], d.Arrays["ids_mask"]
	// Written by hand: the rows padded with -1 to the longest (5).
	wantIDs := []int32{3, 1, 4, -1, -1, -1, -1, -1, -1, -1, 5, 9, 2, 6, 5}
	wantMask := []float32{1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1}
	if ids.DType != tensor.I32 || !slices.Equal(ids.Shape, []int{3, 5}) || !slices.Equal(ids.I32, wantIDs) {
		t.Fatalf("ids %v %v %v, want i32 [3 5] %v", ids.DType, ids.Shape, ids.I32, wantIDs)
	}
	if mask.DType != tensor.F32 || !slices.Equal(mask.Shape, []int{3, 5}) || !slices.Equal(mask.F32, wantMask) {
		t.Fatalf("mask %v %v %v, want f32 [3 5] %v", mask.DType, mask.Shape, mask.F32, wantMask)
	}
	if !slices.Equal(d.Source.Rows, []int32{1, 2, 4}) {
		t.Fatalf("source rows %v", d.Source.Rows)
	}
}

func TestJSONLPadMaxLen(t *testing.T) {
	// A float pad value makes the field f32; MaxLen 6 pads past the longest.
	d, err := DecodeJSONL(strings.NewReader(raggedJSONL), "r.jsonl", JSONLOptions{Pad: map[string]float64{"ids": 0.5}, MaxLen: 6})
	if err != nil {
		t.Fatal(err)
	}
	ids := d.Arrays["ids"]
	want := []float32{3, 1, 4, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 5, 9, 2, 6, 5, 0.5}
	if ids.DType != tensor.F32 || !slices.Equal(ids.Shape, []int{3, 6}) || !slices.Equal(ids.F32, want) {
		t.Fatalf("ids %v %v %v, want f32 [3 6] %v", ids.DType, ids.Shape, ids.F32, want)
	}
	// MaxLen 4: line 4 is too long, unless truncated.
	_, err = DecodeJSONL(strings.NewReader(raggedJSONL), "r.jsonl", JSONLOptions{Pad: map[string]float64{"ids": 0}, MaxLen: 4})
	if err == nil || !strings.Contains(err.Error(), "r.jsonl:4:") || !strings.Contains(err.Error(), "5 elements, more than the maximum length 4") {
		t.Fatalf("got %v, want an error at line 4", err)
	}
	d, err = DecodeJSONL(strings.NewReader(raggedJSONL), "r.jsonl", JSONLOptions{Pad: map[string]float64{"ids": 0}, MaxLen: 4, Truncate: true})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := d.Arrays["ids"].I32, []int32{3, 1, 4, 0, 0, 0, 0, 0, 5, 9, 2, 6}; !slices.Equal(got, want) {
		t.Fatalf("truncated ids %v, want %v", got, want)
	}
	if got, want := d.Arrays["ids_mask"].F32, []float32{1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1}; !slices.Equal(got, want) {
		t.Fatalf("truncated mask %v, want %v", got, want)
	}
}

func TestJSONLPadErrors(t *testing.T) {
	pad := map[string]float64{"ids": 0}
	for _, c := range []struct {
		text string
		o    JSONLOptions
		want string
	}{
		{raggedJSONL, JSONLOptions{}, "r.jsonl:2: field \"ids\": shape [0] where earlier records have [3]"},
		{`{"ids": [1]}` + "\n" + `{"ids": 2}`, JSONLOptions{Pad: pad}, "r.jsonl:2: field \"ids\": a padded field's value must be an array"},
		{`{"ids": [1, [2]]}`, JSONLOptions{Pad: pad}, "r.jsonl:1: field \"ids\": padding applies to 1-D arrays"},
		{`{"ids": [1, "a"]}`, JSONLOptions{Pad: pad}, "is not a number"},
		{`{"ids": [], "y": 1}`, JSONLOptions{Pad: pad}, "every record's array is empty"},
		{`{"ids": [1], "y": 1}`, JSONLOptions{Pad: map[string]float64{"z": 0}}, "r.jsonl:1: padded field \"z\" is not a field read"},
		{`{"ids": [1], "ids_mask": 1}`, JSONLOptions{Pad: pad}, "its mask \"ids_mask\" is also a field"},
		{`{"ids": [1]}`, JSONLOptions{Pad: pad, Truncate: true}, "Truncate needs MaxLen"},
		{`{"ids": [1]}`, JSONLOptions{Pad: pad, MaxLen: -1}, "MaxLen is -1"},
	} {
		_, err := DecodeJSONL(strings.NewReader(c.text), "r.jsonl", c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.text, err, c.want)
		}
	}
}

// TestJSONLPadHostileLength: many short records and one long one would pad
// to far more than the limit; the size of [N, L] is refused before it is
// allocated, as is a MaxLen beyond the limit.
func TestJSONLPadHostileLength(t *testing.T) {
	var b strings.Builder
	for range 20000 {
		b.WriteString(`{"ids": []}` + "\n")
	}
	long := make([]string, 50000)
	for i := range long {
		long[i] = "7"
	}
	fmt.Fprintf(&b, `{"ids": [%s]}`+"\n", strings.Join(long, ","))
	o := JSONLOptions{Options: Options{MaxBytes: 8 << 20}, Pad: map[string]float64{"ids": 0}}
	_, err := DecodeJSONL(strings.NewReader(b.String()), "h.jsonl", o)
	var fe *FormatError
	if err == nil || !errors.As(err, &fe) || !strings.Contains(err.Error(), "20001 records padded to length 50000") || !strings.Contains(err.Error(), "more than the limit") {
		t.Fatalf("got %v, want a FormatError over the limit", err)
	}
	o.MaxLen = 1 << 30
	_, err = DecodeJSONL(strings.NewReader(`{"ids": [1]}`), "h.jsonl", o)
	if err == nil || !strings.Contains(err.Error(), "padded to length 1073741824") {
		t.Fatalf("got %v, want the limit error for MaxLen", err)
	}
}
