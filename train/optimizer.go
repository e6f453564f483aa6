package train

import (
	"fmt"
	"math"

	"github.com/nnclang/nnc/autodiff"
	"github.com/nnclang/nnc/ops"
)

// Optimizer adds to a step graph the update of one parameter p given its
// gradient g (of p's type): it builds the new value, records it with
// b.Update(p, value), and declares and updates any state it keeps (named
// after p's path, "l1.W/adam.m", initialized to zeros).
type Optimizer interface {
	Update(b *ops.Builder, p, g *ops.Node) error
}

// SGD is stochastic gradient descent as torch.optim.SGD defines it (with
// dampening 0):
//
//	d = g + WeightDecay·p
//	buf = Momentum·buf + d              (when Momentum ≠ 0; buf starts at 0)
//	d = d + Momentum·buf if Nesterov, else buf
//	p = p - LR·d
//
// With LRState set, the learning rate is read from that state at every
// step (see LRState) instead of being the constant LR.
type SGD struct {
	LR          float64
	Momentum    float64
	Nesterov    bool
	WeightDecay float64
	LRState     string
}

// Check reports hyperparameters SGD cannot train with: a learning rate
// that is not positive and finite, a momentum outside [0, 1), a negative or
// non-finite weight decay, Nesterov without momentum.
func (o *SGD) Check() error {
	switch {
	case !positive(o.LR):
		return fmt.Errorf("sgd: the learning rate must be positive and finite, got %v", o.LR)
	case !(o.Momentum >= 0 && o.Momentum < 1):
		return fmt.Errorf("sgd: momentum must be in [0, 1), got %v", o.Momentum)
	case !nonNegative(o.WeightDecay):
		return fmt.Errorf("sgd: weight_decay must be non-negative and finite, got %v", o.WeightDecay)
	case o.Nesterov && o.Momentum == 0:
		return fmt.Errorf("sgd: nesterov needs a non-zero momentum")
	}
	return nil
}

func positive(x float64) bool    { return x > 0 && !math.IsInf(x, 0) }
func nonNegative(x float64) bool { return x >= 0 && !math.IsInf(x, 0) }

// Update implements Optimizer. It refuses the hyperparameters Check
// refuses.
func (o *SGD) Update(b *ops.Builder, p, g *ops.Node) error {
	d, err := startUpdate(b, p, g, o.Check, o.WeightDecay)
	if err != nil {
		return err
	}
	dt := p.Type.DType
	if o.Momentum != 0 {
		buf := b.State(p.Name()+"/sgd.momentum", p.Type, ops.Attrs{"init": "zeros"})
		nbuf := b.Add(b.Mul(b.Scalar(dt, o.Momentum), buf), d)
		b.Update(buf, nbuf)
		if o.Nesterov {
			d = b.Add(d, b.Mul(b.Scalar(dt, o.Momentum), nbuf))
		} else {
			d = nbuf
		}
	}
	lr := b.Scalar(dt, o.LR)
	if o.LRState != "" {
		lr = castTo(b, learningRate(b, o.LR, o.LRState), dt)
	}
	b.Update(p, b.Sub(p, b.Mul(lr, d)))
	return nil
}

// Adam is torch.optim.Adam (amsgrad off), with L2 weight decay added to the
// gradient as PyTorch does:
//
//	g = g + WeightDecay·p
//	m = β1·m + (1-β1)·g
//	v = β2·v + (1-β2)·g²
//	t = t + 1
//	p = p - LR/(1-β1^t) · m / (√v/√(1-β2^t) + Eps)
//
// With Decoupled, weight decay is AdamW's (torch.optim.AdamW) instead: the
// parameter is first scaled, p = p·(1 - LR·WeightDecay), and the gradient is
// left alone.
//
// The step counter t and the bias corrections are computed in f64, as
// PyTorch computes them in Python floats. Use NewAdam or NewAdamW for
// PyTorch's defaults; fields are used as given. With LRState set, the
// learning rate is read from that state at every step (see LRState) instead
// of being the constant LR; AdamW's factor 1 - lr·WeightDecay is then
// computed in f64 at every step too.
type Adam struct {
	LR, Beta1, Beta2, Eps float64
	WeightDecay           float64
	Decoupled             bool
	LRState               string
}

// NewAdam returns Adam with PyTorch's defaults: β1 0.9, β2 0.999, ε 1e-8.
func NewAdam(lr float64) *Adam { return &Adam{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8} }

// NewAdamW returns AdamW with PyTorch's defaults: β1 0.9, β2 0.999, ε 1e-8
// and the given decoupled weight decay (PyTorch's default is 0.01).
func NewAdamW(lr, weightDecay float64) *Adam {
	return &Adam{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: weightDecay, Decoupled: true}
}

// Check reports hyperparameters Adam cannot train with: a learning rate
// or ε that is not positive and finite, betas outside [0, 1), a negative or
// non-finite weight decay (with Decoupled, also LR·WeightDecay ≥ 1, which
// would flip or zero every parameter at each step).
func (o *Adam) Check() error {
	switch {
	case !positive(o.LR):
		return fmt.Errorf("adam: the learning rate must be positive and finite, got %v", o.LR)
	case !(o.Beta1 >= 0 && o.Beta1 < 1 && o.Beta2 >= 0 && o.Beta2 < 1):
		return fmt.Errorf("adam: betas must be in [0, 1), got %v and %v", o.Beta1, o.Beta2)
	case !positive(o.Eps):
		return fmt.Errorf("adam: eps must be positive and finite, got %v", o.Eps)
	case !nonNegative(o.WeightDecay):
		return fmt.Errorf("adam: weight_decay must be non-negative and finite, got %v", o.WeightDecay)
	case o.Decoupled && o.LR*o.WeightDecay >= 1:
		return fmt.Errorf("adamw: lr·weight_decay must be below 1, got %v·%v", o.LR, o.WeightDecay)
	}
	return nil
}

// Update implements Optimizer. It refuses the hyperparameters Check
// refuses.
func (o *Adam) Update(b *ops.Builder, p, g *ops.Node) error {
	g, err := startUpdate(b, p, g, o.Check, 0)
	if err != nil {
		return err
	}
	dt := p.Type.DType
	path := p.Name()
	param := p
	lr := learningRate(b, o.LR, o.LRState)
	if o.WeightDecay != 0 && o.Decoupled {
		scale := b.Scalar(dt, 1-o.LR*o.WeightDecay)
		if o.LRState != "" {
			one := b.Scalar(ops.F64, 1)
			scale = castTo(b, b.Sub(one, b.Mul(lr, b.Scalar(ops.F64, o.WeightDecay))), dt)
		}
		param = b.Mul(p, scale)
	} else {
		g = withDecay(b, p, g, o.WeightDecay)
	}
	m := b.State(path+"/adam.m", p.Type, ops.Attrs{"init": "zeros"})
	v := b.State(path+"/adam.v", p.Type, ops.Attrs{"init": "zeros"})
	t := b.State(path+"/adam.step", ops.Scalar(ops.F64), ops.Attrs{"init": "zeros"})
	nm := average(b, m, o.Beta1, func() *ops.Node { return g })
	nv := average(b, v, o.Beta2, func() *ops.Node { return b.Mul(g, g) })
	nt := b.Add(t, b.Scalar(ops.F64, 1))
	b.Update(m, nm)
	b.Update(v, nv)
	b.Update(t, nt)

	// 1 - β^t in f64; exp(t·ln β) with ln β a constant (β = 0 gives 1).
	one := b.Scalar(ops.F64, 1)
	bias := func(beta float64) *ops.Node {
		if beta == 0 {
			return one
		}
		return b.Sub(one, b.Must(ops.Exp, nil, b.Mul(nt, b.Scalar(ops.F64, math.Log(beta)))))
	}
	stepSize := b.Div(lr, bias(o.Beta1))
	bc2Sqrt := b.Must(ops.Sqrt, nil, bias(o.Beta2))
	if dt != ops.F64 {
		stepSize = b.Must(ops.Cast, ops.Attrs{"dtype": dt}, stepSize)
		bc2Sqrt = b.Must(ops.Cast, ops.Attrs{"dtype": dt}, bc2Sqrt)
	}
	denom := b.Add(b.Div(b.Must(ops.Sqrt, nil, nv), bc2Sqrt), b.Scalar(dt, o.Eps))
	b.Update(p, b.Sub(param, b.Mul(stepSize, b.Div(nm, denom))))
	return nil
}

// BuildStep completes a training-step graph: it differentiates loss with
// respect to params (all the graph's params when params is nil), adds the
// optimizer's update of each, and names loss the output "loss" (unless it
// already is). Forward, backward and update are one graph.
//
// Given a *StepOptions, it builds the step with all of its settings
// (clipping, groups, accumulation, the moving average, noise, pruning,
// class weights); b may then build a rewritten graph (the forward pass
// with noise or class weights), whose loss is the output "loss".
func BuildStep(b *ops.Builder, loss *ops.Node, params []*ops.Node, opt Optimizer) error {
	if so, ok := opt.(*StepOptions); ok {
		return so.build(b, loss, params)
	}
	if params == nil {
		params = b.G.Params()
	}
	if len(params) == 0 {
		return fmt.Errorf("train: the loss has no parameters to train")
	}
	grads, err := autodiff.Grad(b, loss, params)
	if err != nil {
		return err
	}
	for i, p := range params {
		if err := opt.Update(b, p, grads[i]); err != nil {
			return fmt.Errorf("%s: %w", p.Name(), err)
		}
	}
	if b.G.Output("loss") != loss {
		b.Output("loss", loss)
	}
	return nil
}

// startUpdate begins an optimizer's update of param p by its gradient g:
// it checks p and g, then the optimizer's hyperparameters (check), and
// returns the gradient with L2 weight decay added as torch.optim adds it,
// g + weightDecay·p (g itself when weightDecay is 0).
func startUpdate(b *ops.Builder, p, g *ops.Node, check func() error, weightDecay float64) (*ops.Node, error) {
	if err := checkParam(p, g); err != nil {
		return nil, err
	}
	if err := check(); err != nil {
		return nil, err
	}
	return withDecay(b, p, g, weightDecay), nil
}

// withDecay is g + weightDecay·p, g itself when weightDecay is 0.
func withDecay(b *ops.Builder, p, g *ops.Node, weightDecay float64) *ops.Node {
	if weightDecay == 0 {
		return g
	}
	return b.Add(g, b.Mul(b.Scalar(p.Type.DType, weightDecay), p))
}

// average is the moving average β·m + (1-β)·x of the optimizer state m
// with x, in m's type; x is built after β·m, in the order the optimizers'
// update rules write it.
func average(b *ops.Builder, m *ops.Node, beta float64, x func() *ops.Node) *ops.Node {
	dt := m.Type.DType
	bm := b.Mul(b.Scalar(dt, beta), m)
	return b.Add(bm, b.Mul(b.Scalar(dt, 1-beta), x()))
}

func checkParam(p, g *ops.Node) error {
	if p.Op != ops.Param {
		return fmt.Errorf("optimizer: %v is a %s node, not a param", p, p.Op.Name)
	}
	if !p.Type.DType.IsFloat() {
		return fmt.Errorf("optimizer: param %s has type %v, not a float type", p.Name(), p.Type)
	}
	if !g.Type.Equal(p.Type) {
		return fmt.Errorf("optimizer: gradient of %s has type %v, want %v", p.Name(), g.Type, p.Type)
	}
	return nil
}
