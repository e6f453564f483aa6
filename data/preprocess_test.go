package data

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nnclang/nnc/tensor"
)

// preprocessExpect is testdata/preprocess/preprocess_expect.json, written
// by make_preprocess.py (NumPy and math.fsum).
type preprocessExpect struct {
	F32 struct {
		Shape               []int
		Train, Test         []float64
		Mean, Std, Min, Max []float64
		StdTrain            []float64 `json:"std_train"`
		StdTest             []float64 `json:"std_test"`
		MinmaxTest          []float64 `json:"minmax_test"`
		Minmax01Train       []float64 `json:"minmax01_train"`
	}
	F64 struct {
		Train, Test []float64
		Mean, Std   []float64
		StdTest     []float64 `json:"std_test"`
	}
	Bytes struct {
		Data      []int
		Mean, Std []float64
		StdAll    []float64 `json:"std_all"`
	}
	OneHot struct {
		X        []float64
		Columns  []int
		Classes  []int
		Expanded []float64
		Mean     []float64
		Std      []float64
		StdAll   []float64 `json:"std_all"`
	} `json:"one_hot"`
	OneHotLabels struct {
		Y       []int32
		Classes int
		Onehot  []float64
	} `json:"one_hot_labels"`
	Labels struct {
		Values, Categories []string
		IDs                []int32
	}
}

func loadPreprocessExpect(t *testing.T) *preprocessExpect {
	t.Helper()
	b, err := os.ReadFile("testdata/preprocess/preprocess_expect.json")
	if err != nil {
		t.Fatal(err)
	}
	var e preprocessExpect
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	return &e
}

func f32Tensor(v []float64, shape ...int) *tensor.Tensor {
	return tensor.FromFloat64s(tensor.F32, shape, v)
}

// sameFloats checks got against want exactly (as float64 values).
func sameFloats(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] && !(math.IsNaN(got[i]) && math.IsNaN(want[i])) {
			t.Fatalf("%s[%d] = %v (%x), want %v (%x)", what, i, got[i], math.Float64bits(got[i]), want[i], math.Float64bits(want[i]))
		}
	}
}

// closeFloats checks got against want to within rel relative error.
func closeFloats(t *testing.T, what string, got, want []float64, rel float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Abs(got[i]-want[i]) > rel*math.Abs(want[i]) {
			t.Fatalf("%s[%d] = %v, want %v (relative error %g > %g)", what, i, got[i], want[i], math.Abs(got[i]-want[i])/math.Abs(want[i]), rel)
		}
	}
}

func TestPreprocessStandardizeF32(t *testing.T) {
	e := loadPreprocessExpect(t).F32
	f := e.Shape[0]
	train := &Dataset{Arrays: map[string]*tensor.Tensor{"x": f32Tensor(e.Train, len(e.Train)/f, f)}}
	test := &Dataset{Arrays: map[string]*tensor.Tensor{"x": f32Tensor(e.Test, len(e.Test)/f, f)}}
	p := &Preprocess{Scaling: Standardize}
	if err := p.Fit(train); err != nil {
		t.Fatal(err)
	}
	st := p.Stats["x"]
	closeFloats(t, "mean", st.Mean, e.Mean, 1e-15)
	closeFloats(t, "std", st.Std, e.Std, 1e-15)
	if st.Std[2] != 0 || st.Mean[2] != float64(float32(0.1)) || st.Rows != 30 {
		t.Fatalf("constant feature: mean %v std %v rows %d, want mean f32(0.1), std 0, 30 rows", st.Mean[2], st.Std[2], st.Rows)
	}
	before := slices.Clone(train.Arrays["x"].F32)
	gotTrain, err := p.Apply(train)
	if err != nil {
		t.Fatal(err)
	}
	gotTest, err := p.Apply(test)
	if err != nil {
		t.Fatal(err)
	}
	sameFloats(t, "standardized train", gotTrain.Arrays["x"].Float64s(), e.StdTrain)
	sameFloats(t, "standardized test", gotTest.Arrays["x"].Float64s(), e.StdTest)
	if !slices.Equal(before, train.Arrays["x"].F32) {
		t.Fatal("Apply changed its input")
	}
	// The constant feature: 0 on the training set, v − 0.1 (divided by 1) on a test value 0.7.
	if v := gotTest.Arrays["x"].F32[3*f+2]; v != float32(float64(float32(0.7))-float64(float32(0.1))) {
		t.Fatalf("constant feature at a new value: %v", v)
	}
}

func TestPreprocessMinMax(t *testing.T) {
	e := loadPreprocessExpect(t).F32
	f := e.Shape[0]
	train := &Dataset{Arrays: map[string]*tensor.Tensor{"x": f32Tensor(e.Train, len(e.Train)/f, f)}}
	test := &Dataset{Arrays: map[string]*tensor.Tensor{"x": f32Tensor(e.Test, len(e.Test)/f, f)}}
	p := &Preprocess{Scaling: MinMax, Low: -1, High: 2}
	if err := p.Fit(train); err != nil {
		t.Fatal(err)
	}
	sameFloats(t, "min", p.Stats["x"].Min, e.Min)
	sameFloats(t, "max", p.Stats["x"].Max, e.Max)
	if p.Stats["x"].Mean != nil || p.Stats["x"].Std != nil {
		t.Fatal("minmax statistics hold a mean or std")
	}
	got, err := p.Apply(test)
	if err != nil {
		t.Fatal(err)
	}
	sameFloats(t, "minmax [-1, 2] test", got.Arrays["x"].Float64s(), e.MinmaxTest)

	p01 := &Preprocess{Scaling: MinMax}
	if err := p01.Fit(train); err != nil {
		t.Fatal(err)
	}
	got, err = p01.Apply(train)
	if err != nil {
		t.Fatal(err)
	}
	sameFloats(t, "minmax [0, 1] train", got.Arrays["x"].Float64s(), e.Minmax01Train)
}

func TestPreprocessF64AndBytes(t *testing.T) {
	all := loadPreprocessExpect(t)
	e := all.F64
	train := &Dataset{Arrays: map[string]*tensor.Tensor{"x": tensor.FromFloat64s(tensor.F64, []int{8, 2, 2}, e.Train)}}
	test := &Dataset{Arrays: map[string]*tensor.Tensor{"x": tensor.FromFloat64s(tensor.F64, []int{4, 2, 2}, e.Test)}}
	p := &Preprocess{Scaling: Standardize}
	if err := p.Fit(train); err != nil {
		t.Fatal(err)
	}
	closeFloats(t, "f64 mean", p.Stats["x"].Mean, e.Mean, 1e-15)
	closeFloats(t, "f64 std", p.Stats["x"].Std, e.Std, 1e-15)
	got, err := p.Apply(test)
	if err != nil {
		t.Fatal(err)
	}
	if x := got.Arrays["x"]; x.DType != tensor.F64 || !slices.Equal(x.Shape, []int{4, 2, 2}) {
		t.Fatalf("f64 array became %v%v", x.DType, x.Shape)
	}
	closeFloats(t, "f64 standardized", got.Arrays["x"].F64, e.StdTest, 1e-14)

	eb := all.Bytes
	raw := make([]byte, len(eb.Data))
	for i, v := range eb.Data {
		raw[i] = byte(v)
	}
	d := &Dataset{Bytes: map[string]*ByteArray{"x": {Shape: []int{12, 2, 3}, Data: raw, DType: tensor.F32, Scale: 1.0 / 255}},
		Arrays: map[string]*tensor.Tensor{"y": tensor.New(tensor.I32, 12)}}
	pb := &Preprocess{Scaling: Standardize}
	if err := pb.FitRows(d, []int{0, 1, 2, 3, 4, 5, 6, 7, 8}); err != nil {
		t.Fatal(err)
	}
	closeFloats(t, "bytes mean", pb.Stats["x"].Mean, eb.Mean, 1e-15)
	closeFloats(t, "bytes std", pb.Stats["x"].Std, eb.Std, 1e-15)
	gotB, err := pb.Apply(d)
	if err != nil {
		t.Fatal(err)
	}
	sameFloats(t, "bytes standardized", gotB.Arrays["x"].Float64s(), eb.StdAll)
	if gotB.Bytes["x"] != nil || d.Bytes["x"] == nil || gotB.Arrays["y"] != d.Arrays["y"] {
		t.Fatal("Apply should replace the byte array by a tensor in its result only, sharing y")
	}
	// The batch form gives the same values and keeps the bytes as bytes.
	bs, err := NewBatches(d, 5, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	var batched []float64
	for bs.Start(0); bs.Next(); {
		if err := pb.ScaleBatch(bs.Batch()); err != nil {
			t.Fatal(err)
		}
		batched = append(batched, bs.Batch().Arrays["x"].Float64s()...)
	}
	sameFloats(t, "ScaleBatch", batched, eb.StdAll)
	// ScaleTensor takes rows of another shape with as many values: [12, 6]
	// for statistics of [2, 3] rows.
	flat := d.Bytes["x"].Tensor()
	flat.Shape = []int{12, 6}
	if err := pb.ScaleTensor("x", flat); err != nil {
		t.Fatal(err)
	}
	sameFloats(t, "ScaleTensor", flat.Float64s(), eb.StdAll)
}

func TestPreprocessOneHot(t *testing.T) {
	all := loadPreprocessExpect(t)
	e := all.OneHot
	x := f32Tensor(e.X, 6, 4)
	d := &Dataset{Arrays: map[string]*tensor.Tensor{"x": x}, Source: &Source{File: "t.csv", Lines: true, Rows: []int32{2, 3, 4, 5, 6, 7}}}
	p := &Preprocess{Scaling: Standardize, OneHot: []OneHot{{Columns: e.Columns}}}
	if err := p.FitRows(d, []int{0, 1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.OneHot[0].Classes, e.Classes) {
		t.Fatalf("fitted classes %v, want %v", p.OneHot[0].Classes, e.Classes)
	}
	enc, err := p.Encode(d)
	if err != nil {
		t.Fatal(err)
	}
	sameFloats(t, "expanded", enc.Arrays["x"].Float64s(), e.Expanded)
	if w := 4 + 2 + 1; !slices.Equal(enc.Arrays["x"].Shape, []int{6, w}) {
		t.Fatalf("expanded shape %v", enc.Arrays["x"].Shape)
	}
	closeFloats(t, "one-hot mean", p.Stats["x"].Mean, e.Mean, 1e-15)
	closeFloats(t, "one-hot std", p.Stats["x"].Std, e.Std, 1e-15)
	got, err := p.Apply(d)
	if err != nil {
		t.Fatal(err)
	}
	sameFloats(t, "one-hot standardized", got.Arrays["x"].Float64s(), e.StdAll)

	// An id beyond the fitted classes is an error at its line.
	bad := x.Clone()
	bad.F32[5*4+3] = 2
	_, err = p.Apply(&Dataset{Arrays: map[string]*tensor.Tensor{"x": bad}, Source: d.Source})
	if err == nil || !strings.Contains(err.Error(), "t.csv:7") || !strings.Contains(err.Error(), "column 3") {
		t.Fatalf("unseen id: %v", err)
	}
	bad.F32[5*4+3] = 0.5
	if _, err = p.Apply(&Dataset{Arrays: map[string]*tensor.Tensor{"x": bad}}); err == nil || !strings.Contains(err.Error(), "whole number") {
		t.Fatalf("fractional id: %v", err)
	}

	l := all.OneHotLabels
	y := &tensor.Tensor{DType: tensor.I32, Shape: []int{len(l.Y)}, I32: l.Y}
	oh, err := OneHotTensor(y, l.Classes)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(oh.Shape, []int{5, 4}) {
		t.Fatalf("one-hot labels shape %v", oh.Shape)
	}
	sameFloats(t, "one-hot labels", oh.Float64s(), l.Onehot)
	if _, err := OneHotTensor(y, 3); err == nil || !strings.Contains(err.Error(), "element 0") {
		t.Fatalf("label 3 of 3 classes: %v", err)
	}
	// The whole-array form in a Preprocess: classes fitted as largest + 1.
	pl := &Preprocess{Arrays: []string{}, OneHot: []OneHot{{Array: "y"}}}
	dy := &Dataset{Arrays: map[string]*tensor.Tensor{"y": y}}
	if err := pl.Fit(dy); err != nil {
		t.Fatal(err)
	}
	enc, err = pl.Apply(dy)
	if err != nil {
		t.Fatal(err)
	}
	sameFloats(t, "one-hot y", enc.Arrays["y"].Float64s(), l.Onehot)
}

func TestLabelEncode(t *testing.T) {
	e := loadPreprocessExpect(t).Labels
	ids, cats, err := LabelEncode(e.Values)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids, e.IDs) || !slices.Equal(cats, e.Categories) {
		t.Fatalf("LabelEncode = %v %q, want %v %q", ids, cats, e.IDs, e.Categories)
	}
	again, err := EncodeLabels([]string{"fig", "éclair "}, cats)
	if err != nil || !slices.Equal(again, []int32{e.IDs[2], e.IDs[6]}) {
		t.Fatalf("EncodeLabels = %v, %v", again, err)
	}
	if _, err := EncodeLabels([]string{"kiwi"}, cats); err == nil || !strings.Contains(err.Error(), `"kiwi"`) {
		t.Fatalf("unseen label: %v", err)
	}
	// The same numbering as a CSV file's categorical label column.
	csv := "a,label\n1,pear\n2,apple\n3, fig\n4,pear\n5,Zebra\n6,apple\n7,éclair\n"
	d, err := DecodeCSV(strings.NewReader(csv), "l.csv", CSVOptions{Label: "label"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.Arrays["y"].I32, e.IDs) || !slices.Equal(d.Categories["y"], e.Categories) {
		t.Fatalf("CSV categories %v %q differ from LabelEncode's", d.Arrays["y"].I32, d.Categories["y"])
	}
}

func TestPreprocessSaveLoad(t *testing.T) {
	e := loadPreprocessExpect(t).F32
	f := e.Shape[0]
	train := &Dataset{Arrays: map[string]*tensor.Tensor{"x": f32Tensor(e.Train, len(e.Train)/f, f)}}
	test := &Dataset{Arrays: map[string]*tensor.Tensor{"x": f32Tensor(e.Test, len(e.Test)/f, f)}}
	for _, p := range []*Preprocess{{Scaling: Standardize}, {Scaling: MinMax, Low: -1, High: 2}} {
		if err := p.Fit(train); err != nil {
			t.Fatal(err)
		}
		p.Inputs = map[string]string{"x": "features"}
		path := PreprocessPath(filepath.Join(t.TempDir(), "m.safetensors"))
		if filepath.Base(path) != "m.preprocess.json" {
			t.Fatalf("PreprocessPath: %s", path)
		}
		if err := p.Save(path); err != nil {
			t.Fatal(err)
		}
		q, err := LoadPreprocess(path)
		if err != nil {
			t.Fatal(err)
		}
		a, err := p.Apply(test)
		if err != nil {
			t.Fatal(err)
		}
		b, err := q.Apply(test)
		if err != nil {
			t.Fatal(err)
		}
		sameFloats(t, p.Scaling.String()+" after a round trip", b.Arrays["x"].Float64s(), a.Arrays["x"].Float64s())
		sameFloats(t, "mean", q.Stats["x"].Mean, p.Stats["x"].Mean)
		sameFloats(t, "min", q.Stats["x"].Min, p.Stats["x"].Min)
		if q.Inputs["x"] != "features" || len(q.Inputs) != 1 {
			t.Fatalf("inputs after a round trip: %v", q.Inputs)
		}
	}
}

func TestPreprocessBadFiles(t *testing.T) {
	good := `{"format": "nnc-preprocess", "version": 1, "scaling": "standardize", "arrays": ["x"], "low": 0, "high": 1,
 "stats": {"x": {"shape": [2], "rows": 3, "mean": [1, 2], "std": [0.5, 0]}}}`
	if _, err := ParsePreprocess([]byte(good), "g.json"); err != nil {
		t.Fatalf("good file: %v", err)
	}
	cases := map[string]string{
		"not a statistics file": `[1, 2]`,
		"version 1":             strings.Replace(good, `"version": 1`, `"version": 2`, 1),
		"unknown scaling":       strings.Replace(good, `"standardize"`, `"zscore"`, 1),
		"2 statistics":          strings.Replace(good, `"shape": [2]`, `"shape": [3]`, 1),
		"negative standard":     strings.Replace(good, `[0.5, 0]`, `[0.5, -1]`, 1),
		"fitted on 0 rows":      strings.Replace(good, `"rows": 3`, `"rows": 0`, 1),
		"unknown field":         strings.Replace(good, `"low": 0`, `"lo": 0`, 1),
		"no statistics for":     strings.Replace(good, `"arrays": ["x"]`, `"arrays": ["z"]`, 1),
		"low < high":            strings.Replace(good, `"high": 1`, `"high": -1`, 1),
		"another scaling":       strings.Replace(good, `"std": [0.5, 0]`, `"std": [0.5, 0], "min": [0, 0]`, 1),
		"more than the limit":   strings.Replace(good, `"shape": [2]`, `"shape": [100000000000, 100000000000]`, 1),
		"data after its object": good + ` {}`,
		"not fitted":            strings.Replace(good, `"low": 0,`, `"low": 0, "one_hot": [{"array": "c", "columns": [0], "classes": [0]}],`, 1),
		"listed twice":          strings.Replace(good, `"arrays": ["x"]`, `"arrays": ["x", "x"]`, 1),
		"cannot unmarshal":      strings.Replace(good, `[1, 2]`, `[1, "2"]`, 1),
		"statistics without":    strings.Replace(good, `"standardize"`, `"none"`, 1),
		"not a finite interval": strings.Replace(strings.Replace(good, `"standardize"`, `"minmax"`, 1), `"mean": [1, 2], "std": [0.5, 0]`, `"min": [-1e308, 0], "max": [1e308, 0]`, 1),
	}
	for want, text := range cases {
		_, err := ParsePreprocess([]byte(text), "bad.json")
		if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "bad.json: ") {
			t.Errorf("%s: got %v, want an error with %q", text, err, want)
		}
	}
}

func TestPreprocessErrors(t *testing.T) {
	x := f32Tensor([]float64{1, 2, 3, 4, 5, 6}, 3, 2)
	d := &Dataset{Arrays: map[string]*tensor.Tensor{"x": x, "y": tensor.New(tensor.I32, 3)}, Source: &Source{File: "d.csv", Lines: true, Rows: []int32{2, 3, 4}}}
	p := &Preprocess{Scaling: Standardize, Arrays: []string{"y"}}
	if err := p.Fit(d); err == nil || !strings.Contains(err.Error(), "only float arrays") {
		t.Fatalf("integer array: %v", err)
	}
	p = &Preprocess{Scaling: Standardize, Arrays: []string{"z"}}
	if err := p.Fit(d); err == nil || !strings.Contains(err.Error(), `no array "z"`) {
		t.Fatalf("missing array: %v", err)
	}
	nan := x.Clone()
	nan.F32[3] = float32(math.NaN())
	p = &Preprocess{Scaling: Standardize}
	if err := p.Fit(&Dataset{Arrays: map[string]*tensor.Tensor{"x": nan}, Source: d.Source}); err == nil || !strings.Contains(err.Error(), "d.csv:3") {
		t.Fatalf("NaN in training data: %v", err)
	}
	if err := p.Fit(d); err != nil {
		t.Fatal(err)
	}
	wide := &Dataset{Arrays: map[string]*tensor.Tensor{"x": tensor.New(tensor.F32, 2, 3)}}
	if _, err := p.Apply(wide); err == nil || !strings.Contains(err.Error(), "fitted on rows [2]") {
		t.Fatalf("other row shape: %v", err)
	}
	// A finite value that scales beyond f32 is an error, not an Inf.
	tiny := &Dataset{Arrays: map[string]*tensor.Tensor{"x": f32Tensor([]float64{0, 0, 1e-30, 0}, 2, 2)}}
	if err := p.Fit(tiny); err != nil {
		t.Fatal(err)
	}
	huge := &Dataset{Arrays: map[string]*tensor.Tensor{"x": f32Tensor([]float64{1e30, 0}, 1, 2)}, Source: &Source{File: "t.npy"}}
	if _, err := p.Apply(huge); err == nil || !strings.Contains(err.Error(), "t.npy: row 0") || !strings.Contains(err.Error(), "beyond the f32 range") {
		t.Fatalf("overflow: %v", err)
	}
	// Overflowing statistics.
	big := &Dataset{Arrays: map[string]*tensor.Tensor{"x": tensor.FromFloat64s(tensor.F64, []int{2, 1}, []float64{-1e308, 1e308})}}
	if err := (&Preprocess{Scaling: MinMax}).Fit(big); err == nil || !strings.Contains(err.Error(), "overflows") {
		t.Fatalf("minmax overflow: %v", err)
	}
	if err := (&Preprocess{Scaling: Standardize}).Fit(big); err == nil || !strings.Contains(err.Error(), "overflows") {
		t.Fatalf("std overflow: %v", err)
	}
	if err := (&Preprocess{Scaling: MinMax, Low: 1, High: 1}).Fit(d); err == nil || !strings.Contains(err.Error(), "low < high") {
		t.Fatalf("empty range: %v", err)
	}
	if err := p.FitRows(d, []int{}); err == nil {
		t.Fatal("no rows: no error")
	}
	if err := p.FitRows(d, []int{3}); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Fatalf("row out of range: %v", err)
	}
	if err := (&Preprocess{OneHot: []OneHot{{Columns: []int{5}}}}).Fit(d); err == nil || !strings.Contains(err.Error(), "no column 5") {
		t.Fatalf("one-hot column out of range: %v", err)
	}
	if err := (&Preprocess{OneHot: []OneHot{{Columns: []int{0, 0}}}}).Fit(d); err == nil || !strings.Contains(err.Error(), "listed twice") {
		t.Fatalf("one-hot column twice: %v", err)
	}
	if _, err := (&Preprocess{Scaling: Standardize}).Apply(d); err == nil || !strings.Contains(err.Error(), "fit them first") {
		t.Fatalf("not fitted: %v", err)
	}
}
