package nnc

import (
	"context"
	"fmt"

	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

// RunBatches is RunContext over the inputs cut into batches of at most
// batch rows, so that a large input (10,000 images) does not need the
// memory of one run over all of it. The batch axis is the leading shape
// variable of the entry's first input that has one (B of x: f32[B, 784]);
// every input whose leading dimension is that variable is cut, the others
// are given whole to every batch. Every result must have the batch axis
// first (f32[B, 10]): the results of the batches are joined in order, and
// are what one run over all the rows gives (the rows are independent). A
// result without it (a mean over the batch) is an error: run such an
// entry whole. With no batch axis, or at most batch rows, it is one
// RunContext. batch must be positive.
func (f *Func) RunBatches(ctx context.Context, inputs map[string]*Tensor, batch int) (out []*Tensor, err error) {
	defer recoverInternal(&err)
	if batch < 1 {
		return nil, fmt.Errorf("nnc: RunBatches: the batch size is %d: want a positive number of rows", batch)
	}
	if err := f.checkCall(ctx, inputs); err != nil {
		return nil, err
	}
	ins, results, err := f.prog.signatureResults(f.entry)
	if err != nil {
		return nil, err
	}
	axis, cut := batchAxis(ins)
	n := -1
	for name := range cut {
		if t, ok := inputs[name]; ok && len(t.Shape) > 0 {
			if n >= 0 && t.Shape[0] != n {
				return f.RunContext(ctx, inputs) // the run names the mismatch
			}
			n = t.Shape[0]
		}
	}
	if axis == "" || n <= batch {
		return f.RunContext(ctx, inputs)
	}
	for i, r := range results {
		if len(r.Shape) == 0 || r.Shape[0] != ops.DimVar(axis) {
			return nil, fmt.Errorf("%s: result %d is %v, not batched along %s (the batch axis of the inputs): run it without a batch size", f.entry, i, r, axis)
		}
	}
	for start := 0; start < n; start += batch {
		end := min(start+batch, n)
		part := make(map[string]*Tensor, len(inputs))
		for name, t := range inputs {
			if cut[name] {
				t = rowRange(t, start, end)
			}
			part[name] = t
		}
		res, err := f.RunContext(ctx, part)
		if err != nil {
			return nil, fmt.Errorf("rows %d to %d of %d: %w", start, end, n, err)
		}
		if out == nil {
			out = make([]*Tensor, len(res))
			for i, r := range res {
				out[i] = tensor.New(r.DType, append([]int{n}, r.Shape[1:]...)...)
			}
		}
		for i, r := range res {
			if len(r.Shape) == 0 || r.Shape[0] != end-start || r.Len() != (end-start)*tensor.NumElems(out[i].Shape[1:]) {
				return nil, fmt.Errorf("%s: result %d of rows %d to %d has shape %v, not [%d, %v]", f.entry, i, start, end, r.Shape, end-start, out[i].Shape[1:])
			}
			rowRange(out[i], start, end).CopyFrom(r)
		}
	}
	return out, nil
}

// signatureResults returns an entry's inputs and result types, symbolic,
// under the program's lock.
func (p *Program) signatureResults(entry string) ([]lang.Arg, []ops.Type, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mod.Signature(entry)
}

// batchAxis finds the batch variable of an entry (the leading shape
// variable of its first input that has one) and the inputs it leads.
func batchAxis(ins []lang.Arg) (string, map[string]bool) {
	axis := ""
	cut := map[string]bool{}
	for _, a := range ins {
		if len(a.Type.Shape) == 0 {
			continue
		}
		d := a.Type.Shape[0]
		vs := d.Vars()
		if len(vs) != 1 || d != ops.DimVar(vs[0]) {
			continue
		}
		if axis == "" {
			axis = vs[0]
		}
		if vs[0] == axis {
			cut[a.Name] = true
		}
	}
	return axis, cut
}

// rowRange is rows [a, b) of t, sharing its elements.
func rowRange(t *Tensor, a, b int) *Tensor {
	r := tensor.NumElems(t.Shape[1:])
	out := &Tensor{DType: t.DType, Shape: append([]int{b - a}, t.Shape[1:]...)}
	switch t.DType {
	case tensor.F32:
		out.F32 = t.F32[a*r : b*r]
	case tensor.F64:
		out.F64 = t.F64[a*r : b*r]
	case tensor.I32:
		out.I32 = t.I32[a*r : b*r]
	case tensor.I64:
		out.I64 = t.I64[a*r : b*r]
	case tensor.Bool:
		out.Bool = t.Bool[a*r : b*r]
	}
	return out
}
