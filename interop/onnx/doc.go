// Package onnx reads ONNX models and translates them into .nn source.
//
// Decoding (decode.go) reads the protobuf wire format of onnx.proto's
// ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto and
// ValueInfoProto with google.golang.org/protobuf's protowire package: the
// low-level reader of tags, varints and length-delimited fields, without
// generated code or reflection. That module is the Go project's own protobuf
// implementation, the one dependency the decoder takes: writing a varint
// and tag reader ourselves would duplicate a tested parser, and generating
// message types from onnx.proto would commit thousands of lines for the
// dozen fields nnc reads. The field numbers are onnx.proto's.
//
// Every model is hostile input: the file size, the nesting of subgraphs, the
// number of nodes, attributes and dimensions, and the total memory the
// decoded values may take are bounded (Limits), sizes are overflow-checked,
// and tensors stored outside the model file are refused unless the caller
// names a directory that confines them (Limits.ExternalDir, opened with
// os.Root so that neither "..", absolute paths nor symbolic links leave it).
//
// Translation (translate.go) turns a decoded graph into a formatted .nn
// program: one model whose parameters are the graph's initializers, with
// std/nn layers where a pattern matches (Conv with a bias is nn.Conv2D,
// Gemm or MatMul followed by Add is nn.Dense), built-in functions elsewhere,
// and each ONNX node's name kept as a comment. The weights come back as
// tensors named by the model's parameter paths, for a safetensors file.
// The root package's ImportONNX and `nnc import` wrap both steps.
package onnx
