package train

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/tensor"
)

// Imbalanced data: class weights in the training loss, and a sampler that
// draws every class equally often.

// ClassWeightsState is the state that holds the class weights of a step
// built with StepOptions.ClassWeights: a vector of one weight per class, of
// the logits' element type, that every cross entropy of the loss (without
// weights of its own) reads as PyTorch's CrossEntropyLoss(weight = w)
// does: the mean loss is Σ w[y_i]·nll_i / Σ w[y_i]. StepOptions.InitStates
// writes the weights into it. Evaluation is not weighted.
const ClassWeightsState = "train/class_weights"

// maxClasses bounds the classes a label may name when classes are counted
// from the data.
const maxClasses = 1 << 20

// checkClassWeights reports weights that are negative or not finite, or
// all zero.
func checkClassWeights(w []float64) error {
	if len(w) == 0 {
		return settingErr("class_weights", "no weights")
	}
	pos := false
	for i, x := range w {
		if !nonNegative(x) {
			return settingErr("class_weights", "the weight of class %d is %v: want a non-negative, finite number", i, x)
		}
		pos = pos || x > 0
	}
	if !pos {
		return settingErr("class_weights", "every weight is 0")
	}
	return nil
}

// BalancedClassWeights returns scikit-learn's "balanced" class weights of
// labels (integer class ids, or floats holding them; only the rows where
// mask is not zero when mask is not nil): n/(k·count[c]) for each class c
// that occurs, n the rows counted and k the classes that occur, and 0 for
// the classes below the largest that do not occur. It is an error when a
// label is negative, not an integer, or 2^20 or more, or when no row counts.
func BalancedClassWeights(labels, mask *tensor.Tensor) ([]float64, error) {
	counts, n, err := classCounts(labels, mask)
	if err != nil {
		return nil, err
	}
	k := 0
	for _, c := range counts {
		if c > 0 {
			k++
		}
	}
	w := make([]float64, len(counts))
	for c, m := range counts {
		if m > 0 {
			w[c] = float64(n) / (float64(k) * float64(m))
		}
	}
	return w, nil
}

// LabelError is a label that is not a class id (an integer in [0, 2^20)),
// at row Row of the labels counted.
type LabelError struct {
	Row   int
	Value float64
}

func (e *LabelError) Error() string {
	return fmt.Sprintf("label %v at row %d is not a class id in [0, %d)", e.Value, e.Row, maxClasses)
}

// classCounts counts the rows of each class in labels (where mask is not
// zero), and returns the counts and the rows counted.
func classCounts(labels, mask *tensor.Tensor) ([]int64, int64, error) {
	if labels == nil {
		return nil, 0, fmt.Errorf("no labels")
	}
	if mask != nil && mask.Len() != labels.Len() {
		return nil, 0, fmt.Errorf("the mask has %d values for %d labels", mask.Len(), labels.Len())
	}
	var counts []int64
	var n int64
	for i := range labels.Len() {
		if mask != nil && mask.At(i) == 0 {
			continue
		}
		v := labels.At(i)
		if !(v >= 0 && v < maxClasses) || v != math.Trunc(v) {
			return nil, 0, &LabelError{Row: i, Value: v}
		}
		c := int(v)
		if c >= len(counts) {
			counts = append(counts, make([]int64, c+1-len(counts))...)
		}
		counts[c]++
		n++
	}
	if n == 0 {
		return nil, 0, fmt.Errorf("no labels to count")
	}
	return counts, n, nil
}

// weighCrossEntropy returns cross entropy c (of b) reading the class
// weights state, which *cw holds once made; c itself when it has weights
// of its own (an error: the classes would be weighed twice).
func weighCrossEntropy(b *ops.Builder, c *ops.Node, w []float64, cw **ops.Node) (*ops.Node, error) {
	if len(c.In) != 2 {
		return nil, settingErr("class_weights", "the loss's cross_entropy at %v has weights of its own", c.Pos)
	}
	z := c.In[0]
	nc, ok := z.Type.Shape[1].IsConst()
	if !ok {
		return nil, settingErr("class_weights", "the number of classes of the cross_entropy at %v is %v, not a constant", c.Pos, z.Type.Shape[1])
	}
	t := ops.Type{DType: z.Type.DType, Shape: ops.Shape{z.Type.Shape[1]}}
	if *cw == nil {
		*cw = b.State(ClassWeightsState, t, ops.Attrs{"init": "ones"})
	} else if !(*cw).Type.Equal(t) {
		return nil, settingErr("class_weights", "the loss has cross entropies of %v and of %v classes", (*cw).Type, t)
	}
	if int64(len(w)) > nc {
		return nil, settingErr("class_weights", "%d weights for the %d classes of the cross_entropy at %v", len(w), nc, c.Pos)
	}
	return b.Apply(ops.CrossEntropy, c.Attrs, z, c.In[1], *cw)
}

// InitStates writes into store the states whose values come from the
// settings rather than an initializer: the class weights (see
// ClassWeightsState). Call it after runtime.InitParams on the step graph
// (a checkpoint restored afterwards holds the same values).
func (s *StepOptions) InitStates(store *runtime.Store) error {
	if s.ClassWeights == nil {
		return nil
	}
	t := store.Get(ClassWeightsState)
	if t == nil {
		return fmt.Errorf("train: the store has no %s (initialize the step graph's states first)", ClassWeightsState)
	}
	if len(t.Shape) != 1 {
		return fmt.Errorf("train: %s is %v%v, not a vector", ClassWeightsState, t.DType, t.Shape)
	}
	c := t.Shape[0]
	if len(s.ClassWeights) > c || !s.BalancedClasses && len(s.ClassWeights) != c {
		return settingErr("class_weights", "%d weights given for %d classes", len(s.ClassWeights), c)
	}
	for i := range c {
		v := 0.0
		if i < len(s.ClassWeights) {
			v = s.ClassWeights[i]
		}
		t.Set(i, v)
	}
	return nil
}

// BalancedSampler draws the rows of every epoch so that each class is
// equally likely: N rows (the data set's length) with replacement, row i
// with probability proportional to 1/count[y_i], as PyTorch's
// WeightedRandomSampler(1/count[y], N, replacement = True) draws them. A
// draw picks a class uniformly among those that occur, then a row
// uniformly among the class's rows. The draws of epoch e are a function of
// (seed, e) only (math/rand/v2's PCG), the same on every platform.
type BalancedSampler struct {
	byClass [][]int // the rows of each class that occurs
	n       int
	seed    uint64
}

// NewBalancedSampler prepares the sampler of labels (a vector of class
// ids, one per row); the errors are BalancedClassWeights's.
func NewBalancedSampler(labels *tensor.Tensor, seed uint64) (*BalancedSampler, error) {
	if labels == nil || len(labels.Shape) != 1 {
		return nil, settingErr("sampler", "the balanced sampler needs one class label per row")
	}
	counts, _, err := classCounts(labels, nil)
	if err != nil {
		return nil, &SettingError{Key: "sampler", Err: err}
	}
	rows := make([][]int, len(counts))
	for i := range labels.Len() {
		c := int(labels.At(i))
		rows[c] = append(rows[c], i)
	}
	s := &BalancedSampler{n: labels.Len(), seed: seed}
	for _, r := range rows {
		if len(r) > 0 {
			s.byClass = append(s.byClass, r)
		}
	}
	return s, nil
}

// Probabilities returns the probability of drawing each row.
func (s *BalancedSampler) Probabilities() []float64 {
	p := make([]float64, s.n)
	k := float64(len(s.byClass))
	for _, rows := range s.byClass {
		for _, i := range rows {
			p[i] = 1 / (k * float64(len(rows)))
		}
	}
	return p
}

// Draw returns the rows of epoch e (from 0), in the order they are
// visited.
func (s *BalancedSampler) Draw(e int) []int {
	r := rand.New(rand.NewPCG(s.seed, 0x6a09e667f3bcc909^uint64(e)))
	out := make([]int, s.n)
	for i := range out {
		rows := s.byClass[r.IntN(len(s.byClass))]
		out[i] = rows[r.IntN(len(rows))]
	}
	return out
}

// Batches returns the batches of epoch e over the rows Draw(e) of d, in
// that order.
func (s *BalancedSampler) Batches(d *data.Dataset, size, e int) (*data.Batches, error) {
	if d.Len() != s.n {
		return nil, fmt.Errorf("train: the sampler was made for %d rows, the data has %d", s.n, d.Len())
	}
	return data.NewBatches(d.Subset(s.Draw(e)), size, false, 0)
}

// sampledRows are the epochs of a feed whose rows Config.Sampler draws: a
// prefetcher over the drawn rows of each epoch.
type sampledRows struct {
	sampler *BalancedSampler
	train   *data.Dataset
	opts    data.PrefetchOptions
	drawn   []int
	err     error
}

// sampledFeed is the feed of cfg with its sampler; o are the prefetching
// options of the plain feed.
func sampledFeed(cfg Config, o data.PrefetchOptions) (*feed, error) {
	if cfg.FullBatch {
		return nil, fmt.Errorf("train: full-batch data is not sampled")
	}
	if cfg.Train.Len() != cfg.Sampler.n {
		return nil, fmt.Errorf("train: the sampler was made for %d rows, the training data has %d", cfg.Sampler.n, cfg.Train.Len())
	}
	o.Shuffle = false
	sr := &sampledRows{sampler: cfg.Sampler, train: cfg.Train, opts: o}
	p, err := data.NewPrefetch(cfg.Train, o)
	if err != nil {
		return nil, err
	}
	return &feed{rows: p, sampled: sr}, nil
}

// start replaces f's prefetcher by one over the rows drawn for epoch e
// (from 0); a failure is f's Err.
func (sr *sampledRows) start(f *feed, e int) {
	sr.drawn = sr.sampler.Draw(e)
	p, err := data.NewPrefetch(sr.train.Subset(sr.drawn), sr.opts)
	if err != nil {
		sr.err = err
		return
	}
	f.rows.Close()
	f.rows, sr.err = p, nil
}

// rows maps the rows of the epoch's drawn set to the training set's.
func (sr *sampledRows) rows(rows []int) []int {
	out := make([]int, len(rows))
	for i, r := range rows {
		out[i] = sr.drawn[r]
	}
	return out
}
