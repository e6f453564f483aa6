package nnc

import (
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	goruntime "runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/nnclang/nnc/data"
)

// paramSnapshot copies every parameter of f.
func paramSnapshot(t *testing.T, f *Func) map[string]*Tensor {
	t.Helper()
	out := map[string]*Tensor{}
	for _, name := range f.Params() {
		p, ok := f.Param(name)
		if !ok {
			t.Fatalf("no parameter %s", name)
		}
		out[name] = p
	}
	return out
}

// sameParams reports whether two parameter sets hold the same names and
// bitwise the same values.
func sameParams(a, b map[string]*Tensor) bool {
	if len(a) != len(b) {
		return false
	}
	for name, x := range a {
		y, ok := b[name]
		if !ok || !sameBits(x, y) {
			return false
		}
	}
	return true
}

// loadedResults loads path into f and returns, alone, M.forward(x) (checked
// against the float64 reference tanh(x @ W1 + b1) @ W2 of the loaded
// values) and the gradient check for gopts.
func loadedResults(t *testing.T, f *Func, path string, x *Tensor, gopts GradCheckOptions) (*Tensor, *GradCheckReport) {
	t.Helper()
	if err := f.LoadParams(path); err != nil {
		t.Fatal(err)
	}
	out, err := f.Run(map[string]*Tensor{"x": x})
	if err != nil {
		t.Fatal(err)
	}
	want := mlpRef(t, f, x)
	for i, v := range out[0].F32 {
		if math.Abs(float64(v)-want[i]) > 1e-5 {
			t.Fatalf("%s: out[%d] = %v, want %v", path, i, v, want[i])
		}
	}
	rep, err := f.GradCheck(gopts)
	if err != nil || !rep.OK {
		t.Fatalf("%s: GradCheck = %v, %v", path, reportText(rep), err)
	}
	return out[0], rep
}

// TestLoadParamsDuringRuns: while LoadParams swaps the parameters of a Func
// between two files, runs on eight goroutines, SaveParams and GradCheck on
// the same Func each see the parameters wholly before or wholly after a
// load: every result is bitwise the result for one file or the other, every
// saved file holds one set or the other, every gradient check reports as it
// does for one set or the other. Run with -race, it also proves the loads
// are serialized with the reads.
func TestLoadParamsDuringRuns(t *testing.T) {
	f := benchFunc(t, "M.forward")
	dir := t.TempDir()
	fileA, fileB := filepath.Join(dir, "a.safetensors"), filepath.Join(dir, "b.safetensors")
	if err := f.SaveParams(fileA); err != nil {
		t.Fatal(err)
	}
	paramsA := paramSnapshot(t, f)
	if err := f.InitParams(7); err != nil {
		t.Fatal(err)
	}
	if err := f.SaveParams(fileB); err != nil {
		t.Fatal(err)
	}
	paramsB := paramSnapshot(t, f)
	if sameParams(paramsA, paramsB) {
		t.Fatal("seeds 0 and 7 give the same parameters")
	}
	x := rowsInput(16, 3)
	in := map[string]*Tensor{"x": x}
	gopts := GradCheckOptions{Seed: 5, Samples: 6}
	outA, repA := loadedResults(t, f, fileA, x, gopts)
	outB, repB := loadedResults(t, f, fileB, x, gopts)
	if sameBits(outA, outB) || reflect.DeepEqual(repA, repB) {
		t.Fatal("the two files give the same results")
	}

	var readers sync.WaitGroup
	var stop atomic.Bool
	var fails, runs, seenA, seenB atomic.Int64
	fail := func(format string, args ...any) {
		if fails.Add(1) <= 5 {
			t.Errorf(format, args...)
		}
	}
	for g := range 8 {
		readers.Go(func() {
			for i := 0; i < 3 || !stop.Load(); i++ {
				out, err := f.Run(in)
				switch {
				case err != nil:
					fail("goroutine %d, run %d: %v", g, i, err)
				case sameBits(out[0], outA):
					seenA.Add(1)
				case sameBits(out[0], outB):
					seenB.Add(1)
				default:
					fail("goroutine %d, run %d: the result is neither file's: %v", g, i, out[0].F32[:3])
				}
				runs.Add(1)
				goruntime.Gosched() // let the loader in on two cores
			}
		})
	}
	readers.Go(func() {
		for i := 0; i < 1 || !stop.Load(); i++ {
			p := filepath.Join(dir, fmt.Sprintf("saved%d.safetensors", i%4))
			if err := f.SaveParams(p); err != nil {
				fail("SaveParams %d: %v", i, err)
				continue
			}
			m, err := data.LoadSafetensors(p)
			if err != nil {
				fail("reading back %s: %v", p, err)
			} else if !sameParams(m, paramsA) && !sameParams(m, paramsB) {
				fail("SaveParams %d wrote a mix of the two parameter sets", i)
			}
		}
	})
	readers.Go(func() {
		for i := 0; i < 1 || !stop.Load(); i++ {
			rep, err := f.GradCheck(gopts)
			if err != nil {
				fail("GradCheck %d: %v", i, err)
			} else if !reflect.DeepEqual(rep, repA) && !reflect.DeepEqual(rep, repB) {
				fail("GradCheck %d reports as neither file:\n%s", i, reportText(rep))
			}
		}
	})
	// Each load is followed by runs that start after it: a run in
	// progress when a load returns is one of at most 8, so the 9th run
	// counted after it began after it.
	for i := range 40 {
		path := fileA
		if i%2 == 1 {
			path = fileB
		}
		if err := f.LoadParams(path); err != nil {
			t.Fatal(err)
		}
		for n := runs.Load(); runs.Load() < n+9 && fails.Load() == 0; {
			goruntime.Gosched()
		}
	}
	stop.Store(true)
	readers.Wait()
	t.Logf("%d runs saw a.safetensors, %d b.safetensors", seenA.Load(), seenB.Load())
	if fails.Load() == 0 && (seenA.Load() < 20 || seenB.Load() < 20 || seenA.Load()+seenB.Load() != runs.Load()) {
		t.Errorf("%d runs: %d saw a.safetensors, %d b.safetensors; want at least 20 each (one after each load) and no other", runs.Load(), seenA.Load(), seenB.Load())
	}
}

// TestSummaryWhileSetOptLevel: Summary reads the optimization level once,
// under the program's lock, so a concurrent SetOptLevel gives the summary
// of one level or the other, and no data race (run with -race).
func TestSummaryWhileSetOptLevel(t *testing.T) {
	p, err := Compile("mlp.nn", []byte(mlpSrc))
	if err != nil {
		t.Fatal(err)
	}
	shapes := map[string]int{"B": 64}
	refs := make([]*Summary, 2)
	for level := range 2 {
		p.SetOptLevel(level)
		if refs[level], err = p.Summary(shapes); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	var fails atomic.Int64
	for g := range 4 {
		wg.Go(func() {
			for i := range 5 {
				s, err := p.Summary(shapes)
				if err != nil {
					t.Errorf("goroutine %d: %v", g, err)
					return
				}
				if !reflect.DeepEqual(s, refs[0]) && !reflect.DeepEqual(s, refs[1]) && fails.Add(1) <= 3 {
					t.Errorf("goroutine %d, summary %d is neither level's:\n%+v", g, i, s)
				}
			}
		})
	}
	wg.Go(func() {
		for i := range 50 {
			p.SetOptLevel(i % 2)
		}
	})
	wg.Wait()
}
