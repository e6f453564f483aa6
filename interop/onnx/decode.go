package onnx

import (
	"fmt"
	"io"
	"math"
	"os"

	"google.golang.org/protobuf/encoding/protowire"
)

// Model is a decoded ModelProto: the fields the importer reads.
type Model struct {
	IRVersion int64
	Opsets    []OpsetID
	Producer  string
	Graph     *Graph
}

// OpsetID is an OperatorSetIdProto: a domain ("" for the default ONNX
// domain) and its version.
type OpsetID struct {
	Domain  string
	Version int64
}

// Opset returns the version the model imports for the default ONNX domain
// ("" or "ai.onnx"), or 0 when it names none.
func (m *Model) Opset() int64 {
	for _, o := range m.Opsets {
		if o.Domain == "" || o.Domain == "ai.onnx" {
			return o.Version
		}
	}
	return 0
}

// Graph is a decoded GraphProto.
type Graph struct {
	Name         string
	Nodes        []*Node
	Initializers []*Tensor
	Inputs       []*ValueInfo
	Outputs      []*ValueInfo
	ValueInfo    []*ValueInfo
}

// Node is a decoded NodeProto.
type Node struct {
	Name    string
	OpType  string
	Domain  string
	Inputs  []string
	Outputs []string
	Attrs   []*Attribute
}

// Attr returns the node's attribute of that name, or nil.
func (n *Node) Attr(name string) *Attribute {
	for _, a := range n.Attrs {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// AttrType is AttributeProto.AttributeType.
type AttrType int32

// The attribute types (onnx.proto's numbers).
const (
	AttrUndefined AttrType = 0
	AttrFloat     AttrType = 1
	AttrInt       AttrType = 2
	AttrString    AttrType = 3
	AttrTensor    AttrType = 4
	AttrGraph     AttrType = 5
	AttrFloats    AttrType = 6
	AttrInts      AttrType = 7
	AttrStrings   AttrType = 8
	AttrTensors   AttrType = 9
	AttrGraphs    AttrType = 10
)

// Attribute is a decoded AttributeProto.
type Attribute struct {
	Name    string
	Type    AttrType
	F       float32
	I       int64
	S       []byte
	T       *Tensor
	G       *Graph
	Floats  []float32
	Ints    []int64
	Strings [][]byte
	Tensors []*Tensor
	Graphs  []*Graph
}

// ValueInfo is a decoded ValueInfoProto of a tensor type.
type ValueInfo struct {
	Name     string
	IsTensor bool  // the type is a tensor type (not a sequence, map, ...)
	ElemType int32 // TensorProto.DataType
	HasShape bool
	Dims     []Dim
}

// Dim is one dimension of a ValueInfo's shape: a value, a symbolic name, or
// neither (unknown).
type Dim struct {
	Value    int64
	HasValue bool
	Param    string
}

// Tensor is a decoded TensorProto, its data still in whichever field the
// writer chose (Values converts it).
type Tensor struct {
	Name         string
	Dims         []int64
	DataType     int32
	Raw          []byte
	Floats       []float32
	Int32s       []int32
	Int64s       []int64
	Doubles      []float64
	Uint64s      []uint64
	Strings      [][]byte
	ExternalData []KeyValue // external_data entries
	IsExternal   bool       // data_location is EXTERNAL
}

// KeyValue is a StringStringEntryProto.
type KeyValue struct{ Key, Value string }

// Limits bound what a model may make the decoder do. A zero field takes its
// default (DefaultLimits).
type Limits struct {
	MaxFileBytes int64  // the model file's size
	MaxDepth     int    // nesting of graphs in attributes
	MaxNodes     int    // nodes in all graphs together
	MaxDims      int    // dimensions of one tensor or value
	MaxAlloc     int64  // bytes the decoded values may take in all
	ExternalDir  string // where external tensor data may be read from; "" refuses it
}

// DefaultLimits are the limits a zero Limits field takes.
var DefaultLimits = Limits{
	MaxFileBytes: 2 << 30,
	MaxDepth:     16,
	MaxNodes:     1 << 20,
	MaxDims:      32,
	MaxAlloc:     8 << 30,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.MaxFileBytes > 0 {
		d.MaxFileBytes = l.MaxFileBytes
	}
	if l.MaxDepth > 0 {
		d.MaxDepth = l.MaxDepth
	}
	if l.MaxNodes > 0 {
		d.MaxNodes = l.MaxNodes
	}
	if l.MaxDims > 0 {
		d.MaxDims = l.MaxDims
	}
	if l.MaxAlloc > 0 {
		d.MaxAlloc = l.MaxAlloc
	}
	d.ExternalDir = l.ExternalDir
	return d
}

// DecodeError is a malformed or over-limit model, at a byte offset of the
// file (the start of the innermost message being read when it was found).
type DecodeError struct {
	Offset int
	Msg    string
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("onnx: at byte %d: %s", e.Offset, e.Msg)
}

// ReadFile reads and decodes a model file. External tensor data is read
// (confined to lim.ExternalDir) only when lim.ExternalDir is set.
func ReadFile(path string, lim Limits) (*Model, error) {
	lim = lim.withDefaults()
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, lim.MaxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > lim.MaxFileBytes {
		return nil, fmt.Errorf("%s: the model is larger than %d bytes", path, lim.MaxFileBytes)
	}
	m, err := Decode(b, lim)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// Decode decodes a serialized ModelProto.
func Decode(b []byte, lim Limits) (*Model, error) {
	lim = lim.withDefaults()
	if int64(len(b)) > lim.MaxFileBytes {
		return nil, fmt.Errorf("onnx: the model is larger than %d bytes", lim.MaxFileBytes)
	}
	d := &decoder{lim: lim, base: b}
	m := &Model{}
	err := d.fields(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		switch num {
		case 1:
			m.IRVersion = int64(x)
		case 2:
			m.Producer = string(v)
		case 7:
			g, err := d.graph(v, 0)
			if err != nil {
				return err
			}
			m.Graph = g
		case 8:
			o, err := d.opset(v)
			if err != nil {
				return err
			}
			m.Opsets = append(m.Opsets, o)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if m.Graph == nil {
		return nil, &DecodeError{0, "the model has no graph"}
	}
	if lim.ExternalDir != "" {
		if err := d.resolveExternal(m.Graph, 0); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// decoder holds the limits and the running totals of one Decode.
type decoder struct {
	lim   Limits
	base  []byte // the whole input, to compute offsets
	nodes int
	alloc int64
}

// off is the offset of b within the input.
func (d *decoder) off(b []byte) int {
	// Every slice the decoder reads is a subslice of base running to its
	// end, so the capacities differ by the offset.
	return cap(d.base) - cap(b)
}

func (d *decoder) errf(b []byte, format string, args ...any) error {
	return &DecodeError{d.off(b), fmt.Sprintf(format, args...)}
}

// charge counts n bytes of decoded values against MaxAlloc.
func (d *decoder) charge(b []byte, n int64) error {
	if n < 0 || d.alloc > d.lim.MaxAlloc-n {
		return d.errf(b, "the decoded model would take more than %d bytes", d.lim.MaxAlloc)
	}
	d.alloc += n
	return nil
}

// fields calls f for each field of message b: v is a length-delimited
// value (nil otherwise), x a varint or fixed value. Unknown fields of the
// other wire types are skipped by f ignoring them.
func (d *decoder) fields(b []byte, f func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return d.errf(b, "bad field tag: %v", protowire.ParseError(n))
		}
		at := b
		b = b[n:]
		var v []byte
		var x uint64
		switch typ {
		case protowire.VarintType:
			x, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var y uint32
			y, n = protowire.ConsumeFixed32(b)
			x = uint64(y)
		case protowire.Fixed64Type:
			x, n = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return d.errf(at, "field %d: %v", num, protowire.ParseError(n))
		}
		if err := f(num, typ, v, x); err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

func (d *decoder) str(v []byte) (string, error) {
	if err := d.charge(v, int64(len(v))); err != nil {
		return "", err
	}
	return string(v), nil
}

func (d *decoder) opset(b []byte) (OpsetID, error) {
	var o OpsetID
	err := d.fields(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		switch num {
		case 1:
			o.Domain = string(v)
		case 2:
			o.Version = int64(x)
		}
		return nil
	})
	return o, err
}

func (d *decoder) graph(b []byte, depth int) (*Graph, error) {
	if depth > d.lim.MaxDepth {
		return nil, d.errf(b, "graphs nest deeper than %d", d.lim.MaxDepth)
	}
	g := &Graph{}
	err := d.fields(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		if typ != protowire.BytesType {
			return nil
		}
		var err error
		switch num {
		case 1:
			var n *Node
			if n, err = d.node(v, depth); err == nil {
				g.Nodes = append(g.Nodes, n)
			}
		case 2:
			g.Name, err = d.str(v)
		case 5:
			var t *Tensor
			if t, err = d.tensor(v); err == nil {
				g.Initializers = append(g.Initializers, t)
			}
		case 11, 12, 13:
			var vi *ValueInfo
			if vi, err = d.valueInfo(v); err == nil {
				switch num {
				case 11:
					g.Inputs = append(g.Inputs, vi)
				case 12:
					g.Outputs = append(g.Outputs, vi)
				default:
					g.ValueInfo = append(g.ValueInfo, vi)
				}
			}
		}
		return err
	})
	return g, err
}

func (d *decoder) node(b []byte, depth int) (*Node, error) {
	d.nodes++
	if d.nodes > d.lim.MaxNodes {
		return nil, d.errf(b, "more than %d nodes", d.lim.MaxNodes)
	}
	if err := d.charge(b, 128); err != nil {
		return nil, err
	}
	n := &Node{}
	err := d.fields(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		if typ != protowire.BytesType {
			return nil
		}
		s, err := d.str(v)
		if err != nil {
			return err
		}
		switch num {
		case 1:
			n.Inputs = append(n.Inputs, s)
		case 2:
			n.Outputs = append(n.Outputs, s)
		case 3:
			n.Name = s
		case 4:
			n.OpType = s
		case 7:
			n.Domain = s
		case 5:
			a, err := d.attribute(v, depth)
			if err != nil {
				return err
			}
			n.Attrs = append(n.Attrs, a)
		}
		return nil
	})
	return n, err
}

func (d *decoder) attribute(b []byte, depth int) (*Attribute, error) {
	if err := d.charge(b, 64); err != nil {
		return nil, err
	}
	a := &Attribute{}
	err := d.fields(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		var err error
		switch num {
		case 1:
			a.Name, err = d.str(v)
		case 20:
			a.Type = AttrType(int32(x))
		case 2:
			a.F = math.Float32frombits(uint32(x))
		case 3:
			a.I = int64(x)
		case 4:
			a.S = append([]byte(nil), v...)
			err = d.charge(v, int64(len(v)))
		case 5:
			a.T, err = d.tensor(v)
		case 6:
			a.G, err = d.graph(v, depth+1)
		case 7:
			a.Floats, err = d.appendF32(a.Floats, typ, v, x)
		case 8:
			a.Ints, err = d.appendI64(a.Ints, typ, v, x)
		case 9:
			err = d.charge(v, int64(len(v))+24)
			a.Strings = append(a.Strings, append([]byte(nil), v...))
		case 10:
			var t *Tensor
			if t, err = d.tensor(v); err == nil {
				a.Tensors = append(a.Tensors, t)
			}
		case 11:
			var g *Graph
			if g, err = d.graph(v, depth+1); err == nil {
				a.Graphs = append(a.Graphs, g)
			}
		}
		return err
	})
	return a, err
}

func (d *decoder) valueInfo(b []byte) (*ValueInfo, error) {
	vi := &ValueInfo{}
	err := d.fields(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		switch num {
		case 1:
			s, err := d.str(v)
			vi.Name = s
			return err
		case 2:
			return d.fields(v, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
				if num != 1 || typ != protowire.BytesType {
					return nil // sequence, map, optional, sparse: not a tensor
				}
				vi.IsTensor = true
				return d.tensorType(vi, v)
			})
		}
		return nil
	})
	return vi, err
}

// tensorType reads TypeProto.Tensor into vi.
func (d *decoder) tensorType(vi *ValueInfo, b []byte) error {
	return d.fields(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		switch num {
		case 1:
			vi.ElemType = int32(x)
		case 2:
			vi.HasShape = true
			return d.fields(v, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
				if num != 1 {
					return nil
				}
				if len(vi.Dims) >= d.lim.MaxDims {
					return d.errf(v, "value %q has more than %d dimensions", vi.Name, d.lim.MaxDims)
				}
				var dim Dim
				err := d.fields(v, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
					switch num {
					case 1:
						dim.Value, dim.HasValue = int64(x), true
					case 2:
						s, err := d.str(v)
						dim.Param = s
						return err
					}
					return nil
				})
				if err := d.charge(v, 32); err != nil {
					return err
				}
				vi.Dims = append(vi.Dims, dim)
				return err
			})
		}
		return nil
	})
}

func (d *decoder) tensor(b []byte) (*Tensor, error) {
	if err := d.charge(b, 160); err != nil {
		return nil, err
	}
	t := &Tensor{}
	err := d.fields(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		var err error
		switch num {
		case 1:
			if len(t.Dims) >= d.lim.MaxDims {
				return d.errf(b, "tensor has more than %d dimensions", d.lim.MaxDims)
			}
			t.Dims, err = d.appendI64(t.Dims, typ, v, x)
			if len(t.Dims) > d.lim.MaxDims {
				return d.errf(b, "tensor has more than %d dimensions", d.lim.MaxDims)
			}
		case 2:
			t.DataType = int32(x)
		case 4:
			t.Floats, err = d.appendF32(t.Floats, typ, v, x)
		case 5:
			var xs []int64
			xs, err = d.appendI64(nil, typ, v, x)
			for _, y := range xs {
				t.Int32s = append(t.Int32s, int32(y))
			}
		case 6:
			err = d.charge(v, int64(len(v))+24)
			t.Strings = append(t.Strings, append([]byte(nil), v...))
		case 7:
			t.Int64s, err = d.appendI64(t.Int64s, typ, v, x)
		case 8:
			t.Name, err = d.str(v)
		case 9:
			if err = d.charge(v, int64(len(v))); err == nil {
				t.Raw = append([]byte(nil), v...)
			}
		case 10:
			t.Doubles, err = d.appendF64(t.Doubles, typ, v, x)
		case 11:
			var xs []int64
			xs, err = d.appendI64(nil, typ, v, x)
			for _, y := range xs {
				t.Uint64s = append(t.Uint64s, uint64(y))
			}
		case 13:
			var kv KeyValue
			err = d.fields(v, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
				var err error
				switch num {
				case 1:
					kv.Key, err = d.str(v)
				case 2:
					kv.Value, err = d.str(v)
				}
				return err
			})
			t.ExternalData = append(t.ExternalData, kv)
		case 14:
			t.IsExternal = x == 1
		}
		return err
	})
	return t, err
}

// DecodeTensor decodes a serialized TensorProto (the input_K.pb and
// output_K.pb files of the ONNX backend tests).
func DecodeTensor(b []byte, lim Limits) (*Tensor, error) {
	lim = lim.withDefaults()
	if int64(len(b)) > lim.MaxFileBytes {
		return nil, fmt.Errorf("onnx: the tensor is larger than %d bytes", lim.MaxFileBytes)
	}
	d := &decoder{lim: lim, base: b}
	return d.tensor(b)
}
