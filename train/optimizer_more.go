package train

import (
	"fmt"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/tensor"
)

// LRState is the name of the state that holds the learning rate of a
// scheduled run: an f64 scalar, initialized to the optimizer's LR, that an
// optimizer whose LRState field names it reads at every step instead of a
// constant. The training loop writes the schedule's rate into it (the
// store's tensor, in place) before each step, so the rate changes without
// rebuilding the step graph or its plan. The name cannot clash with a
// model's parameters, whose paths have no "/".
const LRState = "train/lr"

// learningRate returns the learning rate of a step as an f64 scalar node:
// the state named state (initialized to lr) when state is not empty, else
// the constant lr.
func learningRate(b *ops.Builder, lr float64, state string) *ops.Node {
	if state == "" {
		return b.Scalar(ops.F64, lr)
	}
	return b.State(state, ops.Scalar(ops.F64), ops.Attrs{"init": "constant", "value": lr})
}

// SetLR writes lr into store's learning-rate state (LRState), which the
// step graph of a scheduled optimizer reads; the loop calls it before each
// step with the schedule's Rate. It is an error when the store holds no
// such state (the step graph was built without LRState) or one of another
// type.
func SetLR(store *runtime.Store, lr float64) error {
	t := store.Get(LRState)
	if t == nil {
		return fmt.Errorf("train: the step graph reads no scheduled learning rate (no state %s)", LRState)
	}
	if t.DType != tensor.F64 || t.Len() != 1 || len(t.Shape) != 0 {
		return fmt.Errorf("train: state %s is %v%v, not an f64 scalar", LRState, t.DType, t.Shape)
	}
	t.F64[0] = lr
	return nil
}

// castTo converts x to dt (x itself when it is of that type).
func castTo(b *ops.Builder, x *ops.Node, dt ops.DType) *ops.Node {
	if x.Type.DType == dt {
		return x
	}
	return b.Must(ops.Cast, ops.Attrs{"dtype": dt}, x)
}

// RMSprop is torch.optim.RMSprop:
//
//	g = g + WeightDecay·p
//	s = α·s + (1-α)·g²                              (s starts at 0)
//	a = √s + Eps, or with Centered:                 m = α·m + (1-α)·g
//	    a = √(s - m²) + Eps
//	buf = Momentum·buf + g/a; p = p - LR·buf        (when Momentum ≠ 0)
//	p = p - LR·g/a                                  (otherwise)
//
// NewRMSprop gives PyTorch's defaults. With LRState set, the learning
// rate is read from that state at every step (see LRState).
type RMSprop struct {
	LR, Alpha, Eps, WeightDecay, Momentum float64
	Centered                              bool
	LRState                               string
}

// NewRMSprop returns RMSprop with PyTorch's defaults: α 0.99, ε 1e-8.
func NewRMSprop(lr float64) *RMSprop { return &RMSprop{LR: lr, Alpha: 0.99, Eps: 1e-8} }

// Check reports hyperparameters RMSprop cannot train with: a learning
// rate or ε that is not positive and finite, α or momentum outside [0, 1),
// a negative or non-finite weight decay.
func (o *RMSprop) Check() error {
	switch {
	case !positive(o.LR):
		return fmt.Errorf("rmsprop: the learning rate must be positive and finite, got %v", o.LR)
	case !(o.Alpha >= 0 && o.Alpha < 1):
		return fmt.Errorf("rmsprop: alpha must be in [0, 1), got %v", o.Alpha)
	case !positive(o.Eps):
		return fmt.Errorf("rmsprop: eps must be positive and finite, got %v", o.Eps)
	case !(o.Momentum >= 0 && o.Momentum < 1):
		return fmt.Errorf("rmsprop: momentum must be in [0, 1), got %v", o.Momentum)
	case !nonNegative(o.WeightDecay):
		return fmt.Errorf("rmsprop: weight_decay must be non-negative and finite, got %v", o.WeightDecay)
	}
	return nil
}

// Update implements Optimizer. It refuses the hyperparameters Check
// refuses.
func (o *RMSprop) Update(b *ops.Builder, p, g *ops.Node) error {
	g, err := startUpdate(b, p, g, o.Check, o.WeightDecay)
	if err != nil {
		return err
	}
	dt, path := p.Type.DType, p.Name()
	zeros := ops.Attrs{"init": "zeros"}
	s := b.State(path+"/rmsprop.square_avg", p.Type, zeros)
	ns := average(b, s, o.Alpha, func() *ops.Node { return b.Mul(g, g) })
	b.Update(s, ns)
	v := ns
	if o.Centered {
		m := b.State(path+"/rmsprop.grad_avg", p.Type, zeros)
		nm := average(b, m, o.Alpha, func() *ops.Node { return g })
		b.Update(m, nm)
		v = b.Sub(ns, b.Mul(nm, nm))
	}
	d := b.Div(g, b.Add(b.Must(ops.Sqrt, nil, v), b.Scalar(dt, o.Eps)))
	if o.Momentum != 0 {
		buf := b.State(path+"/rmsprop.momentum", p.Type, zeros)
		d = b.Add(b.Mul(b.Scalar(dt, o.Momentum), buf), d)
		b.Update(buf, d)
	}
	lr := castTo(b, learningRate(b, o.LR, o.LRState), dt)
	b.Update(p, b.Sub(p, b.Mul(lr, d)))
	return nil
}

// Adagrad is torch.optim.Adagrad:
//
//	t = t + 1
//	g = g + WeightDecay·p
//	s = s + g²                                  (s starts at InitialAccumulator)
//	p = p - LR/(1 + (t-1)·LRDecay) · g/(√s + Eps)
//
// NewAdagrad gives PyTorch's defaults. The step counter and the decayed
// rate are computed in f64, as PyTorch computes them in Python floats.
// With LRState set, the learning rate is read from that state at every
// step (see LRState).
type Adagrad struct {
	LR, LRDecay, WeightDecay, InitialAccumulator, Eps float64
	LRState                                           string
}

// NewAdagrad returns Adagrad with PyTorch's defaults: ε 1e-10, no decay,
// accumulators starting at 0.
func NewAdagrad(lr float64) *Adagrad { return &Adagrad{LR: lr, Eps: 1e-10} }

// Check reports hyperparameters Adagrad cannot train with: a learning
// rate or ε that is not positive and finite, a negative or non-finite
// rate decay, weight decay or initial accumulator.
func (o *Adagrad) Check() error {
	switch {
	case !positive(o.LR):
		return fmt.Errorf("adagrad: the learning rate must be positive and finite, got %v", o.LR)
	case !positive(o.Eps):
		return fmt.Errorf("adagrad: eps must be positive and finite, got %v", o.Eps)
	case !nonNegative(o.LRDecay):
		return fmt.Errorf("adagrad: lr_decay must be non-negative and finite, got %v", o.LRDecay)
	case !nonNegative(o.WeightDecay):
		return fmt.Errorf("adagrad: weight_decay must be non-negative and finite, got %v", o.WeightDecay)
	case !nonNegative(o.InitialAccumulator):
		return fmt.Errorf("adagrad: initial_accumulator_value must be non-negative and finite, got %v", o.InitialAccumulator)
	}
	return nil
}

// Update implements Optimizer. It refuses the hyperparameters Check
// refuses.
func (o *Adagrad) Update(b *ops.Builder, p, g *ops.Node) error {
	g, err := startUpdate(b, p, g, o.Check, o.WeightDecay)
	if err != nil {
		return err
	}
	dt, path := p.Type.DType, p.Name()
	init := ops.Attrs{"init": "zeros"}
	if o.InitialAccumulator != 0 {
		init = ops.Attrs{"init": "constant", "value": o.InitialAccumulator}
	}
	s := b.State(path+"/adagrad.sum", p.Type, init)
	ns := b.Add(s, b.Mul(g, g))
	b.Update(s, ns)
	lr := learningRate(b, o.LR, o.LRState)
	if o.LRDecay != 0 {
		t := b.State(path+"/adagrad.step", ops.Scalar(ops.F64), ops.Attrs{"init": "zeros"})
		b.Update(t, b.Add(t, b.Scalar(ops.F64, 1)))
		// t is the count before this step: (t+1) - 1.
		lr = b.Div(lr, b.Add(b.Scalar(ops.F64, 1), b.Mul(t, b.Scalar(ops.F64, o.LRDecay))))
	}
	d := b.Div(g, b.Add(b.Must(ops.Sqrt, nil, ns), b.Scalar(dt, o.Eps)))
	b.Update(p, b.Sub(p, b.Mul(castTo(b, lr, dt), d)))
	return nil
}

// Lion is the optimizer of Chen et al., "Symbolic Discovery of
// Optimization Algorithms" (2023), Algorithm 2:
//
//	c = β1·m + (1-β1)·g
//	p = p - LR·(sign(c) + WeightDecay·p)
//	m = β2·m + (1-β2)·g                      (m starts at 0)
//
// sign(0) is 0. The paper's defaults are β1 0.9, β2 0.99 (NewLion); its
// learning rates are 3-10 times smaller than AdamW's, and its weight decay
// as many times larger. With LRState set, the learning rate is read from
// that state at every step (see LRState).
type Lion struct {
	LR, Beta1, Beta2, WeightDecay float64
	LRState                       string
}

// NewLion returns Lion with the paper's defaults: β1 0.9, β2 0.99.
func NewLion(lr float64) *Lion { return &Lion{LR: lr, Beta1: 0.9, Beta2: 0.99} }

// Check reports hyperparameters Lion cannot train with: a learning rate
// that is not positive and finite, betas outside [0, 1), a negative or
// non-finite weight decay, LR·WeightDecay ≥ 1.
func (o *Lion) Check() error {
	switch {
	case !positive(o.LR):
		return fmt.Errorf("lion: the learning rate must be positive and finite, got %v", o.LR)
	case !(o.Beta1 >= 0 && o.Beta1 < 1 && o.Beta2 >= 0 && o.Beta2 < 1):
		return fmt.Errorf("lion: betas must be in [0, 1), got %v and %v", o.Beta1, o.Beta2)
	case !nonNegative(o.WeightDecay):
		return fmt.Errorf("lion: weight_decay must be non-negative and finite, got %v", o.WeightDecay)
	case o.LR*o.WeightDecay >= 1:
		return fmt.Errorf("lion: lr·weight_decay must be below 1, got %v·%v", o.LR, o.WeightDecay)
	}
	return nil
}

// Update implements Optimizer. It refuses the hyperparameters Check
// refuses.
func (o *Lion) Update(b *ops.Builder, p, g *ops.Node) error {
	g, err := startUpdate(b, p, g, o.Check, 0)
	if err != nil {
		return err
	}
	dt := p.Type.DType
	m := b.State(p.Name()+"/lion.m", p.Type, ops.Attrs{"init": "zeros"})
	d := b.Must(ops.Sign, nil, average(b, m, o.Beta1, func() *ops.Node { return g }))
	if o.WeightDecay != 0 {
		d = b.Add(d, b.Mul(b.Scalar(dt, o.WeightDecay), p))
	}
	lr := castTo(b, learningRate(b, o.LR, o.LRState), dt)
	b.Update(p, b.Sub(p, b.Mul(lr, d)))
	b.Update(m, average(b, m, o.Beta2, func() *ops.Node { return g }))
	return nil
}
