package onnx

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/nnclang/nnc/lang"
)

// FuzzDecode: any bytes decode or fail with an error, and a decoded model
// translates or fails with an error; a translation is formatted source.
func FuzzDecode(f *testing.F) {
	f.Add(denseModel(13))
	f.Add(externalModel("w.bin"))
	seeds, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "onnx", "node", "*", "model.onnx"))
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b, Limits{MaxAlloc: 1 << 24, MaxNodes: 1 << 10})
		if err != nil {
			return
		}
		res, err := Translate(m, Options{})
		if err != nil {
			return
		}
		again, err := lang.Format("m.nn", res.Source)
		if err != nil || string(again) != string(res.Source) {
			t.Fatalf("the translation is not formatted source (%v):\n%s", err, res.Source)
		}
	})
}
