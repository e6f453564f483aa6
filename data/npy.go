package data

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/nnclang/nnc/internal/safefile"
	"github.com/nnclang/nnc/runtime/tensor"
)

// NPY: NumPy's array file format. Supported element types are little-endian
// f32 ('<f4'), f64 ('<f8'), i32 ('<i4'), i64 ('<i8') and bool ('|b1'), in C
// order; anything else is an error.

var npyMagic = []byte("\x93NUMPY")

var npyDescr = map[string]tensor.DType{
	"<f4": tensor.F32, "<f8": tensor.F64, "<i4": tensor.I32, "<i8": tensor.I64, "|b1": tensor.Bool,
}

// LoadNPY reads a .npy file (gzipped or not).
func LoadNPY(path string) (*tensor.Tensor, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadNPY(f, path)
}

// ReadNPY is LoadNPY reading from r; name is used in errors.
func ReadNPY(r io.Reader, name string) (*tensor.Tensor, error) {
	b, err := readAll(r, name)
	if err != nil {
		return nil, err
	}
	return ParseNPY(b, name)
}

// ParseNPY decodes a .npy file held in memory.
func ParseNPY(b []byte, name string) (*tensor.Tensor, error) {
	if len(b) < 10 || !bytes.Equal(b[:6], npyMagic) {
		return nil, offErr(name, 0, "not a .npy file (bad magic)")
	}
	major := b[6]
	var hlen, off int
	switch major {
	case 1:
		hlen, off = int(binary.LittleEndian.Uint16(b[8:])), 10
	case 2, 3:
		if len(b) < 12 {
			return nil, offErr(name, 8, ".npy header length is cut off")
		}
		h := binary.LittleEndian.Uint32(b[8:])
		if int64(h) > int64(len(b)) {
			return nil, offErr(name, 8, ".npy header length %d exceeds the file", h)
		}
		hlen, off = int(h), 12
	default:
		return nil, offErr(name, 6, "unsupported .npy version %d.%d", b[6], b[7])
	}
	if off+hlen > len(b) {
		return nil, offErr(name, int64(off), ".npy header of %d bytes exceeds the file", hlen)
	}
	dict, err := parsePyDict(string(b[off : off+hlen]))
	if err != nil {
		return nil, offErr(name, int64(off), ".npy header: %v", err)
	}
	descr, ok := dict["descr"].(string)
	if !ok {
		return nil, offErr(name, int64(off), ".npy header has no string 'descr'")
	}
	dt, ok := npyDescr[descr]
	if !ok {
		return nil, offErr(name, int64(off), "unsupported .npy dtype %q (supported: <f4 <f8 <i4 <i8 |b1)", descr)
	}
	if fo, ok := dict["fortran_order"].(bool); !ok || fo {
		return nil, offErr(name, int64(off), ".npy array must be in C order (fortran_order False)")
	}
	dims, ok := dict["shape"].([]int)
	if !ok {
		return nil, offErr(name, int64(off), ".npy header has no shape tuple")
	}
	data := b[off+hlen:]
	n, err := checkedElems(dims, len(data)/dt.Size())
	if err != nil {
		return nil, offErr(name, int64(off), ".npy shape %v: %v", dims, err)
	}
	if len(data) != n*dt.Size() {
		return nil, offErr(name, int64(off+hlen), ".npy shape %v of %v needs %d bytes of data, the file has %d", dims, dt, n*dt.Size(), len(data))
	}
	t := tensor.New(dt, dims...)
	if err := decodeLE(t, data); err != nil {
		return nil, offErr(name, int64(off+hlen), "%v", err)
	}
	return t, nil
}

// checkedElems multiplies dims, failing when a dimension is negative or the
// product exceeds limit (the number of elements the data could hold).
func checkedElems(dims []int, limit int) (int, error) {
	n := 1
	for _, d := range dims {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension %d", d)
		}
		if d == 0 {
			n = 0
			continue
		}
		if n > limit/d {
			return 0, fmt.Errorf("more elements than the data holds")
		}
		n *= d
	}
	return n, nil
}

// decodeLE fills t from little-endian bytes (len(b) == t.Len()·size).
func decodeLE(t *tensor.Tensor, b []byte) error {
	switch t.DType {
	case tensor.F32:
		for i := range t.F32 {
			t.F32[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
	case tensor.F64:
		for i := range t.F64 {
			t.F64[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
		}
	case tensor.I32:
		for i := range t.I32 {
			t.I32[i] = int32(binary.LittleEndian.Uint32(b[4*i:]))
		}
	case tensor.I64:
		for i := range t.I64 {
			t.I64[i] = int64(binary.LittleEndian.Uint64(b[8*i:]))
		}
	case tensor.Bool:
		for i := range t.Bool {
			if b[i] > 1 {
				return fmt.Errorf("bool element %d is %d, not 0 or 1", i, b[i])
			}
			t.Bool[i] = b[i] == 1
		}
	default:
		return fmt.Errorf("unsupported dtype %v", t.DType)
	}
	return nil
}

// encodeLE appends t's data as little-endian bytes.
func encodeLE(dst []byte, t *tensor.Tensor) []byte {
	switch t.DType {
	case tensor.F32:
		for _, v := range t.F32 {
			dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(v))
		}
	case tensor.F64:
		for _, v := range t.F64 {
			dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(v))
		}
	case tensor.I32:
		for _, v := range t.I32 {
			dst = binary.LittleEndian.AppendUint32(dst, uint32(v))
		}
	case tensor.I64:
		for _, v := range t.I64 {
			dst = binary.LittleEndian.AppendUint64(dst, uint64(v))
		}
	case tensor.Bool:
		for _, v := range t.Bool {
			if v {
				dst = append(dst, 1)
			} else {
				dst = append(dst, 0)
			}
		}
	default:
		panic("data: invalid dtype")
	}
	return dst
}

// EncodeNPY returns t as a version 1.0 .npy file.
func EncodeNPY(t *tensor.Tensor) ([]byte, error) {
	descr := ""
	for k, v := range npyDescr {
		if v == t.DType {
			descr = k
		}
	}
	if descr == "" {
		return nil, fmt.Errorf("data: no .npy dtype for %v", t.DType)
	}
	dims := make([]string, len(t.Shape))
	for i, d := range t.Shape {
		dims[i] = strconv.Itoa(d)
	}
	shape := "(" + strings.Join(dims, ", ")
	if len(dims) == 1 {
		shape += ","
	}
	shape += ")"
	h := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape)
	// Pad with spaces and a newline so the data starts 64-byte aligned.
	total := 10 + len(h) + 1
	pad := (64 - total%64) % 64
	h += strings.Repeat(" ", pad) + "\n"
	if len(h) > math.MaxUint16 {
		return nil, fmt.Errorf("data: .npy header too long (%d dimensions)", len(t.Shape))
	}
	out := make([]byte, 0, 10+len(h)+t.Len()*t.DType.Size())
	out = append(out, npyMagic...)
	out = append(out, 1, 0)
	out = binary.LittleEndian.AppendUint16(out, uint16(len(h)))
	out = append(out, h...)
	return encodeLE(out, t), nil
}

// SaveNPY writes t to path as a .npy file.
func SaveNPY(path string, t *tensor.Tensor) error {
	b, err := EncodeNPY(t)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, b)
}

// writeFileAtomic writes b to path through internal/safefile: a fresh
// temporary file in the same directory, synced and renamed over path. A
// target that exists and is not a regular file (a link, a directory, a
// device) is refused.
func writeFileAtomic(path string, b []byte) error {
	return safefile.WriteBytes(path, b, 0o644)
}
