package train

import (
	"encoding/json"
	"math"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/nnclang/nnc/tensor"
)

// metricsCase is one case of testdata/metrics_reference.json
// (testdata/make_metrics_reference.py: sklearn, NumPy and torch).
type metricsCase struct {
	Logits, Scores, Pred, Target []float64
	Labels, Mask                 []int64
	Shape                        []int
	LabelShape                   []int `json:"label_shape"`
	Batches                      []int
	Values                       map[string]float64
	Confusion                    [][]int64
	Count                        int64
}

func loadMetricsCases(t *testing.T) map[string]metricsCase {
	t.Helper()
	b, err := os.ReadFile("testdata/metrics_reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct{ Cases map[string]metricsCase }
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	if len(ref.Cases) != 6 {
		t.Fatalf("%d reference cases, want 6", len(ref.Cases))
	}
	return ref.Cases
}

// rowsOf cuts rows [lo, hi) of a row-major array of shape shape.
func rowsOf(dt tensor.DType, v []float64, shape []int, lo, hi int) *tensor.Tensor {
	inner := 1
	for _, d := range shape[1:] {
		inner *= d
	}
	s := append([]int{hi - lo}, shape[1:]...)
	return tensor.FromFloat64s(dt, s, v[lo*inner:hi*inner])
}

func ints(v []int64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// feed adds case c to set in its batches, the model output as dt.
func (c metricsCase) feed(t *testing.T, set *MetricSet, dt tensor.DType) {
	t.Helper()
	out, shape := c.Logits, c.Shape
	if c.Scores != nil {
		out = c.Scores
	}
	if c.Pred != nil {
		out = c.Pred
	}
	tshape := []int{len(c.Labels)}
	var target []float64
	ttype := tensor.I64
	switch {
	case c.Target != nil:
		target, tshape, ttype = c.Target, shape, tensor.F64
	case c.LabelShape != nil:
		target, tshape = ints(c.Labels), c.LabelShape
	default:
		target = ints(c.Labels)
	}
	lo := 0
	for _, n := range c.Batches {
		o := rowsOf(dt, out, shape, lo, lo+n)
		y := rowsOf(ttype, target, tshape, lo, lo+n)
		var m *tensor.Tensor
		if c.Mask != nil {
			m = rowsOf(tensor.I64, ints(c.Mask), tshape, lo, lo+n)
		}
		if err := set.Add(o, y, m); err != nil {
			t.Fatal(err)
		}
		lo += n
	}
	if lo != shape[0] {
		t.Fatalf("batches cover %d rows of %d", lo, shape[0])
	}
}

// TestMetricsReference feeds each case batch by batch and compares every
// value with sklearn's (accuracy, top-k, precision/recall/F1 per class and
// macro, confusion matrix, ROC AUC with ties, MAE, R²), NumPy's (RMSE) and
// torch's cross entropy (nats and bits per token, perplexity).
func TestMetricsReference(t *testing.T) {
	names := map[string][]string{
		"classification": {"accuracy", "precision", "recall", "f1", "confusion", "top1_accuracy", "top2_accuracy", "top3_accuracy", "top5_accuracy"},
		"auc_scores":     {"auc"},
		"auc_logits":     {"auc"},
		"regression3":    {"mae", "rmse", "r2"},
		"regression1":    {"mae", "rmse", "r2"},
		"tokens":         {"perplexity", "nats_per_token", "bits_per_token"},
	}
	for name, c := range loadMetricsCases(t) {
		set, err := NewMetricSet(names[name])
		if err != nil {
			t.Fatal(err)
		}
		c.feed(t, set, tensor.F64)
		got := set.Values("val_")
		checked := 0
		for k, want := range c.Values {
			g, ok := got["val_"+k]
			if !ok {
				t.Errorf("%s: no value val_%s (have %v)", name, k, keys(got))
				continue
			}
			if math.Abs(g-want) > 1e-9*math.Max(1, math.Abs(want)) {
				t.Errorf("%s: %s = %.15g, reference %.15g", name, k, g, want)
			}
			checked++
		}
		if checked < len(c.Values) || checked == 0 {
			t.Errorf("%s: %d values checked", name, checked)
		}
		if c.Confusion != nil {
			conf := set.Confusion()
			if len(conf) != len(c.Confusion) {
				t.Fatalf("%s: confusion %v, sklearn %v", name, conf, c.Confusion)
			}
			for i := range conf {
				for j := range conf[i] {
					if conf[i][j] != c.Confusion[i][j] {
						t.Errorf("%s: confusion[%d][%d] = %d, sklearn %d", name, i, j, conf[i][j], c.Confusion[i][j])
					}
				}
			}
			if got["val_confusion"] != float64(c.Count) {
				t.Errorf("%s: %v examples counted, want %d", name, got["val_confusion"], c.Count)
			}
		}
		// Reset forgets everything: feeding again gives the same values.
		set.Reset()
		c.feed(t, set, tensor.F64)
		again := set.Values("val_")
		for k, v := range got {
			if math.Float64bits(again[k]) != math.Float64bits(v) {
				t.Errorf("%s: after Reset %s = %v, first %v", name, k, again[k], v)
			}
		}
	}
}

// TestMetricsFloat32 checks that f32 outputs are read too: the
// classification counts from f32 logits are those of sklearn (the logits
// are far from ties at f32 precision).
func TestMetricsFloat32(t *testing.T) {
	c := loadMetricsCases(t)["classification"]
	set, err := NewMetricSet([]string{"accuracy", "f1"})
	if err != nil {
		t.Fatal(err)
	}
	c.feed(t, set, tensor.F32)
	got := set.Values("")
	for _, k := range []string{"accuracy", "f1_macro"} {
		if math.Abs(got[k]-c.Values[k]) > 1e-12 {
			t.Errorf("%s = %v, sklearn %v", k, got[k], c.Values[k])
		}
	}
}

// TestMetricsHand checks small cases computed by hand: AUC with every
// score tied is 0.5, perfect ranking 1, reversed 0; a one-class AUC is NaN;
// top-2 ties go to the smaller class; R² of a constant target is 1 when
// predicted exactly, else 0 (sklearn).
func TestMetricsHand(t *testing.T) {
	auc := func(scores []float64, labels []float64) float64 {
		m, _ := NewMetric("auc")
		if err := m.Add(tensor.FromFloat64s(tensor.F64, []int{len(scores)}, scores), tensor.FromFloat64s(tensor.I64, []int{len(labels)}, labels), nil); err != nil {
			t.Fatal(err)
		}
		return m.Values()["auc"]
	}
	if v := auc([]float64{1, 1, 1, 1}, []float64{0, 1, 0, 1}); v != 0.5 {
		t.Errorf("tied auc %v, want 0.5", v)
	}
	if v := auc([]float64{0.1, 0.2, 0.8, 0.9}, []float64{0, 0, 1, 1}); v != 1 {
		t.Errorf("perfect auc %v", v)
	}
	if v := auc([]float64{0.9, 0.8, 0.2, 0.1}, []float64{0, 0, 1, 1}); v != 0 {
		t.Errorf("reversed auc %v", v)
	}
	// Positives at 0.5 and 0.7, negatives at 0.5 and 0.2: pairs (0.5,0.5)
	// half, (0.5,0.2) 1, (0.7,*) 2: 3.5/4.
	if v := auc([]float64{0.5, 0.7, 0.5, 0.2}, []float64{1, 1, 0, 0}); v != 0.875 {
		t.Errorf("auc %v, want 0.875", v)
	}
	if v := auc([]float64{0.5, 0.7}, []float64{1, 1}); !math.IsNaN(v) {
		t.Errorf("one-class auc %v, want NaN", v)
	}

	top2, _ := NewMetric("top2_accuracy")
	logits := tensor.FromFloat64s(tensor.F64, []int{2, 3}, []float64{1, 1, 1, 0, 5, 5})
	if err := top2.Add(logits, tensor.FromFloat64s(tensor.I32, []int{2}, []float64{2, 2}), nil); err != nil {
		t.Fatal(err)
	}
	// Row 0: classes 0 and 1 tie with the label 2 and come first: a miss.
	// Row 1: class 1 ties with label 2 and comes first: rank 1, a hit.
	if v := top2.Values()["top2_accuracy"]; v != 0.5 {
		t.Errorf("top2 with ties %v, want 0.5", v)
	}

	r2 := func(pred []float64) float64 {
		m, _ := NewMetric("r2")
		y := tensor.FromFloat64s(tensor.F64, []int{3}, []float64{2, 2, 2})
		if err := m.Add(tensor.FromFloat64s(tensor.F64, []int{3}, pred), y, nil); err != nil {
			t.Fatal(err)
		}
		return m.Values()["r2"]
	}
	if v := r2([]float64{2, 2, 2}); v != 1 {
		t.Errorf("exact constant r2 %v, want 1", v)
	}
	if v := r2([]float64{2, 2, 3}); v != 0 {
		t.Errorf("constant-target r2 %v, want 0", v)
	}

	empty, _ := NewMetricSet([]string{"accuracy", "mae", "perplexity", "top3_accuracy"})
	for k, v := range empty.Values("") {
		if !math.IsNaN(v) {
			t.Errorf("%s of nothing is %v, want NaN", k, v)
		}
	}
}

// TestMetricsErrors lists inputs refused.
func TestMetricsErrors(t *testing.T) {
	f := func(dt tensor.DType, shape []int, v ...float64) *tensor.Tensor {
		return tensor.FromFloat64s(dt, shape, v)
	}
	logits := f(tensor.F32, []int{2, 3}, 1, 2, 3, 4, 5, 6)
	for _, c := range []struct {
		metric      string
		out, target *tensor.Tensor
		mask        *tensor.Tensor
		want        string
	}{
		{"accuracy", logits, f(tensor.I64, []int{2}, 0, 3), nil, "not a class"},
		{"f1", logits, f(tensor.I64, []int{2}, 0, -1), nil, "not a class"},
		{"accuracy", logits, f(tensor.F32, []int{2}, 0, 1.5), nil, "not a class"},
		{"accuracy", logits, f(tensor.I64, []int{3}, 0, 1, 2), nil, "do not match"},
		{"accuracy", f(tensor.I64, []int{2, 3}, 1, 2, 3, 4, 5, 6), f(tensor.I64, []int{2}, 0, 1), nil, "float logits"},
		{"top2_accuracy", logits, f(tensor.I64, []int{2}, 0, 1), f(tensor.I64, []int{3}, 1, 1, 1), "mask"},
		{"auc", f(tensor.F64, []int{2}, 0.1, 0.2), f(tensor.I64, []int{2}, 0, 2), nil, "not 0 or 1"},
		{"auc", f(tensor.F64, []int{2}, 0.1, math.NaN()), f(tensor.I64, []int{2}, 0, 1), nil, "NaN"},
		{"auc", logits, f(tensor.I64, []int{2}, 0, 1), nil, "do not match"},
		{"mae", f(tensor.F64, []int{3}, 1, 2, 3), f(tensor.F64, []int{2}, 1, 2), nil, "do not match"},
		{"perplexity", logits, f(tensor.I64, []int{2}, 0, 7), nil, "not a class"},
	} {
		m, err := NewMetric(c.metric)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Add(c.out, c.target, c.mask); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.metric, err, c.want)
		}
	}
	for _, name := range []string{"top0_accuracy", "top-1_accuracy", "top01_accuracy", "topx_accuracy", "fscore", "top99999999999_accuracy"} {
		if _, err := NewMetric(name); err == nil {
			t.Errorf("metric %q accepted", name)
		}
	}
	if _, err := NewMetricSet([]string{"f1", "f1"}); err == nil {
		t.Error("a metric named twice: no error")
	}
	// Accuracy over a large vocabulary keeps no matrix; confusion refuses it.
	wide := tensor.New(tensor.F32, 2, 100000)
	wide.F32[99999] = 1 // row 0 predicts 99999, row 1 predicts 0
	acc, _ := NewMetric("accuracy")
	if err := acc.Add(wide, f(tensor.I64, []int{2}, 99999, 5), nil); err != nil {
		t.Fatal(err)
	}
	if v := acc.Values()["accuracy"]; v != 0.5 {
		t.Errorf("accuracy over 100000 classes %v, want 0.5", v)
	}
	conf, _ := NewMetric("confusion")
	if err := conf.Add(wide, f(tensor.I64, []int{2}, 99999, 5), nil); err == nil || !strings.Contains(err.Error(), "4096") {
		t.Errorf("a confusion matrix of 100000 classes: %v", err)
	}
	m, _ := NewMetric("accuracy")
	if err := m.Add(logits, f(tensor.I64, []int{2}, 0, 1), nil); err != nil {
		t.Fatal(err)
	}
	if err := m.Add(f(tensor.F32, []int{1, 2}, 1, 2), f(tensor.I64, []int{1}, 0), nil); err == nil {
		t.Error("a batch with another class count: no error")
	}
}

func keys(m map[string]float64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
