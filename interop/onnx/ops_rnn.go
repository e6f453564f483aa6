package onnx

import (
	"fmt"
	"strings"

	"github.com/nnclang/nnc/tensor"
)

// rnnSpec says how an ONNX recurrent node maps to a std/nn layer.
type rnnSpec struct {
	op, layer, prefix string
	gates             int
	order             []int    // nn's gate j is ONNX's gate order[j]
	states            []string // the optional inputs after B: sequence_lens, initial states, ...
	outputs           int      // the outputs that import (Y, Y_h)
}

// lstmSpec: ONNX stacks the gates i, o, f, c in W [1, 4H, in], R [1, 4H,
// H] and B [1, 8H]; nn.LSTM stacks i, f, g, o along the columns of W_ih
// [in, 4H] and W_hh [H, 4H].
var lstmSpec = rnnSpec{op: "LSTM", layer: "nn.LSTM", prefix: "lstm", gates: 4, order: []int{0, 2, 3, 1},
	states: []string{"sequence_lens", "initial_h", "initial_c", "P (peepholes)"}, outputs: 2}

// gruSpec: ONNX stacks z, r, h; nn.GRU r, z, n. nn.GRU is PyTorch's GRU,
// ONNX's linear_before_reset = 1 (what PyTorch exports).
var gruSpec = rnnSpec{op: "GRU", layer: "nn.GRU", prefix: "gru", gates: 3, order: []int{1, 0, 2},
	states: []string{"sequence_lens", "initial_h"}, outputs: 2}

// opLSTM is a one-direction LSTM with constant weights, no peepholes and
// zero initial states: an nn.LSTM layer; other LSTMs are written out with
// built-ins.
func opLSTM(t *translator, n *Node) error {
	if attrInt(n, "input_forget", 0) != 0 {
		return fmt.Errorf("input_forget is not supported")
	}
	if rnnChecks(t, n, lstmSpec) != nil {
		return opRNNCell(t, n) // written out with built-ins (ops_cell.go)
	}
	return opRNN(t, n, lstmSpec)
}

// opGRU is a one-direction GRU with constant weights, zero initial state
// and linear_before_reset = 1: an nn.GRU layer; other GRUs are written out
// with built-ins.
func opGRU(t *translator, n *Node) error {
	if attrInt(n, "linear_before_reset", 0) != 1 || rnnChecks(t, n, gruSpec) != nil {
		// ONNX's default cell (the reset gate applied before the recurrent
		// product) is not nn.GRU's: written out with built-ins (ops_cell.go).
		return opRNNCell(t, n)
	}
	return opRNN(t, n, gruSpec)
}

// rnnChecks refuses what the std/nn layer does not do: other activations,
// clipping, directions, sequence lengths, non-zero initial states,
// peepholes and outputs beyond Y and Y_h.
func rnnChecks(t *translator, n *Node, sp rnnSpec) error {
	for _, a := range []string{"activations", "clip", "activation_alpha", "activation_beta"} {
		if n.Attr(a) != nil {
			return fmt.Errorf("attribute %s is not supported", a)
		}
	}
	if d := attrString(n, "direction", "forward"); d != "forward" {
		return fmt.Errorf("direction %q: only forward %ss import", d, sp.op)
	}
	for i, what := range sp.states {
		in := input(n, i+4)
		if in == "" {
			continue
		}
		// Zero initial states (what PyTorch exports) are the layer's.
		if v := t.vals[in]; strings.HasPrefix(what, "initial_") && v != nil && v.konst != nil && allZero(v.konst) {
			continue
		}
		return fmt.Errorf("input %s is not supported", what)
	}
	for i := sp.outputs; i < len(n.Outputs); i++ {
		if n.Outputs[i] != "" && t.uses[n.Outputs[i]] > 0 {
			return fmt.Errorf("output %d (%s) is not supported", i, n.Outputs[i])
		}
	}
	return nil
}

// rnnWeights returns the constant W, R and B (nil when absent).
func rnnWeights(t *translator, n *Node) ([3]*tensor.Tensor, error) {
	var ws [3]*tensor.Tensor
	var werr error
	for i, what := range []string{"W", "R", "B"} {
		in := input(n, i+1)
		if in == "" {
			continue
		}
		v, err := t.get(in)
		if err != nil {
			return ws, err
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
	return ws, werr
}

// opRNN translates a one-direction recurrent node into its std/nn layer.
func opRNN(t *translator, n *Node, sp rnnSpec) error {
	x, err := t.get(input(n, 0))
	if err != nil {
		return err
	}
	if err := rnnChecks(t, n, sp); err != nil {
		return err
	}
	ws, err := rnnWeights(t, n)
	if err != nil {
		return err
	}
	h := int(attrInt(n, "hidden_size", 0))
	layout := attrInt(n, "layout", 0)
	if len(x.shape) != 3 || ws[0] == nil || ws[1] == nil || h < 1 {
		return fmt.Errorf("an %s needs X of rank 3, W, R and hidden_size", sp.op)
	}
	T, B, nin := x.shape[0], x.shape[1], x.shape[2]
	if layout == 1 {
		T, B = B, T
	}
	g := sp.gates
	if fmt.Sprint(ws[0].Shape) != fmt.Sprint([]int{1, g * h, nin}) || fmt.Sprint(ws[1].Shape) != fmt.Sprint([]int{1, g * h, h}) ||
		ws[2] != nil && fmt.Sprint(ws[2].Shape) != fmt.Sprint([]int{1, 2 * g * h}) {
		return fmt.Errorf("weights %v, %v for hidden size %d and %d inputs", ws[0].Shape, ws[1].Shape, h, nin)
	}
	if err := concrete(x.shape); err != nil {
		return err
	}
	name := t.layerName(n, sp.prefix)
	t.decls = append(t.decls, fmt.Sprintf("%s = %s(%d, %d)", name, sp.layer, nin, h))
	t.params[name+".W_ih"] = gatesColumns(ws[0], 0, g*h, nin, sp.order)
	t.params[name+".W_hh"] = gatesColumns(ws[1], 0, g*h, h, sp.order)
	bih, bhh := tensor.New(tensor.F32, g*h), tensor.New(tensor.F32, g*h)
	if ws[2] != nil {
		bih = gatesColumns(ws[2], 0, g*h, 1, sp.order)
		bhh = gatesColumns(ws[2], g*h, g*h, 1, sp.order)
		bih.Shape, bhh.Shape = []int{g * h}, []int{g * h}
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
// direction, rows stacked by ONNX's gate order, each row of width cols,
// and returns them as columns in the std/nn layer's gate order (its gate
// j is ONNX's gate order[j]): a [cols, rows] matrix.
func gatesColumns(w *tensor.Tensor, off, rows, cols int, order []int) *tensor.Tensor {
	h := rows / len(order)
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
