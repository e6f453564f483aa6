package tensor

import (
	"encoding/binary"
	"math"
)

// AppendLE appends t's elements to dst as little-endian bytes (bools as
// one byte, 0 or 1): the layout of .npy, safetensors, ONNX raw_data and
// the weights of generated packages.
func AppendLE(dst []byte, t *Tensor) []byte {
	le := binary.LittleEndian
	switch t.DType {
	case F32:
		for _, v := range t.F32 {
			dst = le.AppendUint32(dst, math.Float32bits(v))
		}
	case F64:
		for _, v := range t.F64 {
			dst = le.AppendUint64(dst, math.Float64bits(v))
		}
	case I32:
		for _, v := range t.I32 {
			dst = le.AppendUint32(dst, uint32(v))
		}
	case I64:
		for _, v := range t.I64 {
			dst = le.AppendUint64(dst, uint64(v))
		}
	case Bool:
		for _, v := range t.Bool {
			b := byte(0)
			if v {
				b = 1
			}
			dst = append(dst, b)
		}
	}
	return dst
}
