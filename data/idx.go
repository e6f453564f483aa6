package data

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"

	"github.com/nnclang/nnc/tensor"
)

// IDX is the format of the MNIST files: two zero bytes, a type code, the
// number of dimensions, the dimensions as big-endian uint32, then the
// elements, big-endian. Type codes: 0x08 unsigned byte, 0x09 signed byte,
// 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64.

// idxHeader is what an IDX header says.
type idxHeader struct {
	code  byte
	size1 int          // bytes per element in the file
	dt    tensor.DType // the tensor type (bytes: the type they convert to)
	shape []int
	off   int64 // where the data starts
}

// readIDXHeader reads an IDX header from in.
func readIDXHeader(in *input) (*idxHeader, error) {
	name := in.name
	var head [4]byte
	if k, _ := io.ReadFull(in.r, head[:]); k < 4 {
		return nil, offErr(name, 0, "IDX header is %d bytes, needs 4", k)
	}
	if head[0] != 0 || head[1] != 0 {
		return nil, offErr(name, 0, "not an IDX file: magic bytes %#x %#x, expected 0 0", head[0], head[1])
	}
	h := &idxHeader{code: head[2]}
	switch h.code {
	case 0x08, 0x09:
		h.size1, h.dt = 1, tensor.I32
	case 0x0B:
		h.size1, h.dt = 2, tensor.I32
	case 0x0C:
		h.size1, h.dt = 4, tensor.I32
	case 0x0D:
		h.size1, h.dt = 4, tensor.F32
	case 0x0E:
		h.size1, h.dt = 8, tensor.F64
	default:
		return nil, offErr(name, 2, "unknown IDX element type %#x (known: 0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32, 0x0E f64)", h.code)
	}
	rank := int(head[3])
	dimBytes := make([]byte, 4*rank)
	if k, _ := io.ReadFull(in.r, dimBytes); k < len(dimBytes) {
		return nil, offErr(name, int64(4+k), "IDX header declares %d dimensions but the file ends", rank)
	}
	h.shape = make([]int, rank)
	for i := range h.shape {
		d := binary.BigEndian.Uint32(dimBytes[4*i:])
		if d > math.MaxInt32 {
			return nil, offErr(name, int64(4+4*i), "dimension %d is %d, too large", i, d)
		}
		h.shape[i] = int(d)
	}
	h.off = int64(4 + 4*rank)
	return h, nil
}

// decodeIDXInput reads the array of an IDX input: bytes (0x08, 0x09) as a
// ByteArray converting to i32, other types as a tensor. The declared size
// is checked against limit (the converted size of bytes counts as one byte
// per element) and against what the input can hold before anything is
// allocated.
func decodeIDXInput(in *input, limit int64, noMap bool) (*tensor.Tensor, *ByteArray, error) {
	h, err := readIDXHeader(in)
	if err != nil {
		return nil, nil, err
	}
	name := in.name
	n, nbytes, err := sizeOf(h.shape, h.size1, limit)
	if err != nil {
		return nil, nil, offErr(name, 4, "IDX %v", err)
	}
	what := "IDX shape " + fmt.Sprint(h.shape)
	if err := in.canHold(h.off, nbytes, what); err != nil {
		return nil, nil, err
	}
	if h.size1 == 1 {
		b := &ByteArray{Shape: h.shape, Signed: h.code == 0x09, DType: tensor.I32}
		if m := in.mapData(h.off, nbytes, noMap); m != nil {
			b.Data = m
			return nil, b, nil
		}
		if b.Data, err = in.readData(h.off, nbytes, what); err != nil {
			return nil, nil, err
		}
		return nil, b, nil
	}
	if _, _, err := sizeOf(h.shape, h.dt.Size(), limit); err != nil {
		return nil, nil, offErr(name, 4, "IDX %v", err)
	}
	if in.bound < 0 {
		// Unknown length: buffer what the stream holds first.
		raw, err := in.readData(h.off, nbytes, what)
		if err != nil {
			return nil, nil, err
		}
		t := tensor.New(h.dt, h.shape...)
		for i := 0; i < n; i++ {
			decodeIDXElem(t, i, h.code, raw[i*h.size1:])
		}
		return t, nil, nil
	}
	t := tensor.New(h.dt, h.shape...)
	buf := make([]byte, min(nbytes, 1<<16))
	var got int64
	for i := 0; i < n; {
		k, err := io.ReadFull(in.r, buf[:min(int64(len(buf)), nbytes-got)])
		got += int64(k)
		if err != nil {
			return nil, nil, in.shortErr(h.off, nbytes, got, what, err)
		}
		for p := buf[:k]; len(p) > 0; p = p[h.size1:] {
			decodeIDXElem(t, i, h.code, p)
			i++
		}
	}
	return t, nil, in.atEnd(h.off+nbytes, what, nbytes)
}

// decodeIDXElem decodes element i of type code from p (big-endian).
func decodeIDXElem(t *tensor.Tensor, i int, code byte, p []byte) {
	switch code {
	case 0x08:
		t.I32[i] = int32(p[0])
	case 0x09:
		t.I32[i] = int32(int8(p[0]))
	case 0x0B:
		t.I32[i] = int32(int16(binary.BigEndian.Uint16(p)))
	case 0x0C:
		t.I32[i] = int32(binary.BigEndian.Uint32(p))
	case 0x0D:
		t.F32[i] = math.Float32frombits(binary.BigEndian.Uint32(p))
	case 0x0E:
		t.F64[i] = math.Float64frombits(binary.BigEndian.Uint64(p))
	}
}

// idxTensor returns the array as a tensor (bytes converted to i32).
func idxTensor(t *tensor.Tensor, b *ByteArray) *tensor.Tensor {
	if b != nil {
		return b.Tensor()
	}
	return t
}

// LoadIDX reads a tensor in the IDX format of the MNIST files, gzipped or
// not. Element types map as: unsigned byte, signed byte, short and int to
// i32 (values kept exactly); float to f32; double to f64. The shape is the
// file's dimensions. The default size limit applies (see Options).
// ReadIDX reads a file as a dataset, keeping bytes as bytes.
func LoadIDX(path string) (*tensor.Tensor, error) { return LoadIDXWith(path, Options{}) }

// LoadIDXWith is LoadIDX with options (MaxBytes and NoMap apply).
func LoadIDXWith(path string, o Options) (*tensor.Tensor, error) {
	t, b, err := loadIDXArray(path, o)
	if err != nil {
		return nil, err
	}
	return idxTensor(t, b), nil
}

// loadIDXArray reads the array of an IDX file: bytes as a ByteArray, other
// types as a tensor.
func loadIDXArray(path string, o Options) (*tensor.Tensor, *ByteArray, error) {
	limit, err := o.limit()
	if err != nil {
		return nil, nil, err
	}
	in, err := openInput(path)
	if err != nil {
		return nil, nil, err
	}
	defer in.Close()
	return decodeIDXInput(in, limit, o.NoMap)
}

// DecodeIDX is LoadIDX reading from r (gzipped or not); name is used in
// errors. The declared size is checked against o.MaxBytes, and the data
// is buffered as it arrives before the tensor is allocated.
func DecodeIDX(r io.Reader, name string, o Options) (*tensor.Tensor, error) {
	limit, err := o.limit()
	if err != nil {
		return nil, err
	}
	in, err := streamInput(r, name)
	if err != nil {
		return nil, err
	}
	t, b, err := decodeIDXInput(in, limit, true)
	if err != nil {
		return nil, err
	}
	return idxTensor(t, b), nil
}

// ParseIDX decodes an IDX file held in memory (gzipped or not).
func ParseIDX(b []byte, name string) (*tensor.Tensor, error) {
	in, err := memInput(b, name)
	if err != nil {
		return nil, err
	}
	t, ba, err := decodeIDXInput(in, DefaultMaxBytes(), true)
	if err != nil {
		return nil, err
	}
	return idxTensor(t, ba), nil
}
