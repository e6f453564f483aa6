package train

import (
	"slices"
	"strings"

	"github.com/nnclang/nnc/ops"
)

// Noise is noise injection during training: Gaussian noise of standard
// deviation Input added to the float inputs named by Inputs, and of
// standard deviation Weight added to every parameter, in the forward pass
// of the step only (evaluation sees the clean values; the update applies
// to the clean parameter, with the gradient taken at the noisy one). The
// draws are a function of the step's seed, so a run with the same seed
// draws the same noise; every input and parameter has a stream of its own,
// apart from dropout's.
type Noise struct {
	// Input is the standard deviation of the input noise (0: none).
	Input float64
	// Inputs names the inputs that get it; nil: every float input of
	// the loss (a caller leaves out the labels).
	Inputs []string
	// Weight is the standard deviation of the weight noise (0: none).
	Weight float64
}

// on reports whether any noise is added.
func (n *Noise) on() bool { return n.Input > 0 || n.Weight > 0 }

// Check reports standard deviations that are negative or not finite.
func (n *Noise) Check() error {
	if !nonNegative(n.Input) || !nonNegative(n.Weight) {
		return settingErr("noise", "input and weight must be non-negative, finite standard deviations, got %v and %v", n.Input, n.Weight)
	}
	if n.Input == 0 && len(n.Inputs) > 0 {
		return settingErr("noise", "inputs are named (%s) but the input noise is 0", strings.Join(n.Inputs, ", "))
	}
	return nil
}

// noisyInputs returns the set of g's inputs that get noise: those named by
// Inputs (each must be a float input of g), or every float input.
func (n *Noise) noisyInputs(g *ops.Graph) (map[string]bool, error) {
	out := map[string]bool{}
	if n.Input == 0 {
		return out, nil
	}
	float := map[string]bool{}
	var names []string
	for _, x := range g.Inputs() {
		names = append(names, x.Name())
		if x.Type.DType.IsFloat() {
			float[x.Name()] = true
		}
	}
	if n.Inputs == nil {
		return float, nil
	}
	for _, name := range n.Inputs {
		if !slices.Contains(names, name) {
			return nil, settingErr("noise", "the loss has no input %q (its inputs: %s)", name, strings.Join(names, ", "))
		}
		if !float[name] {
			return nil, settingErr("noise", "input %q is not a float tensor: noise cannot be added to it", name)
		}
		out[name] = true
	}
	return out, nil
}

// addNoise returns x + N(0, std²) drawn with stream seed, times mask when
// mask is not nil (a pruned weight stays zero).
func addNoise(b *ops.Builder, x *ops.Node, std float64, seed int, mask *ops.Node) *ops.Node {
	e := b.Must(ops.Normal, ops.Attrs{"shape": x.Type.Shape, "dtype": x.Type.DType, "seed": seed, "mean": 0.0, "std": std})
	if mask != nil {
		e = b.Mul(e, mask)
	}
	return b.Add(x, e)
}

// rewriteForward rebuilds b's graph with the rewrites of the forward pass:
// noise on inputs and weights, class weights in cross entropy. b then
// builds the new graph; it returns the new graph's loss and params.
func (s *StepOptions) rewriteForward(b *ops.Builder, loss *ops.Node, params []*ops.Node) (*ops.Node, []*ops.Node, error) {
	if !s.Noise.on() && s.ClassWeights == nil {
		return loss, params, nil
	}
	g := b.G
	noisy, err := s.Noise.noisyInputs(g)
	if err != nil {
		return nil, nil, err
	}
	trained := map[*ops.Node]bool{}
	for _, p := range params {
		trained[p] = true
	}
	const lossName = "\x00loss"
	h := *g
	h.Outputs = append(append([]ops.Output(nil), g.Outputs...), ops.Output{Name: lossName, Node: loss})
	seed := maxSeed(g)
	weighted := 0
	var cw *ops.Node
	nb, copies, err := replay(&h, replayRules{use: func(nb *ops.Builder, n, c *ops.Node) (*ops.Node, error) {
		switch {
		case n.Op == ops.Input && noisy[n.Name()]:
			seed++
			return addNoise(nb, c, s.Noise.Input, seed, nil), nil
		case n.Op == ops.Param && trained[n] && s.Noise.Weight > 0:
			var mask *ops.Node
			if s.Prune != nil && s.Prune.prunes(n) {
				mask = maskState(nb, c)
			}
			seed++
			return addNoise(nb, c, s.Noise.Weight, seed, mask), nil
		case n.Op == ops.CrossEntropy && s.ClassWeights != nil:
			weighted++
			return weighCrossEntropy(nb, c, s.ClassWeights, &cw)
		}
		return nil, nil
	}})
	if err != nil {
		return nil, nil, err
	}
	if s.ClassWeights != nil && weighted == 0 {
		return nil, nil, settingErr("class_weights", "the loss has no cross_entropy to weigh")
	}
	outs := nb.G.Outputs
	newLoss := outs[len(outs)-1].Node
	nb.G.Outputs = outs[:len(outs)-1]
	newParams := make([]*ops.Node, len(params))
	for i, p := range params {
		newParams[i] = copies[p.ID]
	}
	for nb.NextSeed() < seed {
	}
	*b = *nb
	return newLoss, newParams, nil
}
