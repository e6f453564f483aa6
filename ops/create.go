package ops

import (
	"fmt"
	"math"

	"github.com/nnclang/nnc/kernels"
	"github.com/nnclang/nnc/tensor"
)

// Creation ops without operands: arange, eye, and the seeded random draws
// normal and uniform. None has a gradient; their tangents are zeros.

// numAttr reads a number attribute given as an int or a float64.
func numAttr(name string, a Attrs, key string, def float64) (float64, error) {
	v, ok := a[key]
	if !ok {
		return def, nil
	}
	switch x := v.(type) {
	case int:
		return float64(x), nil
	case float64:
		return x, nil
	}
	return 0, &InferError{name, fmt.Sprintf("attribute %s must be a number, got %v", key, v)}
}

// dimAttr reads a size given as an int or as a Shape of one (possibly
// symbolic) dimension.
func dimAttr(name string, a Attrs, key string) (Dim, bool, error) {
	v, ok := a[key]
	if !ok {
		return Dim{}, false, nil
	}
	switch x := v.(type) {
	case int:
		if x < 0 {
			return Dim{}, false, &InferError{name, fmt.Sprintf("%s is %d, negative", key, x)}
		}
		return DimConst(int64(x)), true, nil
	case Shape:
		if len(x) == 1 {
			return x[0], true, nil
		}
	}
	return Dim{}, false, &InferError{name, fmt.Sprintf("attribute %s must be an integer or one dimension, got %v", key, v)}
}

func numericDType(name string, a Attrs, def DType) (DType, error) {
	v, ok := a["dtype"]
	if !ok {
		return def, nil
	}
	dt, ok := v.(DType)
	if !ok || !(dt.IsFloat() || dt.IsInt()) {
		return 0, &InferError{name, fmt.Sprintf("dtype %v is not a number type", v)}
	}
	return dt, nil
}

// noGradRules are the VJP and JVP of an op without operands.
func noGradVJP(b *Builder, n *Node, g *Node) []*Node { return make([]*Node, len(n.In)) }
func zeroJVP(b *Builder, n *Node, t []*Node) *Node   { return b.Full(n.Type, 0) }

// arangeParams are arange's start and step and its length.
func arangeParams(a Attrs) (start, step float64, length Dim, err error) {
	if start, err = numAttr("arange", a, "start", 0); err != nil {
		return
	}
	if step, err = numAttr("arange", a, "step", 1); err != nil {
		return
	}
	if step == 0 || math.IsNaN(step) {
		err = &InferError{"arange", "step is 0"}
		return
	}
	var stop float64
	if sh, ok := a["stop"].(Shape); ok && len(sh) == 1 {
		d := sh[0]
		c, isConst := d.IsConst()
		if isConst {
			stop = float64(c)
		} else {
			// A symbolic stop: integer start and a positive integer step.
			if start != math.Trunc(start) || step != math.Trunc(step) || step < 0 {
				err = &InferError{"arange", "a symbolic stop needs an integer start and a positive integer step"}
				return
			}
			length, err = d.Sub(DimConst(int64(start))).Add(DimConst(int64(step) - 1)).Div(DimConst(int64(step)))
			return
		}
	} else if stop, err = numAttr("arange", a, "stop", math.NaN()); err != nil {
		return
	}
	if math.IsNaN(stop) {
		err = &InferError{"arange", "needs a stop"}
		return
	}
	n := math.Ceil((stop - start) / step)
	if !(n > 0) {
		n = 0
	}
	if n > float64(MaxTensorBytes) {
		err = &SizeError{"arange", fmt.Errorf("the result has %g elements, more than the limit of %d bytes (2^48)", n, MaxTensorBytes)}
		return
	}
	return start, step, DimConst(int64(n)), nil
}

// Handles of the ops this file registers.
var (
	// Normal is the op "normal".
	Normal *Op
	// Uniform is the op "uniform".
	Uniform *Op
	// Arange is the op "arange": arange(; start = 0, stop, step = 1 (ints or float64s), dtype = f32): start, start+step, ...
	Arange *Op
	// Eye is the op "eye": eye(; n, m = n, dtype = f32): the [n, m] matrix with ones on the diagonal; n and m are ints
	Eye *Op
)

func init() {
	Register(&Arange, &Op{
		Name: "arange", Arity: 0,
		Flops: NoFlops,
		Doc: "arange(; start = 0, stop, step = 1 (ints or float64s), dtype = f32): start, start+step, ... " +
			"up to but excluding stop (NumPy); stop may be a Shape of one symbolic dimension, with an integer " +
			"start and a positive integer step",
		Infer: func(in []Type, a Attrs) (Type, error) {
			dt, err := numericDType("arange", a, F32)
			if err != nil {
				return Type{}, err
			}
			_, _, n, err := arangeParams(a)
			if err != nil {
				return Type{}, err
			}
			return Type{dt, Shape{n}}, nil
		},
		NoGrad: "a constant",
		VJP:    noGradVJP,
		JVP:    zeroJVP,
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			start, step, _, err := arangeParams(n.Attrs)
			if err != nil {
				return nil, err
			}
			return func(_ *Ctx, o *tensor.Tensor, _ []*tensor.Tensor) {
				for i := range o.Len() {
					o.Set(i, start+float64(i)*step)
				}
			}, nil
		},
	})
	Register(&Eye, &Op{
		Name: "eye", Arity: 0,
		Builtin: &Builtin{Attrs: []BuiltinAttr{
			{Name: "n", Kind: SizeAttr, Required: true, PositionalOnly: true},
			{Name: "m", Kind: SizeAttr},
			{Name: "dtype", Kind: DTypeAttr, Default: F32, KeywordOnly: true},
		}},
		Flops: NoFlops,
		Doc: "eye(; n, m = n, dtype = f32): the [n, m] matrix with ones on the diagonal; n and m are ints " +
			"or Shapes of one (symbolic) dimension",
		Infer: func(in []Type, a Attrs) (Type, error) {
			dt, err := numericDType("eye", a, F32)
			if err != nil {
				return Type{}, err
			}
			n, ok, err := dimAttr("eye", a, "n")
			if err != nil {
				return Type{}, err
			}
			if !ok {
				return Type{}, &InferError{"eye", "needs the size n"}
			}
			m, ok, err := dimAttr("eye", a, "m")
			if err != nil {
				return Type{}, err
			}
			if !ok {
				m = n
			}
			return Type{dt, Shape{n, m}}, nil
		},
		NoGrad: "a constant",
		VJP:    noGradVJP,
		JVP:    zeroJVP,
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			rows, cols := out[0], out[1]
			return func(_ *Ctx, o *tensor.Tensor, _ []*tensor.Tensor) {
				o.Zero()
				for i := range min(rows, cols) {
					o.Set(i*cols+i, 1)
				}
			}, nil
		},
	})
	for _, r := range []struct {
		h    **Op
		name string
	}{{&Normal, "normal"}, {&Uniform, "uniform"}} {
		name := r.name
		isNormal := name == "normal"
		k1, k2, d1, d2 := "low", "high", 0.0, 1.0
		if isNormal {
			k1, k2 = "mean", "std"
		}
		params := func(a Attrs) (float64, float64, error) {
			p, err := numAttr(name, a, k1, d1)
			if err != nil {
				return 0, 0, err
			}
			q, err := numAttr(name, a, k2, d2)
			return p, q, err
		}
		Register(r.h, &Op{
			Name: name, Arity: 0,
			Builtin: randomBuiltin(k1, k2),
			Flops:   perOut(1),
			Doc: fmt.Sprintf("%s(; shape Shape, dtype = f32, seed int, %s = %g, %s = %g): random draws, a function of "+
				"(execution seed, seed attribute, element index) only; seed comes from Builder.NextSeed", name, k1, d1, k2, d2),
			Infer: func(in []Type, a Attrs) (Type, error) {
				dt := a.DType("dtype", F32)
				if v, ok := a["dtype"]; ok {
					if d, ok := v.(DType); !ok || !d.IsFloat() {
						return Type{}, &InferError{name, fmt.Sprintf("dtype %v is not f32 or f64", v)}
					}
				}
				if err := intAttr(name, a, "seed"); err != nil {
					return Type{}, err
				}
				if _, _, err := params(a); err != nil {
					return Type{}, err
				}
				if v, ok := a["shape"]; ok {
					if _, ok := v.(Shape); !ok {
						return Type{}, &InferError{name, fmt.Sprintf("shape must be a Shape, got %v", v)}
					}
				}
				return Type{dt, a.Shape("shape")}, nil
			},
			NoGrad: "a random draw",
			VJP:    noGradVJP,
			JVP:    zeroJVP,
			Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
				p, q, err := params(n.Attrs)
				if err != nil {
					return nil, err
				}
				stream := uint64(n.Attrs.Int("seed", 0))
				if isNormal {
					return floatKernel(n,
						func(ctx *Ctx, o *tensor.Tensor, _ []*tensor.Tensor) {
							kernels.Normal(o.F32, p, q, ctxSeed(ctx), stream)
						},
						func(ctx *Ctx, o *tensor.Tensor, _ []*tensor.Tensor) {
							kernels.Normal(o.F64, p, q, ctxSeed(ctx), stream)
						})
				}
				return floatKernel(n,
					func(ctx *Ctx, o *tensor.Tensor, _ []*tensor.Tensor) {
						kernels.Uniform(o.F32, p, q, ctxSeed(ctx), stream)
					},
					func(ctx *Ctx, o *tensor.Tensor, _ []*tensor.Tensor) {
						kernels.Uniform(o.F64, p, q, ctxSeed(ctx), stream)
					})
			},
		})
	}
}
