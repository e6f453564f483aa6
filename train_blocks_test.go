package nnc

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nnclang/nnc/data"
)

// fixture is a file of testdata/train.
func fixture(name string) string { return filepath.Join("testdata", "train", name) }

// reference reads testdata/train/reference.json (make_fixtures.py: NumPy
// in float64 from the fixtures and the params_*.safetensors beside them).
func reference(t *testing.T) map[string]json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(fixture("reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// refPair reads a [loss, accuracy] reference.
func refPair(t *testing.T, ref map[string]json.RawMessage, key string) (loss, acc float64) {
	t.Helper()
	var v [2]float64
	if err := json.Unmarshal(ref[key], &v); err != nil {
		t.Fatalf("reference %s: %v", key, err)
	}
	return v[0], v[1]
}

func compileFixture(t *testing.T, name string) *Program {
	t.Helper()
	p, err := CompileFile(fixture(name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestDataConstructorsTrain trains each committed data set through its
// constructor, with no conversion: the number of steps says how many rows
// each set got (the given test files, index arrays and fractions), and the
// metrics present say which sets exist.
func TestDataConstructorsTrain(t *testing.T) {
	for _, c := range []struct {
		file    string
		epochs  int
		steps   int // per epoch
		metrics []string
	}{
		{"iris.nn", 2, 8, []string{"train_accuracy", "val_accuracy"}},                              // 150 rows, [0.8, 0.2]: 120 in batches of 16
		{"digits_idx.nn", 2, 6, []string{"train_accuracy", "test_accuracy"}},                       // 120 training images in batches of 20, 40 test images
		{"rows_npz.nn", 2, 5, []string{"train_accuracy", "val_accuracy", "test_accuracy"}},         // idx_train: 40 rows in batches of 8
		{"rows_npy.nn", 2, 6, []string{"train_accuracy", "val_accuracy", "test_accuracy"}},         // 60 rows, 70%: 42 in batches of 8
		{"rows_jsonl.nn", 2, 4, []string{"train_accuracy", "val_accuracy", "test_accuracy"}},       // 60 rows, 50%: 30 in batches of 8
		{"shapes.nn", 2, 2, []string{"train_accuracy", "val_accuracy", "test_accuracy"}},           // 12 images, 50%: 6 in batches of 4
		{"rows_safetensors.nn", 2, 4, []string{"train_accuracy", "val_accuracy", "test_accuracy"}}, // 60 rows, 50%: 30 in batches of 8
		{"gcn_small.nn", 3, 1, []string{"train_accuracy", "val_accuracy", "test_accuracy"}},        // full batch: one step an epoch
	} {
		t.Run(c.file, func(t *testing.T) {
			p := compileFixture(t, c.file)
			res, err := p.Train(TrainOptions{Epochs: c.epochs})
			if err != nil {
				t.Fatal(err)
			}
			if res.Details.Steps != c.epochs*c.steps {
				t.Errorf("%d steps in %d epochs, want %d", res.Details.Steps, c.epochs, c.epochs*c.steps)
			}
			var got []string
			for k := range res.Metrics {
				if strings.HasSuffix(k, "_accuracy") {
					got = append(got, k)
				}
			}
			slices.Sort(got)
			want := slices.Clone(c.metrics)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("accuracies %v, want %v", got, want)
			}
			for k, v := range res.Metrics {
				if math.IsNaN(v) || v < 0 || strings.HasSuffix(k, "accuracy") && v > 1 {
					t.Errorf("%s = %v", k, v)
				}
			}
		})
	}
}

// TestEvalMatchesNumPy: with fixed parameters, Eval's loss and accuracy
// on each constructor's test set (the given test files, the index arrays'
// test rows, the graph's test mask) or on a whole file given as Data equal
// NumPy's float64 computation of the same model.
func TestEvalMatchesNumPy(t *testing.T) {
	ref := reference(t)
	for _, c := range []struct {
		file, params, data, ref string
	}{
		{"iris.nn", "params_iris.safetensors", "iris_named.csv", "iris_whole"}, // the block's csv(label = "species") reads the file given
		{"digits_idx.nn", "params_digits.safetensors", "", "digits_test"},
		{"rows_npz.nn", "params_rows.safetensors", "", "rows_test"},
		{"rows_jsonl.nn", "params_rows.safetensors", "rows.jsonl", "rows_whole"},
		{"rows_safetensors.nn", "params_rows.safetensors", "rows.safetensors", "rows_whole"},
		{"gcn_small.nn", "params_cora_small.safetensors", "", "cora_small_test"},
	} {
		t.Run(c.file, func(t *testing.T) {
			p := compileFixture(t, c.file)
			o := EvalOptions{Params: fixture(c.params)}
			if c.data != "" {
				o.Data = fixture(c.data)
			}
			m, err := p.Eval(o)
			if err != nil {
				t.Fatal(err)
			}
			loss, acc := refPair(t, ref, c.ref)
			if math.Abs(m["test_loss"]-loss) > 2e-5*math.Max(1, math.Abs(loss)) || m["test_accuracy"] != acc {
				t.Errorf("Eval = %v, want test_loss %.7f, test_accuracy %v (NumPy)", m, loss, acc)
			}
		})
	}
}

// TestGraphLoader: graph() reads Cora's CSR parts into dense arrays, and
// the adjacency is Kipf & Welling's D^-1/2 (max(A, Aᵀ) + I) D^-1/2 as NumPy
// computes it (row 0's nonzero entries); the masks' sets partition as the
// file's masks say.
func TestGraphLoader(t *testing.T) {
	p := compileFixture(t, "gcn_small.nn")
	s, err := p.settings("TrainOptions", "")
	if err != nil {
		t.Fatal(err)
	}
	sets, err := p.loadSets(s, dataRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Nodes, Features int
		AhatRow0        [][2]float64 `json:"ahat_row0"`
		ClassCounts     []int        `json:"class_counts"`
	}
	if err := json.Unmarshal(reference(t)["cora_small"], &ref); err != nil {
		t.Fatal(err)
	}
	a, x := sets.train.Arrays[graphAdjacency], sets.train.Arrays[graphFeatures]
	if !slices.Equal(a.Shape, []int{ref.Nodes, ref.Nodes}) || !slices.Equal(x.Shape, []int{ref.Nodes, ref.Features}) {
		t.Fatalf("adjacency %v, features %v; want %d nodes, %d features", a.Shape, x.Shape, ref.Nodes, ref.Features)
	}
	want := make([]float64, ref.Nodes)
	for _, e := range ref.AhatRow0 {
		want[int(e[0])] = e[1]
	}
	for j := range ref.Nodes {
		if got := float64(a.F32[j]); math.Abs(got-want[j]) > 1e-7 {
			t.Errorf("Â[0, %d] = %v, want %v", j, got, want[j])
		}
	}
	counts := 0
	for _, d := range []struct {
		name string
		set  int
	}{{"train", 80}, {"val", 60}, {"test", 100}} {
		var m []float32
		switch d.name {
		case "train":
			m = sets.train.Arrays[graphMask].F32
		case "val":
			m = sets.val.Arrays[graphMask].F32
		default:
			m = sets.test.Arrays[graphMask].F32
		}
		n := 0
		for _, v := range m {
			n += int(v)
		}
		if n != d.set {
			t.Errorf("%s mask selects %d nodes, want %d", d.name, n, d.set)
		}
		counts += n
	}
	if counts != ref.Nodes {
		t.Errorf("the masks select %d nodes of %d", counts, ref.Nodes)
	}
}

// graphProgram writes gcn_small.nn with another data setting into a
// temporary folder beside a copy of the graph.
func graphProgram(t *testing.T, dataSetting string) *Program {
	t.Helper()
	src, err := os.ReadFile(fixture("gcn_small.nn"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(fixture("cora_small.npz"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	lines := strings.Split(string(src), "\n")
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "data ") {
			lines[i] = "    data      = " + dataSetting
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "g.nn"), []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cora_small.npz"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := CompileFile(filepath.Join(dir, "g.nn"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPlanetoidSplit: planetoid(5, 40, 60, seed = s) takes exactly 5
// nodes of every class for training, 40 for validation and 60 for test,
// disjoint; the same seed gives the same sets and another seed others. A
// class with fewer nodes than asked, or too few nodes left, is an error
// at the split's place.
func TestPlanetoidSplit(t *testing.T) {
	var ref struct {
		ClassCounts []int `json:"class_counts"`
	}
	if err := json.Unmarshal(reference(t)["cora_small"], &ref); err != nil {
		t.Fatal(err)
	}
	masks := func(seed string) [3][]float32 {
		p := graphProgram(t, `graph("cora_small.npz", split = planetoid(5, 40, 60, seed = `+seed+`))`)
		s, err := p.settings("TrainOptions", "")
		if err != nil {
			t.Fatal(err)
		}
		sets, err := p.loadSets(s, dataRequest{})
		if err != nil {
			t.Fatal(err)
		}
		labels := sets.train.Arrays[graphLabels].I32
		out := [3][]float32{sets.train.Arrays[graphMask].F32, sets.val.Arrays[graphMask].F32, sets.test.Arrays[graphMask].F32}
		perClass := map[int32]int{}
		var sizes [3]int
		for i := range labels {
			k := 0
			for j := range 3 {
				if out[j][i] != 0 {
					sizes[j]++
					k++
				}
			}
			if k > 1 {
				t.Errorf("seed %s: node %d is in %d sets", seed, i, k)
			}
			if out[0][i] != 0 {
				perClass[labels[i]]++
			}
		}
		if sizes != [3]int{5 * len(ref.ClassCounts), 40, 60} {
			t.Errorf("seed %s: sets of %v nodes, want [35 40 60]", seed, sizes)
		}
		for c := range ref.ClassCounts {
			if perClass[int32(c)] != 5 {
				t.Errorf("seed %s: class %d has %d training nodes, want 5", seed, c, perClass[int32(c)])
			}
		}
		return out
	}
	a, b, c := masks("0"), masks("0"), masks("1")
	if !slices.Equal(a[0], b[0]) || !slices.Equal(a[2], b[2]) {
		t.Error("seed 0 twice gives different sets")
	}
	if slices.Equal(a[0], c[0]) {
		t.Error("seeds 0 and 1 give the same training nodes")
	}
	for setting, want := range map[string]string{
		`graph("cora_small.npz", split = planetoid(8, 40, 60))`:   "g.nn:21:49: train GCN: data: graph: planetoid(8, ...): class 3 has 7 nodes, fewer than 8",
		`graph("cora_small.npz", split = planetoid(5, 100, 200))`: "g.nn:21:49: train GCN: data: graph: planetoid(5, 100, 200): 100 validation and 200 test nodes, but only 205 nodes are left after the 35 training nodes",
	} {
		_, err := graphProgram(t, setting).Train(TrainOptions{Epochs: 1})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v; want %q", setting, err, want)
		}
	}
}

// TestPlanetoidRunSeed: planetoid(..., seed = "run") draws the split with
// the run's seed. Its sets are those of seed = s for the run's seed s;
// training with TrainOptions.Seed = 2 gives bitwise the metrics of the
// same run with seed = 2 written in, and another seed other metrics; with
// several seeds each run draws its own split (the runs of Seeds = 2 from 1
// are those of seed = 1 and seed = 2); Eval measures the split of
// EvalOptions.Seed, else of the seed the parameters file records (an
// error when it records none), so it gives a run's final test metrics
// back. A seed that
// is neither a count nor "run" is an error at the split.
func TestPlanetoidRunSeed(t *testing.T) {
	const fixed, run = `graph("cora_small.npz", split = planetoid(5, 40, 60, seed = %s))`, `"run"`
	setting := func(seed string) string { return strings.Replace(fixed, "%s", seed, 1) }
	masks := func(seed string, runSeed uint64) [3][]float32 {
		p := graphProgram(t, setting(seed))
		s, err := p.settings("TrainOptions", "")
		if err != nil {
			t.Fatal(err)
		}
		sets, err := p.loadSets(s, dataRequest{splitSeed: runSeed})
		if err != nil {
			t.Fatal(err)
		}
		return [3][]float32{sets.train.Arrays[graphMask].F32, sets.val.Arrays[graphMask].F32, sets.test.Arrays[graphMask].F32}
	}
	for _, k := range []uint64{0, 1, 7} {
		got, want := masks(run, k), masks(strconv.FormatUint(k, 10), 99)
		for i := range got {
			if !slices.Equal(got[i], want[i]) {
				t.Errorf("seed = \"run\" with run seed %d: set %d differs from seed = %d's", k, i, k)
			}
		}
	}
	trainAt := func(seed string, o TrainOptions) map[string]float64 {
		t.Helper()
		o.Epochs = 3
		res, err := graphProgram(t, setting(seed)).Train(o)
		if err != nil {
			t.Fatal(err)
		}
		return res.Metrics
	}
	two := uint64(2)
	a, b, c := trainAt(run, TrainOptions{Seed: &two}), trainAt("2", TrainOptions{Seed: &two}), trainAt("0", TrainOptions{Seed: &two})
	if a["test_accuracy"] != b["test_accuracy"] || a["test_loss"] != b["test_loss"] || a["val_loss"] != b["val_loss"] {
		t.Errorf("seed = \"run\" at seed 2: %v; seed = 2: %v", a, b)
	}
	if a["test_loss"] == c["test_loss"] {
		t.Errorf("seed = \"run\" at seed 2 and seed = 0 give the same test loss %v", a["test_loss"])
	}
	one := uint64(1)
	p := graphProgram(t, setting(run))
	res, err := p.Train(TrainOptions{Epochs: 3, Seed: &one, Seeds: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Seeds) != 2 || res.Seeds[1].Metrics["test_loss"] != a["test_loss"] {
		t.Errorf("Seeds = 2 from 1: %+v; want the second run's test loss %v", res.Seeds, a["test_loss"])
	}
	// Eval: a block with seed = 2 measures split 2 again.
	p = graphProgram(t, setting(run)+"\n    seed      = 2")
	out := filepath.Join(t.TempDir(), "P.safetensors")
	tr, err := p.Train(TrainOptions{Epochs: 3, Output: out})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := p.Eval(EvalOptions{Params: out})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Metrics["test_loss"] != a["test_loss"] || ev["test_accuracy"] != tr.Metrics["test_accuracy"] || math.Abs(ev["test_loss"]-tr.Metrics["test_loss"]) > 1e-6 {
		t.Errorf("block seed 2: trained %v, evaluated %v; want the test metrics of seed 2 (test loss %v)", tr.Metrics, ev, a["test_loss"])
	}
	// Eval of one of several seeds' files: the seed the file records, not
	// the block's (0), draws the split; EvalOptions.Seed overrides it; a
	// file that records none is an error unless Seed gives it.
	p = graphProgram(t, setting(run))
	many := filepath.Join(t.TempDir(), "M.safetensors")
	if _, err := p.Train(TrainOptions{Epochs: 3, Seed: &one, Seeds: 2, Output: many}); err != nil {
		t.Fatal(err)
	}
	seed2 := filepath.Join(filepath.Dir(many), "M.seed2.safetensors")
	ev, err = p.Eval(EvalOptions{Params: seed2})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(ev["test_loss"]-a["test_loss"]) > 1e-6 {
		t.Errorf("Eval of M.seed2: test loss %v; want seed 2's %v", ev["test_loss"], a["test_loss"])
	}
	zero := uint64(0)
	ev0, err := p.Eval(EvalOptions{Params: seed2, Seed: &zero})
	if err != nil {
		t.Fatal(err)
	}
	if ev0["test_loss"] == ev["test_loss"] {
		t.Errorf("Eval of M.seed2 with Seed 0 measured split 2 again (test loss %v)", ev0["test_loss"])
	}
	tensors, err := data.LoadSafetensors(seed2)
	if err != nil {
		t.Fatal(err)
	}
	bare := filepath.Join(filepath.Dir(many), "bare.safetensors")
	if err := data.SaveSafetensors(bare, tensors); err != nil {
		t.Fatal(err)
	}
	_, err = p.Eval(EvalOptions{Params: bare})
	if want := "the split is drawn with the training run's seed (seed = \"run\"), which " + bare + " does not record"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Eval of a file without a seed: %v; want %q", err, want)
	}
	if ev, err = p.Eval(EvalOptions{Params: bare, Seed: &two}); err != nil || math.Abs(ev["test_loss"]-a["test_loss"]) > 1e-6 {
		t.Errorf("Eval of a file without a seed, Seed 2: %v, %v; want test loss %v", ev, err, a["test_loss"])
	}
	_, err = graphProgram(t, setting(`"walk"`)).Train(TrainOptions{Epochs: 1})
	if want := `g.nn:21:49: train GCN: data: graph: split = planetoid(...): planetoid's seed is a non-negative integer, or "run"`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("seed = \"walk\": %v; want %q", err, want)
	}
}

// TestGraphFullBatchTrains: the design's GCN trains full-batch on the
// graph (one step an epoch) and fits its 80 training nodes; the test
// accuracy is measured on the test mask alone (a multiple of 1/100).
func TestGraphFullBatchTrains(t *testing.T) {
	p := compileFixture(t, "gcn_small.nn")
	res, err := p.Train(TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Details.Steps != 100 {
		t.Errorf("%d steps, want 100", res.Details.Steps)
	}
	m := res.Metrics
	t.Logf("%v", m)
	if m["train_accuracy"] < 0.9 || m["test_accuracy"] < 0.5 {
		t.Errorf("train accuracy %.3f, test %.3f; want ≥ 0.9 and ≥ 0.5", m["train_accuracy"], m["test_accuracy"])
	}
	if v := m["test_accuracy"] * 100; math.Abs(v-math.Round(v)) > 1e-9 {
		t.Errorf("test accuracy %v is not a fraction of the 100 test nodes", m["test_accuracy"])
	}
}

// TestDataBlockErrors: what is wrong in a data block is reported before
// any work, every error at the value at fault with its code, all of them.
func TestDataBlockErrors(t *testing.T) {
	for _, c := range []struct {
		block string
		want  []string // "line:col: code fragment"
	}{
		{`data = csv()`, []string{"14:12: E204 csv: file is required"}},
		{`data = cvs("d.csv")`, []string{"14:12: E201 unknown data constructor cvs", "did you mean csv?"}},
		{`data = csv("d.csv", lable = 4, header = 3)`, []string{"14:25: E204 csv has no argument lable", "14:45: E304 csv: header = 3: want true or false"}},
		{`data = text("t.txt")`, []string{"14:12: E204 text: seq is required"}},
		{`data = text("t.txt", seq = 0)`, []string{"14:32: E308 text: seq = 0: want a positive integer"}},
		{`data = graph("g.npz", split = planetoid(20, 500))`, []string{"14:35: E204 graph: split = planetoid(...): planetoid takes three counts"}},
		{`data = graph("g.npz", normalize = "row")`, []string{`14:39: E308 graph: normalize = "row": want one of "sym", "none"`}},
		{`data = csv("d.csv", split = planetoid(1, 2, 3))`, []string{"14:33: E304 csv: split = planetoid(...): want fractions"}},
		{`data = idx(train = ["a.gz"])`, []string{"14:24: E304 idx: train = [\"a.gz\"]: want two files in a list"}},
		{"data = csv(\"d.csv\", split = [0.5, 0.5])\n    split = [0.5, 0.5, 0]", []string{"15:13: E103 the split is given twice"}},
		{"data = \"d.csv\"\n    inputs = {x: 3, y: \"y\"}", []string{"15:18: E304 inputs: x: want an array name in quotes, got 3"}},
		{"data = \"d.csv\"\n    inputs = {q: \"x\", r: \"y\"}", []string{"15:15: E201 inputs: M has no input q", "15:23: E201 inputs: M has no input r"}},
		{"data = \"d.csv\"\n    inputs = {x: \"feats\"}", []string{`15:18: E201 inputs: x: the data has no array "feats" (arrays: x, y)`}},
		{"data = \"d.csv\"\n    labels = \"next\"", []string{`15:14: E201 labels: "next" is neither an input of M nor an array of the data`}},
		{`data = csv("nope.csv")`, []string{"14:16: E308 csv: ", "nope.csv"}},
	} {
		p, err := CompileFile(tinyModel(t, "    "+c.block))
		if err != nil {
			t.Fatalf("%s: %v", c.block, err)
		}
		_, err = p.Train(TrainOptions{})
		var list ErrorList
		var one *Error
		switch {
		case errors.As(err, &list):
		case errors.As(err, &one):
			list = ErrorList{one}
		default:
			t.Errorf("%s: %v; want positioned errors", c.block, err)
			continue
		}
		var lines []string
		for _, e := range list {
			lines = append(lines, e.Error()+" "+e.Code)
		}
		all := strings.Join(lines, "\n")
		n := 0
		for _, w := range c.want {
			if pos, rest, ok := strings.Cut(w, " "); ok && strings.Count(pos, ":") == 2 {
				pos = strings.TrimSuffix(pos, ":")
				code, frag, _ := strings.Cut(rest, " ")
				n++
				found := false
				for _, e := range list {
					found = found || strings.Contains(e.Error(), "m.nn:"+pos+":") && e.Code == code && strings.Contains(e.Error(), frag)
				}
				if !found {
					t.Errorf("%s: no error %q in\n%s", c.block, w, all)
				}
			} else if !strings.Contains(all, w) {
				t.Errorf("%s: no %q in\n%s", c.block, w, all)
			}
		}
		if len(list) != n {
			t.Errorf("%s: %d errors, want %d:\n%s", c.block, len(list), n, all)
		}
	}
}
