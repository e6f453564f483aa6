package data

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/nnclang/nnc/internal/safefile"
	"github.com/nnclang/nnc/tensor"
)

// NPY: NumPy's array file format. Every numeric element type NumPy writes
// is read, in either byte order and in C or Fortran order, and mapped to
// nnc's types: bool ('b1') to bool; int8 and uint8 ('i1', 'u1') to bytes
// (a ByteArray converting to i32); int16, uint16 and int32 to i32; uint32
// and int64 to i64; uint64 to i64 (a value above 2^63−1 is an error);
// float16 and float32 to f32; float64 to f64. Complex, longdouble, string,
// date and object (pickled) arrays are refused with a message naming the
// type.

var npyMagic = []byte("\x93NUMPY")

// npyDescr maps the descr EncodeNPY writes for each dtype.
var npyDescr = map[string]tensor.DType{
	"<f4": tensor.F32, "<f8": tensor.F64, "<i4": tensor.I32, "<i8": tensor.I64, "|b1": tensor.Bool,
}

// npyType is an element type of a .npy file.
type npyType struct {
	order binary.ByteOrder
	kind  byte // 'b', 'i', 'u', 'f'
	size  int  // bytes per element
	dt    tensor.DType
	bytes bool // i1 and u1: kept as a ByteArray
}

// native reports whether elements can be used as they lie in the file:
// nnc's own element layout, on a little-endian machine.
func (nt npyType) native() bool {
	if nt.size == 1 {
		return true
	}
	le := binary.NativeEndian.Uint16([]byte{1, 0}) == 1
	return le && nt.order == binary.LittleEndian && nt.dt.Size() == nt.size &&
		(nt.kind == 'f' || nt.kind == 'i' && nt.dt.IsInt())
}

// parseNPYDescr reads a descr such as "<f4", ">i2" or "|b1".
func parseNPYDescr(descr string) (npyType, error) {
	if len(descr) >= 2 && descr[1] == 'O' {
		return npyType{}, fmt.Errorf(".npy dtype %q is an object array (a pickle), which is never read", descr)
	}
	if len(descr) < 3 {
		return npyType{}, fmt.Errorf("unsupported .npy dtype %q", descr)
	}
	var nt npyType
	switch descr[0] {
	case '<', '|', '=':
		nt.order = binary.LittleEndian
		if descr[0] == '=' {
			nt.order = binary.NativeEndian
		}
	case '>':
		nt.order = binary.BigEndian
	default:
		return nt, fmt.Errorf("unsupported .npy dtype %q (byte order %q)", descr, descr[0])
	}
	nt.kind = descr[1]
	size, err := strconv.Atoi(descr[2:])
	if err != nil {
		return nt, fmt.Errorf("unsupported .npy dtype %q", descr)
	}
	nt.size = size
	switch {
	case nt.kind == 'b' && size == 1:
		nt.dt = tensor.Bool
	case (nt.kind == 'i' || nt.kind == 'u') && size == 1:
		nt.dt, nt.bytes = tensor.I32, true
	case nt.kind == 'i' && (size == 2 || size == 4), nt.kind == 'u' && size == 2:
		nt.dt = tensor.I32
	case nt.kind == 'i' && size == 8, nt.kind == 'u' && (size == 4 || size == 8):
		nt.dt = tensor.I64
	case nt.kind == 'f' && (size == 2 || size == 4):
		nt.dt = tensor.F32
	case nt.kind == 'f' && size == 8:
		nt.dt = tensor.F64
	case nt.kind == 'c':
		return nt, fmt.Errorf(".npy dtype %q is complex, which nnc has no type for (store the real and imaginary parts as two arrays)", descr)
	case nt.kind == 'f':
		return nt, fmt.Errorf(".npy dtype %q is a %d-byte float, which nnc has no type for (convert it to float64)", descr, size)
	default:
		return nt, fmt.Errorf("unsupported .npy dtype %q (supported: bool, int8..int64, uint8..uint64, float16, float32, float64)", descr)
	}
	return nt, nil
}

// LoadNPY reads a .npy file (gzipped or not), within the default size limit
// (see Options). int8 and uint8 arrays are returned as i32 tensors.
func LoadNPY(path string) (*tensor.Tensor, error) { return LoadNPYWith(path, Options{}) }

// LoadNPYWith is LoadNPY with options (MaxBytes and NoMap apply).
func LoadNPYWith(path string, o Options) (*tensor.Tensor, error) {
	t, b, err := loadNPYArray(path, o)
	if err != nil {
		return nil, err
	}
	return idxTensor(t, b), nil
}

// loadNPYArray reads the array of a .npy file: bytes as a ByteArray, other
// types as a tensor.
func loadNPYArray(path string, o Options) (*tensor.Tensor, *ByteArray, error) {
	limit, err := o.limit()
	if err != nil {
		return nil, nil, err
	}
	in, err := openInput(path)
	if err != nil {
		return nil, nil, err
	}
	defer in.Close()
	return readNPY(in, limit, o.NoMap)
}

// DecodeNPY is LoadNPY reading from r (gzipped or not); name is used in
// errors. The shape the header declares is checked against o.MaxBytes
// before anything is allocated, and the data is buffered as it arrives
// before the array is allocated.
func DecodeNPY(r io.Reader, name string, o Options) (*tensor.Tensor, error) {
	limit, err := o.limit()
	if err != nil {
		return nil, err
	}
	in, err := streamInput(r, name)
	if err != nil {
		return nil, err
	}
	t, b, err := readNPY(in, limit, true)
	if err != nil {
		return nil, err
	}
	return idxTensor(t, b), nil
}

// ParseNPY decodes a .npy file held in memory (gzipped or not).
func ParseNPY(b []byte, name string) (*tensor.Tensor, error) {
	in, err := memInput(b, name)
	if err != nil {
		return nil, err
	}
	t, ba, err := readNPY(in, DefaultMaxBytes(), true)
	if err != nil {
		return nil, err
	}
	return idxTensor(t, ba), nil
}

// npyHead is what a .npy header says.
type npyHead struct {
	typ     npyType
	dims    []int
	fortran bool
	off     int64 // where the header dict starts
	start   int64 // where the data starts
}

// readNPYHeader reads the magic, version and header dict of a .npy input.
func readNPYHeader(in *input) (*npyHead, error) {
	name, r, size := in.name, in.r, in.size
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
	h, err := npyHeader(string(hdr))
	if err != nil {
		return nil, offErr(name, off, "%v", err)
	}
	h.off, h.start = off, off+hlen
	return h, nil
}

// readNPY decodes a .npy input: int8 and uint8 as a ByteArray, other types
// as a tensor. The shape is checked against what the input can hold and
// against limit before the array is allocated.
func readNPY(in *input, limit int64, noMap bool) (*tensor.Tensor, *ByteArray, error) {
	h, err := readNPYHeader(in)
	if err != nil {
		return nil, nil, err
	}
	name, nt, dims := in.name, h.typ, h.dims
	if in.size >= 0 {
		if _, err := checkedElems(dims, int(min(in.size-h.start, math.MaxInt32*256))/nt.size); err != nil {
			return nil, nil, offErr(name, h.off, ".npy shape %v: %v", dims, err)
		}
	}
	_, nbytes, err := sizeOf(dims, nt.size, limit)
	if err != nil {
		return nil, nil, offErr(name, h.off, ".npy %v", err)
	}
	if _, _, err := sizeOf(dims, nt.dt.Size(), limit); !nt.bytes && err != nil {
		return nil, nil, offErr(name, h.off, ".npy %v", err)
	}
	what := ".npy shape " + fmt.Sprint(dims) + " of " + nt.String()
	if err := in.canHold(h.start, nbytes, what); err != nil {
		return nil, nil, err
	}
	if t, b := mapNPY(in, h, nbytes, noMap); t != nil || b != nil {
		return t, b, nil
	}
	if nt.bytes {
		b := &ByteArray{Shape: dims, Signed: nt.kind == 'i', DType: tensor.I32}
		if b.Data, err = in.readData(h.start, nbytes, what); err != nil {
			return nil, nil, err
		}
		if h.fortran {
			b.Data = fortranToC(b.Data, dims)
		}
		return nil, b, nil
	}
	var t *tensor.Tensor
	if in.bound < 0 {
		// Unknown length: buffer what the stream holds before allocating
		// what the header declares.
		raw, err := in.readData(h.start, nbytes, what)
		if err != nil {
			return nil, nil, err
		}
		t = tensor.New(nt.dt, dims...)
		if err := decodeNPYRange(t, 0, raw, nt); err != nil {
			return nil, nil, offErr(name, h.start, "%v", err)
		}
	} else {
		t = tensor.New(nt.dt, dims...)
		if err := decodeNPYStream(in, t, h, nbytes, what); err != nil {
			return nil, nil, err
		}
	}
	if h.fortran {
		t = fortranTensor(t)
	}
	return t, nil, nil
}

// decodeNPYStream fills t from the input in chunks, so that nothing but t
// is allocated at its size, then checks that the data ends there.
func decodeNPYStream(in *input, t *tensor.Tensor, h *npyHead, nbytes int64, what string) error {
	size := h.typ.size
	buf := make([]byte, min(nbytes, 1<<16))
	var got int64
	for got < nbytes {
		k, err := io.ReadFull(in.r, buf[:min(int64(len(buf)), nbytes-got)])
		if err != nil {
			return in.shortErr(h.start, nbytes, got+int64(k), what, err)
		}
		if derr := decodeNPYRange(t, int(got)/size, buf[:k], h.typ); derr != nil {
			return offErr(in.name, h.start+got, "%v", derr)
		}
		got += int64(k)
	}
	return in.atEnd(h.start+nbytes, what, nbytes)
}

// String names the element type as NumPy does ("float32").
func (nt npyType) String() string {
	switch nt.kind {
	case 'b':
		return "bool"
	case 'i':
		return "int" + strconv.Itoa(8*nt.size)
	case 'u':
		return "uint" + strconv.Itoa(8*nt.size)
	}
	return "float" + strconv.Itoa(8*nt.size)
}

// npyHeader reads the dtype, order and shape from a .npy header dict.
func npyHeader(h string) (*npyHead, error) {
	dict, err := parsePyDict(h)
	if err != nil {
		return nil, fmt.Errorf(".npy header: %v", err)
	}
	descr, ok := dict["descr"].(string)
	if !ok {
		return nil, fmt.Errorf(".npy header has no string 'descr' (structured arrays are not read)")
	}
	nt, err := parseNPYDescr(descr)
	if err != nil {
		return nil, err
	}
	fo, ok := dict["fortran_order"].(bool)
	if !ok {
		return nil, fmt.Errorf(".npy header has no fortran_order True or False")
	}
	dims, ok := dict["shape"].([]int)
	if !ok {
		return nil, fmt.Errorf(".npy header has no shape tuple")
	}
	return &npyHead{typ: nt, dims: dims, fortran: fo && len(dims) > 1}, nil
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
// An empty dimension anywhere makes the product 0, whatever the others.
func checkedElems(dims []int, limit int) (int, error) {
	for _, d := range dims {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension %d", d)
		}
	}
	if slices.Contains(dims, 0) {
		return 0, nil
	}
	n := 1
	for _, d := range dims {
		if n > limit/d {
			return 0, fmt.Errorf("more elements than the data holds")
		}
		n *= d
	}
	return n, nil
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
	return tensor.AppendLE(out, t), nil
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
