package onnx

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/nnclang/nnc/tensor"
)

// The TensorProto.DataType numbers the importer reads.
const (
	TypeFloat   = 1
	TypeUint8   = 2
	TypeInt8    = 3
	TypeUint16  = 4
	TypeInt16   = 5
	TypeInt32   = 6
	TypeInt64   = 7
	TypeString  = 8
	TypeBool    = 9
	TypeFloat16 = 10
	TypeDouble  = 11
	TypeUint32  = 12
	TypeUint64  = 13
)

// DataTypeName is the name onnx.proto gives a DataType number.
func DataTypeName(t int32) string {
	names := map[int32]string{1: "FLOAT", 2: "UINT8", 3: "INT8", 4: "UINT16", 5: "INT16", 6: "INT32",
		7: "INT64", 8: "STRING", 9: "BOOL", 10: "FLOAT16", 11: "DOUBLE", 12: "UINT32", 13: "UINT64",
		14: "COMPLEX64", 15: "COMPLEX128", 16: "BFLOAT16"}
	if n, ok := names[t]; ok {
		return n
	}
	return "type " + strconv.Itoa(int(t))
}

// NNType is the .nn element type an ONNX DataType is read as: narrower
// integers widen to i32, float16 to f32, unsigned 32-bit to i64.
func NNType(t int32) (tensor.DType, bool) {
	switch t {
	case TypeFloat, TypeFloat16:
		return tensor.F32, true
	case TypeDouble:
		return tensor.F64, true
	case TypeInt32, TypeInt8, TypeUint8, TypeInt16, TypeUint16:
		return tensor.I32, true
	case TypeInt64, TypeUint32, TypeUint64:
		return tensor.I64, true
	case TypeBool:
		return tensor.Bool, true
	}
	return tensor.Invalid, false
}

// rawSize is the bytes of one element in raw_data.
func rawSize(t int32) int {
	switch t {
	case TypeUint8, TypeInt8, TypeBool:
		return 1
	case TypeUint16, TypeInt16, TypeFloat16:
		return 2
	case TypeFloat, TypeInt32, TypeUint32:
		return 4
	case TypeInt64, TypeDouble, TypeUint64:
		return 8
	}
	return 0
}

// MaxElements bounds the elements of one tensor Values converts.
const MaxElements = 1 << 31

// Shape returns the tensor's dimensions as ints, each checked to be
// non-negative and their product to stay within MaxElements.
func (t *Tensor) Shape() ([]int, error) {
	shape := make([]int, len(t.Dims))
	n := int64(1)
	for i, d := range t.Dims {
		if d < 0 || d > MaxElements {
			return nil, fmt.Errorf("tensor %q: dimension %d is %d", t.Name, i, d)
		}
		shape[i] = int(d)
		if d != 0 && n > MaxElements/d {
			return nil, fmt.Errorf("tensor %q: shape %v holds more than %d elements", t.Name, t.Dims, MaxElements)
		}
		n *= d
	}
	return shape, nil
}

// Values converts the tensor's data into an nnc tensor of NNType's element
// type. The data must be in the model (external data is resolved by
// ReadFile with Limits.ExternalDir) and hold exactly as many elements as
// the shape.
func (t *Tensor) Values() (*tensor.Tensor, error) {
	dt, ok := NNType(t.DataType)
	if !ok {
		return nil, fmt.Errorf("tensor %q: element type %s is not supported", t.Name, DataTypeName(t.DataType))
	}
	if t.IsExternal || len(t.ExternalData) > 0 {
		return nil, fmt.Errorf("tensor %q: its data is in an external file, which this import does not read", t.Name)
	}
	shape, err := t.Shape()
	if err != nil {
		return nil, err
	}
	n := tensor.NumElems(shape)
	out := tensor.New(dt, shape...)
	if len(t.Raw) > 0 {
		size := rawSize(t.DataType)
		if len(t.Raw) != n*size {
			return nil, fmt.Errorf("tensor %q: raw data of %d bytes for %d elements of %s", t.Name, len(t.Raw), n, DataTypeName(t.DataType))
		}
		for i := 0; i < n; i++ {
			out.Set(i, rawAt(t.DataType, t.Raw[i*size:]))
		}
		return out, nil
	}
	if c := t.count(); c != n {
		return nil, fmt.Errorf("tensor %q: %d values for shape %v (%d elements)", t.Name, c, shape, n)
	}
	for i := 0; i < n; i++ {
		out.Set(i, t.typedAt(i))
	}
	if dt == tensor.I64 {
		// i64 values past float64's exact range go directly.
		switch {
		case len(t.Int64s) == n:
			copy(out.I64, t.Int64s)
		case len(t.Uint64s) == n:
			for i, v := range t.Uint64s {
				out.I64[i] = int64(v)
			}
		}
	}
	return out, nil
}

// count is how many values the typed field for the data type holds.
func (t *Tensor) count() int {
	switch t.DataType {
	case TypeFloat:
		return len(t.Floats)
	case TypeDouble:
		return len(t.Doubles)
	case TypeInt64:
		return len(t.Int64s)
	case TypeUint32, TypeUint64:
		return len(t.Uint64s)
	}
	return len(t.Int32s)
}

func (t *Tensor) typedAt(i int) float64 {
	switch t.DataType {
	case TypeFloat:
		return float64(t.Floats[i])
	case TypeDouble:
		return t.Doubles[i]
	case TypeInt64:
		return float64(t.Int64s[i])
	case TypeUint32, TypeUint64:
		return float64(t.Uint64s[i])
	case TypeFloat16:
		return half(uint16(t.Int32s[i]))
	}
	return float64(t.Int32s[i])
}

func rawAt(dt int32, b []byte) float64 {
	switch dt {
	case TypeFloat:
		return float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
	case TypeDouble:
		return math.Float64frombits(binary.LittleEndian.Uint64(b))
	case TypeInt32:
		return float64(int32(binary.LittleEndian.Uint32(b)))
	case TypeUint32:
		return float64(binary.LittleEndian.Uint32(b))
	case TypeInt64:
		return float64(int64(binary.LittleEndian.Uint64(b)))
	case TypeUint64:
		return float64(binary.LittleEndian.Uint64(b))
	case TypeInt16:
		return float64(int16(binary.LittleEndian.Uint16(b)))
	case TypeUint16:
		return float64(binary.LittleEndian.Uint16(b))
	case TypeFloat16:
		return half(binary.LittleEndian.Uint16(b))
	case TypeInt8:
		return float64(int8(b[0]))
	case TypeBool:
		if b[0] != 0 {
			return 1
		}
		return 0
	}
	return float64(b[0]) // uint8
}

// half converts an IEEE 754 binary16 value.
func half(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp := int(h>>10) & 0x1f
	frac := float64(h & 0x3ff)
	switch exp {
	case 0:
		return sign * math.Ldexp(frac, -24)
	case 31:
		if frac != 0 {
			return math.NaN()
		}
		return math.Inf(int(sign))
	}
	return sign * math.Ldexp(1+frac/1024, exp-15)
}

// appendI64 appends a repeated varint field, packed or not.
func (d *decoder) appendI64(dst []int64, typ protowire.Type, v []byte, x uint64) ([]int64, error) {
	if typ == protowire.VarintType {
		if err := d.charge(v, 8); err != nil {
			return dst, err
		}
		return append(dst, int64(x)), nil
	}
	if typ != protowire.BytesType {
		return dst, d.errf(v, "a repeated integer field has wire type %d", typ)
	}
	// Each varint takes at least one byte: len(v) bounds the count.
	if err := d.charge(v, 8*int64(len(v))); err != nil {
		return dst, err
	}
	for len(v) > 0 {
		y, n := protowire.ConsumeVarint(v)
		if n < 0 {
			return dst, d.errf(v, "packed integers: %v", protowire.ParseError(n))
		}
		dst = append(dst, int64(y))
		v = v[n:]
	}
	return dst, nil
}

// appendF32 appends a repeated float field, packed or not.
func (d *decoder) appendF32(dst []float32, typ protowire.Type, v []byte, x uint64) ([]float32, error) {
	if typ == protowire.Fixed32Type {
		if err := d.charge(v, 4); err != nil {
			return dst, err
		}
		return append(dst, math.Float32frombits(uint32(x))), nil
	}
	if typ != protowire.BytesType || len(v)%4 != 0 {
		return dst, d.errf(v, "a repeated float field of wire type %d and %d bytes", typ, len(v))
	}
	if err := d.charge(v, int64(len(v))); err != nil {
		return dst, err
	}
	for i := 0; i+4 <= len(v); i += 4 {
		dst = append(dst, math.Float32frombits(binary.LittleEndian.Uint32(v[i:])))
	}
	return dst, nil
}

// appendF64 appends a repeated double field, packed or not.
func (d *decoder) appendF64(dst []float64, typ protowire.Type, v []byte, x uint64) ([]float64, error) {
	if typ == protowire.Fixed64Type {
		if err := d.charge(v, 8); err != nil {
			return dst, err
		}
		return append(dst, math.Float64frombits(x)), nil
	}
	if typ != protowire.BytesType || len(v)%8 != 0 {
		return dst, d.errf(v, "a repeated double field of wire type %d and %d bytes", typ, len(v))
	}
	if err := d.charge(v, int64(len(v))); err != nil {
		return dst, err
	}
	for i := 0; i+8 <= len(v); i += 8 {
		dst = append(dst, math.Float64frombits(binary.LittleEndian.Uint64(v[i:])))
	}
	return dst, nil
}

// resolveExternal reads the external data of every tensor of g (and its
// subgraphs) from files under lim.ExternalDir, through os.Root so that the
// paths stay inside it.
func (d *decoder) resolveExternal(g *Graph, depth int) error {
	var root *os.Root
	defer func() {
		if root != nil {
			root.Close()
		}
	}()
	visit := func(t *Tensor) error {
		if !t.IsExternal && len(t.ExternalData) == 0 {
			return nil
		}
		if root == nil {
			r, err := os.OpenRoot(d.lim.ExternalDir)
			if err != nil {
				return err
			}
			root = r
		}
		return d.readExternal(root, t)
	}
	return walkTensors(g, visit, depth, d.lim.MaxDepth)
}

// walkTensors calls f on every initializer and tensor attribute of g and
// of the graphs nested in its attributes.
func walkTensors(g *Graph, f func(*Tensor) error, depth, maxDepth int) error {
	if depth > maxDepth {
		return fmt.Errorf("onnx: graphs nest deeper than %d", maxDepth)
	}
	for _, t := range g.Initializers {
		if err := f(t); err != nil {
			return err
		}
	}
	for _, n := range g.Nodes {
		for _, a := range n.Attrs {
			ts := append([]*Tensor{}, a.Tensors...)
			if a.T != nil {
				ts = append(ts, a.T)
			}
			for _, t := range ts {
				if err := f(t); err != nil {
					return err
				}
			}
			gs := append([]*Graph{}, a.Graphs...)
			if a.G != nil {
				gs = append(gs, a.G)
			}
			for _, sub := range gs {
				if err := walkTensors(sub, f, depth+1, maxDepth); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// readExternal reads t's external data (location, offset, length) from
// root into t.Raw.
func (d *decoder) readExternal(root *os.Root, t *Tensor) error {
	var loc string
	var off, length int64 = 0, -1
	for _, kv := range t.ExternalData {
		var err error
		switch kv.Key {
		case "location":
			loc = kv.Value
		case "offset":
			off, err = strconv.ParseInt(kv.Value, 10, 64)
		case "length":
			length, err = strconv.ParseInt(kv.Value, 10, 64)
		}
		if err != nil || off < 0 {
			return fmt.Errorf("tensor %q: external data %s = %q is not a byte count", t.Name, kv.Key, kv.Value)
		}
	}
	if loc == "" || filepath.IsAbs(loc) || !filepath.IsLocal(loc) {
		return fmt.Errorf("tensor %q: external data location %q is not a relative path inside the model's directory", t.Name, loc)
	}
	shape, err := t.Shape()
	if err != nil {
		return err
	}
	want := int64(tensor.NumElems(shape)) * int64(rawSize(t.DataType))
	if rawSize(t.DataType) == 0 || length >= 0 && length != want {
		return fmt.Errorf("tensor %q: external data of %d bytes for shape %v of %s", t.Name, length, shape, DataTypeName(t.DataType))
	}
	if err := d.charge(nil, want); err != nil {
		return err
	}
	f, err := root.Open(loc)
	if err != nil {
		return fmt.Errorf("tensor %q: %v", t.Name, err)
	}
	defer f.Close()
	buf := make([]byte, want)
	if _, err := f.ReadAt(buf, off); err != nil {
		return fmt.Errorf("tensor %q: reading %d bytes at %d of %s: %v", t.Name, want, off, loc, err)
	}
	t.Raw, t.IsExternal, t.ExternalData = buf, false, nil
	return nil
}
