package ops

import "math"

// ONNX forms of the neural-network ops (opset 17).

func declareNNExports() {
	setExport(Conv1D, convExport(1))
	setExport(Conv2D, convExport(2))
	setExport(MaxPool2D, poolExport("MaxPool"))
	setExport(AvgPool2D, poolExport("AveragePool"))
	setExport(Conv3D, convExport(3))
	setExport(MaxPool3D, poolExport("MaxPool"))
	setExport(AvgPool3D, poolExport("AveragePool"))
	setExport(LayerNorm, func(e Exporter, n *Node, in []string) (string, error) {
		return e.Node("LayerNormalization", in, map[string]any{"axis": int64(-1), "epsilon": float32(n.Attrs.Float("eps", 1e-5))}), nil
	})
	setExport(Attention, attentionExport)
	setExport(Spmm, spmmExport)
}

// spmmExport writes the sparse product A·x of a CSR matrix without making
// A dense: each entry's row from the row pointers (a 1 where each row
// after the first starts, summed along the entries), x's rows gathered at
// the columns and scaled by the values, and the products added into their
// rows (ScatterND with reduction add, opset 16).
func spmmExport(e Exporter, n *Node, in []string) (string, error) {
	to64 := map[string]any{"to": int64(7)}
	ptr := e.Node("Cast", []string{in[0]}, to64)
	col := e.Node("Cast", []string{in[1]}, to64)
	dt := n.Type.DType
	// starts of rows 1..N-1; an entry's row counts the starts at or before it.
	starts := e.Node("Slice", []string{ptr, e.Ints(1), e.Ints(-1), e.Ints(0)}, nil)
	nnz1 := e.Node("Add", []string{e.Node("Shape", []string{col}, nil), e.Ints(1)}, nil)
	zeros := e.Node("Expand", []string{e.Scalar(0, I64), nnz1}, nil)
	ones := e.Node("Expand", []string{e.Scalar(1, I64), e.Node("Shape", []string{starts}, nil)}, nil)
	marks := e.Node("ScatterElements", []string{zeros, starts, ones}, map[string]any{"axis": int64(0), "reduction": "add"})
	rows := e.Node("CumSum", []string{marks, e.Scalar(0, I64)}, nil)
	rows = e.Node("Slice", []string{rows, e.Ints(0), e.Ints(-1), e.Ints(0)}, nil)
	rows = e.Node("Unsqueeze", []string{rows, e.Ints(1)}, nil)
	vals := e.Node("Unsqueeze", []string{in[2], e.Ints(1)}, nil)
	parts := e.Node("Mul", []string{e.Node("Gather", []string{in[3], col}, map[string]any{"axis": int64(0)}), vals}, nil)
	nrows := e.Node("Sub", []string{e.Node("Shape", []string{ptr}, nil), e.Ints(1)}, nil)
	feats := e.Node("Shape", []string{in[3]}, map[string]any{"start": int64(1)})
	out := e.Node("Expand", []string{e.Scalar(0, dt), e.Node("Concat", []string{nrows, feats}, map[string]any{"axis": int64(0)})}, nil)
	return e.Node("ScatterND", []string{out, rows, parts}, map[string]any{"reduction": "add"}), nil
}

// convExport writes conv1d, conv2d or conv3d as Conv with explicit pads.
func convExport(nsp int) ExportFunc {
	return func(e Exporter, n *Node, in []string) (string, error) {
		p, err := resolveConv(n.Op.Name, nsp, n.Attrs)
		if err != nil {
			return "", exportErr(n, "%v", err)
		}
		keff := make(Shape, nsp)
		for i := range keff {
			k, ok := n.In[1].Type.Shape[2+i].IsConst()
			if !ok {
				return "", exportErr(n, "the kernel's size %v must be known", n.In[1].Type.Shape)
			}
			keff[i] = DimConst(int64(p.dil[i])*(k-1) + 1)
		}
		lo, hi, err := p.pads.widths(n.Op.Name, n.In[0].Type.Shape[2:], keff, p.stride)
		if err != nil {
			return "", exportErr(n, "%v", err)
		}
		return e.Node("Conv", in, map[string]any{
			"strides": ints64(p.stride), "dilations": ints64(p.dil), "group": int64(p.groups),
			"pads": append(ints64(lo), ints64(hi)...),
		}), nil
	}
}

// poolExport writes max_pool2d, avg_pool2d, max_pool3d or avg_pool3d.
func poolExport(opType string) ExportFunc {
	return func(e Exporter, n *Node, in []string) (string, error) {
		p, err := resolvePool(n.Op.Name, n.Attrs)
		if err != nil {
			return "", exportErr(n, "%v", err)
		}
		x := n.In[0].Type
		lo, hi, _, err := poolGeom(n.Op.Name, x.Shape[2:], p, "x", x)
		if err != nil {
			return "", exportErr(n, "%v", err)
		}
		attrs := map[string]any{
			"kernel_shape": ints64(p.k), "strides": ints64(p.stride),
			"pads": append(ints64(lo), ints64(hi)...), "ceil_mode": boolInt(p.ceil),
		}
		if opType == "MaxPool" {
			attrs["dilations"] = ints64(p.dil)
		} else {
			attrs["count_include_pad"] = boolInt(p.includePad)
			for _, d := range p.dil {
				if d != 1 {
					// AveragePool has dilations from opset 19; export writes 17.
					return "", exportErr(n, "average pooling with dilations %v has no ONNX form at opset 17", p.dil)
				}
			}
		}
		return e.Node(opType, in, attrs), nil
	}
}

// boolInt is ONNX's int form of a flag.
func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// attentionExport writes softmax(q kᵀ · scale + bias) v with ONNX's
// MatMul and Softmax; a mask keeps the scores where it is true (non-zero).
func attentionExport(e Exporter, n *Node, in []string) (string, error) {
	q := n.In[0].Type
	dt := q.DType
	r := q.Shape.Rank()
	perm := make([]int64, r)
	for i := range perm {
		perm[i] = int64(i)
	}
	perm[r-2], perm[r-1] = perm[r-1], perm[r-2]
	kt := e.Node("Transpose", []string{in[1]}, map[string]any{"perm": perm})
	scale := n.Attrs.Float("scale", 0)
	if _, ok := n.Attrs["scale"]; !ok {
		d, known := q.Shape[r-1].IsConst()
		if !known {
			return "", exportErr(n, "the feature size of %v must be known", q)
		}
		scale = 1 / math.Sqrt(float64(d))
	}
	s := e.Node("Mul", []string{e.Node("MatMul", []string{in[0], kt}, nil), e.Scalar(scale, dt)}, nil)
	if len(in) == 4 {
		m := in[3]
		if n.In[3].Type.DType != Bool {
			m = e.Node("Cast", []string{m}, map[string]any{"to": int64(9)})
		}
		s = e.Node("Where", []string{m, s, e.Scalar(math.Inf(-1), dt)}, nil)
	}
	p := e.Node("Softmax", []string{s}, map[string]any{"axis": int64(-1)})
	return e.Node("MatMul", []string{p, in[2]}, nil), nil
}
