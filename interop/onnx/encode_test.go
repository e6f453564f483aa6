package onnx

import (
	"encoding/binary"
	"math"
)

// Builders of ONNX models for tests, field by field with onnx.proto's
// numbers, on the exporter's protobuf writer (msg, proto_write.go).

// tensorMsg is a FLOAT TensorProto with raw little-endian data.
func tensorMsg(name string, dims []int64, vals []float32) msg {
	raw := make([]byte, 4*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	return msg{}.packedInts(1, dims...).varint(2, TypeFloat).str(8, name).bytes(9, raw)
}

// valueInfoMsg is a ValueInfoProto of a FLOAT tensor.
func valueInfoMsg(name string, dims ...int64) msg {
	var shape msg
	for _, d := range dims {
		shape = shape.bytes(1, msg{}.varint(1, d))
	}
	tt := msg{}.varint(1, TypeFloat).bytes(2, shape)
	return msg{}.str(1, name).bytes(2, msg{}.bytes(1, tt))
}

func intAttr(name string, v int64) msg {
	return msg{}.str(1, name).varint(20, int64(AttrInt)).varint(3, v)
}

func intsAttr(name string, vs ...int64) msg {
	return msg{}.str(1, name).varint(20, int64(AttrInts)).packedInts(8, vs...)
}

// graphMsg assembles a GraphProto.
func graphMsg(nodes, inits, inputs, outputs []msg) msg {
	g := msg{}.str(2, "g")
	for _, n := range nodes {
		g = g.bytes(1, n)
	}
	for _, t := range inits {
		g = g.bytes(5, t)
	}
	for _, v := range inputs {
		g = g.bytes(11, v)
	}
	for _, v := range outputs {
		g = g.bytes(12, v)
	}
	return g
}

// modelMsg is a ModelProto importing the ONNX domain at opset.
func modelMsg(opset int64, graph msg) []byte {
	return msg{}.varint(1, 8).str(2, "test").bytes(7, graph).bytes(8, msg{}.str(1, "").varint(2, opset))
}
