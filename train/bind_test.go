package train

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/tensor"
)

// labelCSV is a CSV of n rows of 64 zero features and a label, the label of
// row bad (from 0) being badLabel and the others i%10.
func labelCSV(n, bad int, badLabel string) string {
	var b strings.Builder
	b.WriteString(strings.Repeat("f,", 64) + "y\n")
	for i := range n {
		b.WriteString(strings.Repeat("0,", 64))
		if i == bad {
			b.WriteString(badLabel + "\n")
		} else {
			fmt.Fprintf(&b, "%d\n", i%10)
		}
	}
	return b.String()
}

func loadLabelCSV(t *testing.T, n, bad int, badLabel string) *data.Dataset {
	t.Helper()
	d, err := data.DecodeCSV(strings.NewReader(labelCSV(n, bad, badLabel)), "train.csv", data.CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// A label outside [0, 10) for the 10 classes of cross_entropy is an error
// naming the file, the line (header on line 1, row k on line k+2) and the
// value, when data is bound: training, validation and evaluation.
func TestLabelsOutOfRange(t *testing.T) {
	for _, tc := range []struct {
		label string
		bad   int
	}{{"10", 16}, {"-1", 0}, {"2147483647", 29}} {
		d := loadLabelCSV(t, 30, tc.bad, tc.label)
		want := fmt.Sprintf(`train.csv:%d: cross_entropy "y": label %s out of range [0, 10)`, tc.bad+2, tc.label)

		sb := ops.NewBuilder()
		_, loss := mlp(sb, 8, true)
		if err := BuildStep(sb, loss, nil, NewAdam(0.01)); err != nil {
			t.Fatal(err)
		}
		store := runtime.NewStore()
		if err := runtime.InitParams(store, sb.G, 1); err != nil {
			t.Fatal(err)
		}
		_, err := Run(Config{Step: sb.G, Store: store, Train: d, BatchSize: 8, Epochs: 1})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("label %s: Run: err = %v, want %q", tc.label, err, want)
		}

		eb := ops.NewBuilder()
		logits, eloss := mlp(eb, 8, false)
		eb.Output("logits", logits)
		eb.Output("loss", eloss)
		ev, err := NewEvaluator(eb.G, eb.G, store, "y", 8)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ev.Evaluate(d); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("label %s: Evaluate: err = %v, want %q", tc.label, err, want)
		}
	}
}

// Labels in range pass, and the validation part alone is checked too.
func TestLabelsInRangeAndValidation(t *testing.T) {
	good := loadLabelCSV(t, 20, -1, "")
	bad := loadLabelCSV(t, 20, 5, "10")
	cfg := mlpConfig(t, 8)
	cfg.Train, cfg.BatchSize, cfg.Epochs = good, 8, 1
	if _, err := Run(cfg); err != nil {
		t.Fatalf("labels in range: %v", err)
	}
	cfg.Val = bad
	_, err := Run(cfg)
	want := `train.csv:7: cross_entropy "y": label 10 out of range [0, 10)`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("validation split: err = %v, want %q", err, want)
	}
}

// A float label array cast to integers must hold integers.
func TestCastLabelsMustBeIntegers(t *testing.T) {
	b := ops.NewBuilder()
	B := ops.DimVar("B")
	logits := b.Input("z", ops.Type{DType: ops.F32, Shape: ops.Shape{B, ops.DimConst(3)}})
	y := b.Input("y", ops.Type{DType: ops.F32, Shape: ops.Shape{B}})
	yi := b.Must(ops.Cast, ops.Attrs{"dtype": ops.I32}, y)
	b.Output("loss", b.Must(ops.CrossEntropy, nil, logits, yi))
	uses := indexUses(b.G)
	if len(uses) != 1 || uses[0].input != "y" || uses[0].bound != 3 || !uses[0].cast {
		t.Fatalf("indexUses = %+v, want y cast, bound 3", uses)
	}
	d := &data.Dataset{
		Arrays: map[string]*tensor.Tensor{
			"z": tensor.New(tensor.F32, 3, 3),
			"y": tensor.FromFloat64s(tensor.F32, []int{3}, []float64{0, 2, 1.5}),
		},
		Source: &data.Source{File: "f.npz"},
	}
	err := checkInputs("loss graph", b.G, d)
	want := `f.npz: row 2: cross_entropy "y": label 1.5 is not an integer`
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
	d.Arrays["y"].F32[2] = 3
	err = checkInputs("loss graph", b.G, d)
	want = `f.npz: row 2: cross_entropy "y": label 3 out of range [0, 3)`
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
	d.Arrays["y"].F32[2] = 2
	if err := checkInputs("loss graph", b.G, d); err != nil {
		t.Errorf("labels 0 2 2: %v", err)
	}
}

// A bad label in the validation or the test data is reported before the
// first step: no epoch runs (no progress line, AfterEpoch never called) and
// the parameters are those initialized.
func TestHeldOutLabelsCheckedBeforeTraining(t *testing.T) {
	good := loadLabelCSV(t, 20, -1, "")
	for _, tc := range []struct {
		split string
		row   int
		label string
		want  string
	}{
		{"test", 11, "10", `the test data: train.csv:13: cross_entropy "y": label 10 out of range [0, 10)`},
		{"validation", 3, "-1", `the validation data: train.csv:5: cross_entropy "y": label -1 out of range [0, 10) (cross_entropy(..., ignore_index = -1) leaves such rows out of the loss)`},
	} {
		bad := loadLabelCSV(t, 20, tc.row, tc.label)
		cfg := mlpConfig(t, 8)
		store := cfg.Store
		w0 := append([]float32(nil), store.Get("head.b").F32...)
		var progress strings.Builder
		epochs := 0
		cfg.Train, cfg.Val, cfg.Test = good, good, good
		cfg.BatchSize, cfg.Epochs, cfg.Progress = 8, 3, &progress
		cfg.AfterEpoch = func(EpochStats) error { epochs++; return nil }
		if tc.split == "test" {
			cfg.Test = bad
		} else {
			cfg.Val = bad
		}
		res, err := Run(cfg)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: err = %v, want %q", tc.split, err, tc.want)
		}
		if res != nil || epochs != 0 || progress.Len() != 0 {
			t.Errorf("%s: trained before the error: result %v, %d epochs, progress %q", tc.split, res, epochs, progress.String())
		}
		if w := store.Get("head.b").F32; !slices.Equal(w, w0) {
			t.Errorf("%s: the parameters changed before the error", tc.split)
		}
	}
}
