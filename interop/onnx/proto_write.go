package onnx

import (
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// msg is a protobuf message being written, field by field with
// onnx.proto's numbers (the exporter's and the tests' writer).
type msg []byte

func (m msg) bytes(num protowire.Number, v []byte) msg {
	m = protowire.AppendTag(m, num, protowire.BytesType)
	return protowire.AppendBytes(m, v)
}

func (m msg) str(num protowire.Number, s string) msg { return m.bytes(num, []byte(s)) }

func (m msg) varint(num protowire.Number, v int64) msg {
	m = protowire.AppendTag(m, num, protowire.VarintType)
	return protowire.AppendVarint(m, uint64(v))
}

func (m msg) f32(num protowire.Number, v float32) msg {
	m = protowire.AppendTag(m, num, protowire.Fixed32Type)
	return protowire.AppendFixed32(m, math.Float32bits(v))
}

func (m msg) packedInts(num protowire.Number, vs ...int64) msg {
	var b []byte
	for _, v := range vs {
		b = protowire.AppendVarint(b, uint64(v))
	}
	return m.bytes(num, b)
}

// nodeMsg is a NodeProto; attrs are encoded AttributeProtos.
func nodeMsg(name, op string, in, out []string, attrs ...msg) msg {
	m := msg{}
	for _, s := range in {
		m = m.str(1, s)
	}
	for _, s := range out {
		m = m.str(2, s)
	}
	m = m.str(3, name).str(4, op)
	for _, a := range attrs {
		m = m.bytes(5, a)
	}
	return m
}
