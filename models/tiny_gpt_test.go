package models

import (
	"testing"

	"github.com/nnclang/nnc"
	"github.com/nnclang/nnc/tensor"
)

// TestTinyGPT trains tiny_gpt.nn (d 32, 2 heads, 2 layers, ctx 32, no dropout) on the
// 40k slice for 3 epochs of windows of 32 (AdamW 1e-3, weight decay 0.1,
// cosine schedule with warmup 10) and requires a validation loss of at
// most 3.07 nats a character: PyTorch on the same slice, network and
// settings (torch/tiny_gpt.py small, torch/tiny_gpt_small.json) reaches
// 2.932, 2.997 and 2.945 over seeds 0-2, and the threshold is its worst seed plus 0.07. It
// then samples from the trained model (its window of 32 refilled as the
// text grows past it).
func TestTinyGPT(t *testing.T) {
	args := map[string]any{"vocab": 58, "d": 32, "heads": 2, "layers": 2, "ctx": 32, "p": 0.0}
	p, params, res := trainSmall(t, "tiny_gpt.nn", args, 3)
	if v := res.Metrics["val_loss"]; !(v <= 3.07) {
		t.Errorf("validation loss %.4f nats/char > 3.07", v)
	}
	checkSample(t, p, params)
}

// TestTinyGPTFull trains tiny_gpt.nn with its train block on the whole of
// tinyshakespeare and requires the validation loss of issue 13, 1.50 nats
// a character, measured as the block measures it (windows with 64
// characters of context, text(..., context = 64), of the moving average
// of the weights). The block (six blocks, ema = 0.999) reached 1.4949
// (1.5160 over whole windows; session 14); the four-block one before it
// 1.510. Run with NNC_FULL=all (over an hour on one core).
func TestTinyGPTFull(t *testing.T) {
	fullRun(t, true)
	p, err := nnc.CompileFile("tiny_gpt.nn")
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Train(nnc.TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if v := res.Metrics["val_loss"]; !(v <= 1.50) {
		t.Errorf("validation loss %.4f nats/char > 1.50", v)
	}
}

// TestTinyGPTStep checks TinyGPT.step, with its key/value cache, against
// TinyGPT.forward: stepping through a sequence from an empty cache gives,
// at every position, the logits the causal forward pass gives there (up to
// 1e-5), with the same random parameters; the cache holds 16 positions and
// the sequence fills it.
func TestTinyGPTStep(t *testing.T) {
	p := compileWith(t, "tiny_gpt.nn", map[string]any{"vocab": 11, "d": 16, "heads": 2, "layers": 2, "ctx": 16})
	ids := randomIDs(16, 11)
	empty := tensor.New(tensor.F32, 2, 1, 2, 16, 8)
	cache := []*nnc.Tensor{empty, empty}
	compareSteps(t, p, "TinyGPT", 1, ids, func(pos int, id int32) map[string]*nnc.Tensor {
		return map[string]*nnc.Tensor{
			"ids": {DType: tensor.I32, Shape: []int{1}, I32: []int32{id}},
			"t":   {DType: tensor.I32, Shape: []int{}, I32: []int32{int32(pos)}},
			"kc":  cache[0], "vc": cache[1],
		}
	}, func(out []*nnc.Tensor) {
		cache[0], cache[1] = out[1], out[2]
	})
}
