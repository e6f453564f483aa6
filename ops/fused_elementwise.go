package ops

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/nnclang/nnc/kernels"
	"github.com/nnclang/nnc/tensor"
)

// fused_elementwise is a tree of elementwise ops run as one kernel, made by
// the optimizer's fusion pass. Its attribute "program" lists the member ops
// as instructions over registers, separated by "; ":
//
//	t0=mul(x0,x1); t1=exp(t0); t2=add(t1,0.5)
//
// xK is operand K, tK the result of instruction K (defined in order), and a
// number is an immediate (a scalar constant of the result's element type).
// The last instruction's result is the node's value. "shape" is the result's
// shape (every operand broadcasts to it) and "dtype" its element type.

// ParseFused reads a fused_elementwise program with nIn operands into
// instructions over registers (operands, then immediates, then one per
// instruction) and the immediates' values. The program names its ops (it is
// a text format): each must be an op with a fusion descriptor
// (Op.Elementwise) applied to as many operands as its arity, and its
// instruction runs the descriptor's rows.
func ParseFused(program string, nIn int) ([]kernels.FusedInstr, []float64, error) {
	type operand struct {
		reg int // operand or temporary register (temps offset later); -1: immediate
		tmp bool
		imm int
	}
	type instr struct {
		op   *Op
		args []operand
	}
	var raw []instr
	var imms []float64
	parts := strings.Split(program, "; ")
	parseOperand := func(s string, i int) (operand, error) {
		switch {
		case strings.HasPrefix(s, "x"):
			k, err := strconv.Atoi(s[1:])
			if err != nil || k < 0 || k >= nIn {
				return operand{}, fmt.Errorf("bad operand %q (the node has %d operands)", s, nIn)
			}
			return operand{reg: k}, nil
		case strings.HasPrefix(s, "t"):
			k, err := strconv.Atoi(s[1:])
			if err != nil || k < 0 || k >= i {
				return operand{}, fmt.Errorf("%q is not an earlier instruction's result", s)
			}
			return operand{reg: k, tmp: true}, nil
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return operand{}, fmt.Errorf("bad operand %q", s)
		}
		imms = append(imms, v)
		return operand{reg: -1, imm: len(imms) - 1}, nil
	}
	for i, p := range parts {
		lhs, rhs, ok := strings.Cut(p, "=")
		if !ok || lhs != "t"+strconv.Itoa(i) {
			return nil, nil, fmt.Errorf("instruction %d: %q is not t%d=op(...)", i, p, i)
		}
		op, args, ok := strings.Cut(rhs, "(")
		if !ok || !strings.HasSuffix(args, ")") {
			return nil, nil, fmt.Errorf("instruction %d: %q is not op(args)", i, rhs)
		}
		var ops []operand
		for _, a := range strings.Split(strings.TrimSuffix(args, ")"), ",") {
			o, err := parseOperand(a, i)
			if err != nil {
				return nil, nil, fmt.Errorf("instruction %d: %v", i, err)
			}
			ops = append(ops, o)
		}
		o, ok := Lookup(op)
		if !ok || o.Elementwise == nil || o.Arity != len(ops) {
			return nil, nil, fmt.Errorf("instruction %d: %s with %d operands is not a fusible op", i, op, len(ops))
		}
		raw = append(raw, instr{o, ops})
	}
	base := nIn + len(imms)
	reg := func(o operand) int {
		switch {
		case o.reg < 0:
			return nIn + o.imm
		case o.tmp:
			return base + o.reg
		}
		return o.reg
	}
	prog := make([]kernels.FusedInstr, len(raw))
	for i, r := range raw {
		prog[i] = kernels.FusedInstr{Op: r.op.Name, Rows: &r.op.Elementwise.Rows, A: reg(r.args[0]), B: -1}
		if len(r.args) == 2 {
			prog[i].B = reg(r.args[1])
		}
	}
	return prog, imms, nil
}

// FusedMembers lists the ops of a fused node's program in order
// (fused_elementwise, fused_reduce and fused_matmul, whose program's x0 is
// the product: "t0=gelu_grad(x1); t1=mul(x0,t0)" gives gelu_grad, mul), or
// nil for any other node or a program that does not parse.
func FusedMembers(n *Node) []string {
	nIn := len(n.In)
	switch n.Op {
	case FusedElementwise, FusedReduce:
	case FusedMatmul:
		nIn--
	default:
		return nil
	}
	prog, _, err := ParseFused(n.Attrs.Str("program", ""), nIn)
	if err != nil {
		return nil
	}
	names := make([]string, len(prog))
	for i, in := range prog {
		names[i] = in.Op
	}
	return names
}

// Handles of the ops this file registers.
var (
	// FusedElementwise is the op "fused_elementwise": a tree of elementwise ops run as one kernel over cache-sized tiles
	FusedElementwise *Op
)

func init() {
	Register(&FusedElementwise, &Op{
		Name: "fused_elementwise", Arity: -1,
		Flops: func(n *Node, in [][]int, out []int) int64 {
			return programFlops(n, len(in), out)
		},
		Scratch: func(n *Node, in [][]int, out []int, f32 bool) int64 {
			return fusedRunnerScratch(n.Attrs.Str("program", ""), in, out, f32)
		},
		Doc: "a tree of elementwise ops run as one kernel over cache-sized tiles " +
			"(attributes program, shape, dtype; made by the optimizer)",
		Infer: func(in []Type, a Attrs) (Type, error) {
			return fusedInfer("fused_elementwise", in, a)
		},
		NoGrad: "fusion runs after differentiation",
		// Operands of the result's size are read in place, tile by tile,
		// before the tile of the result is written.
		InPlace: []int{-1},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			prog, imms, err := ParseFused(n.Attrs.Str("program", ""), len(in))
			if err != nil {
				return nil, err
			}
			switch n.Type.DType {
			case F32:
				f, err := newFusedRunner[float32](prog, imms, out, in)
				if err != nil {
					return nil, err
				}
				return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
					for k, x := range in {
						f.SetInput(k, x.F32)
					}
					f.Run(o.F32)
				}, nil
			case F64:
				f, err := newFusedRunner[float64](prog, imms, out, in)
				if err != nil {
					return nil, err
				}
				return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
					for k, x := range in {
						f.SetInput(k, x.F64)
					}
					f.Run(o.F64)
				}, nil
			}
			return nil, fmt.Errorf("fused_elementwise: no kernel for %v", n.Type.DType)
		},
	})
}

// programFlops counts a fused program's instructions once per element of
// shape out (one per output element when it does not parse).
func programFlops(n *Node, nIn int, out []int) int64 {
	prog, _, err := ParseFused(n.Attrs.Str("program", ""), nIn)
	if err != nil {
		return elems(out)
	}
	return satMul(int64(len(prog)), elems(out))
}

// fusedCounts is the number of instructions and immediates of a fused
// program over nIn operands (0, 0 when it does not parse: preparing the
// kernel then fails, allocating nothing).
func fusedCounts(program string, nIn int) (nInstr, nImms int) {
	prog, imms, err := ParseFused(program, nIn)
	if err != nil {
		return 0, 0
	}
	return len(prog), len(imms)
}

// fusedScratch is the tiles and gather buffers of a fused program over
// operands of shapes in with an output of elems elements.
func fusedScratch(program string, in [][]int, elems int64, f32 bool) int64 {
	prog, imms, err := ParseFused(program, len(in))
	if err != nil {
		return 0
	}
	if f32 {
		return kernels.FusedProgramScratch[float32](prog, len(imms), elems, counts(in))
	}
	return kernels.FusedProgramScratch[float64](prog, len(imms), elems, counts(in))
}
