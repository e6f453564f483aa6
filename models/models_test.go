// Package models holds real models as .nn files; this test trains each on
// real data to a stated accuracy.
package models

import (
	"testing"

	"github.com/nnclang/nnc"
)

// TestDigits trains the first-look classifier with its train block's settings
// (Adam 1e-3, batch 64, 60 epochs) on the embedded 8x8 digits and requires
// at least 95% accuracy on the fixed test split (269 images). PyTorch 1.13 on
// the same split and settings reaches 0.959-0.970 over six seeds.
func TestDigits(t *testing.T) {
	p, err := nnc.CompileFile("digits.nn")
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Train(nnc.TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	acc := res.Metrics["test_accuracy"]
	t.Logf("test accuracy %.4f, test loss %.4f", acc, res.Metrics["test_loss"])
	if acc < 0.95 {
		t.Fatalf("test accuracy %.4f < 0.95", acc)
	}
}
