package data

import (
	"strings"
	"testing"

	"github.com/nnclang/nnc/tensor"
)

// TestByteArrays: byte arrays convert to each type (signed or not, scaled
// for floats), split and batch with the tensors beside them, reshape for
// free, and malformed ones are refused by Check.
func TestByteArrays(t *testing.T) {
	raw := []byte{0, 1, 128, 255, 7, 200}
	for _, c := range []struct {
		b    ByteArray
		want []float64
	}{
		{ByteArray{DType: tensor.I32}, []float64{0, 1, 128, 255, 7, 200}},
		{ByteArray{DType: tensor.I64, Signed: true}, []float64{0, 1, -128, -1, 7, -56}},
		{ByteArray{DType: tensor.F32, Scale: 0.5}, []float64{0, 0.5, 64, 127.5, 3.5, 100}},
		{ByteArray{DType: tensor.F64, Signed: true, Scale: 0.25}, []float64{0, 0.25, -32, -0.25, 1.75, -14}},
		{ByteArray{DType: tensor.F32, Signed: true}, []float64{0, 1, -128, -1, 7, -56}},
	} {
		b := c.b
		b.Shape, b.Data = []int{3, 2}, raw
		got := b.Tensor()
		for i, w := range c.want {
			if got.At(i) != w {
				t.Errorf("%+v: element %d is %v, want %v", c.b, i, got.At(i), w)
			}
		}
	}
	y := tensor.FromFloat64s(tensor.I32, []int{3}, []float64{10, 11, 12})
	d := &Dataset{Arrays: map[string]*tensor.Tensor{"y": y}, Bytes: map[string]*ByteArray{"x": {Shape: []int{3, 2}, Data: raw, DType: tensor.I32}}}
	if err := d.Check(); err != nil {
		t.Fatal(err)
	}
	parts, err := d.Split(3, 0.34, 0.66)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range parts {
		x := p.Bytes["x"]
		for i := range p.Len() {
			row := p.Get("y").I32[i] - 10 // the row it came from
			if x.Data[2*i] != raw[2*row] || x.Data[2*i+1] != raw[2*row+1] {
				t.Errorf("split: row %d of x does not go with its label %d", i, row+10)
			}
		}
	}
	bs, err := NewBatches(d, 2, true, 9)
	if err != nil {
		t.Fatal(err)
	}
	for bs.Next() {
		b := bs.Batch()
		for i := range b.Size {
			row := b.Arrays["y"].I32[i] - 10
			if b.Arrays["x"].I32[2*i] != int32(raw[2*row]) {
				t.Errorf("batch %d: row %d of x does not go with its label", b.Index, i)
			}
		}
	}
	if err := d.Reshape("x", 2, 1); err != nil || !equalInts(d.Bytes["x"].Shape, []int{3, 2, 1}) {
		t.Errorf("reshape: %v %v", err, d.Bytes["x"].Shape)
	}
	if err := d.Reshape("x", 3); err == nil || !strings.Contains(err.Error(), "not [3]") {
		t.Errorf("a reshape of another size: %v", err)
	}
	if err := d.AsFloat("y", 1); err == nil {
		t.Error("AsFloat of a tensor gave no error")
	}
	if dt, shape, ok := d.Type("x"); !ok || dt != tensor.I32 || !equalInts(shape, []int{3, 2, 1}) {
		t.Errorf("Type(x) = %v %v %v", dt, shape, ok)
	}
	for what, bad := range map[string]*Dataset{
		"both":  {Arrays: map[string]*tensor.Tensor{"x": y}, Bytes: map[string]*ByteArray{"x": {Shape: []int{3}, Data: raw[:3], DType: tensor.I32}}},
		"short": {Bytes: map[string]*ByteArray{"x": {Shape: []int{3, 3}, Data: raw, DType: tensor.I32}}},
		"rows":  {Arrays: map[string]*tensor.Tensor{"y": y}, Bytes: map[string]*ByteArray{"x": {Shape: []int{2, 3}, Data: raw, DType: tensor.I32}}},
		"bool":  {Bytes: map[string]*ByteArray{"x": {Shape: []int{6}, Data: raw, DType: tensor.Bool}}},
	} {
		if err := bad.Check(); err == nil {
			t.Errorf("%s: Check gave no error", what)
		}
	}
}
