package train

import (
	"errors"
	"fmt"

	"github.com/nnclang/nnc/autodiff"
	"github.com/nnclang/nnc/ops"
)

// StepOptions are the settings of a training step besides the optimizer's
// update rule: gradient clipping, parameter groups, gradient
// accumulation, an exponential moving average of the weights, noise
// injection, magnitude pruning and class weights. Each is built into the
// step graph, so that the runtime plans and fuses it with the rest of the
// step. BuildStep given a *StepOptions as its optimizer builds the step
// with all of them; the zero value of a field leaves its feature off, and a
// StepOptions with every feature off builds the same graph as its
// Optimizer alone.
//
// In the step, in this order: the forward pass reads noisy inputs and
// weights (Noise) and weighs cross entropy's classes (ClassWeights); the
// gradients are accumulated over Accumulate batches, clipped elementwise
// (ClipValue), then scaled to a global norm (ClipNorm); each parameter is
// updated by its group's optimizer (Groups), multiplied by its pruning
// mask (Prune); and the moving average (EMA) follows the new values.
type StepOptions struct {
	// Optimizer updates the parameters no group selects (required).
	Optimizer Optimizer
	// Groups give the parameters they select other optimizer settings
	// (see Group).
	Groups []Group
	// ClipValue, when positive, clamps every gradient element to
	// [-ClipValue, ClipValue], as torch.nn.utils.clip_grad_value_.
	ClipValue float64
	// ClipNorm, when positive, scales every gradient by
	// min(1, ClipNorm/(‖g‖ + 1e-6)), ‖g‖ the L2 norm of all gradients
	// together, as torch.nn.utils.clip_grad_norm_.
	ClipNorm float64
	// Accumulate, when above 1, makes one update from the gradients of
	// that many batches (see Accumulation); BuildStep then sets Micro.
	Accumulate int
	// EMA, when positive, keeps an exponential moving average of every
	// parameter with this decay (see EMAState).
	EMA float64
	// EMAStart is the updates through which the moving average is a copy
	// of the weights before it starts averaging (0: from the first).
	EMAStart int
	// Noise adds seeded Gaussian noise to inputs and weights in the
	// forward pass of training (see Noise).
	Noise Noise
	// Prune, when not nil, keeps a pruning mask for the parameters it
	// selects (see Prune).
	Prune *Prune
	// ClassWeights, when not nil, weighs the classes of every cross
	// entropy of the loss (see ClassWeightsState); there must be one
	// per class, non-negative and finite, one at least positive.
	ClassWeights []float64
	// BalancedClasses says that ClassWeights came from the data
	// (BalancedClassWeights): classes past its end, which the training
	// labels do not hold, get weight 0.
	BalancedClasses bool

	// Parallel, when not nil, makes the step data-parallel (see
	// Parallel): BuildStep then sets Micro and Parallel.Apply.
	Parallel *Parallel

	// Micro is set by BuildStep when Accumulate is above 1 (or Parallel
	// is set): the graph of the batches that only accumulate their
	// gradients (see Accumulation).
	Micro *ops.Graph

	// sums pairs each sum of an accumulator and the batch's part with the
	// accumulator (and the rows' total with the accumulated rows): the
	// apply graph reads the second for the first (parallel.go).
	sums [][2]*ops.Node
}

// SettingError is an error of one training setting, named as the train
// block names it ("clip_norm", "groups"), so that a caller can report it
// at that setting.
type SettingError struct {
	Key string
	Err error
}

func (e *SettingError) Error() string { return e.Key + ": " + e.Err.Error() }

// Unwrap returns the error.
func (e *SettingError) Unwrap() error { return e.Err }

func settingErr(key, format string, args ...any) error {
	return &SettingError{Key: key, Err: fmt.Errorf(format, args...)}
}

// Check reports settings no step can be built with, each as a
// *SettingError.
func (s *StepOptions) Check() error {
	var errs []error
	if s.Optimizer == nil {
		errs = append(errs, settingErr("optimizer", "no optimizer"))
	}
	if !nonNegative(s.ClipValue) {
		errs = append(errs, settingErr("clip_value", "want a positive, finite number, got %v", s.ClipValue))
	}
	if !nonNegative(s.ClipNorm) {
		errs = append(errs, settingErr("clip_norm", "want a positive, finite number, got %v", s.ClipNorm))
	}
	if s.Accumulate < 0 || s.Accumulate > maxAccumulate {
		errs = append(errs, settingErr("accumulate", "want a number of batches from 1 to %d, got %d", maxAccumulate, s.Accumulate))
	}
	if !(s.EMA >= 0 && s.EMA < 1) {
		errs = append(errs, settingErr("ema", "want a decay in [0, 1), got %v", s.EMA))
	}
	switch {
	case s.EMAStart < 0 || s.EMAStart > MaxEMAStart:
		errs = append(errs, settingErr("ema", "want a start from 0 to %d updates, got %d", MaxEMAStart, s.EMAStart))
	case s.EMAStart > 0 && s.EMA == 0:
		errs = append(errs, settingErr("ema", "a start of %d updates needs a decay", s.EMAStart))
	}
	if err := s.Noise.Check(); err != nil {
		errs = append(errs, err)
	}
	if s.Prune != nil {
		if err := s.Prune.Check(); err != nil {
			errs = append(errs, err)
		}
	}
	if s.ClassWeights != nil {
		if err := checkClassWeights(s.ClassWeights); err != nil {
			errs = append(errs, err)
		}
	}
	for i := range s.Groups {
		if err := s.Groups[i].check(s.Optimizer, i); err != nil {
			errs = append(errs, err)
		}
	}
	if err := s.checkParallel(); err != nil { // parallel.go
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Update implements Optimizer: it updates p with the optimizer of the
// first group that selects it, else with Optimizer. BuildStep does the
// rest of what StepOptions say.
func (s *StepOptions) Update(b *ops.Builder, p, g *ops.Node) error {
	o, err := s.optimizerFor(p.Name())
	if err != nil {
		return err
	}
	return o.Update(b, p, g)
}

// build is BuildStep for StepOptions.
func (s *StepOptions) build(b *ops.Builder, loss *ops.Node, params []*ops.Node) error {
	if err := s.Check(); err != nil {
		return err
	}
	s.Micro, s.sums = nil, nil
	if params == nil {
		params = b.G.Params()
	}
	if len(params) == 0 {
		return fmt.Errorf("train: the loss has no parameters to train")
	}
	if err := s.checkSelections(params); err != nil {
		return err
	}
	loss, params, err := s.rewriteForward(b, loss, params)
	if err != nil {
		return err
	}
	grads, err := autodiff.Grad(b, loss, params)
	if err != nil {
		return err
	}
	nModel := len(b.G.Updates)
	if s.Accumulate > 1 || s.Parallel != nil {
		if grads, err = s.accumulate(b, loss, params, grads); err != nil {
			return err
		}
	}
	grads = clipGrads(b, grads, s.ClipValue, s.ClipNorm)
	for i, p := range params {
		if err := s.Update(b, p, grads[i]); err != nil {
			return fmt.Errorf("%s: %w", p.Name(), err)
		}
	}
	if s.Prune != nil {
		s.Prune.maskUpdates(b, params)
	}
	if s.EMA > 0 {
		averageUpdates(b, params, s.EMA, s.EMAStart, s.Prune)
	}
	if b.G.Output("loss") != loss {
		b.Output("loss", loss)
	}
	if err := s.scaleGroupRates(b); err != nil {
		return err
	}
	if s.Parallel != nil {
		return s.buildApply(b.G, nModel) // parallel.go
	}
	return nil
}

// checkSelections checks that every group and the pruning's patterns
// select at least one of params (a pattern that selects nothing is most
// likely misspelt).
func (s *StepOptions) checkSelections(params []*ops.Node) error {
	names := make([]string, len(params))
	for i, p := range params {
		names[i] = p.Name()
	}
	var errs []error
	for i := range s.Groups {
		if err := s.Groups[i].selects(names); err != nil {
			errs = append(errs, err)
		}
	}
	if s.Prune != nil {
		if err := s.Prune.selects(params); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// updateOf returns the index of the update of target in g, or -1.
func updateOf(g *ops.Graph, target *ops.Node) int {
	for i, u := range g.Updates {
		if u.Target == target {
			return i
		}
	}
	return -1
}

// maxSeed is the largest "seed" attribute of g's random ops (0 when none),
// so that the random ops a rewrite adds draw streams of their own.
func maxSeed(g *ops.Graph) int {
	m := 0
	for _, n := range g.Nodes {
		if v, ok := n.Attrs["seed"]; ok {
			if k, ok := v.(int); ok && k > m {
				m = k
			}
		}
	}
	return m
}

// replayRules say how replay changes what it copies. Both may be nil.
type replayRules struct {
	// replace may give, for a leaf, the node its readers read instead;
	// the leaf is then not copied.
	replace func(nb *ops.Builder, n *ops.Node) *ops.Node
	// use may give, for any node n with its copy c, the node n's readers
	// read instead of c.
	use func(nb *ops.Builder, n, c *ops.Node) (*ops.Node, error)
	// order, when not nil, is g's nodes in the order to copy them (a
	// topological order; parallel_overlap.go).
	order []*ops.Node
}

// replay copies g's leaves and the nodes its outputs and updates need into
// a fresh builder, in order, as r says. It returns the builder and the
// copy of every node (nil where not copied). The copies keep their
// positions, attributes and leaf names.
func replay(g *ops.Graph, r replayRules) (*ops.Builder, []*ops.Node, error) {
	nb := ops.NewBuilder()
	copies := make([]*ops.Node, len(g.Nodes))
	reads := make([]*ops.Node, len(g.Nodes))
	needed := g.Needed()
	nodes := g.Nodes
	if r.order != nil {
		nodes = r.order
	}
	for _, n := range nodes {
		if !n.Op.Leaf && !needed[n.ID] {
			continue
		}
		nb.SetPos(n.Pos)
		if n.Op.Leaf && r.replace != nil {
			if x := r.replace(nb, n); x != nil {
				reads[n.ID] = x
				continue
			}
		}
		var c *ops.Node
		switch n.Op {
		case ops.Input:
			c = nb.Input(n.Name(), n.Type)
		case ops.Param:
			c = nb.Param(n.Name(), n.Type, n.Attrs)
		case ops.State:
			c = nb.State(n.Name(), n.Type, n.Attrs)
		default:
			if n.Op.Leaf {
				return nil, nil, fmt.Errorf("train: cannot copy leaf op %s", n.Op.Name)
			}
			in := make([]*ops.Node, len(n.In))
			for i, x := range n.In {
				in[i] = reads[x.ID]
			}
			var err error
			if c, err = nb.Apply(n.Op, n.Attrs, in...); err != nil {
				return nil, nil, fmt.Errorf("train: copying %s: %w", n.Op.Name, err)
			}
		}
		c.Pos = n.Pos
		copies[n.ID], reads[n.ID] = c, c
		if r.use != nil {
			x, err := r.use(nb, n, c)
			if err != nil {
				return nil, nil, err
			}
			if x != nil {
				reads[n.ID] = x
			}
		}
	}
	for _, o := range g.Outputs {
		nb.Output(o.Name, reads[o.Node.ID])
	}
	for _, u := range g.Updates {
		if copies[u.Target.ID] == nil {
			return nil, nil, fmt.Errorf("train: the target %s of an update was replaced", u.Target.Name())
		}
		nb.Update(copies[u.Target.ID], reads[u.Value.ID])
	}
	for nb.NextSeed() < maxSeed(g) {
	}
	return nb, copies, nil
}

// subgraph is the graph of g's nodes that outputs and updates (of g's
// nodes) need, copied.
func subgraph(g *ops.Graph, outputs []ops.Output, updates []ops.Update) (*ops.Graph, error) {
	h := &ops.Graph{Nodes: g.Nodes, Outputs: outputs, Updates: updates}
	nb, _, err := replay(h, replayRules{})
	if err != nil {
		return nil, err
	}
	return nb.G, nil
}
