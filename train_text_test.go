package nnc

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nnclang/nnc/data"
)

// textProgram writes a model of ids: i32[B, T] and next: i32[B, T] (an
// embedding of 27 rows: letters and the space) with the given data
// setting beside text, and compiles it.
func textProgram(t *testing.T, text, block string) *Program {
	t.Helper()
	return textProgramCE(t, t.TempDir(), text, block, "")
}

// textProgramCE is textProgram in dir with more arguments of the loss's
// cross_entropy (", ignore_index = -1").
func textProgramCE(t *testing.T, dir, text, block, ce string) *Program {
	t.Helper()
	src := `model LM(vocab: int = 27, d: int = 4) {
    param E: f32[vocab, d] = normal(std = 0.1)
    param W: f32[d, vocab] = glorot_uniform()

    fn forward(ids: i32[B, T]) -> f32[B, T, vocab] {
        return embedding(ids, E) @ W
    }

    fn loss(ids: i32[B, T], next: i32[B, T]) -> f32 {
        return cross_entropy(reshape(forward(ids), [B * T, vocab]), reshape(next, [B * T])` + ce + `)
    }
}

train LM {
` + block + `
}
`
	for name, body := range map[string]string{"lm.nn": src, "t.txt": text} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p, err := CompileFile(filepath.Join(dir, "lm.nn"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// textSets loads the data of p's train block with the given seed.
func textSets(t *testing.T, p *Program, seed uint64) *dataSets {
	t.Helper()
	s, err := p.settings("TrainOptions", "")
	if err != nil {
		t.Fatal(err)
	}
	sets, err := p.loadSets(s, dataRequest{seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	return sets
}

// TestTextWindows: text() numbers the training part's characters in code
// point order and cuts windows of seq ids with the next ids as targets:
// over the alphabet repeated, id i is letter i, every target is its input
// plus one (mod 26), the validation windows start at offset 0 of their
// part, and the training windows move to a new offset every epoch, the
// same for the same seed.
func TestTextWindows(t *testing.T) {
	text := strings.Repeat("abcdefghijklmnopqrstuvwxyz", 8) // 208 characters
	p := textProgram(t, text, "    data = text(\"t.txt\", seq = 5, split = [0.5, 0.5])\n    inputs = {ids: \"x\", next: \"y\"}")
	sets := textSets(t, p, 7)
	if sets.vocab.Len() != 26 || sets.test != nil {
		t.Fatalf("vocabulary of %d, test set %v; want 26 letters and none", sets.vocab.Len(), sets.test)
	}
	// 104 training ids: (104 - 5) / 5 = 19 windows; 104 validation ids, the same.
	x, y := sets.train.Arrays["x"], sets.train.Arrays["y"]
	if x.Shape[0] != 19 || x.Shape[1] != 5 || sets.val.Arrays["x"].Shape[0] != 19 {
		t.Fatalf("windows %v and %v, want [19 5]", x.Shape, sets.val.Arrays["x"].Shape)
	}
	vx := sets.val.Arrays["x"].I32
	for k := range 19 {
		for j := range 5 {
			// The validation part starts at character 104 = 'a' + 0 (104 % 26 = 0).
			if want := int32((5*k + j) % 26); vx[5*k+j] != want {
				t.Fatalf("validation window %d, id %d = %d, want %d", k, j, vx[5*k+j], want)
			}
		}
	}
	offsets := map[int32]bool{}
	firstOf := func() []int32 {
		out := []int32{}
		for k := range 19 {
			out = append(out, x.I32[5*k])
		}
		return out
	}
	var epoch2 []int32
	for e := 1; e <= 6; e++ {
		if err := sets.resample(e); err != nil {
			t.Fatal(err)
		}
		for i := range x.I32 {
			if y.I32[i] != (x.I32[i]+1)%26 {
				t.Fatalf("epoch %d: target %d of input %d", e, y.I32[i], x.I32[i])
			}
		}
		f := firstOf()
		for k := 1; k < 19; k++ {
			if f[k] != (f[0]+int32(5*k))%26 {
				t.Fatalf("epoch %d: windows not seq apart: %v", e, f)
			}
		}
		offsets[f[0]] = true
		if e == 2 {
			epoch2 = f
		}
	}
	if len(offsets) < 2 {
		t.Errorf("six epochs drew one offset: %v", offsets)
	}
	again := textSets(t, p, 7)
	if err := again.resample(2); err != nil {
		t.Fatal(err)
	}
	if got := again.train.Arrays["x"].I32[0]; got != epoch2[0] {
		t.Errorf("seed 7, epoch 2 starts at id %d, then at %d", epoch2[0], got)
	}
}

// TestTextTrainsWithLabels: a model whose labels input is next trains on
// text with accuracy measured against it (labels = "next" or found by the
// binding of y), and without any labels array measures the loss only.
func TestTextTrainsWithLabels(t *testing.T) {
	text := strings.Repeat("the quick brown fox jumps over the lazy dog ", 20)
	for _, c := range []struct {
		block   string
		hasAcc  bool
		wantErr string
	}{
		{"    data = text(\"t.txt\", seq = 8, split = [0.8, 0.2])\n    inputs = {ids: \"x\", next: \"y\"}", true, ""},
		{"    data = text(\"t.txt\", seq = 8, split = [0.8, 0.2])\n    inputs = {ids: \"x\", next: \"y\"}\n    labels = \"next\"", true, ""},
		{"    data = text(\"t.txt\", seq = 8)\n    inputs = {ids: \"x\"}", false, "input next of LM.loss has no array of that name"},
	} {
		p := textProgram(t, text, c.block)
		res, err := p.Train(TrainOptions{Epochs: 2})
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%s: %v; want %q", c.block, err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", c.block, err)
		}
		_, has := res.Metrics["val_accuracy"]
		if has != c.hasAcc || res.Metrics["val_loss"] <= 0 {
			t.Errorf("%s: metrics %v", c.block, res.Metrics)
		}
	}
}

// TestDesignExamplesTrainOnText: the design's char_lstm (an LSTM unrolled
// over T, which the text's seq gives) and tiny_gpt type-check and train on
// text with the data block, small.
func TestDesignExamplesTrainOnText(t *testing.T) {
	for _, c := range []struct {
		file string
		args map[string]any
	}{
		{"char_lstm.nn", map[string]any{"dim": 8, "hidden": 16}},
		{"tiny_gpt.nn", map[string]any{"d": 16, "heads": 2, "layers": 1, "ctx": 16}},
	} {
		p := compileFixture(t, c.file)
		p.SetModelArgs(c.args)
		res, err := p.Train(TrainOptions{Epochs: 1})
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		// 2,700 training characters: (2700 - 16) / 16 = 167 windows.
		batch := map[string]int{"char_lstm.nn": 32, "tiny_gpt.nn": 16}[c.file]
		if want := (167 + batch - 1) / batch; res.Details.Steps != want {
			t.Errorf("%s: %d steps, want %d", c.file, res.Details.Steps, want)
		}
		if _, ok := res.Metrics["val_accuracy"]; !ok {
			t.Errorf("%s: no validation accuracy: %v", c.file, res.Metrics)
		}
	}
	// The vocabulary is the training part's characters, sorted (NumPy).
	var ref map[string]json.RawMessage
	b, err := os.ReadFile(fixture("reference.json"))
	if err == nil {
		err = json.Unmarshal(b, &ref)
	}
	if err != nil {
		t.Fatal(err)
	}
	var vocab string
	if err := json.Unmarshal(ref["shakespeare_3k_vocab"], &vocab); err != nil {
		t.Fatal(err)
	}
	p := compileFixture(t, "char_lstm.nn")
	sets := textSets(t, p, 0)
	if got := strings.Join(sets.vocab.Tokens, ""); got != vocab {
		t.Errorf("vocabulary %q, want %q", got, vocab)
	}
}

// TestShapesOption: TrainOptions.Shapes gives T to a recurrent entry; a
// value the data contradicts, a batch axis or an unknown name is an
// OptionError before training.
func TestShapesOption(t *testing.T) {
	p := compileFixture(t, "char_lstm.nn")
	p.SetModelArgs(map[string]any{"dim": 8, "hidden": 16})
	if _, err := p.Train(TrainOptions{Epochs: 1, Shapes: map[string]int{"T": 16}}); err != nil {
		t.Fatal(err)
	}
	for shapes, want := range map[string]string{
		"T=8": "TrainOptions.Shapes is T=8: the data's arrays have T = 16",
		"B=4": "TrainOptions.Shapes is B=4: B is the batch axis",
		"Q=4": "TrainOptions.Shapes is Q=4: no shape variable Q in the inputs of CharLM (variables: T)",
	} {
		name, val, _ := strings.Cut(shapes, "=")
		n := map[string]int{"8": 8, "4": 4}[val]
		_, err := p.Train(TrainOptions{Epochs: 1, Shapes: map[string]int{name: n}})
		var oe *OptionError
		if err == nil || !errors.As(err, &oe) || !strings.Contains(err.Error(), want) {
			t.Errorf("Shapes %s: %v; want an OptionError %q", shapes, err, want)
		}
	}
}

// TestTextUnknown: a character of the validation part that the training
// part lacks is an error at its line and column, unless unknown = "?"
// adds a token for it (the last id).
func TestTextUnknown(t *testing.T) {
	text := strings.Repeat("abcd\n", 16) + "abcZ\n" + strings.Repeat("abcd\n", 3) // Z on line 17
	p := textProgram(t, text, "    data = text(\"t.txt\", seq = 4, split = [0.8, 0.2])\n    inputs = {ids: \"x\", next: \"y\"}")
	if _, err := p.Train(TrainOptions{Epochs: 1}); err == nil || !strings.Contains(err.Error(), "t.txt:17:4: 'Z' is not in the vocabulary (5 tokens") {
		t.Errorf("an unseen character: %v", err)
	}
	p = textProgram(t, text, "    data = text(\"t.txt\", seq = 4, split = [0.8, 0.2], unknown = \"?\")\n    inputs = {ids: \"x\", next: \"y\"}")
	sets := textSets(t, p, 0)
	if got := strings.Join(sets.vocab.Tokens, ""); got != "\nabcd?" {
		t.Errorf("vocabulary %q, want %q", got, "\nabcd?")
	}
	// The validation part starts at character 80 ("abcZ\n" ...): Z is id 5.
	if x := sets.val.Arrays["x"].I32; x[0] != 1 || x[3] != 5 {
		t.Errorf("validation ids %v, want a = 1 ... Z = 5", x[:5])
	}
}

// TestTextContextWindows: text(..., context = c) cuts the validation part
// into windows of seq ids one every seq - c, with -1 as the target of each
// window's first c positions and the mask m selecting the rest; the
// training windows are unchanged and all scored.
func TestTextContextWindows(t *testing.T) {
	text := strings.Repeat("abcdefghijklmnopqrstuvwxyz", 8) // 208 characters
	p := textProgram(t, text, "    data = text(\"t.txt\", seq = 5, split = [0.5, 0.5], context = 2)\n    inputs = {ids: \"x\", next: \"y\"}")
	sets := textSets(t, p, 7)
	// 104 training ids: 19 windows as without context, every target scored.
	if x, m := sets.train.Arrays["x"], sets.train.Arrays["m"]; x.Shape[0] != 19 || m == nil || m.Len() != x.Len() || sets.mask != "m" {
		t.Fatalf("training windows %v, mask %v (set's mask %q)", x.Shape, m, sets.mask)
	}
	for i, v := range sets.train.Arrays["m"].I32 {
		if v != 1 {
			t.Fatalf("training mask %d is %d", i, v)
		}
	}
	// 104 validation ids, one window every 3 while s + 5 < 104: 33 windows.
	vx, vy, vm := sets.val.Arrays["x"], sets.val.Arrays["y"], sets.val.Arrays["m"]
	if vx.Shape[0] != 33 || vx.Shape[1] != 5 {
		t.Fatalf("validation windows %v, want [33 5]", vx.Shape)
	}
	for k := range 33 {
		for j := range 5 {
			i := 5*k + j
			wantY, wantM := int32((3*k+j+1)%26), int32(1)
			if j < 2 {
				wantY, wantM = -1, 0
			}
			if vx.I32[i] != int32((3*k+j)%26) || vy.I32[i] != wantY || vm.I32[i] != wantM {
				t.Fatalf("validation window %d, position %d: x %d y %d m %d; want x %d y %d m %d", k, j, vx.I32[i], vy.I32[i], vm.I32[i], (3*k+j)%26, wantY, wantM)
			}
		}
	}
	for _, c := range []string{"context = 5", "context = 9"} {
		p := textProgram(t, text, "    data = text(\"t.txt\", seq = 5, split = [0.5, 0.5], "+c+")\n    inputs = {ids: \"x\", next: \"y\"}")
		s, err := p.settings("TrainOptions", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.loadSets(s, dataRequest{seed: 7}); err == nil || !strings.Contains(err.Error(), "must be less than seq = 5") {
			t.Errorf("%s: error %v, want context must be less than seq", c, err)
		}
	}
	// context = 0 is the default written out: whole windows, no mask.
	p = textProgram(t, text, "    data = text(\"t.txt\", seq = 5, split = [0.5, 0.5], context = 0)\n    inputs = {ids: \"x\", next: \"y\"}")
	if sets := textSets(t, p, 7); sets.val.Arrays["x"].Shape[0] != 19 || sets.mask != "" || sets.val.Arrays["m"] != nil {
		t.Errorf("context = 0: %v validation windows, mask %q", sets.val.Arrays["x"].Shape, sets.mask)
	}
}

// TestTextContextLoss: with context, the validation loss and accuracy are
// the mean cross entropy and the share of correct argmaxes over the scored
// positions only, computed here from the trained parameters by hand.
func TestTextContextLoss(t *testing.T) {
	text := strings.Repeat("the quick brown fox jumps over the lazy dog ", 12)
	dir := t.TempDir()
	p := textProgramCE(t, dir, text, "    data = text(\"t.txt\", seq = 8, split = [0.5, 0.5], context = 3)\n    inputs = {ids: \"x\", next: \"y\"}\n    labels = \"next\"", ", ignore_index = -1")
	out := filepath.Join(dir, "lm.safetensors")
	res, err := p.Train(TrainOptions{Epochs: 3, Output: out})
	if err != nil {
		t.Fatal(err)
	}
	// Without ignore_index the -1 targets are an error before training,
	// which says what to write.
	bare := textProgramCE(t, t.TempDir(), text, "    data = text(\"t.txt\", seq = 8, split = [0.5, 0.5], context = 3)\n    inputs = {ids: \"x\", next: \"y\"}", "")
	if _, err := bare.Train(TrainOptions{Epochs: 1}); err == nil || !strings.Contains(err.Error(), "label -1 out of range [0, 27) (cross_entropy(..., ignore_index = -1)") {
		t.Errorf("without ignore_index: error %v", err)
	}
	ps, err := data.LoadSafetensors(out)
	if err != nil {
		t.Fatal(err)
	}
	E, W := ps["E"], ps["W"]
	// The vocabulary: the training part's characters in code point order.
	half := text[:len(text)/2]
	var chars []rune
	for _, r := range half {
		if !slices.Contains(chars, r) {
			chars = append(chars, r)
		}
	}
	slices.Sort(chars)
	val := []rune(text[len(text)/2:])
	id := func(r rune) int { return slices.Index(chars, r) }
	var sum float64
	var scored, correct int
	for s := 0; s+8+1 <= len(val); s += 5 {
		for j := 3; j < 8; j++ {
			x, y := id(val[s+j]), id(val[s+j+1])
			logits := make([]float64, 27)
			for c := range 27 {
				for k := range 4 {
					logits[c] += float64(E.F32[x*4+k]) * float64(W.F32[k*27+c])
				}
			}
			m, best := math.Inf(-1), 0
			for c, v := range logits {
				if v > m {
					m, best = v, c
				}
			}
			var z float64
			for _, v := range logits {
				z += math.Exp(v - m)
			}
			sum += m + math.Log(z) - logits[y]
			scored++
			if best == y {
				correct++
			}
		}
	}
	if got, want := res.Metrics["val_loss"], sum/float64(scored); math.Abs(got-want) > 1e-5*want {
		t.Errorf("val_loss %.7f, want %.7f over %d scored positions", got, want, scored)
	}
	if got, want := res.Metrics["val_accuracy"], float64(correct)/float64(scored); math.Abs(got-want) > 1e-9 {
		t.Errorf("val_accuracy %.7f, want %.7f", got, want)
	}
}
