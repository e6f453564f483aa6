package data

import (
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/nnclang/nnc/tensor"
)

// rowsDataset has x[i] = (10i, 10i+1) and y[i] = i.
func rowsDataset(n int) *Dataset {
	x := tensor.New(tensor.F32, n, 2)
	y := tensor.New(tensor.I32, n)
	for i := range n {
		x.F32[2*i], x.F32[2*i+1] = float32(10*i), float32(10*i+1)
		y.I32[i] = int32(i)
	}
	d, err := NewDataset(map[string]*tensor.Tensor{"x": x, "y": y})
	if err != nil {
		panic(err)
	}
	return d
}

func TestNewDatasetChecks(t *testing.T) {
	if _, err := NewDataset(map[string]*tensor.Tensor{"x": tensor.New(tensor.F32, 3, 2), "y": tensor.New(tensor.I32, 4)}); err == nil {
		t.Error("mismatched rows: no error")
	}
	if _, err := NewDataset(map[string]*tensor.Tensor{"x": tensor.New(tensor.F32)}); err == nil {
		t.Error("scalar array: no error")
	}
	if _, err := NewDataset(nil); err == nil {
		t.Error("empty dataset: no error")
	}
}

func TestSubsetAndSplit(t *testing.T) {
	d := rowsDataset(10)
	s := d.Subset([]int{3, 0, 3})
	if s.Len() != 3 || s.Get("y").I32[0] != 3 || s.Get("x").F32[1] != 31 || s.Get("x").F32[2] != 0 {
		t.Errorf("Subset: %v %v", s.Get("x"), s.Get("y"))
	}
	parts, err := d.Split(0, 0.7, 0.15, 0.15)
	if err != nil {
		t.Fatal(err)
	}
	// round(7) = 7, round(1.5) = 2, the rest 1.
	if parts[0].Len() != 7 || parts[1].Len() != 2 || parts[2].Len() != 1 {
		t.Fatalf("split sizes %d %d %d", parts[0].Len(), parts[1].Len(), parts[2].Len())
	}
	var all []int
	for _, p := range parts {
		x, y := p.Get("x"), p.Get("y")
		for i, v := range y.I32 {
			all = append(all, int(v))
			if x.F32[2*i] != float32(10*v) {
				t.Errorf("row %d of a part: x %v with label %d", i, x.F32[2*i], v)
			}
		}
	}
	sort.Ints(all)
	for i, v := range all {
		if v != i {
			t.Fatalf("split rows %v are not a partition of 0..9", all)
		}
	}
	again, _ := d.Split(0, 0.7, 0.15, 0.15)
	other, _ := d.Split(1, 0.7, 0.15, 0.15)
	if !sameTensor(again[0].Get("y"), parts[0].Get("y")) {
		t.Error("Split with the same seed differs")
	}
	if sameTensor(other[0].Get("y"), parts[0].Get("y")) {
		t.Error("Split with another seed is the same")
	}
	for _, bad := range [][]float64{{}, {0.5, 0.4}, {1.5, -0.5}, {math.NaN(), 1}, {math.Inf(1), 0}, {0, 0}} {
		if _, err := d.Split(0, bad...); err == nil {
			t.Errorf("Split(%v): no error", bad)
		}
	}
}

func TestDigitsSplitSizes(t *testing.T) {
	d, err := Builtin("digits")
	if err != nil {
		t.Fatal(err)
	}
	parts, err := d.Split(0, 0.7, 0.15, 0.15)
	if err != nil {
		t.Fatal(err)
	}
	if parts[0].Len() != 1258 || parts[1].Len() != 270 || parts[2].Len() != 269 {
		t.Errorf("digits split %d %d %d, documented 1258 270 269", parts[0].Len(), parts[1].Len(), parts[2].Len())
	}
}

func TestPermutation(t *testing.T) {
	p := Permutation(1000, 7, 3)
	seen := make([]bool, 1000)
	moved := 0
	for i, v := range p {
		if seen[v] {
			t.Fatalf("%d repeated", v)
		}
		seen[v] = true
		if v != i {
			moved++
		}
	}
	if moved < 900 {
		t.Errorf("only %d of 1000 elements moved", moved)
	}
	// Uniformity: over many draws of a 3-permutation each of the 6 orders
	// appears about 1/6 of the time.
	counts := map[[3]int]int{}
	for s := range uint64(6000) {
		q := Permutation(3, s, 0)
		counts[[3]int{q[0], q[1], q[2]}]++
	}
	for k, c := range counts {
		if c < 850 || c > 1150 {
			t.Errorf("order %v drawn %d of 6000 times", k, c)
		}
	}
	if len(counts) != 6 {
		t.Errorf("%d orders drawn, want 6", len(counts))
	}
}

func TestBatches(t *testing.T) {
	d := rowsDataset(10)
	bs, err := NewBatches(d, 4, true, 42)
	if err != nil {
		t.Fatal(err)
	}
	if bs.Len() != 3 {
		t.Fatalf("Len %d, want 3", bs.Len())
	}
	var orders [][]int
	for epoch := range 3 {
		var sizes, seen []int
		for bs.Start(epoch); bs.Next(); {
			b := bs.Batch()
			sizes = append(sizes, b.Size)
			x, y := b.Arrays["x"], b.Arrays["y"]
			if x.Shape[0] != b.Size || y.Shape[0] != b.Size {
				t.Fatalf("batch shapes %v %v for size %d", x.Shape, y.Shape, b.Size)
			}
			for i, v := range y.I32 {
				seen = append(seen, int(v))
				if x.F32[2*i+1] != float32(10*v+1) {
					t.Errorf("batch row %d: x %v, label %d", i, x.F32[2*i:2*i+2], v)
				}
			}
		}
		if !equalInts(sizes, []int{4, 4, 2}) {
			t.Errorf("epoch %d batch sizes %v", epoch, sizes)
		}
		orders = append(orders, seen)
		sorted := append([]int(nil), seen...)
		sort.Ints(sorted)
		for i, v := range sorted {
			if v != i {
				t.Fatalf("epoch %d visits %v", epoch, seen)
			}
		}
	}
	if equalInts(orders[0], orders[1]) && equalInts(orders[1], orders[2]) {
		t.Error("every epoch has the same order")
	}
	bs2, _ := NewBatches(d, 4, true, 42)
	var again []int
	for bs2.Start(1); bs2.Next(); {
		for _, v := range bs2.Batch().Arrays["y"].I32 {
			again = append(again, int(v))
		}
	}
	if !equalInts(again, orders[1]) {
		t.Errorf("epoch 1 with the same seed: %v then %v", orders[1], again)
	}
	// Unshuffled batches keep the dataset order; a batch larger than the
	// dataset is one batch.
	bs3, _ := NewBatches(d, 64, false, 0)
	if !bs3.Next() || bs3.Batch().Size != 10 || bs3.Batch().Arrays["y"].I32[9] != 9 || bs3.Next() {
		t.Error("one unshuffled batch of 10 expected")
	}
	if _, err := NewBatches(d, 0, false, 0); err == nil {
		t.Error("batch size 0: no error")
	}
}

func TestBatchesAllocateNothing(t *testing.T) {
	bs, _ := NewBatches(rowsDataset(100), 16, true, 1)
	epoch := 0
	allocs := testing.AllocsPerRun(10, func() {
		for bs.Start(epoch); bs.Next(); {
		}
		epoch++
	})
	if allocs != 0 {
		t.Errorf("an epoch allocates %v times", allocs)
	}
}

// TestSplitZeroFraction: a part whose fraction is 0 is empty, and the rows
// left by rounding go to the last part with a positive fraction.
func TestSplitZeroFraction(t *testing.T) {
	d := rowsDataset(10)
	for _, c := range []struct {
		fractions []float64
		sizes     []int
	}{
		{[]float64{0.5, 0, 0.5}, []int{5, 0, 5}},
		// round(3.4) = 3 rows; the 7 others go to the second part, none to the third.
		{[]float64{0.34, 0.66, 0}, []int{3, 7, 0}},
		{[]float64{1, 0, 0}, []int{10, 0, 0}},
		{[]float64{0, 1}, []int{0, 10}},
	} {
		parts, err := d.Split(0, c.fractions...)
		if err != nil {
			t.Fatalf("Split(%v): %v", c.fractions, err)
		}
		seen := map[int32]bool{}
		for k, p := range parts {
			if p.Len() != c.sizes[k] {
				t.Errorf("Split(%v): part %d has %d rows, want %d", c.fractions, k, p.Len(), c.sizes[k])
			}
			for _, y := range p.Get("y").I32 {
				seen[y] = true
			}
		}
		if len(seen) != 10 {
			t.Errorf("Split(%v): %d distinct rows of 10", c.fractions, len(seen))
		}
	}
}

// TestLoadDatasetBuiltin: a builtin name is read by LoadDataset as Builtin
// reads it; any other name is a file or folder, and one that does not
// exist gets an error listing the known names.
func TestLoadDatasetBuiltin(t *testing.T) {
	d, err := LoadDataset("digits", Options{})
	if err != nil || d.Len() != 1797 {
		t.Fatalf("LoadDataset(digits): %v rows, %v", d, err)
	}
	if _, err := LoadDataset("nosuch", Options{}); err == nil || err.Error() != `stat nosuch: no such file or directory (a data set is a file, a folder, or one of the names digits, mnist, fashion-mnist)` {
		t.Errorf("unknown name: %v", err)
	}
	odd := filepath.Join(t.TempDir(), "f.xyz")
	if err := os.WriteFile(odd, []byte("1,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadDataset(odd, Options{}); err == nil || !strings.Contains(err.Error(), odd+": unknown data format (want .csv, .npz, .npy") {
		t.Errorf("a file without a known suffix: %v", err)
	}
	if _, err := LoadDataset("mnist", Options{}); err == nil || !strings.Contains(err.Error(), "official training and test sets; load it with LoadSplits") {
		t.Errorf("a set with official splits: %v", err)
	}
	for name, want := range map[string]bool{"digits": true, "mnist": true, "fashion-mnist": true, "fashion_mnist": true, "images": false, "d.csv": false, "./digits": false, "a/b": false} {
		if IsBuiltinName(name) != want {
			t.Errorf("IsBuiltinName(%q) = %v", name, !want)
		}
	}
}
