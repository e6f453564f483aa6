package data

import (
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"os"

	"github.com/nnclang/nnc/tensor"
)

// LoadIDX reads a tensor in the IDX format of the MNIST files, gzipped or
// not. Element types map as: unsigned byte, signed byte, short and int to
// i32 (values kept exactly); float to f32; double to f64. The shape is the
// file's dimensions. The default size limit applies (see Options).
func LoadIDX(path string) (*tensor.Tensor, error) { return LoadIDXWith(path, Options{}) }

// LoadIDXWith is LoadIDX with options (only MaxBytes applies).
func LoadIDXWith(path string, o Options) (*tensor.Tensor, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadIDXWith(f, path, o)
}

// ReadIDX is LoadIDX reading from r; name is used in errors.
func ReadIDX(r io.Reader, name string) (*tensor.Tensor, error) {
	return ReadIDXWith(r, name, Options{})
}

// ReadIDXWith is ReadIDX with options. The tensor is decoded as it streams
// in, after its declared size was checked against MaxBytes.
func ReadIDXWith(r io.Reader, name string, o Options) (*tensor.Tensor, error) {
	limit, err := o.limit()
	if err != nil {
		return nil, err
	}
	r, err = maybeGunzip(r, name)
	if err != nil {
		return nil, err
	}
	return readIDX(r, name, limit, -1)
}

// ParseIDX decodes an IDX file held in memory.
func ParseIDX(b []byte, name string) (*tensor.Tensor, error) {
	return readIDX(bytes.NewReader(b), name, DefaultMaxBytes(), int64(len(b)))
}

// readIDX decodes an IDX stream; size is its length when known, else -1.
func readIDX(r io.Reader, name string, limit, size int64) (*tensor.Tensor, error) {
	var head [4]byte
	if k, _ := io.ReadFull(r, head[:]); k < 4 {
		return nil, offErr(name, 0, "IDX header is %d bytes, needs 4", k)
	}
	if head[0] != 0 || head[1] != 0 {
		return nil, offErr(name, 0, "not an IDX file: magic bytes %#x %#x, expected 0 0", head[0], head[1])
	}
	code, rank := head[2], int(head[3])
	var size1 int
	var dt tensor.DType
	switch code {
	case 0x08, 0x09:
		size1, dt = 1, tensor.I32
	case 0x0B:
		size1, dt = 2, tensor.I32
	case 0x0C:
		size1, dt = 4, tensor.I32
	case 0x0D:
		size1, dt = 4, tensor.F32
	case 0x0E:
		size1, dt = 8, tensor.F64
	default:
		return nil, offErr(name, 2, "unknown IDX element type %#x", code)
	}
	dimBytes := make([]byte, 4*rank)
	if k, _ := io.ReadFull(r, dimBytes); k < len(dimBytes) {
		return nil, offErr(name, int64(4+k), "IDX header declares %d dimensions but the file ends", rank)
	}
	shape := make([]int, rank)
	for i := range shape {
		d := binary.BigEndian.Uint32(dimBytes[4*i:])
		if d > math.MaxInt32 {
			return nil, offErr(name, int64(4+4*i), "dimension %d is %d, too large", i, d)
		}
		shape[i] = int(d)
	}
	off := int64(4 + 4*rank)
	if size >= 0 {
		avail := size - off
		n, err := checkedElems(shape, int(avail)/size1)
		if err != nil {
			return nil, offErr(name, 4, "IDX shape %v is larger than the file", shape)
		}
		if avail != int64(n*size1) {
			return nil, offErr(name, off, "IDX shape %v needs %d bytes of data, the file has %d", shape, n*size1, avail)
		}
	}
	// The tensor's elements (i32 for bytes) may be wider than the file's.
	if _, _, err := sizeOf(shape, dt.Size(), limit); err != nil {
		return nil, offErr(name, 4, "IDX %v", err)
	}
	n, nbytes, _ := sizeOf(shape, size1, limit)
	if size < 0 {
		var err error
		var got int64
		if r, got, err = bufferData(r, nbytes); err != nil {
			return nil, offErr(name, off, "%v", err)
		}
		if got < nbytes {
			return nil, offErr(name, off, "IDX shape %v needs %d bytes of data, the file has %d", shape, nbytes, got)
		}
	}
	t := tensor.New(dt, shape...)
	buf := make([]byte, min(nbytes, 1<<16))
	var got int64
	for i := 0; i < n; {
		k, err := io.ReadFull(r, buf[:min(int64(len(buf)), nbytes-got)])
		got += int64(k)
		if err != nil {
			return nil, offErr(name, off, "IDX shape %v needs %d bytes of data, the file has %d", shape, nbytes, got)
		}
		for p := buf[:k]; len(p) > 0; p = p[size1:] {
			decodeIDX(t, i, code, p)
			i++
		}
	}
	var one [1]byte
	if k, _ := io.ReadFull(r, one[:]); k > 0 {
		return nil, offErr(name, off+nbytes, "IDX shape %v needs %d bytes of data, the file has more", shape, nbytes)
	}
	return t, nil
}

// decodeIDX decodes element i of type code from p (big-endian).
func decodeIDX(t *tensor.Tensor, i int, code byte, p []byte) {
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
