package ops

import (
	"fmt"
	"sort"

	"github.com/nnclang/nnc/kernels"
	"github.com/nnclang/nnc/tensor"
)

// Op declares one operation, once: its type rule, its derivatives (written
// with other ops, so that they can themselves be differentiated), its
// reference kernel, its gradient-check cases, its FLOP count, how it fuses,
// the scratch memory of its kernel and its .nn built-in signature. Every
// pass reads these facts here; none keeps a table of ops of its own.
type Op struct {
	Name  string
	Doc   string
	Arity int // number of operands; -1 for any

	// Infer computes the result type from the operand types and attributes,
	// on symbolic shapes. Its errors are shown to users and name both shapes.
	Infer func(in []Type, a Attrs) (Type, error)

	// VJP returns, for each operand, the gradient contribution given the
	// output's gradient g (same type as n). A nil entry means no gradient flows
	// to that operand (integer operands, indices).
	VJP func(b *Builder, n *Node, g *Node) []*Node

	// JVP returns the output's tangent given the operands' tangents (nil for an
	// operand without one).
	JVP func(b *Builder, n *Node, t []*Node) *Node

	// Kernel prepares the op for concrete shapes, once per plan, and returns
	// the function that runs it. in holds the operands' shapes and out the
	// result's; n gives the attributes and element types.
	Kernel func(n *Node, in [][]int, out []int) (KernelFunc, error)

	// Rows, when set, prepares the node to run by ranges of rows as well
	// (see RowSplit), or returns nil when its shapes do not allow it.
	Rows func(n *Node, in [][]int, out []int) *RowSplit

	// NoGrad, when not empty, says why the op has no gradient (its output is
	// an integer, a constant, or a random draw); such ops are skipped by the
	// gradient checker. Every other op must give Check cases.
	NoGrad string

	// Check lists the cases the registry-wide gradient checker runs.
	Check []CheckCase

	// Leaf marks ops whose value comes from outside the graph (input, param,
	// state): they have no kernel.
	Leaf bool

	// InPlace lists the operands whose buffer the result may take over
	// when the operand is read by nothing afterwards and has the result's
	// element type and element count: the kernel reads every element of
	// such an operand, at the result's own index, before it writes that
	// element of the result (elementwise ops; not matmul, transpose or
	// reductions). -1 stands for every operand (variadic fused ops).
	InPlace []int

	// Flops counts the FLOPs of one execution (see flops.go). Every op
	// declares its rule, NoFlops for those that do no arithmetic (leaves,
	// layout, data movement); an op without one is counted as one FLOP per
	// output element and reported as estimated.
	Flops FlopFunc

	// Elementwise, when set, says that the op is an elementwise float op
	// that fused kernels can run (see Elementwise): the optimizer fuses
	// trees of such ops, and fused programs name them.
	Elementwise *Elementwise

	// Scratch, when set, is the bytes of the buffers the op's kernel
	// allocates that grow with the shapes (see ScratchFunc); nil for a
	// kernel that keeps none.
	Scratch ScratchFunc
	// Workspace, when set, is the elements of the node's dtype that its
	// kernel borrows from ctx.Work while it runs (a part of its Scratch,
	// which counts them as bytes): the steps of a plan run one at a time,
	// so a plan holds the largest step's, not every step's.
	Workspace ScratchFunc

	Builtin *Builtin // the .nn built-in function lowering to this op; nil if none (builtin.go)

	// Export writes the op into an interchange graph (ONNX, export_onnx*.go);
	// nil for ops with no interchange form (training-only ops, fused
	// kernels), which exporting refuses with the node's position.
	Export ExportFunc

	handle **Op // the variable Register set to this op
}

// KernelFunc runs an op: it reads in and writes out, whose buffers the
// runtime provides. It must not allocate.
type KernelFunc func(ctx *Ctx, out *tensor.Tensor, in []*tensor.Tensor)

// Ctx is what a kernel may use besides its operands.
type Ctx struct {
	// Seed is the random seed of this execution; random ops combine it with
	// their node's "seed" attribute.
	Seed uint64
	// Err is the first error a kernel found in its operands' values (an
	// index out of range) during this execution. A kernel that sets it
	// returns at once, its result undefined; whoever runs the kernels checks
	// Err after each one and ends the run with it.
	Err error
	// Packs, when not nil, keeps packed forms of params that products
	// multiply by (kernels.PackCache): whoever runs the kernels invalidates
	// it whenever a param may have changed. Nil: every product packs its
	// operands itself.
	Packs *kernels.PackCache
	// Work, when not nil, lends kernels memory that they need only while
	// they run (a product's packed operands; the op's Workspace says how
	// much): the kernels run one at a time. Nil: each keeps its own.
	Work *kernels.Workspace
}

// Fail records err as the execution's error unless one is recorded already.
func (c *Ctx) Fail(err error) {
	if c.Err == nil {
		c.Err = err
	}
}

// Domain says which values the gradient checker may draw for an operand.
type Domain int

// Domains of operands for gradient checks.
const (
	AnyReal  Domain = iota // normal(0, 1)
	Positive               // uniform(0.5, 2)
	AwayZero               // ±uniform(0.5, 2): where a kink or a pole sits at 0
	Labels                 // integers in [0, C) where C is the last dim of operand 0
	Distinct               // well-separated values (for max/argmax ties)
	Unit                   // uniform(0.1, 0.9): probabilities
	// RowPointers are the row pointers of a CSR matrix: sorted integers
	// from 0 to the length of the next operand (its column indices).
	RowPointers
	// Columns are a CSR matrix's column indices: integers in [0, M) for M
	// the first dimension of the "shape" attribute when there is one, else
	// of the last operand.
	Columns
)

// CheckCase is one configuration the gradient checker differentiates: the
// operand types (concrete shapes, broadcasting included), attributes and the
// domain of each operand.
type CheckCase struct {
	In     []Type
	Attrs  Attrs
	Domain []Domain // per operand; missing entries mean AnyReal
}

var registry = map[string]*Op{}

// Register adds op to the registry and sets *handle to it: the builder,
// the passes and the runtime name the op by that handle (ops.Relu), never
// by its name. It panics on a duplicate name, a handle already set, or an
// op without a type rule (init-time bugs).
func Register(handle **Op, op *Op) *Op {
	if _, dup := registry[op.Name]; dup {
		panic("ops: duplicate op " + op.Name)
	}
	if handle == nil || *handle != nil {
		panic("ops: op " + op.Name + " needs a handle of its own")
	}
	if op.Infer == nil {
		panic("ops: op " + op.Name + " has no type rule")
	}
	op.handle = handle
	registry[op.Name] = op
	*handle = op
	return op
}

// Lookup finds an op by name.
func Lookup(name string) (*Op, bool) {
	op, ok := registry[name]
	return op, ok
}

// MustLookup finds an op that must exist.
func MustLookup(name string) *Op {
	op, ok := registry[name]
	if !ok {
		panic("ops: unknown op " + name)
	}
	return op
}

// All returns every registered op, sorted by name.
func All() []*Op {
	out := make([]*Op, 0, len(registry))
	for _, op := range registry {
		out = append(out, op)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Type constructors for Check cases.

// T is a concrete f64 type, for gradient-check cases.
func T(dims ...int) Type { return Type{DType: F64, Shape: ShapeOf(dims...)} }

// TI is a concrete i32 type, for gradient-check cases.
func TI(dims ...int) Type { return Type{DType: I32, Shape: ShapeOf(dims...)} }

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }
