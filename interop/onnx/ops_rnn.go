package onnx

import (
	"fmt"

	"github.com/nnclang/nnc/tensor"
)

// opLSTM is a one-direction LSTM with constant weights, no peepholes and
// zero initial states: an nn.LSTM layer. ONNX stacks the gates i, o, f, c
// in W [1, 4H, in], R [1, 4H, H] and B [1, 8H]; nn.LSTM stacks i, f, g, o
// along the columns of W_ih [in, 4H] and W_hh [H, 4H].
func opLSTM(t *translator, n *Node) error {
	x, err := t.get(input(n, 0))
	if err != nil {
		return err
	}
	for _, a := range []string{"activations", "clip", "activation_alpha", "activation_beta"} {
		if n.Attr(a) != nil {
			return fmt.Errorf("attribute %s is not supported", a)
		}
	}
	if d := attrString(n, "direction", "forward"); d != "forward" || attrInt(n, "input_forget", 0) != 0 {
		return fmt.Errorf("direction %q or input_forget: only forward LSTMs import", d)
	}
	for i, what := range []string{"sequence_lens", "initial_h", "initial_c", "P (peepholes)"} {
		in := input(n, i+4)
		if in == "" {
			continue
		}
		// Zero initial states (what PyTorch exports) are nn.LSTM's.
		if v := t.vals[in]; (i == 1 || i == 2) && v != nil && v.konst != nil && allZero(v.konst) {
			continue
		}
		return fmt.Errorf("input %s is not supported", what)
	}
	if len(n.Outputs) > 2 && n.Outputs[2] != "" && t.uses[n.Outputs[2]] > 0 {
		return fmt.Errorf("the Y_c output is not supported")
	}
	var ws [3]*tensor.Tensor
	var werr error
	for i, what := range []string{"W", "R", "B"} {
		in := input(n, i+1)
		if in == "" {
			continue
		}
		v, err := t.get(in)
		if err != nil {
			return err
		}
		if v.konst == nil {
			// Note every one, so that one error names them all.
			if e := t.notConstant(in, what); werr == nil {
				werr = e
			}
			continue
		}
		ws[i] = v.konst
	}
	if werr != nil {
		return werr
	}
	h := int(attrInt(n, "hidden_size", 0))
	layout := attrInt(n, "layout", 0)
	if len(x.shape) != 3 || ws[0] == nil || ws[1] == nil || h < 1 {
		return fmt.Errorf("an LSTM needs X of rank 3, W, R and hidden_size")
	}
	T, B, nin := x.shape[0], x.shape[1], x.shape[2]
	if layout == 1 {
		T, B = B, T
	}
	if fmt.Sprint(ws[0].Shape) != fmt.Sprint([]int{1, 4 * h, nin}) || fmt.Sprint(ws[1].Shape) != fmt.Sprint([]int{1, 4 * h, h}) ||
		ws[2] != nil && fmt.Sprint(ws[2].Shape) != fmt.Sprint([]int{1, 8 * h}) {
		return fmt.Errorf("weights %v, %v for hidden size %d and %d inputs", ws[0].Shape, ws[1].Shape, h, nin)
	}
	if err := concrete(x.shape); err != nil {
		return err
	}
	name := t.layerName(n, "lstm")
	t.decls = append(t.decls, fmt.Sprintf("%s = nn.LSTM(%d, %d)", name, nin, h))
	t.params[name+".W_ih"] = gatesColumns(ws[0], 0, 4*h, nin)
	t.params[name+".W_hh"] = gatesColumns(ws[1], 0, 4*h, h)
	bih, bhh := tensor.New(tensor.F32, 4*h), tensor.New(tensor.F32, 4*h)
	if ws[2] != nil {
		bih = gatesColumns(ws[2], 0, 4*h, 1)
		bhh = gatesColumns(ws[2], 4*h, 4*h, 1)
		bih.Shape, bhh.Shape = []int{4 * h}, []int{4 * h}
	}
	t.params[name+".b_ih"], t.params[name+".b_hh"] = bih, bhh
	id, err := t.operand(input(n, 0))
	if err != nil {
		return err
	}
	if layout == 0 {
		id = "transpose(" + id + ", [1, 0, 2])"
	}
	hs := t.ident(n.Outputs[0] + "_hs")
	t.comment()
	t.body = append(t.body, fmt.Sprintf("%s = %s(%s)", hs, name, id))
	if o := n.Outputs[0]; o != "" && t.uses[o] > 0 {
		if layout == 0 {
			t.emit(o, fmt.Sprintf("unsqueeze(transpose(%s, [1, 0, 2]), axis = 1)", hs), x.dt, []int{T, 1, B, h})
		} else {
			t.emit(o, fmt.Sprintf("unsqueeze(%s, axis = 2)", hs), x.dt, []int{B, T, 1, h})
		}
	}
	if len(n.Outputs) > 1 && n.Outputs[1] != "" && t.uses[n.Outputs[1]] > 0 {
		if layout == 0 {
			t.emit(n.Outputs[1], fmt.Sprintf("unsqueeze(%s[:, %d], axis = 0)", hs, T-1), x.dt, []int{1, B, h})
		} else {
			t.emit(n.Outputs[1], fmt.Sprintf("unsqueeze(%s[:, %d], axis = 1)", hs, T-1), x.dt, []int{B, 1, h})
		}
	}
	return nil
}

// gatesColumns reads rows [off, off+rows) of w's first (and only)
// direction, rows stacked by ONNX's gates i, o, f, c, each row of width
// cols, and returns them as columns in nn.LSTM's order i, f, c (g), o:
// a [cols, rows] matrix.
func gatesColumns(w *tensor.Tensor, off, rows, cols int) *tensor.Tensor {
	h := rows / 4
	order := []int{0, 2, 3, 1} // nn's gate j is ONNX's gate order[j]
	out := tensor.New(tensor.F32, cols, rows)
	for j, g := range order {
		for r := 0; r < h; r++ {
			src := off + g*h + r
			for c := 0; c < cols; c++ {
				out.F32[c*rows+j*h+r] = float32(w.At(src*cols + c))
			}
		}
	}
	return out
}

// allZero reports whether every element of k is zero.
func allZero(k *tensor.Tensor) bool {
	for i := 0; i < k.Len(); i++ {
		if k.At(i) != 0 {
			return false
		}
	}
	return true
}
