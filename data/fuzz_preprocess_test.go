package data

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"

	"github.com/nnclang/nnc/tensor"
)

// FuzzParsePreprocess: a statistics file is read into a Preprocess whose
// every number was checked, or refused with a *FormatError; one that is
// read writes back to itself and scales tensors of its rows' size without
// a panic.
func FuzzParsePreprocess(f *testing.F) {
	f.Add([]byte(`{"format": "nnc-preprocess", "version": 1, "scaling": "standardize", "arrays": ["x"], "low": 0, "high": 1,
 "stats": {"x": {"shape": [2], "rows": 3, "mean": [1, 2], "std": [0.5, 0]}}}`))
	f.Add([]byte(`{"format": "nnc-preprocess", "version": 1, "scaling": "minmax", "arrays": ["x", "z"], "low": -1, "high": 1,
 "one_hot": [{"array": "x", "columns": [0, 2], "classes": [3, 4]}], "inputs": {"x": "img"},
 "stats": {"x": {"shape": [2, 2], "rows": 3, "min": [1, 2, 0, 0], "max": [1, 3, 1, 5]}, "z": {"shape": [], "rows": 1, "min": [0], "max": [0]}}}`))
	f.Add([]byte(`{"format": "nnc-preprocess", "version": 1, "scaling": "none", "arrays": [], "low": 0, "high": 1,
 "one_hot": [{"array": "y", "columns": null, "classes": [10]}]}`))
	if b, err := os.ReadFile("testdata/preprocess/preprocess_expect.json"); err == nil {
		f.Add(b) // not a statistics file
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePreprocess(b, "p.json")
		checkFormatErr(t, err)
		if err != nil {
			return
		}
		out, err := p.MarshalJSON()
		if err != nil {
			t.Fatalf("a file read does not write: %v", err)
		}
		q, err := ParsePreprocess(out, "q.json")
		if err != nil {
			t.Fatalf("a file written does not read: %v\n%s", err, out)
		}
		a, _ := json.Marshal(p.Stats)
		c, _ := json.Marshal(q.Stats)
		if !reflect.DeepEqual(a, c) || p.Scaling != q.Scaling || !reflect.DeepEqual(p.OneHot, q.OneHot) {
			t.Fatalf("round trip changed the statistics:\n%s\n%s", a, c)
		}
		for name, st := range p.Stats {
			n := tensor.NumElems(st.Shape)
			if n > 1<<12 {
				continue
			}
			x := tensor.New(tensor.F32, 2, n)
			for i := range x.F32 {
				x.F32[i] = float32(i) - 3.5
			}
			_ = p.ScaleTensor(name, x) // an error is fine (a value beyond f32); a panic is not
		}
	})
}
