package train

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/tensor"
)

// Metrics are a model's mean loss and accuracy on one dataset. HasLoss and
// HasAccuracy say which were measured (an evaluation without a loss graph
// has no loss). Values holds every metric measured by name, without a set's
// prefix: "loss", "accuracy", "f1_macro", "perplexity", ... (see
// Evaluator.SetMetrics).
type Metrics struct {
	Loss, Accuracy       float64
	HasLoss, HasAccuracy bool
	Values               map[string]float64
	// Examples counts the examples measured (rows, or 1 for a full batch);
	// Duration is the evaluation's time.
	Examples int
	Duration time.Duration
}

// Prefixed returns Values with each key prefixed ("val_").
func (m Metrics) Prefixed(prefix string) map[string]float64 {
	out := make(map[string]float64, len(m.Values))
	for k, v := range m.Values {
		out[prefix+k] = v
	}
	return out
}

// Evaluator measures loss and accuracy of a model on datasets, in batches,
// with evaluation graphs (lowered with training=false) sharing the model's
// store.
type Evaluator struct {
	forward, loss *ops.Graph
	store         *runtime.Store
	label         string
	mask          string // SetMask
	whole         bool   // SetFullBatch
	batch         int
	metrics       *MetricSet // SetMetrics; nil: accuracy
	confusion     [][]int64  // of the last evaluation
	fwdIdx        int
	lossIdx       int
	sessions      map[*ops.Graph]*bound
}

// NewEvaluator prepares evaluation. forward computes the logits ([..., C],
// output "logits" or its only output) and gives accuracy against the labels
// array named label ([...] integers; "y" when empty); loss computes the mean
// loss (output "loss" or its only output). Either may be nil, and both may be
// the same graph. batch is the evaluation batch size (256 when 0; negative
// is an error); the last, smaller batch gets its own plan.
func NewEvaluator(forward, loss *ops.Graph, store *runtime.Store, label string, batch int) (*Evaluator, error) {
	if forward == nil && loss == nil {
		return nil, fmt.Errorf("train: evaluation needs a forward or a loss graph")
	}
	if batch < 0 {
		return nil, fmt.Errorf("train: the evaluation batch size is %d: want a positive number (0: 256)", batch)
	}
	if label == "" {
		label = "y"
	}
	if batch <= 0 {
		batch = 256
	}
	e := &Evaluator{forward: forward, loss: loss, store: store, label: label, batch: batch, fwdIdx: -1, lossIdx: -1,
		sessions: map[*ops.Graph]*bound{}}
	var err error
	if forward != nil {
		if e.fwdIdx, err = pickOutput(forward, "logits", "forward graph"); err != nil {
			return nil, err
		}
	}
	if loss != nil {
		if e.lossIdx, err = pickOutput(loss, "loss", "loss graph"); err != nil {
			return nil, err
		}
		if t := loss.Outputs[e.lossIdx].Node.Type; len(t.Shape) != 0 || !t.DType.IsFloat() {
			return nil, fmt.Errorf("train: the loss graph's output %q is %v, not a float scalar", loss.Outputs[e.lossIdx].Name, t)
		}
	}
	return e, nil
}

// SetFullBatch makes EvaluateContext run each graph once over the whole of
// a dataset (full-batch data such as a graph's nodes, whose arrays need not
// share a leading dimension) instead of in batches of rows.
func (e *Evaluator) SetFullBatch(on bool) { e.whole = on }

// SetMask makes accuracy count only the examples where the array named
// mask, of the labels' shape, is nonzero (every example when mask is "").
func (e *Evaluator) SetMask(mask string) { e.mask = mask }

// SetMetrics chooses the metrics the forward graph's output is measured
// with (see NewMetric; "loss", always measured when there is a loss graph,
// may be named too). Without a call, or with an empty list, accuracy is
// measured. A metric that needs the forward graph when there is none is an
// error.
func (e *Evaluator) SetMetrics(names []string) error {
	var rest []string
	for _, n := range names {
		if n != "loss" {
			rest = append(rest, n)
		}
	}
	if len(rest) > 0 && e.forward == nil {
		return fmt.Errorf("train: the metrics %s need the model's output and labels to compare it with", strings.Join(rest, ", "))
	}
	if len(rest) == 0 && len(names) > 0 {
		e.metrics, e.forward = nil, nil // the loss alone
		return nil
	}
	if len(rest) == 0 {
		e.metrics = nil
		return nil
	}
	set, err := NewMetricSet(rest)
	if err != nil {
		return err
	}
	e.metrics = set
	return nil
}
func pickOutput(g *ops.Graph, name, what string) (int, error) {
	if i := outputIndex(g, name); i >= 0 {
		return i, nil
	}
	if len(g.Outputs) == 1 {
		return 0, nil
	}
	return -1, fmt.Errorf("train: the %s has no output %q", what, name)
}

func (e *Evaluator) session(what string, g *ops.Graph, d *data.Dataset) (*bound, error) {
	if s, ok := e.sessions[g]; ok {
		return s, checkInputs(what, g, d)
	}
	s, err := bindGraph(what, g, e.store, d)
	if err != nil {
		return nil, err
	}
	e.sessions[g] = s
	return s, nil
}

// check checks d as EvaluateContext does before its first batch: the
// labels array for accuracy, and each graph's inputs (arrays, element types,
// labels and ids in range).
func (e *Evaluator) check(d *data.Dataset) error {
	if e.forward != nil {
		if err := e.checkLabels(d); err != nil {
			return err
		}
		if err := checkInputs("forward graph", e.forward, d); err != nil {
			return err
		}
	}
	if e.loss != nil && e.loss != e.forward {
		return checkInputs("loss graph", e.loss, d)
	}
	return nil
}

// Evaluate runs the evaluation graphs over d in order, in batches, and
// returns the mean loss (weighted by batch size) and the fraction of
// examples whose largest logit is at their label.
func (e *Evaluator) Evaluate(d *data.Dataset) (Metrics, error) {
	return e.EvaluateContext(context.Background(), d)
}

// EvaluateContext is Evaluate, stopped by ctx: it is checked before every
// batch, and once it is cancelled EvaluateContext returns ctx.Err().
func (e *Evaluator) EvaluateContext(ctx context.Context, d *data.Dataset) (Metrics, error) {
	t0 := time.Now()
	var m Metrics
	var fwd, lss *bound
	var err error
	if e.forward != nil {
		if err := e.checkLabels(d); err != nil {
			return m, err
		}
		if fwd, err = e.session("forward graph", e.forward, d); err != nil {
			return m, err
		}
	}
	if e.loss != nil {
		if lss, err = e.session("loss graph", e.loss, d); err != nil {
			return m, err
		}
	}
	var bs interface {
		Next() bool
		Batch() *data.Batch
	}
	rows := d.Len()
	if e.whole {
		bs, rows = &feed{whole: data.Batch{Size: 1, Arrays: d.Arrays}}, 1
	} else if bs, err = data.NewBatches(d, e.batch, false, 0); err != nil {
		return m, err
	}
	var lossSum float64
	var correct, total int
	for bs.Next() {
		if err := ctx.Err(); err != nil {
			return m, err
		}
		b := bs.Batch()
		if lss != nil {
			out, err := lss.run(ctx, 0, b.Arrays)
			if err != nil {
				return m, err
			}
			lossSum += out[e.lossIdx].At(0) * float64(b.Size)
		}
		if fwd != nil {
			out, err := fwd.run(ctx, 0, b.Arrays)
			if err != nil {
				return m, err
			}
			if e.metrics != nil {
				if err := e.metrics.Add(out[e.fwdIdx], b.Arrays[e.label], b.Arrays[e.mask]); err != nil {
					return m, err
				}
				continue
			}
			c, n, err := countCorrect(out[e.fwdIdx], b.Arrays[e.label], b.Arrays[e.mask])
			if err != nil {
				return m, err
			}
			correct += c
			total += n
		}
	}
	m.Values = map[string]float64{}
	if lss != nil {
		m.Loss, m.HasLoss = lossSum/float64(rows), true
		m.Values["loss"] = m.Loss
	}
	if fwd != nil && e.metrics != nil {
		for k, v := range e.metrics.Values("") {
			m.Values[k] = v
		}
		e.confusion = e.metrics.Confusion()
		e.metrics.Reset()
		if acc, ok := m.Values["accuracy"]; ok {
			m.Accuracy, m.HasAccuracy = acc, true
		}
	} else if fwd != nil && total > 0 {
		m.Accuracy, m.HasAccuracy = float64(correct)/float64(total), true
		m.Values["accuracy"] = m.Accuracy
	}
	m.Examples, m.Duration = rows, time.Since(t0)
	return m, nil
}

// Confusion returns the confusion matrix of the last evaluation when the
// metrics include "confusion" (row: label, column: prediction), else nil.
func (e *Evaluator) Confusion() [][]int64 { return e.confusion }

// checkLabels checks that d has the labels array for accuracy (and the
// mask, when one is set) and that they have the same number of elements.
func (e *Evaluator) checkLabels(d *data.Dataset) error {
	ldt, lshape, ok := d.Type(e.label)
	if !ok {
		return fmt.Errorf("train: accuracy needs the labels array %q, the data has %v", e.label, d.Names())
	}
	if e.mask == "" {
		return nil
	}
	mdt, mshape, ok := d.Type(e.mask)
	if !ok {
		return fmt.Errorf("train: accuracy needs the mask array %q, the data has %v", e.mask, d.Names())
	}
	if tensor.NumElems(mshape) != tensor.NumElems(lshape) {
		return fmt.Errorf("train: the mask %q is %s but the labels %q are %s", e.mask, typeOf(&tensor.Tensor{DType: mdt, Shape: mshape}), e.label, typeOf(&tensor.Tensor{DType: ldt, Shape: lshape}))
	}
	return nil
}

// countCorrect compares the argmax of logits [..., C] with labels [...],
// counting only the examples where mask (nil: every example; else of the
// labels' shape) is nonzero.
func countCorrect(logits, labels, mask *tensor.Tensor) (correct, total int, err error) {
	if len(logits.Shape) == 0 || !logits.DType.IsFloat() || !labels.DType.IsInt() {
		return 0, 0, fmt.Errorf("train: accuracy needs float logits [..., C] and integer labels, got %v%v and %v%v",
			logits.DType, logits.Shape, labels.DType, labels.Shape)
	}
	c := logits.Shape[len(logits.Shape)-1]
	rows := labels.Len()
	if c == 0 || rows*c != logits.Len() {
		return 0, 0, fmt.Errorf("train: logits %v do not match labels %v", logits.Shape, labels.Shape)
	}
	if mask != nil && mask.Len() != rows {
		return 0, 0, fmt.Errorf("train: the mask %v does not match the labels %v", mask.Shape, labels.Shape)
	}
	for r := 0; r < rows; r++ {
		if mask != nil && mask.At(r) == 0 {
			continue
		}
		total++
		best, bi := math.Inf(-1), -1
		for j := 0; j < c; j++ {
			if v := logits.At(r*c + j); v > best || bi < 0 {
				best, bi = v, j
			}
		}
		if float64(bi) == labels.At(r) {
			correct++
		}
	}
	return correct, total, nil
}
