package data

import (
	"bytes"
	"errors"
	"os"
	"testing"

	"github.com/nnclang/nnc/tensor"
)

// The parsers must return a *FormatError (or a value) on any input, never
// panic. Run longer with, for example, go test -fuzz FuzzNPY ./data.

func checkFormatErr(t *testing.T, err error) {
	t.Helper()
	var fe *FormatError
	if err != nil && !errors.As(err, &fe) {
		t.Fatalf("error %v is not a *FormatError", err)
	}
}

func FuzzCSV(f *testing.F) {
	f.Add([]byte("150,4,a,b,c\n5.1,3.5,1.4,0.2,0\n4.9,3.0,1.4,0.2,1\n"))
	f.Add([]byte("1,2,3\n4,5\n"))
	f.Add([]byte("\"1,2\n"))
	f.Add(gz([]byte("1,2\n3,4\n")))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := DecodeCSV(bytes.NewReader(b), "f.csv", CSVOptions{})
		checkFormatErr(t, err)
		if err == nil {
			x, y := d.Get("x"), d.Get("y")
			if x.Len() != x.Shape[0]*x.Shape[1] || y.Shape[0] != x.Shape[0] {
				t.Fatalf("inconsistent result %v %v", x.Shape, y.Shape)
			}
		}
	})
}

func FuzzNPY(f *testing.F) {
	for _, name := range []string{"f32_2x3.npy", "i64_3.npy", "bool_3.npy", "f32_scalar.npy", "fortran.npy"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, name := range []string{"f2_be.npy", "u8.npy", "i1.npy", "u4_be.npy", "fortran3.npy", "fortran_be.npy", "c8.npy"} {
		b, err := os.ReadFile("testdata/npy/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := ParseNPY(b, "f.npy")
		checkFormatErr(t, err)
		if err == nil {
			roundTrip(t, x)
		}
	})
}

func roundTrip(t *testing.T, x *tensor.Tensor) {
	enc, err := EncodeNPY(x)
	if err != nil {
		t.Fatal(err)
	}
	y, err := ParseNPY(enc, "again.npy")
	if err != nil || y.Len() != x.Len() || y.DType != x.DType {
		t.Fatalf("re-encoding %v failed: %v", x, err)
	}
}

func FuzzSafetensors(f *testing.F) {
	b, err := os.ReadFile("testdata/reference.safetensors")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	enc, _ := EncodeSafetensors(allDTypes(), nil)
	f.Add(enc)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseSafetensors(b, "f.safetensors")
		checkFormatErr(t, err)
		if err == nil {
			if _, err := EncodeSafetensors(m, nil); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func FuzzIDX(f *testing.F) {
	f.Add(idxBytes(0x08, []uint32{2, 3}, []byte{0, 1, 2, 3, 4, 5}))
	f.Add(gz(idxBytes(0x0D, []uint32{1}, []byte{0, 0, 0, 0})))
	f.Add(idxBytes(0x0E, []uint32{1 << 30, 1 << 30}, nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := DecodeIDX(bytes.NewReader(b), "f.idx", Options{})
		checkFormatErr(t, err)
		if err == nil && x.Len() != tensor.NumElems(x.Shape) {
			t.Fatalf("inconsistent tensor %v", x.Shape)
		}
		y, err2 := ParseIDX(b, "f.idx")
		checkFormatErr(t, err2)
		if (err == nil) != (err2 == nil) || err == nil && !sameTensor(x, y) {
			t.Fatalf("streamed and in-memory reads differ: %v / %v", err, err2)
		}
	})
}

func FuzzNPZ(f *testing.F) {
	b, err := os.ReadFile("testdata/arrays.npz")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := ParseNPZ(b, "f.npz", "x")
		checkFormatErr(t, err)
	})
}
