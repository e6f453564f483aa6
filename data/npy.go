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
	"github.com/nnclang/nnc/tensor"
)

// NPY: NumPy's array file format. Supported element types are little-endian
// f32 ('<f4'), f64 ('<f8'), i32 ('<i4'), i64 ('<i8') and bool ('|b1'), in C
// order; anything else is an error.

var npyMagic = []byte("\x93NUMPY")

var npyDescr = map[string]tensor.DType{
	"<f4": tensor.F32, "<f8": tensor.F64, "<i4": tensor.I32, "<i8": tensor.I64, "|b1": tensor.Bool,
}

// LoadNPY reads a .npy file (gzipped or not), within the default size limit
// (see Options).
func LoadNPY(path string) (*tensor.Tensor, error) { return LoadNPYWith(path, Options{}) }

// LoadNPYWith is LoadNPY with options (only MaxBytes applies).
func LoadNPYWith(path string, o Options) (*tensor.Tensor, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadNPYWith(f, path, o)
}

// ReadNPY is LoadNPY reading from r; name is used in errors.
func ReadNPY(r io.Reader, name string) (*tensor.Tensor, error) {
	return ReadNPYWith(r, name, Options{})
}

// ReadNPYWith is ReadNPY with options. The array is decoded as it streams
// in: the shape the header declares is checked against MaxBytes before the
// array is allocated, and a gzipped file may not inflate past MaxBytes.
func ReadNPYWith(r io.Reader, name string, o Options) (*tensor.Tensor, error) {
	limit, err := o.limit()
	if err != nil {
		return nil, err
	}
	r, err = maybeGunzip(r, name)
	if err != nil {
		return nil, err
	}
	return readNPY(r, name, limit, -1)
}

// ParseNPY decodes a .npy file held in memory.
func ParseNPY(b []byte, name string) (*tensor.Tensor, error) {
	return readNPY(bytes.NewReader(b), name, DefaultMaxBytes(), int64(len(b)))
}

// readNPY decodes a .npy stream. size is the stream's length when known
// (then the header is checked against it before reading on), else -1.
func readNPY(r io.Reader, name string, limit, size int64) (*tensor.Tensor, error) {
	var pre [12]byte
	if k, _ := io.ReadFull(r, pre[:10]); k < 10 || !bytes.Equal(pre[:6], npyMagic) {
		return nil, offErr(name, 0, "not a .npy file (bad magic)")
	}
	var hlen, off int64
	switch pre[6] {
	case 1:
		hlen, off = int64(binary.LittleEndian.Uint16(pre[8:])), 10
	case 2, 3:
		if _, err := io.ReadFull(r, pre[10:12]); err != nil {
			return nil, offErr(name, 8, ".npy header length is cut off")
		}
		hlen, off = int64(binary.LittleEndian.Uint32(pre[8:])), 12
		if hlen > maxNPYHeader || size >= 0 && hlen > size {
			return nil, offErr(name, 8, ".npy header length %d exceeds the file or the limit of %d bytes", hlen, maxNPYHeader)
		}
	default:
		return nil, offErr(name, 6, "unsupported .npy version %d.%d", pre[6], pre[7])
	}
	if size >= 0 && off+hlen > size {
		return nil, offErr(name, off, ".npy header of %d bytes exceeds the file", hlen)
	}
	hdr := make([]byte, hlen)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, offErr(name, off, ".npy header of %d bytes exceeds the file", hlen)
	}
	dt, dims, err := npyHeader(string(hdr))
	if err != nil {
		return nil, offErr(name, off, "%v", err)
	}
	start := off + hlen
	if size >= 0 {
		// The data's size is known: check the shape against it first.
		avail := size - start
		n, err := checkedElems(dims, int(avail)/dt.Size())
		if err != nil {
			return nil, offErr(name, off, ".npy shape %v: %v", dims, err)
		}
		if avail != int64(n*dt.Size()) {
			return nil, offErr(name, start, ".npy shape %v of %v needs %d bytes of data, the file has %d", dims, dt, n*dt.Size(), avail)
		}
	}
	_, nbytes, err := sizeOf(dims, dt.Size(), limit)
	if err != nil {
		return nil, offErr(name, off, ".npy %v", err)
	}
	if size < 0 {
		// Buffer what the stream holds before allocating what the header
		// declares, so that a short stream cannot claim much memory.
		var got int64
		if r, got, err = bufferData(r, nbytes); err != nil {
			return nil, offErr(name, start, "%v", err)
		}
		if got < nbytes {
			return nil, offErr(name, start, ".npy shape %v of %v needs %d bytes of data, the file has %d", dims, dt, nbytes, got)
		}
	}
	t := tensor.New(dt, dims...)
	got, err := decodeStream(t, r, binary.LittleEndian)
	if err != nil {
		if _, ok := err.(*limitError); ok {
			return nil, fileErr(name, "%v", err)
		}
		return nil, offErr(name, start+got, "%v", err)
	}
	if got < nbytes {
		return nil, offErr(name, start, ".npy shape %v of %v needs %d bytes of data, the file has %d", dims, dt, nbytes, got)
	}
	var one [1]byte
	if k, _ := io.ReadFull(r, one[:]); k > 0 {
		return nil, offErr(name, start+nbytes, ".npy shape %v of %v needs %d bytes of data, the file has more", dims, dt, nbytes)
	}
	return t, nil
}

// npyHeader reads the dtype and shape from a .npy header dict.
func npyHeader(h string) (tensor.DType, []int, error) {
	dict, err := parsePyDict(h)
	if err != nil {
		return 0, nil, fmt.Errorf(".npy header: %v", err)
	}
	descr, ok := dict["descr"].(string)
	if !ok {
		return 0, nil, fmt.Errorf(".npy header has no string 'descr'")
	}
	dt, ok := npyDescr[descr]
	if !ok {
		return 0, nil, fmt.Errorf("unsupported .npy dtype %q (supported: <f4 <f8 <i4 <i8 |b1)", descr)
	}
	if fo, ok := dict["fortran_order"].(bool); !ok || fo {
		return 0, nil, fmt.Errorf(".npy array must be in C order (fortran_order False)")
	}
	dims, ok := dict["shape"].([]int)
	if !ok {
		return 0, nil, fmt.Errorf(".npy header has no shape tuple")
	}
	return dt, dims, nil
}

// bufferData reads up to nbytes+1 bytes of r into memory (as much as r
// holds) and returns a reader of them and their count.
func bufferData(r io.Reader, nbytes int64) (io.Reader, int64, error) {
	b, err := io.ReadAll(io.LimitReader(r, nbytes+1))
	if err != nil {
		return nil, 0, err
	}
	return bytes.NewReader(b), int64(len(b)), nil
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

// decodeStream fills t from r, whose elements are in byte order bo, reading
// in chunks so that nothing but t is allocated at its size. It returns the
// bytes read; fewer than t needs means r ended early.
func decodeStream(t *tensor.Tensor, r io.Reader, bo binary.ByteOrder) (int64, error) {
	size := t.DType.Size()
	total := int64(t.Len()) * int64(size)
	buf := make([]byte, min(total, 1<<16))
	var got int64
	for got < total {
		k, err := io.ReadFull(r, buf[:min(int64(len(buf)), total-got)])
		whole := k - k%size
		if derr := decodeRange(t, int(got)/size, buf[:whole], bo); derr != nil {
			return got, derr
		}
		got += int64(k)
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return got, nil
		}
		if err != nil {
			return got, err
		}
	}
	return got, nil
}

// decodeLE fills t from little-endian bytes (len(b) == t.Len()·size).
func decodeLE(t *tensor.Tensor, b []byte) error { return decodeRange(t, 0, b, binary.LittleEndian) }

// decodeRange decodes the elements of b (in byte order bo) into t from
// element i0 on.
func decodeRange(t *tensor.Tensor, i0 int, b []byte, bo binary.ByteOrder) error {
	switch t.DType {
	case tensor.F32:
		for i := range t.F32[i0 : i0+len(b)/4] {
			t.F32[i0+i] = math.Float32frombits(bo.Uint32(b[4*i:]))
		}
	case tensor.F64:
		for i := range t.F64[i0 : i0+len(b)/8] {
			t.F64[i0+i] = math.Float64frombits(bo.Uint64(b[8*i:]))
		}
	case tensor.I32:
		for i := range t.I32[i0 : i0+len(b)/4] {
			t.I32[i0+i] = int32(bo.Uint32(b[4*i:]))
		}
	case tensor.I64:
		for i := range t.I64[i0 : i0+len(b)/8] {
			t.I64[i0+i] = int64(bo.Uint64(b[8*i:]))
		}
	case tensor.Bool:
		for i, v := range b {
			if v > 1 {
				return fmt.Errorf("bool element %d is %d, not 0 or 1", i0+i, v)
			}
			t.Bool[i0+i] = v == 1
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
