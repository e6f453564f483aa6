package train

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/nnclang/nnc/tensor"
)

// A Metric accumulates one measure of a model over the batches of a data
// set, one batch at a time (no second pass), and gives its values at the
// end. The metrics and what they read:
//
//	accuracy          logits [..., C], integer labels [...]: argmax = label
//	                  (the first maximum, as nnc's accuracy has always been)
//	topK_accuracy     (top5_accuracy, ...) the label is among the K classes of
//	                  largest logits (ties go to the smaller class index,
//	                  as argmax's first maximum)
//	precision,        per class and macro-averaged (values "precision_macro",
//	recall, f1        "precision_class2", ...): precision tp/(tp+fp), recall
//	                  tp/(tp+fn), F1 2tp/(2tp+fp+fn), 0 when the denominator
//	                  is 0; the macro average is over the classes that occur
//	                  among the labels or the predictions (sklearn's default)
//	confusion         the C×C matrix of counts, row: label, column: prediction
//	                  (Confusion; up to 4096 classes); its value is the number
//	                  of examples counted
//	auc               binary ROC AUC, as sklearn's roc_auc_score (ties count
//	                  half): scores [N] or [N, 1] (any monotonic score: a
//	                  probability or a logit) or logits [N, 2] (the score is
//	                  logit 1 - logit 0), labels 0 or 1; NaN when one class
//	                  is missing
//	mae, rmse, r2     predictions and targets of the same number of elements,
//	                  [N, ...]: mean absolute error and root mean squared error
//	                  over all elements, R² = 1 - SSres/SStot per output (the
//	                  elements of a row) averaged over the outputs (sklearn's
//	                  r2_score, uniform_average; as sklearn, an output whose
//	                  targets are all equal scores 1 if predicted exactly,
//	                  else 0)
//	perplexity,       logits [..., V] and integer next tokens [...]: the mean
//	nats_per_token,   cross entropy in nats over the tokens counted, its
//	bits_per_token    exponential (perplexity) and it over ln 2 (bits)
//
// Add takes the batch's model output, its targets and a mask (nil, or one
// value per target row: rows where it is 0 are not counted). Labels out of
// range, shapes that do not match and NaN scores for auc are errors.
type Metric interface {
	// Name is the metric as a train block names it ("f1", "top5_accuracy").
	Name() string
	// Add folds in one batch.
	Add(out, target, mask *tensor.Tensor) error
	// Values returns the metric's values by key ("f1_macro", "f1_class0";
	// a single-valued metric's key is its name).
	Values() map[string]float64
	// Reset forgets every batch added.
	Reset()
}

// MetricNames are the metrics NewMetric knows; topK_accuracy stands for
// any K from 1 (top5_accuracy).
var MetricNames = []string{"accuracy", "topK_accuracy", "precision", "recall", "f1", "confusion", "auc",
	"mae", "rmse", "r2", "perplexity", "nats_per_token", "bits_per_token"}

// maxTopK bounds the K of topK_accuracy.
const maxTopK = 1 << 20

// NewMetric returns the metric of that name.
func NewMetric(name string) (Metric, error) {
	switch name {
	case "accuracy", "precision", "recall", "f1", "confusion":
		return &classMetric{name: name}, nil
	case "auc":
		return &aucMetric{}, nil
	case "mae", "rmse", "r2":
		return &regressionMetric{name: name}, nil
	case "perplexity", "nats_per_token", "bits_per_token":
		return &tokenMetric{name: name}, nil
	}
	if k, ok := strings.CutPrefix(name, "top"); ok {
		if k, ok := strings.CutSuffix(k, "_accuracy"); ok {
			n, err := strconv.Atoi(k)
			if err == nil && n >= 1 && n <= maxTopK && strconv.Itoa(n) == k {
				return &topKMetric{k: n}, nil
			}
			return nil, fmt.Errorf("metric %q: K must be a whole number from 1 to %d", name, maxTopK)
		}
	}
	return nil, fmt.Errorf("unknown metric %q (known: %s)", name, strings.Join(MetricNames, ", "))
}

// classRows checks classification inputs, logits [..., C] (float) and
// labels [...] (integer, or float holding whole numbers), with an optional
// mask, and returns the number of rows and classes.
func classRows(what string, logits, labels, mask *tensor.Tensor) (rows, classes int, err error) {
	if len(logits.Shape) == 0 || !logits.DType.IsFloat() {
		return 0, 0, fmt.Errorf("%s: needs float logits [..., C], got %s", what, typeOf(logits))
	}
	classes = logits.Shape[len(logits.Shape)-1]
	rows = labels.Len()
	if classes == 0 || rows*classes != logits.Len() {
		return 0, 0, fmt.Errorf("%s: logits %s do not match labels %s", what, typeOf(logits), typeOf(labels))
	}
	if mask != nil && mask.Len() != rows {
		return 0, 0, fmt.Errorf("%s: the mask %s does not match the labels %s", what, typeOf(mask), typeOf(labels))
	}
	return rows, classes, nil
}

// label returns row r's label as a class index in [0, classes).
func label(what string, labels *tensor.Tensor, r, classes int) (int, error) {
	v := labels.At(r)
	if !(v >= 0 && v < float64(classes)) || v != math.Trunc(v) {
		return 0, fmt.Errorf("%s: label %v of row %d is not a class in [0, %d)", what, v, r, classes)
	}
	return int(v), nil
}

func skip(mask *tensor.Tensor, r int) bool { return mask != nil && mask.At(r) == 0 }

// argmax is the index of the first largest of row r's n logits.
func argmax(logits *tensor.Tensor, r, n int) int {
	best, bi := math.Inf(-1), -1
	for j := 0; j < n; j++ {
		if v := logits.At(r*n + j); v > best || bi < 0 {
			best, bi = v, j
		}
	}
	return bi
}

// classMetric is accuracy, precision, recall, F1 and the confusion
// matrix. It keeps, per class, the examples labelled with it, those
// predicted as it and those both (3·C counts), and the C×C matrix only
// for "confusion".
type classMetric struct {
	name                    string
	classes                 int
	labelled, predicted, tp []int64
	counts                  []int64 // confusion: classes×classes, row: label, column: prediction
	total                   int64
}

// maxConfusionClasses bounds the classes of a confusion matrix (4096²
// counts are 128 MiB).
const maxConfusionClasses = 4096

func (m *classMetric) Name() string { return m.name }

func (m *classMetric) Reset() { *m = classMetric{name: m.name} }

func (m *classMetric) Add(out, target, mask *tensor.Tensor) error {
	rows, c, err := classRows(m.name, out, target, mask)
	if err != nil {
		return err
	}
	if m.labelled == nil {
		if m.name == "confusion" {
			if c > maxConfusionClasses {
				return fmt.Errorf("confusion: %d classes, more than the %d a confusion matrix is kept for", c, maxConfusionClasses)
			}
			m.counts = make([]int64, c*c)
		}
		m.classes = c
		m.labelled, m.predicted, m.tp = make([]int64, c), make([]int64, c), make([]int64, c)
	} else if c != m.classes {
		return fmt.Errorf("%s: a batch has %d classes, earlier ones %d", m.name, c, m.classes)
	}
	for r := 0; r < rows; r++ {
		if skip(mask, r) {
			continue
		}
		y, err := label(m.name, target, r, c)
		if err != nil {
			return err
		}
		p := argmax(out, r, c)
		m.labelled[y]++
		m.predicted[p]++
		if p == y {
			m.tp[y]++
		}
		if m.counts != nil {
			m.counts[y*c+p]++
		}
		m.total++
	}
	return nil
}

// Confusion returns the confusion matrix: row y, column p counts the
// examples of label y predicted p (nil unless the metric is "confusion").
func (m *classMetric) Confusion() [][]int64 {
	if m.counts == nil {
		return nil
	}
	out := make([][]int64, m.classes)
	for y := range out {
		out[y] = append([]int64(nil), m.counts[y*m.classes:(y+1)*m.classes]...)
	}
	return out
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func (m *classMetric) Values() map[string]float64 {
	switch m.name {
	case "accuracy":
		var hit int64
		for _, n := range m.tp {
			hit += n
		}
		if m.total == 0 {
			return map[string]float64{"accuracy": math.NaN()}
		}
		return map[string]float64{"accuracy": ratio(hit, m.total)}
	case "confusion":
		return map[string]float64{"confusion": float64(m.total)}
	}
	out := map[string]float64{}
	var sum float64
	present := 0
	for i := 0; i < m.classes; i++ {
		tp := m.tp[i]
		fp, fn := m.predicted[i]-tp, m.labelled[i]-tp
		var v float64
		switch m.name {
		case "precision":
			v = ratio(tp, tp+fp)
		case "recall":
			v = ratio(tp, tp+fn)
		default:
			v = ratio(2*tp, 2*tp+fp+fn)
		}
		out[fmt.Sprintf("%s_class%d", m.name, i)] = v
		if m.labelled[i]+m.predicted[i] > 0 {
			sum += v
			present++
		}
	}
	out[m.name+"_macro"] = math.NaN()
	if present > 0 {
		out[m.name+"_macro"] = sum / float64(present)
	}
	return out
}

// topKMetric is top-K accuracy.
type topKMetric struct {
	k          int
	hit, total int64
}

func (m *topKMetric) Name() string { return fmt.Sprintf("top%d_accuracy", m.k) }

func (m *topKMetric) Reset() { m.hit, m.total = 0, 0 }

func (m *topKMetric) Add(out, target, mask *tensor.Tensor) error {
	rows, c, err := classRows(m.Name(), out, target, mask)
	if err != nil {
		return err
	}
	for r := 0; r < rows; r++ {
		if skip(mask, r) {
			continue
		}
		y, err := label(m.Name(), target, r, c)
		if err != nil {
			return err
		}
		// The label's rank: classes scoring higher, or as high with a
		// smaller index.
		s := out.At(r*c + y)
		rank := 0
		for j := 0; j < c && rank < m.k; j++ {
			if v := out.At(r*c + j); v > s || v == s && j < y {
				rank++
			}
		}
		if rank < m.k {
			m.hit++
		}
		m.total++
	}
	return nil
}

func (m *topKMetric) Values() map[string]float64 {
	v := math.NaN()
	if m.total > 0 {
		v = ratio(m.hit, m.total)
	}
	return map[string]float64{m.Name(): v}
}

// aucMetric keeps every score and label it is given: the exact ROC AUC
// needs their order.
type aucMetric struct {
	scores []float64
	pos    []bool
}

func (m *aucMetric) Name() string { return "auc" }

func (m *aucMetric) Reset() { m.scores, m.pos = nil, nil }

func (m *aucMetric) Add(out, target, mask *tensor.Tensor) error {
	rows := target.Len()
	if !out.DType.IsFloat() {
		return fmt.Errorf("auc: needs float scores, got %s", typeOf(out))
	}
	pair := false
	switch {
	case out.Len() == rows:
	case out.Len() == 2*rows && len(out.Shape) > 0 && out.Shape[len(out.Shape)-1] == 2:
		pair = true
	default:
		return fmt.Errorf("auc: scores %s do not match labels %s (want one score or two logits per label)", typeOf(out), typeOf(target))
	}
	if mask != nil && mask.Len() != rows {
		return fmt.Errorf("auc: the mask %s does not match the labels %s", typeOf(mask), typeOf(target))
	}
	for r := 0; r < rows; r++ {
		if skip(mask, r) {
			continue
		}
		y := target.At(r)
		if y != 0 && y != 1 {
			return fmt.Errorf("auc: label %v of row %d is not 0 or 1 (auc is binary)", y, r)
		}
		s := out.At(r)
		if pair {
			s = out.At(2*r+1) - out.At(2*r)
		}
		if math.IsNaN(s) {
			return fmt.Errorf("auc: the score of row %d is NaN", r)
		}
		m.scores = append(m.scores, s)
		m.pos = append(m.pos, y == 1)
	}
	return nil
}

// Values computes the AUC as the Mann-Whitney statistic: the sum of the
// positives' ranks (tied scores share their mean rank), less P(P+1)/2,
// over P·N.
func (m *aucMetric) Values() map[string]float64 {
	idx := make([]int, len(m.scores))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return m.scores[idx[a]] < m.scores[idx[b]] })
	var rankSum float64
	var p, n int64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && m.scores[idx[j]] == m.scores[idx[i]] {
			j++
		}
		mean := float64(i+j+1) / 2 // ranks i+1 .. j
		for _, k := range idx[i:j] {
			if m.pos[k] {
				rankSum += mean
				p++
			} else {
				n++
			}
		}
		i = j
	}
	if p == 0 || n == 0 {
		return map[string]float64{"auc": math.NaN()}
	}
	return map[string]float64{"auc": (rankSum - float64(p)*float64(p+1)/2) / (float64(p) * float64(n))}
}

// regressionMetric is MAE, RMSE and R². R² keeps, per output, the count,
// mean and sum of squared deviations of the targets (Chan et al.'s
// pairwise update, exact to rounding, with no cancellation) and the sum of
// squared errors.
type regressionMetric struct {
	name        string
	n           int64
	absSum      float64
	sqSum       float64
	outputs     int
	mean, m2    []float64
	sse         []float64
	batchMean   []float64
	batchM2     []float64
	initialized bool
}

func (m *regressionMetric) Name() string { return m.name }

func (m *regressionMetric) Reset() { *m = regressionMetric{name: m.name} }

func (m *regressionMetric) Add(out, target, mask *tensor.Tensor) error {
	if !out.DType.IsFloat() || out.Len() != target.Len() {
		return fmt.Errorf("%s: predictions %s do not match targets %s", m.name, typeOf(out), typeOf(target))
	}
	rows := 1
	if len(target.Shape) > 0 {
		rows = target.Shape[0]
	}
	if rows == 0 {
		return nil
	}
	outputs := target.Len() / rows
	if mask != nil && mask.Len() != rows {
		return fmt.Errorf("%s: the mask %s does not match the %d target rows", m.name, typeOf(mask), rows)
	}
	if !m.initialized {
		m.outputs, m.initialized = outputs, true
		m.mean, m.m2, m.sse = make([]float64, outputs), make([]float64, outputs), make([]float64, outputs)
		m.batchMean, m.batchM2 = make([]float64, outputs), make([]float64, outputs)
	} else if outputs != m.outputs {
		return fmt.Errorf("%s: a batch has %d outputs per row, earlier ones %d", m.name, outputs, m.outputs)
	}
	// The batch's own count, means and squared deviations, then merged.
	var nb int64
	for j := range m.batchMean {
		m.batchMean[j], m.batchM2[j] = 0, 0
	}
	for r := 0; r < rows; r++ {
		if skip(mask, r) {
			continue
		}
		nb++
		for j := 0; j < outputs; j++ {
			y, p := target.At(r*outputs+j), out.At(r*outputs+j)
			e := p - y
			m.absSum += math.Abs(e)
			m.sqSum += e * e
			m.sse[j] += e * e
			d := y - m.batchMean[j]
			m.batchMean[j] += d / float64(nb)
			m.batchM2[j] += d * (y - m.batchMean[j])
		}
	}
	if nb == 0 {
		return nil
	}
	na, n := float64(m.n), float64(m.n+nb)
	for j := 0; j < outputs; j++ {
		d := m.batchMean[j] - m.mean[j]
		m.mean[j] += d * float64(nb) / n
		m.m2[j] += m.batchM2[j] + d*d*na*float64(nb)/n
	}
	m.n += nb
	return nil
}

func (m *regressionMetric) Values() map[string]float64 {
	if m.n == 0 {
		return map[string]float64{m.name: math.NaN()}
	}
	count := float64(m.n) * float64(m.outputs)
	switch m.name {
	case "mae":
		return map[string]float64{"mae": m.absSum / count}
	case "rmse":
		return map[string]float64{"rmse": math.Sqrt(m.sqSum / count)}
	}
	var sum float64
	for j := 0; j < m.outputs; j++ {
		switch {
		case m.m2[j] != 0:
			sum += 1 - m.sse[j]/m.m2[j]
		case m.sse[j] == 0:
			sum++
		}
	}
	return map[string]float64{"r2": sum / float64(m.outputs)}
}

// tokenMetric is the mean cross entropy per token in nats, its
// exponential and its value in bits.
type tokenMetric struct {
	name   string
	nats   float64
	tokens int64
}

func (m *tokenMetric) Name() string { return m.name }

func (m *tokenMetric) Reset() { m.nats, m.tokens = 0, 0 }

func (m *tokenMetric) Add(out, target, mask *tensor.Tensor) error {
	rows, v, err := classRows(m.name, out, target, mask)
	if err != nil {
		return err
	}
	for r := 0; r < rows; r++ {
		if skip(mask, r) {
			continue
		}
		y, err := label(m.name, target, r, v)
		if err != nil {
			return err
		}
		// log Σ exp(x_j) - x_y, shifted by the largest logit.
		top := math.Inf(-1)
		for j := 0; j < v; j++ {
			top = math.Max(top, out.At(r*v+j))
		}
		var s float64
		for j := 0; j < v; j++ {
			s += math.Exp(out.At(r*v+j) - top)
		}
		m.nats += math.Log(s) + top - out.At(r*v+y)
		m.tokens++
	}
	return nil
}

func (m *tokenMetric) Values() map[string]float64 {
	nats := math.NaN()
	if m.tokens > 0 {
		nats = m.nats / float64(m.tokens)
	}
	switch m.name {
	case "perplexity":
		return map[string]float64{"perplexity": math.Exp(nats)}
	case "bits_per_token":
		return map[string]float64{"bits_per_token": nats / math.Ln2}
	}
	return map[string]float64{"nats_per_token": nats}
}

// MetricSet is several metrics fed the same batches.
type MetricSet struct {
	metrics []Metric
}

// NewMetricSet returns the metrics named, in order; a name given twice is
// an error.
func NewMetricSet(names []string) (*MetricSet, error) {
	s := &MetricSet{}
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			return nil, fmt.Errorf("metric %q is named twice", n)
		}
		seen[n] = true
		m, err := NewMetric(n)
		if err != nil {
			return nil, err
		}
		s.metrics = append(s.metrics, m)
	}
	return s, nil
}

// Metrics returns the set's metrics, in the order named.
func (s *MetricSet) Metrics() []Metric { return s.metrics }

// Add folds one batch into every metric.
func (s *MetricSet) Add(out, target, mask *tensor.Tensor) error {
	for _, m := range s.metrics {
		if err := m.Add(out, target, mask); err != nil {
			return err
		}
	}
	return nil
}

// Values returns every metric's values, each key prefixed ("val_").
func (s *MetricSet) Values(prefix string) map[string]float64 {
	out := map[string]float64{}
	for _, m := range s.metrics {
		for k, v := range m.Values() {
			out[prefix+k] = v
		}
	}
	return out
}

// Confusion returns the confusion matrix when the set has "confusion",
// else nil.
func (s *MetricSet) Confusion() [][]int64 {
	for _, m := range s.metrics {
		if c, ok := m.(*classMetric); ok && c.name == "confusion" {
			return c.Confusion()
		}
	}
	return nil
}

// Reset forgets every batch added.
func (s *MetricSet) Reset() {
	for _, m := range s.metrics {
		m.Reset()
	}
}
