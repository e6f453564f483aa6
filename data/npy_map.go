package data

import (
	"unsafe"

	"github.com/nnclang/nnc/tensor"
)

// mapNPY memory-maps the array of an uncompressed .npy file when it is
// large enough and laid out as nnc keeps it (see Options.NoMap): bytes for
// int8 and uint8, the elements themselves for little-endian f32, f64,
// i32, i64 and bool on a little-endian machine, in C order. It returns
// nils when the array is to be read instead.
func mapNPY(in *input, h *npyHead, nbytes int64, noMap bool) (*tensor.Tensor, *ByteArray) {
	nt := h.typ
	if h.fortran || !(nt.bytes || nt.kind == 'b' || nt.native()) {
		return nil, nil
	}
	m := in.mapData(h.start, nbytes, noMap)
	if m == nil || uintptr(unsafe.Pointer(&m[0]))%uintptr(nt.size) != 0 {
		return nil, nil
	}
	if nt.bytes {
		return nil, &ByteArray{Shape: h.dims, Data: m, Signed: nt.kind == 'i', DType: tensor.I32}
	}
	n := int(nbytes) / nt.size
	p := unsafe.Pointer(&m[0])
	t := &tensor.Tensor{DType: nt.dt, Shape: h.dims}
	switch nt.dt {
	case tensor.F32:
		t.F32 = unsafe.Slice((*float32)(p), n)
	case tensor.F64:
		t.F64 = unsafe.Slice((*float64)(p), n)
	case tensor.I32:
		t.I32 = unsafe.Slice((*int32)(p), n)
	case tensor.I64:
		t.I64 = unsafe.Slice((*int64)(p), n)
	case tensor.Bool:
		// Go's bool must be 0 or 1: check every byte first.
		for _, v := range m {
			if v > 1 {
				return nil, nil // read it, and report the byte
			}
		}
		t.Bool = unsafe.Slice((*bool)(p), n)
	}
	return t, nil
}
