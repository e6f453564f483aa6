package ops

import (
	"fmt"
	"strings"

	"github.com/nnclang/nnc/kernels"
	"github.com/nnclang/nnc/tensor"
)

// fused_sgd and fused_adam are optimizer updates run as one kernel per
// parameter, made by the optimizer's "update" pass from the graphs
// train.SGD (with momentum) and train.Adam build. Their result is the new
// parameter; besides it they write the new optimizer state (the momentum
// buffer, Adam's moments) into their state operands, which the pass makes
// the states themselves, updated in place (an update whose value is its
// target); SGDWrites and AdamWrites list those operands. Only the pass may
// build them: it checks that the node is the only reader of those states.
//
//	fused_sgd(p, g, buf [, lr] [, mask] [, gradient operands...])
//	fused_adam(p, g, m, v, step size, √(1-β2^t) [, decay] [, mask] [, gradient operands...])
//
// p and the states have one float type; Adam's step size and bias
// correction are scalars of its element type (computed each step from the
// step counter). The constant coefficients are attributes, rounded to the
// element type as the unfused graph's constants are: "lr", "momentum" and
// "nesterov" (fused_sgd); "beta1", "one_minus_beta1", "beta2",
// "one_minus_beta2" and "eps" (fused_adam); "decay", "l2" for weight decay
// added to the gradient (g + weight_decay·p) or, for fused_adam,
// "decoupled" for AdamW's scaling of the parameter by weight_decay first,
// with its factor "weight_decay"; and "grad", a fused_elementwise program
// (see fused_elementwise) computing the gradient tile by tile from g (its
// x0) and the trailing gradient operands (x1, x2...), all broadcasting to
// p's shape. Without "grad", g is the gradient, of p's type.
//
// A coefficient that changes from step to step (a scheduled learning rate,
// read from a state) is an operand instead, a scalar of p's element type:
// with "lr_operand" set, fused_sgd's rate is the operand after buf; with
// "decay_operand" set (and decay "decoupled"), fused_adam's factor of the
// parameter is the operand after the bias correction. With "masked" set,
// the operand after those, of p's type, multiplies the new parameter (a
// pruned parameter's mask: train's prune), so that dst = (p - step)·mask.

// SGDWrites and AdamWrites are the state operands fused_sgd and fused_adam
// write besides their result.
var (
	SGDWrites  = []int{2}
	AdamWrites = []int{2, 3}
)

// updateLayout is the layout of a fused update's operands: after its base
// operands, the operand coefficient when the attribute scalar is set, the
// mask when "masked" is (at maskAt; -1: none), then from nFixed the
// gradient program's operands.
func updateLayout(base int, scalar string, a Attrs) (nFixed, maskAt int) {
	nFixed, maskAt = base, -1
	if b, _ := a[scalar].(bool); b {
		nFixed++
	}
	if b, _ := a["masked"].(bool); b {
		maskAt = nFixed
		nFixed++
	}
	return nFixed, maskAt
}

// updateInfer checks the operands of a fused update: p and the nState
// states after g (of p's type), then scalars up to the layout's mask or
// gradient operands (see updateLayout), the mask of p's type, then the
// gradient program's operands.
func updateInfer(name string, nState, nBase int, scalar string, decays ...string) func([]Type, Attrs) (Type, error) {
	return func(in []Type, a Attrs) (Type, error) {
		if d := a.Str("decay", ""); d != "" && !contains(decays, d) {
			return Type{}, &InferError{name, fmt.Sprintf("decay must be one of %s, got %q", strings.Join(decays, ", "), d)}
		}
		for _, k := range []string{scalar, "masked"} {
			if _, ok := a[k].(bool); a[k] != nil && !ok {
				return Type{}, &InferError{name, fmt.Sprintf("attribute %s must be a bool, got %v", k, a[k])}
			}
		}
		if scalar == "decay_operand" && a.Bool(scalar, false) && a.Str("decay", "") != "decoupled" {
			return Type{}, &InferError{name, "decay_operand needs decay \"decoupled\""}
		}
		nFixed, maskAt := updateLayout(nBase, scalar, a)
		prog := a.Str("grad", "")
		if len(in) < nFixed || prog == "" && len(in) != nFixed {
			return Type{}, &InferError{name, fmt.Sprintf("takes %d operands and the gradient program's, got %d", nFixed, len(in))}
		}
		p := in[0]
		if !p.DType.IsFloat() {
			return Type{}, &InferError{name, fmt.Sprintf("needs a float parameter, {0} is %v", p)}
		}
		for i, t := range in {
			grad := i == 1 || i >= nFixed
			switch {
			case grad && prog != "":
				got, err := BroadcastShapes(t.Shape, p.Shape)
				if t.DType != p.DType || err != nil || !got.Equal(p.Shape) {
					return Type{}, &InferError{name, fmt.Sprintf("gradient operand {%d} of type %v does not broadcast to %v", i, t, p)}
				}
			case i < 2+nState || i == maskAt:
				if !t.Equal(p) {
					return Type{}, &InferError{name, fmt.Sprintf("operand {%d} is %v, the parameter is %v", i, t, p)}
				}
			case t.DType != p.DType || t.Shape.Rank() != 0:
				return Type{}, &InferError{name, fmt.Sprintf("operand {%d} is %v, want a %v scalar", i, t, p.DType)}
			}
		}
		if prog != "" {
			if _, _, err := ParseFused(prog, len(in)-nFixed+1); err != nil {
				return Type{}, &InferError{name, "gradient program: " + err.Error()}
			}
		}
		return p, nil
	}
}

// scalarAt is element 0 of a scalar operand.
func scalarAt(x *tensor.Tensor) float64 {
	if x.DType == tensor.F32 {
		return float64(x.F32[0])
	}
	return x.F64[0]
}

// gradTiles gives an update its gradient in tiles: with a "grad" program,
// tiles of FusedTile elements computed from g0 and the operands from
// nFixed; without one, g0 itself as one tile.
type gradTiles[T kernels.Float] struct {
	f       *kernels.Fused[T]
	scratch []T
	n, tile int
	g0      []T
}

func newGradTiles[T kernels.Float](n *Node, in [][]int, out []int, nFixed int) (*gradTiles[T], error) {
	gt := &gradTiles[T]{n: tensor.NumElems(out)}
	gt.tile = max(gt.n, 1)
	prog := n.Attrs.Str("grad", "")
	if prog == "" {
		return gt, nil
	}
	shapes := append([][]int{in[1]}, in[nFixed:]...)
	instr, imms, err := ParseFused(prog, len(shapes))
	if err != nil {
		return nil, err
	}
	if gt.f, err = kernels.NewFused[T](instr, imms, out, shapes); err != nil {
		return nil, err
	}
	gt.tile = kernels.FusedTile
	gt.scratch = make([]T, gt.tile)
	return gt, nil
}

// bind stores the run's gradient operands.
func (gt *gradTiles[T]) bind(in []*tensor.Tensor, nFixed int, data func(*tensor.Tensor) []T) {
	gt.g0 = data(in[1])
	if gt.f == nil {
		return
	}
	gt.f.SetInput(0, gt.g0)
	for k, x := range in[nFixed:] {
		gt.f.SetInput(1+k, data(x))
	}
}

// at returns the gradient of the elements [o, o+tile) (fewer before end).
func (gt *gradTiles[T]) at(o, end int) []T {
	l := min(gt.tile, end-o)
	if gt.f == nil {
		return gt.g0[o : o+l]
	}
	g := gt.scratch[:l]
	gt.f.Range(g, o)
	return g
}

// maskOf is the mask operand of a fused update (nil when none).
func maskOf[T kernels.Float](in []*tensor.Tensor, maskAt int, data func(*tensor.Tensor) []T) []T {
	if maskAt < 0 {
		return nil
	}
	return data(in[maskAt])
}

// sgdKernel prepares fused_sgd for element type T.
func sgdKernel[T kernels.Float](n *Node, in [][]int, out []int, data func(*tensor.Tensor) []T) (KernelFunc, error) {
	nFixed, maskAt := updateLayout(3, "lr_operand", n.Attrs)
	gt, err := newGradTiles[T](n, in, out, nFixed)
	if err != nil {
		return nil, err
	}
	a := n.Attrs
	coef := kernels.SGDCoef[T]{LR: T(a.Float("lr", 0)), Momentum: T(a.Float("momentum", 0)),
		Decay: T(a.Float("weight_decay", 0)), L2: a.Str("decay", "") == "l2", Nesterov: a.Bool("nesterov", false)}
	lrAt := -1
	if a.Bool("lr_operand", false) {
		lrAt = 3
	}
	var c kernels.SGDCoef[T]
	var dst, p, buf, mask []T
	w, err := newUpdateWorkers(n, in, out, nFixed, gt, func(gt *gradTiles[T], ut *kernels.UpdateTiles[T], i, e int) {
		ut.SGD(dst[i:e], p[i:e], gt.at(i, e), buf[i:e], maskPart(mask, i, e), c)
	})
	if err != nil {
		return nil, err
	}
	return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
		c = coef
		if lrAt >= 0 {
			c.LR = T(scalarAt(in[lrAt]))
		}
		dst, p, buf = data(o), data(in[0]), data(in[2])
		mask = maskOf(in, maskAt, data)
		w.run(in, nFixed, data)
		dst, p, buf, mask = nil, nil, nil, nil
	}, nil
}

// adamKernel prepares fused_adam for element type T.
func adamKernel[T kernels.Float](n *Node, in [][]int, out []int, data func(*tensor.Tensor) []T) (KernelFunc, error) {
	nFixed, maskAt := updateLayout(6, "decay_operand", n.Attrs)
	gt, err := newGradTiles[T](n, in, out, nFixed)
	if err != nil {
		return nil, err
	}
	a := n.Attrs
	decay := a.Str("decay", "")
	coef := kernels.AdamCoef[T]{
		B1: T(a.Float("beta1", 0)), C1: T(a.Float("one_minus_beta1", 0)),
		B2: T(a.Float("beta2", 0)), C2: T(a.Float("one_minus_beta2", 0)),
		Eps: T(a.Float("eps", 0)), Decay: T(a.Float("weight_decay", 0)),
		L2: decay == "l2", Decoupled: decay == "decoupled",
	}
	decayAt := -1
	if a.Bool("decay_operand", false) {
		decayAt = 6
	}
	var c kernels.AdamCoef[T]
	var dst, p, m, v, mask []T
	w, err := newUpdateWorkers(n, in, out, nFixed, gt, func(gt *gradTiles[T], ut *kernels.UpdateTiles[T], i, e int) {
		ut.Adam(dst[i:e], p[i:e], gt.at(i, e), m[i:e], v[i:e], maskPart(mask, i, e), c)
	})
	if err != nil {
		return nil, err
	}
	return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
		c = coef
		c.StepSize, c.BC2Sqrt = T(scalarAt(in[4])), T(scalarAt(in[5]))
		if decayAt >= 0 {
			c.Decay = T(scalarAt(in[decayAt]))
		}
		dst, p, m, v = data(o), data(in[0]), data(in[2]), data(in[3])
		mask = maskOf(in, maskAt, data)
		w.run(in, nFixed, data)
		dst, p, m, v, mask = nil, nil, nil, nil, nil
	}, nil
}

// updateWorkers runs a fused update's tiles in parallel chunks
// (kernels.Chunks, chunks of whole FusedTiles, each goroutine with its own
// gradient program and temporaries), so that every tile is computed as in
// a serial run: bitwise the same results for any GOMAXPROCS.
type updateWorkers[T kernels.Float] struct {
	chunks *kernels.Chunks
	gts    []*gradTiles[T]
}

// updateWork is an update's cost per element for kernels.NewChunks: SGD
// about 1 ns, Adam about 2 (the MLP step's, one core).
func updateWork(n *Node) int {
	if n.Op == FusedAdam {
		return 2
	}
	return 1
}

// newUpdateWorkers prepares the chunks of n's update, gt being the first
// goroutine's gradient tiles; tile updates the elements [i, e).
func newUpdateWorkers[T kernels.Float](n *Node, in [][]int, out []int, nFixed int, gt *gradTiles[T],
	tile func(gt *gradTiles[T], ut *kernels.UpdateTiles[T], i, e int)) (*updateWorkers[T], error) {
	w := &updateWorkers[T]{gts: []*gradTiles[T]{gt}}
	var uts []*kernels.UpdateTiles[T]
	w.chunks = kernels.NewChunks(gt.n, kernels.FusedTile, updateWork(n), func(k, lo, hi int) {
		gt, ut := w.gts[k], uts[k]
		for i := lo; i < hi; i += gt.tile {
			tile(gt, ut, i, min(i+gt.tile, hi))
		}
	})
	for k := range w.chunks.Participants() {
		if k > 0 {
			g, err := newGradTiles[T](n, in, out, nFixed)
			if err != nil {
				return nil, err
			}
			w.gts = append(w.gts, g)
		}
		uts = append(uts, kernels.NewUpdateTiles[T]())
	}
	return w, nil
}

// run binds the call's gradient operands to every goroutine's program and
// runs the chunks.
func (w *updateWorkers[T]) run(in []*tensor.Tensor, nFixed int, data func(*tensor.Tensor) []T) {
	for _, gt := range w.gts {
		gt.bind(in, nFixed, data)
	}
	w.chunks.Run()
}

// maskPart is mask[i:e], or nil without a mask.
func maskPart[T any](mask []T, i, e int) []T {
	if mask == nil {
		return nil
	}
	return mask[i:e]
}

// Handles of the ops this file registers.
var (
	// FusedSGD is the op "fused_sgd": SGD with momentum on one parameter in one kernel: the result is the new parameter,
	FusedSGD *Op
	// FusedAdam is the op "fused_adam": Adam on one parameter in one kernel: the result is the new parameter,
	FusedAdam *Op
)

func init() {
	Register(&FusedSGD, &Op{
		Name: "fused_sgd", Arity: -1,
		Doc: "SGD with momentum on one parameter in one kernel: the result is the new parameter, " +
			"the new momentum buffer is written into operand 2 (made by the optimizer)",
		Infer:   updateInfer("fused_sgd", 1, 3, "lr_operand", "l2"),
		Flops:   sgdFlops,
		Scratch: updateScratch(3, "lr_operand"),
		NoGrad:  "optimizer updates run after differentiation",
		InPlace: []int{0, 1}, // the parameter and the gradient, read at each index before it is written
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			switch n.Type.DType {
			case F32:
				return sgdKernel(n, in, out, f32s)
			case F64:
				return sgdKernel(n, in, out, f64s)
			}
			return nil, fmt.Errorf("fused_sgd: no kernel for %v", n.Type.DType)
		},
	})
	Register(&FusedAdam, &Op{
		Name: "fused_adam", Arity: -1,
		Doc: "Adam on one parameter in one kernel: the result is the new parameter, " +
			"the new moments are written into operands 2 and 3 (made by the optimizer)",
		Infer:   updateInfer("fused_adam", 2, 6, "decay_operand", "l2", "decoupled"),
		Flops:   adamFlops,
		Scratch: updateScratch(6, "decay_operand"),
		NoGrad:  "optimizer updates run after differentiation",
		InPlace: []int{0, 1},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			switch n.Type.DType {
			case F32:
				return adamKernel(n, in, out, f32s)
			case F64:
				return adamKernel(n, in, out, f64s)
			}
			return nil, fmt.Errorf("fused_adam: no kernel for %v", n.Type.DType)
		},
	})

}

// Per element: SGD 2 (momentum) + 2 (step) [+ 2 decay, + 2 Nesterov];
// Adam 3 (m) + 4 (v) + 3 (denominator) + 3 (step) [+ 2 decay]; plus 1 for
// a mask and the gradient program's instructions.

func sgdFlops(n *Node, in [][]int, out []int) int64 {
	f := 4 + gradFlops(n) + maskFlops(n)
	if n.Attrs.Str("decay", "") != "" {
		f += 2
	}
	if n.Attrs.Bool("nesterov", false) {
		f += 2
	}
	return satMul(f, elems(out))
}

func adamFlops(n *Node, in [][]int, out []int) int64 {
	f := 13 + gradFlops(n) + maskFlops(n)
	if n.Attrs.Str("decay", "") != "" {
		f += 2
	}
	return satMul(f, elems(out))
}

// maskFlops is 1 for a masked update, else 0.
func maskFlops(n *Node) int64 {
	if n.Attrs.Bool("masked", false) {
		return 1
	}
	return 0
}

// gradFlops is the number of instructions of an update's gradient program.
func gradFlops(n *Node) int64 { return int64(strings.Count(n.Attrs.Str("grad", ""), "=")) }

// updateScratch is the rule of a fused optimizer update with the layout of
// updateLayout(base, scalar): its three update tiles and, with a gradient
// program over g and the operands from the layout's nFixed, the program and
// a gradient tile.
func updateScratch(base int, scalar string) ScratchFunc {
	return func(n *Node, in [][]int, out []int, f32 bool) int64 {
		nFixed, _ := updateLayout(base, scalar, n.Attrs)
		b := kernels.UpdateTilesScratch[float64]()
		if f32 {
			b = kernels.UpdateTilesScratch[float32]()
		}
		// one set per goroutine of the update's chunks (updateWorkers)
		workers := int64(kernels.ChunksWorkers(tensor.NumElems(out), kernels.FusedTile, updateWork(n)))
		prog := n.Attrs.Str("grad", "")
		if prog == "" || len(in) < nFixed {
			return kernels.MulBytes(workers, b)
		}
		shapes := append([][]int{in[1]}, in[nFixed:]...)
		b = kernels.AddBytes(b, kernels.HeapBytes(kernels.MulBytes(kernels.FusedTile, elemSize(f32))))
		return kernels.MulBytes(workers, kernels.AddBytes(b, fusedScratch(prog, shapes, elems64(out), f32)))
	}
}
