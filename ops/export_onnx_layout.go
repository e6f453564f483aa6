package ops

// ONNX forms of layout, reduction and creation ops (opset 17).

func declareLayoutExports() {
	setExport(Matmul, matmulExport)
	// Ops that only re-shape take their result's shape: -1 for its one
	// symbolic dimension, else the dimensions read when the model runs.
	for _, h := range []**Op{&Reshape, &Squeeze, &Unsqueeze} {
		setExport(*h, func(e Exporter, n *Node, in []string) (string, error) {
			if dims, ok := oneUnknown(n.Type.Shape); ok {
				return e.Node("Reshape", []string{in[0], e.Ints(dims...)}, nil), nil
			}
			s, err := e.Shape(n.Type.Shape)
			if err != nil {
				return "", exportErr(n, "%v", err)
			}
			return e.Node("Reshape", []string{in[0], s}, nil), nil
		})
	}
	setExport(BroadcastTo, func(e Exporter, n *Node, in []string) (string, error) {
		s, err := e.Shape(n.Type.Shape)
		if err != nil {
			return "", exportErr(n, "%v", err)
		}
		return e.Node("Expand", []string{in[0], s}, nil), nil
	})
	setExport(Transpose, func(e Exporter, n *Node, in []string) (string, error) {
		perm, err := resolvePerm(n.In[0].Type, n.Attrs)
		if err != nil {
			return "", exportErr(n, "%v", err)
		}
		return e.Node("Transpose", in, map[string]any{"perm": ints64(perm)}), nil
	})
	setExport(Slice, sliceExport)
	setExport(Concat, func(e Exporter, n *Node, in []string) (string, error) {
		ax, err := NormAxis(n.Attrs.Int("axis", 0), n.Type.Shape.Rank())
		if err != nil {
			return "", exportErr(n, "%v", err)
		}
		return e.Node("Concat", in, map[string]any{"axis": int64(ax)}), nil
	})
	setExport(Stack, func(e Exporter, n *Node, in []string) (string, error) {
		ax, err := NormAxis(n.Attrs.Int("axis", 0), n.Type.Shape.Rank())
		if err != nil {
			return "", exportErr(n, "%v", err)
		}
		parts := make([]string, len(in))
		for i, x := range in {
			parts[i] = e.Node("Unsqueeze", []string{x, e.Ints(int64(ax))}, nil)
		}
		return e.Node("Concat", parts, map[string]any{"axis": int64(ax)}), nil
	})
	setExport(Const, func(e Exporter, n *Node, in []string) (string, error) {
		return e.Scalar(n.Attrs.Float("value", 0), n.Type.DType), nil
	})
	setExport(Full, func(e Exporter, n *Node, in []string) (string, error) {
		s, err := e.Shape(n.Type.Shape)
		if err != nil {
			return "", exportErr(n, "%v", err)
		}
		return e.Node("Expand", []string{e.Scalar(n.Attrs.Float("value", 0), n.Type.DType), s}, nil), nil
	})
	setExport(Arange, arangeExport)
	for h, t := range map[**Op]string{&Sum: "ReduceSum", &Mean: "ReduceMean", &Max: "ReduceMax", &Min: "ReduceMin", &Prod: "ReduceProd", &Logsumexp: "ReduceLogSumExp"} {
		setExport(*h, reduceExport(t))
	}
	for h, t := range map[**Op]string{&Softmax: "Softmax", &LogSoftmax: "LogSoftmax"} {
		setExport(*h, func(e Exporter, n *Node, in []string) (string, error) {
			ax, err := NormAxis(n.Attrs.Int("axis", -1), n.Type.Shape.Rank())
			if err != nil {
				return "", exportErr(n, "%v", err)
			}
			return e.Node(t, in, map[string]any{"axis": int64(ax)}), nil
		})
	}
	for h, t := range map[**Op]string{&Argmax: "ArgMax", &Argmin: "ArgMin"} {
		setExport(*h, argExport(t))
	}
	setExport(Take, func(e Exporter, n *Node, in []string) (string, error) {
		ax, all, err := takeAxis("take", n.In[0].Type, n.Attrs, n.In[0].Type.Shape.Rank())
		if err != nil {
			return "", exportErr(n, "%v", err)
		}
		x := in[0]
		if all {
			x = e.Node("Reshape", []string{x, e.Ints(-1)}, nil)
		}
		return e.Node("Gather", []string{x, in[1]}, map[string]any{"axis": int64(ax)}), nil
	})
	setExport(Embedding, func(e Exporter, n *Node, in []string) (string, error) {
		return e.Node("Gather", []string{in[1], in[0]}, map[string]any{"axis": int64(0)}), nil
	})
	setExport(Pad, padExport)
}

// oneUnknown is s with -1 for its one symbolic dimension; ok is false
// when s has none or several.
func oneUnknown(s Shape) ([]int64, bool) {
	dims := make([]int64, len(s))
	unknown := 0
	for i, d := range s {
		c, ok := d.IsConst()
		if !ok {
			c = -1
			unknown++
		}
		dims[i] = c
	}
	return dims, unknown == 1
}

// matmulExport writes x @ w, transposing the last two axes of an operand
// whose flag asks for it.
func matmulExport(e Exporter, n *Node, in []string) (string, error) {
	tx, tw := matmulFlags(n.Attrs)
	swap := func(x string, r int) string {
		perm := make([]int64, r)
		for i := range perm {
			perm[i] = int64(i)
		}
		perm[r-2], perm[r-1] = perm[r-1], perm[r-2]
		return e.Node("Transpose", []string{x}, map[string]any{"perm": perm})
	}
	x, w := in[0], in[1]
	if tx {
		x = swap(x, n.In[0].Type.Shape.Rank())
	}
	if tw {
		w = swap(w, n.In[1].Type.Shape.Rank())
	}
	return e.Node("MatMul", []string{x, w}, nil), nil
}

// sliceExport writes a slice as ONNX's Slice over every axis.
func sliceExport(e Exporter, n *Node, in []string) (string, error) {
	ax, err := resolveSlice("slice", n.In[0].Type, n.Attrs)
	if err != nil {
		return "", exportErr(n, "%v", err)
	}
	var starts, ends Shape
	var axes, steps []int64
	for i, a := range ax {
		end := a.start.Add(a.count.Mul(DimConst(int64(a.step))))
		if c, ok := end.IsConst(); ok && c < 0 {
			end = DimConst(-1 << 62) // before the first element: ONNX would count a negative end from the back
		}
		starts, ends = append(starts, a.start), append(ends, end)
		axes, steps = append(axes, int64(i)), append(steps, int64(a.step))
	}
	s, err := e.Shape(starts)
	if err != nil {
		return "", exportErr(n, "%v", err)
	}
	t, err := e.Shape(ends)
	if err != nil {
		return "", exportErr(n, "%v", err)
	}
	return e.Node("Slice", []string{in[0], s, t, e.Ints(axes...), e.Ints(steps...)}, nil), nil
}

// reduceExport writes a reduction (ReduceSum takes its axes as an operand
// from opset 13, the others as an attribute until opset 18).
func reduceExport(opType string) ExportFunc {
	return func(e Exporter, n *Node, in []string) (string, error) {
		red, err := resolveReduction(n.Op.Name, n.In[0].Type, n.Attrs)
		if err != nil {
			return "", exportErr(n, "%v", err)
		}
		keep := int64(0)
		if n.Attrs.Bool("keepdims", false) {
			keep = 1
		}
		if len(red.axes) == 0 {
			return e.Node("Identity", in, nil), nil
		}
		if opType == "ReduceSum" {
			return e.Node(opType, []string{in[0], e.Ints(ints64(red.axes)...)}, map[string]any{"keepdims": keep}), nil
		}
		return e.Node(opType, in, map[string]any{"axes": ints64(red.axes), "keepdims": keep}), nil
	}
}

// argExport writes argmax or argmin (ONNX gives int64; cast to the op's dtype).
func argExport(opType string) ExportFunc {
	return func(e Exporter, n *Node, in []string) (string, error) {
		r := n.In[0].Type.Shape.Rank()
		x := in[0]
		ax := 0
		if _, ok := n.Attrs["axis"]; ok {
			var err error
			if ax, err = NormAxis(n.Attrs.Int("axis", 0), r); err != nil {
				return "", exportErr(n, "%v", err)
			}
		} else {
			x = e.Node("Reshape", []string{x, e.Ints(-1)}, nil)
		}
		keep := int64(0)
		if n.Attrs.Bool("keepdims", false) {
			keep = 1
		}
		y := e.Node(opType, []string{x}, map[string]any{"axis": int64(ax), "keepdims": keep})
		to, err := e.DType(n.Type.DType)
		if err != nil {
			return "", exportErr(n, "%v", err)
		}
		return e.Node("Cast", []string{y}, map[string]any{"to": to}), nil
	}
}

// arangeExport writes arange as Range over the result's dtype.
func arangeExport(e Exporter, n *Node, in []string) (string, error) {
	start, step, length, err := arangeParams(n.Attrs)
	if err != nil {
		return "", exportErr(n, "%v", err)
	}
	dt := n.Type.DType
	count, err := e.Shape(Shape{length})
	if err != nil {
		return "", exportErr(n, "%v", err)
	}
	// start + step * [0, 1, ..., length): Range over int64 0..length, then scaled.
	to, err := e.DType(dt)
	if err != nil {
		return "", exportErr(n, "%v", err)
	}
	limit := e.Node("Squeeze", []string{count, e.Ints(0)}, nil)
	idx := e.Node("Range", []string{e.Scalar(0, I64), limit, e.Scalar(1, I64)}, nil)
	idx = e.Node("Cast", []string{idx}, map[string]any{"to": to})
	if step != 1 {
		idx = e.Node("Mul", []string{idx, e.Scalar(step, dt)}, nil)
	}
	if start != 0 {
		idx = e.Node("Add", []string{idx, e.Scalar(start, dt)}, nil)
	}
	return idx, nil
}

// padExport writes pad with ONNX's order of widths: every axis's start,
// then every axis's end.
func padExport(e Exporter, n *Node, in []string) (string, error) {
	lo, hi, err := padWidths(n.In[0].Type, n.Attrs)
	if err != nil {
		return "", exportErr(n, "%v", err)
	}
	mode, err := padMode(n.Attrs)
	if err != nil {
		return "", exportErr(n, "%v", err)
	}
	pads := append(ints64(lo), ints64(hi)...)
	operands := []string{in[0], e.Ints(pads...)}
	if mode == "constant" {
		operands = append(operands, e.Scalar(n.Attrs.Float("value", 0), n.Type.DType))
	}
	return e.Node("Pad", operands, map[string]any{"mode": mode}), nil
}
