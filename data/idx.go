package data

import (
	"encoding/binary"
	"io"
	"math"
	"os"

	"github.com/nnclang/nnc/runtime/tensor"
)

// LoadIDX reads a tensor in the IDX format of the MNIST files, gzipped or
// not. Element types map as: unsigned byte, signed byte, short and int to
// i32 (values kept exactly); float to f32; double to f64. The shape is the
// file's dimensions.
func LoadIDX(path string) (*tensor.Tensor, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadIDX(f, path)
}

// ReadIDX is LoadIDX reading from r; name is used in errors.
func ReadIDX(r io.Reader, name string) (*tensor.Tensor, error) {
	b, err := readAll(r, name)
	if err != nil {
		return nil, err
	}
	return ParseIDX(b, name)
}

// ParseIDX decodes an IDX file held in memory.
func ParseIDX(b []byte, name string) (*tensor.Tensor, error) {
	if len(b) < 4 {
		return nil, offErr(name, 0, "IDX header is %d bytes, needs 4", len(b))
	}
	if b[0] != 0 || b[1] != 0 {
		return nil, offErr(name, 0, "not an IDX file: magic bytes %#x %#x, expected 0 0", b[0], b[1])
	}
	code, rank := b[2], int(b[3])
	var size int
	var dt tensor.DType
	switch code {
	case 0x08, 0x09:
		size, dt = 1, tensor.I32
	case 0x0B:
		size, dt = 2, tensor.I32
	case 0x0C:
		size, dt = 4, tensor.I32
	case 0x0D:
		size, dt = 4, tensor.F32
	case 0x0E:
		size, dt = 8, tensor.F64
	default:
		return nil, offErr(name, 2, "unknown IDX element type %#x", code)
	}
	if len(b) < 4+4*rank {
		return nil, offErr(name, int64(len(b)), "IDX header declares %d dimensions but the file ends", rank)
	}
	shape := make([]int, rank)
	n := 1
	for i := range shape {
		d := binary.BigEndian.Uint32(b[4+4*i:])
		if d > math.MaxInt32 {
			return nil, offErr(name, int64(4+4*i), "dimension %d is %d, too large", i, d)
		}
		shape[i] = int(d)
		if shape[i] != 0 && n > (len(b)/size)/shape[i]+1 {
			return nil, offErr(name, int64(4+4*i), "IDX shape %v is larger than the file", shape[:i+1])
		}
		n *= shape[i]
	}
	off := 4 + 4*rank
	data := b[off:]
	if len(data) != n*size {
		return nil, offErr(name, int64(off), "IDX shape %v needs %d bytes of data, the file has %d", shape, n*size, len(data))
	}
	t := tensor.New(dt, shape...)
	for i := 0; i < n; i++ {
		p := data[i*size:]
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
	return t, nil
}

// LoadMNIST reads an IDX images file ([N, rows, cols] bytes) and an IDX
// labels file ([N] bytes) into a dataset with "x" f32[N, rows·cols] (pixels
// divided by 255) and "y" i32[N].
func LoadMNIST(images, labels string) (*Dataset, error) {
	img, err := LoadIDX(images)
	if err != nil {
		return nil, err
	}
	lab, err := LoadIDX(labels)
	if err != nil {
		return nil, err
	}
	if len(img.Shape) < 2 || img.DType != tensor.I32 {
		return nil, fileErr(images, "expected an IDX array of byte images, got %v%v", img.DType, img.Shape)
	}
	if len(lab.Shape) != 1 || lab.DType != tensor.I32 {
		return nil, fileErr(labels, "expected an IDX vector of labels, got %v%v", lab.DType, lab.Shape)
	}
	if lab.Shape[0] != img.Shape[0] {
		return nil, fileErr(labels, "%d labels for %d images in %s", lab.Shape[0], img.Shape[0], images)
	}
	n := img.Shape[0]
	x := tensor.New(tensor.F32, n, rowLen(img))
	for i, v := range img.I32 {
		x.F32[i] = float32(v) / 255
	}
	return NewDataset(map[string]*tensor.Tensor{"x": x, "y": lab})
}
