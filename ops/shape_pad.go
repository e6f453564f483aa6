package ops

import (
	"fmt"

	"github.com/nnclang/nnc/kernels"
)

// Pad's modes: "constant" (the default, attribute absent) fills with
// "value"; "reflect" mirrors the axis about its first and last elements
// (NumPy's and PyTorch's reflect, ONNX's reflect: [2 1 | 1 2 3 | 2 1] for
// [1 2 3] padded by 2), which needs each width below the axis's size;
// "edge" repeats the first and last elements (NumPy's edge, PyTorch's
// replicate, ONNX's edge), which needs a non-empty axis where it pads. Both
// read every output element from an input element, so the gradient,
// pad_grad, adds each output's gradient into the element it came from.

// padModeNames are the values of pad's "mode".
var padModeNames = []string{"constant", "reflect", "edge"}

// padMode reads a's "mode": "constant" when absent.
func padMode(a Attrs) (string, error) {
	v, ok := a["mode"]
	if !ok {
		return "constant", nil
	}
	if s, isS := v.(string); isS {
		for _, m := range padModeNames {
			if s == m {
				return s, nil
			}
		}
	}
	return "", &InferError{"pad", fmt.Sprintf(`mode must be "constant", "reflect" or "edge", got %v`, formatAttr(v))}
}

// checkPadFits checks that a reflect or edge padding of x fits the axes
// whose sizes are known (the kernel checks the others).
func checkPadFits(name, mode string, x Shape, lo, hi []int) error {
	for i, d := range x {
		n, ok := d.IsConst()
		if !ok || lo[i]+hi[i] == 0 {
			continue
		}
		if err := padFits(name, mode, i, int(n), lo[i], hi[i]); err != nil {
			return err
		}
	}
	return nil
}

func padFits(name, mode string, axis, n, lo, hi int) error {
	switch {
	case mode == "reflect" && (lo >= n || hi >= n):
		return &InferError{name, fmt.Sprintf("reflect padding of %d before and %d after axis %d needs both below its size %d", lo, hi, axis, n)}
	case mode == "edge" && n == 0:
		return &InferError{name, fmt.Sprintf("edge padding of axis %d, which is empty", axis)}
	}
	return nil
}

// padMapKernel is the kernel of a reflect or edge pad (gather) or of its
// gradient (scatter) between input shape x and padded shape p.
func padMapKernel(n *Node, x, p []int, gather bool) (KernelFunc, error) {
	src := n.In[0].Type
	if !gather {
		src = n.Type
	}
	lo, hi, err := padWidths(src, n.Attrs)
	if err != nil {
		return nil, err
	}
	mode, err := padMode(n.Attrs)
	if err != nil {
		return nil, err
	}
	for i := range x {
		if lo[i]+hi[i] > 0 {
			if err := padFits(n.Op.Name, mode, i, x[i], lo[i], hi[i]); err != nil {
				return nil, err
			}
		}
	}
	m := kernels.NewPadMap(x, p, lo, mode == "reflect")
	if gather {
		return viewKernel(n,
			func(o, x []float32) { kernels.PadGather(m, o, x) },
			func(o, x []float64) { kernels.PadGather(m, o, x) })
	}
	return viewKernel(n,
		func(o, g []float32) { kernels.PadScatter(m, o, g) },
		func(o, g []float64) { kernels.PadScatter(m, o, g) })
}

// padShape is x padded by lo and hi.
func padShape(x Shape, lo, hi []int) Shape {
	out := make(Shape, len(x))
	for i, d := range x {
		out[i] = d.Add(DimConst(int64(lo[i]))).Add(DimConst(int64(hi[i])))
	}
	return out
}

// PadGrad is the op "pad_grad": pad_grad(g; shape, pads, mode): the gradient
// of a reflect or edge pad of x of the given shape.
var PadGrad *Op

func init() {
	Register(&PadGrad, &Op{
		Name: "pad_grad", Arity: 1,
		Flops: NoFlops,
		Doc: "pad_grad(g; shape, pads, mode): the gradient of a reflect or edge pad(x; pads, mode) for x " +
			"of the given shape: each element of g adds into the element of x it was read from",
		Infer: func(in []Type, a Attrs) (Type, error) {
			if err := floatOperand("pad_grad", in[0]); err != nil {
				return Type{}, err
			}
			x := Type{in[0].DType, a.Shape("shape")}
			lo, hi, err := padWidths(x, a)
			if err != nil {
				return Type{}, err
			}
			mode, err := padMode(a)
			if err != nil {
				return Type{}, err
			}
			if mode == "constant" {
				return Type{}, &InferError{"pad_grad", "is the gradient of a reflect or edge padding (a constant one's is a slice)"}
			}
			if err := checkPadFits("pad_grad", mode, x.Shape, lo, hi); err != nil {
				return Type{}, err
			}
			if p := padShape(x.Shape, lo, hi); !p.Equal(in[0].Shape) {
				return Type{}, &InferError{"pad_grad", fmt.Sprintf("{0} is %v, but padding %v gives %v", in[0], x.Shape, p)}
			}
			return x, nil
		},
		VJP: func(b *Builder, n *Node, h *Node) []*Node {
			return []*Node{b.Must(Pad, Attrs{"pads": n.Attrs["pads"], "mode": n.Attrs["mode"]}, h)}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			return b.Must(PadGrad, n.Attrs, Tangent(b, t[0], n.In[0]))
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			return padMapKernel(n, out, in[0], false)
		},
		Check: []CheckCase{
			{In: []Type{T(5, 7)}, Attrs: Attrs{"shape": ShapeOf(3, 4), "pads": []int{1, 1, 2, 1}, "mode": "reflect"}},
			{In: []Type{T(2, 7)}, Attrs: Attrs{"shape": ShapeOf(2, 3), "pads": []int{3, 1}, "mode": "edge"}},
		},
	})
}
