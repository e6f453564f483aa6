package onnx

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/nnclang/nnc/lang"
)

// denseModel is x[2, 3] → Gemm(W[3, 4], B[4]) named "fc" → Relu → y.
func denseModel(opset int64) []byte {
	w := make([]float32, 12)
	for i := range w {
		w[i] = float32(i) / 10
	}
	g := graphMsg(
		[]msg{
			nodeMsg("fc", "Gemm", []string{"x", "W", "B"}, []string{"h"}),
			nodeMsg("act", "Relu", []string{"h"}, []string{"y"}),
		},
		[]msg{tensorMsg("W", []int64{3, 4}, w), tensorMsg("B", []int64{4}, []float32{1, 2, 3, 4})},
		[]msg{valueInfoMsg("x", 2, 3)},
		[]msg{valueInfoMsg("y", 2, 4)},
	)
	return modelMsg(opset, g)
}

func TestDecodeModel(t *testing.T) {
	m, err := Decode(denseModel(13), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Opset() != 13 || m.IRVersion != 8 || m.Producer != "test" {
		t.Fatalf("opset %d, ir %d, producer %q", m.Opset(), m.IRVersion, m.Producer)
	}
	g := m.Graph
	if len(g.Nodes) != 2 || g.Nodes[0].OpType != "Gemm" || g.Nodes[0].Name != "fc" || len(g.Nodes[0].Inputs) != 3 {
		t.Fatalf("nodes %+v", g.Nodes)
	}
	if len(g.Inputs) != 1 || g.Inputs[0].Name != "x" || len(g.Inputs[0].Dims) != 2 || g.Inputs[0].Dims[1].Value != 3 {
		t.Fatalf("inputs %+v", g.Inputs[0])
	}
	w, err := g.Initializers[0].Values()
	if err != nil {
		t.Fatal(err)
	}
	if w.Shape[0] != 3 || w.Shape[1] != 4 || w.F32[5] != 0.5 {
		t.Fatalf("W = %v", w)
	}
}

func TestTranslateDense(t *testing.T) {
	m, err := Decode(denseModel(13), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Translate(m, Options{Source: "dense.onnx"})
	if err != nil {
		t.Fatal(err)
	}
	src := string(res.Source)
	for _, want := range []string{"fc = nn.Dense(3, 4)", "// fc (Gemm)", "// act (Relu)", "fn forward(x: f32[2, 3]) -> f32[2, 4]", "relu(", "opset 13"} {
		if !strings.Contains(src, want) {
			t.Errorf("the source lacks %q:\n%s", want, src)
		}
	}
	again, err := lang.Format("m.nn", res.Source)
	if err != nil || string(again) != src {
		t.Errorf("formatting the source changes it (%v)", err)
	}
	if res.Entry != "Net.forward" || len(res.Params) != 2 || res.Params["fc.W"] == nil || res.Params["fc.b"].F32[3] != 4 {
		t.Fatalf("entry %s, params %v", res.Entry, res.Params)
	}
}

func TestTranslateOpsetRange(t *testing.T) {
	for _, v := range []int64{5, 23} {
		m, err := Decode(denseModel(v), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Translate(m, Options{}); err == nil || !strings.Contains(err.Error(), "opsets 6 to 22") {
			t.Errorf("opset %d: %v", v, err)
		}
	}
}

// TestUnsupportedListsEveryNode: one error names each node nnc cannot
// import, and not the nodes that only read their outputs.
func TestUnsupportedListsEveryNode(t *testing.T) {
	g := graphMsg(
		[]msg{
			nodeMsg("a", "Foo", []string{"x"}, []string{"p"}),
			nodeMsg("b", "Bar", []string{"x"}, []string{"q"}),
			nodeMsg("c", "Add", []string{"p", "q"}, []string{"y"}),
		}, nil, []msg{valueInfoMsg("x", 2)}, []msg{valueInfoMsg("y", 2)})
	m, err := Decode(modelMsg(13, g), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Translate(m, Options{})
	var ue *UnsupportedError
	if !errors.As(err, &ue) || len(ue.Nodes) != 2 {
		t.Fatalf("%v", err)
	}
	if !strings.Contains(ue.Nodes[0], "a (Foo)") || !strings.Contains(ue.Nodes[1], "b (Bar)") {
		t.Errorf("%v", ue.Nodes)
	}
}

// TestConvLayer: Conv with a bias is an nn.Conv2D; asymmetric pads pad the
// input before it.
func TestConvLayer(t *testing.T) {
	k := make([]float32, 2*1*3*3)
	g := graphMsg(
		[]msg{nodeMsg("conv1", "Conv", []string{"x", "K", "b"}, []string{"y"},
			intsAttr("kernel_shape", 3, 3), intsAttr("pads", 0, 1, 1, 0), intsAttr("strides", 2, 2))},
		[]msg{tensorMsg("K", []int64{2, 1, 3, 3}, k), tensorMsg("b", []int64{2}, []float32{1, 2})},
		[]msg{valueInfoMsg("x", 1, 1, 5, 5)}, []msg{valueInfoMsg("y", 1, 2, 2, 2)})
	m, err := Decode(modelMsg(11, g), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Translate(m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	src := string(res.Source)
	for _, want := range []string{"conv1 = nn.Conv2D(1, 2, kernel = 3, stride = 2)", "conv1(pad(x, [0, 1, 1, 0]))", "-> f32[1, 2, 2, 2]"} {
		if !strings.Contains(src, want) {
			t.Errorf("the source lacks %q:\n%s", want, src)
		}
	}
}

func TestDecodeTruncated(t *testing.T) {
	b := denseModel(13)
	for n := 0; n < len(b); n++ {
		if _, err := Decode(b[:n], Limits{}); err == nil && n > 0 {
			// A prefix may end on a field boundary and decode; it must
			// never panic (the loop itself checks that).
			continue
		}
	}
}

func TestDecodeLimits(t *testing.T) {
	b := denseModel(13)
	if _, err := Decode(b, Limits{MaxAlloc: 100}); err == nil || !strings.Contains(err.Error(), "more than 100 bytes") {
		t.Errorf("MaxAlloc: %v", err)
	}
	if _, err := Decode(b, Limits{MaxNodes: 1}); err == nil || !strings.Contains(err.Error(), "more than 1 nodes") {
		t.Errorf("MaxNodes: %v", err)
	}
	if _, err := Decode(b, Limits{MaxFileBytes: 10}); err == nil {
		t.Error("MaxFileBytes: no error")
	}
	// Graphs nested in attributes, deeper than MaxDepth.
	g := graphMsg(nil, nil, nil, nil)
	for i := 0; i < 5; i++ {
		attr := msg{}.str(1, "body").varint(20, int64(AttrGraph)).bytes(6, g)
		g = graphMsg([]msg{nodeMsg("n", "If", nil, []string{"o"}, attr)}, nil, nil, nil)
	}
	if _, err := Decode(modelMsg(13, g), Limits{MaxDepth: 3}); err == nil || !strings.Contains(err.Error(), "nest deeper than 3") {
		t.Errorf("MaxDepth: %v", err)
	}
	// Too many dimensions.
	dims := make([]int64, 40)
	tm := msg{}.packedInts(1, dims...).varint(2, TypeFloat)
	if _, err := Decode(modelMsg(13, graphMsg(nil, []msg{tm}, nil, nil)), Limits{}); err == nil || !strings.Contains(err.Error(), "dimensions") {
		t.Errorf("MaxDims: %v", err)
	}
}

func TestTensorValuesChecked(t *testing.T) {
	cases := map[string]*Tensor{
		"raw data of 4 bytes":  {Name: "a", Dims: []int64{2}, DataType: TypeFloat, Raw: make([]byte, 4)},
		"1 values for shape":   {Name: "b", Dims: []int64{2}, DataType: TypeFloat, Floats: []float32{1}},
		"holds more than":      {Name: "c", Dims: []int64{1 << 30, 1 << 30}, DataType: TypeFloat},
		"dimension 0 is -1":    {Name: "d", Dims: []int64{-1}, DataType: TypeFloat},
		"STRING is not":        {Name: "e", Dims: []int64{1}, DataType: TypeString},
		"in an external file":  {Name: "f", Dims: []int64{1}, DataType: TypeFloat, IsExternal: true},
		"raw data of 3 bytes ": {Name: "g", Dims: []int64{1}, DataType: TypeInt64, Raw: make([]byte, 3)},
	}
	for want, tt := range cases {
		if _, err := tt.Values(); err == nil || !strings.Contains(err.Error(), strings.TrimSpace(want)) {
			t.Errorf("%s: %v", want, err)
		}
	}
	h := &Tensor{Dims: []int64{3}, DataType: TypeFloat16, Int32s: []int32{0x3c00, 0xc000, 0x3555}}
	v, err := h.Values()
	if err != nil || v.F32[0] != 1 || v.F32[1] != -2 || v.F32[2] < 0.3332 || v.F32[2] > 0.3334 {
		t.Errorf("float16: %v %v", v, err)
	}
}

// externalModel has one initializer whose data is in file loc.
func externalModel(loc string) []byte {
	ext := msg{}.str(1, "location").str(2, loc)
	tm := msg{}.packedInts(1, 2).varint(2, TypeFloat).str(8, "W").bytes(13, ext).varint(14, 1)
	return modelMsg(13, graphMsg(nil, []msg{tm}, nil, nil))
}

func TestExternalDataConfined(t *testing.T) {
	dir := t.TempDir()
	data := []byte{0, 0, 128, 63, 0, 0, 0, 64} // 1.0, 2.0
	if err := os.WriteFile(filepath.Join(dir, "w.bin"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.bin"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "secret.bin"), filepath.Join(dir, "link.bin")); err != nil {
		t.Fatal(err)
	}
	// Without a directory, external data is refused when converted.
	m, err := Decode(externalModel("w.bin"), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Graph.Initializers[0].Values(); err == nil {
		t.Error("external data read without ExternalDir")
	}
	m, err = Decode(externalModel("w.bin"), Limits{ExternalDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	v, err := m.Graph.Initializers[0].Values()
	if err != nil || v.F32[0] != 1 || v.F32[1] != 2 {
		t.Fatalf("%v %v", v, err)
	}
	for _, loc := range []string{"../" + filepath.Base(outside) + "/secret.bin", filepath.Join(outside, "secret.bin"), "link.bin", ""} {
		if _, err := Decode(externalModel(loc), Limits{ExternalDir: dir}); err == nil {
			t.Errorf("location %q was read", loc)
		}
	}
}

func TestDecodeErrorOffset(t *testing.T) {
	b := msg{}.bytes(7, []byte{0x0a, 0x05, 0x01}) // a node field claiming 5 bytes, 1 there
	_, err := Decode(b, Limits{})
	var de *DecodeError
	if !errors.As(err, &de) || de.Offset != 2 {
		t.Fatalf("%v", err)
	}
	if _, _, n := protowire.ConsumeTag(b); n != 1 {
		t.Fatal("test setup")
	}
}
