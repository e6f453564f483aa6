package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nnclang/nnc/tensor"
)

func allDTypes() map[string]*tensor.Tensor {
	return map[string]*tensor.Tensor{
		"a.f32":  tensor.FromFloat64s(tensor.F32, []int{2, 3}, []float64{1, -2, 3.5, 0, 1e-8, -1e8}),
		"b.f64":  tensor.FromFloat64s(tensor.F64, []int{3}, []float64{math.Pi, -1, 1e-300}),
		"c.i32":  tensor.FromFloat64s(tensor.I32, []int{1, 2, 2}, []float64{-1, math.MaxInt32, math.MinInt32, 0}),
		"d.i64":  &tensor.Tensor{DType: tensor.I64, Shape: []int{2}, I64: []int64{math.MinInt64, math.MaxInt64}},
		"e.bool": tensor.FromFloat64s(tensor.Bool, []int{4}, []float64{1, 0, 0, 1}),
		"f.s":    tensor.FromFloat64s(tensor.F32, []int{}, []float64{42}),
		"g.zero": tensor.New(tensor.F32, 0, 5),
		"h.zero": tensor.New(tensor.F32, 2, 0, 4), // an empty axis after a full one
	}
}

func sameTensor(a, b *tensor.Tensor) bool {
	if a.DType != b.DType || !equalInts(a.Shape, b.Shape) {
		return false
	}
	for i := 0; i < a.Len(); i++ {
		// Bitwise: a NaN read from a file equals itself (and keeps its payload).
		if math.Float64bits(a.At(i)) != math.Float64bits(b.At(i)) {
			return false
		}
	}
	if a.DType == tensor.I64 {
		for i := range a.I64 {
			if a.I64[i] != b.I64[i] {
				return false
			}
		}
	}
	return true
}

func TestNPYRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for name, x := range allDTypes() {
		path := filepath.Join(dir, name+".npy")
		if err := SaveNPY(path, x); err != nil {
			t.Fatal(err)
		}
		got, err := LoadNPY(path)
		if err != nil {
			t.Fatal(err)
		}
		if !sameTensor(got, x) {
			t.Errorf("%s: round trip gave %v, want %v", name, got, x)
		}
	}
}

func TestSafetensorsRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.safetensors")
	in := allDTypes()
	if err := SaveSafetensors(path, in); err != nil {
		t.Fatal(err)
	}
	got, err := LoadSafetensors(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(in) {
		t.Fatalf("got %d tensors, want %d", len(got), len(in))
	}
	for name, x := range in {
		if !sameTensor(got[name], x) {
			t.Errorf("%s: got %v, want %v", name, got[name], x)
		}
	}
	b, _ := EncodeSafetensors(in, nil)
	if hl := binary.LittleEndian.Uint64(b); hl%8 != 0 {
		t.Errorf("header length %d is not a multiple of 8", hl)
	}
}

func TestSafetensorsCorrupt(t *testing.T) {
	good, _ := EncodeSafetensors(map[string]*tensor.Tensor{
		"w": tensor.FromFloat64s(tensor.F32, []int{2}, []float64{1, 2}),
		"v": tensor.FromFloat64s(tensor.F32, []int{1}, []float64{3}),
	}, nil)
	header := func(h string) []byte {
		b := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
		return append(append(b, h...), make([]byte, 12)...)
	}
	cases := map[string][]byte{
		"short file":       good[:5],
		"header too long":  append(binary.LittleEndian.AppendUint64(nil, 1<<40), good[8:]...),
		"truncated data":   good[:len(good)-2],
		"bad json":         header(`{"w":`),
		"bad dtype":        header(`{"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}`),
		"size mismatch":    header(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`),
		"offsets past end": header(`{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}`),
		"reversed offsets": header(`{"w":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}}`),
		"negative dim":     header(`{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`),
		"overlap":          header(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"v":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`),
		"bad metadata":     header(`{"__metadata__":{"a":1}}`),
		"trailing text":    header(`{} x`),
		"huge shape":       header(`{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}}`),
	}
	for what, b := range cases {
		_, err := ParseSafetensors(b, "bad.safetensors")
		var fe *FormatError
		if !errors.As(err, &fe) || fe.File != "bad.safetensors" {
			t.Errorf("%s: got error %v, want a FormatError naming bad.safetensors", what, err)
		}
	}
	if _, err := ParseSafetensors(good, "good"); err != nil {
		t.Fatal(err)
	}
}

func idxBytes(code byte, dims []uint32, data []byte) []byte {
	b := []byte{0, 0, code, byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return append(b, data...)
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func TestIDX(t *testing.T) {
	ubyte := idxBytes(0x08, []uint32{2, 3}, []byte{0, 1, 2, 253, 254, 255})
	for _, b := range [][]byte{ubyte, gz(ubyte)} {
		x, err := DecodeIDX(bytes.NewReader(b), "u.idx", Options{})
		if err != nil {
			t.Fatal(err)
		}
		if x.DType != tensor.I32 || !equalInts(x.Shape, []int{2, 3}) || x.I32[3] != 253 || x.I32[5] != 255 {
			t.Errorf("ubyte IDX: %v", x)
		}
	}
	x, err := ParseIDX(idxBytes(0x09, []uint32{2}, []byte{0xff, 0x7f}), "s")
	if err != nil || x.I32[0] != -1 || x.I32[1] != 127 {
		t.Errorf("sbyte IDX: %v %v", x, err)
	}
	x, err = ParseIDX(idxBytes(0x0B, []uint32{1}, []byte{0xff, 0xfe}), "s")
	if err != nil || x.I32[0] != -2 {
		t.Errorf("short IDX: %v %v", x, err)
	}
	x, err = ParseIDX(idxBytes(0x0C, []uint32{1}, []byte{0x80, 0, 0, 1}), "s")
	if err != nil || x.I32[0] != math.MinInt32+1 {
		t.Errorf("int IDX: %v %v", x, err)
	}
	x, err = ParseIDX(idxBytes(0x0D, []uint32{1, 1}, binary.BigEndian.AppendUint32(nil, math.Float32bits(-1.5))), "s")
	if err != nil || x.DType != tensor.F32 || x.F32[0] != -1.5 {
		t.Errorf("float IDX: %v %v", x, err)
	}
	x, err = ParseIDX(idxBytes(0x0E, []uint32{1}, binary.BigEndian.AppendUint64(nil, math.Float64bits(math.Pi))), "s")
	if err != nil || x.DType != tensor.F64 || x.F64[0] != math.Pi {
		t.Errorf("double IDX: %v %v", x, err)
	}
	for what, b := range map[string][]byte{
		"short":        {0, 0},
		"magic":        {1, 0, 8, 0},
		"type":         {0, 0, 0x07, 0},
		"dims cut":     {0, 0, 8, 2, 0, 0},
		"data short":   idxBytes(0x08, []uint32{2, 3}, []byte{1, 2}),
		"data long":    idxBytes(0x08, []uint32{1}, []byte{1, 2}),
		"huge dims":    idxBytes(0x08, []uint32{0xffffffff, 0xffffffff, 0xffffffff}, nil),
		"overflowing":  idxBytes(0x0E, []uint32{1 << 30, 1 << 30, 1 << 30, 1 << 30}, nil),
		"bad gzip end": gz(ubyte)[:20],
	} {
		_, err := DecodeIDX(bytes.NewReader(b), "bad.idx", Options{})
		if err == nil || !strings.Contains(err.Error(), "bad.idx") {
			t.Errorf("%s: error %v, want one naming bad.idx", what, err)
		}
	}
}

func TestMNIST(t *testing.T) {
	dir := t.TempDir()
	img := filepath.Join(dir, "img.idx.gz")
	lab := filepath.Join(dir, "lab.idx")
	writeFileAtomic(img, gz(idxBytes(0x08, []uint32{2, 2, 2}, []byte{0, 255, 51, 102, 1, 2, 3, 4})))
	writeFileAtomic(lab, idxBytes(0x08, []uint32{2}, []byte{7, 3}))
	d, err := ReadIDX(img, lab, IDXOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Bytes["x"] == nil || len(d.Bytes["x"].Data) != 8 {
		t.Fatalf("the images are not kept as bytes: %+v", d)
	}
	if err := d.Reshape("x", 4); err != nil {
		t.Fatal(err)
	}
	x, y := d.Get("x"), d.Get("y")
	if !equalInts(x.Shape, []int{2, 4}) || x.F32[1] != 1 || x.F32[2] != 0.2 || x.F32[3] != 0.4 || y.I32[0] != 7 || y.I32[1] != 3 {
		t.Errorf("MNIST: x %v y %v", x, y)
	}
}
