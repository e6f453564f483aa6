package ops

import (
	"fmt"
	"sync"
)

// Exporter builds an interchange graph (ONNX) while an op's Export writes
// a node into it: it adds the interchange format's nodes and constants and
// answers with the names of the values they make. Attribute values are
// int64, float32, string, []int64 or []float32.
type Exporter interface {
	// Node adds a node of the format's operator opType reading in and
	// returns the name of its (first) result.
	Node(opType string, in []string, attrs map[string]any) string
	// Nodes is Node for an operator with several results.
	Nodes(opType string, in []string, attrs map[string]any, results int) []string
	// Ints is a constant int64 tensor of shape [len(v)].
	Ints(v ...int64) string
	// Scalar is a constant scalar of dtype dt.
	Scalar(v float64, dt DType) string
	// Shape is an int64 tensor [len(s)] holding s's dimensions, with
	// symbolic ones read from the graph's inputs when it runs.
	Shape(s Shape) (string, error)
	// DType is the format's code of an element type.
	DType(dt DType) (int64, error)
}

// ExportFunc writes node n, whose operands are the values named in, with
// e and returns the name of n's value.
type ExportFunc func(e Exporter, n *Node, in []string) (string, error)

// ExportError says that a node has no interchange form.
type ExportError struct {
	Op  string
	Pos Pos
	Msg string
}

func (e *ExportError) Error() string {
	if e.Pos.Line == 0 {
		return fmt.Sprintf("%s: %s", e.Op, e.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", e.Pos, e.Op, e.Msg)
}

var exportOnce sync.Once

// ExportOf returns op's interchange form (ONNX), nil if it has none. The
// forms are declared on first use, after every op has registered.
func ExportOf(op *Op) ExportFunc {
	exportOnce.Do(func() {
		declareElementwiseExports()
		declareLayoutExports()
		declareNNExports()
	})
	return op.Export
}

// setExport declares op's interchange form.
func setExport(op *Op, f ExportFunc) {
	if op.Export != nil {
		panic("ops: two exports for " + op.Name)
	}
	op.Export = f
}

// exportErr is an ExportError for node n.
func exportErr(n *Node, format string, args ...any) error {
	return &ExportError{Op: n.Op.Name, Pos: n.Pos, Msg: fmt.Sprintf(format, args...)}
}

// ints64 converts ints to int64s.
func ints64(v []int) []int64 {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}

// unary is the export of an op that is one ONNX operator of one operand.
func unary(opType string) ExportFunc {
	return func(e Exporter, n *Node, in []string) (string, error) {
		return e.Node(opType, in, nil), nil
	}
}
