package nnc

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestTextStreamTrains: text(..., stream = true) trains from disk through
// a shuffle buffer of 16 windows: an epoch has as many steps as the
// whole-file reader's, the loss falls, and the validation set is the
// whole-file reader's validation windows, value for value.
func TestTextStreamTrains(t *testing.T) {
	text := strings.Repeat("the quick brown fox jumps over the lazy dog ", 40)
	const block = "    data = text(\"t.txt\", seq = 8, split = [0.8, 0.2]%s)\n    inputs = {ids: \"x\", next: \"y\"}\n    batch = 16\n    optimizer = adam(lr = 0.05)"
	ps := textProgram(t, text, strings.Replace(block, "%s", ", stream = true, shuffle_buffer = 16", 1))
	pw := textProgram(t, text, strings.Replace(block, "%s", "", 1))
	res, err := ps.Train(TrainOptions{Epochs: 4})
	if err != nil {
		t.Fatal(err)
	}
	// 1760 characters, 1408 train: (1408 - 8) / 8 = 175 windows, 11 batches of 16.
	h := res.Details.History
	if res.Details.Steps != 44 || len(h) != 4 || !(h[3].Loss < h[0].Loss) || res.Metrics["val_accuracy"] <= 0 {
		t.Fatalf("%d steps, history %+v, metrics %v", res.Details.Steps, h, res.Metrics)
	}
	var vals [2][]int32
	for i, p := range []*Program{ps, pw} {
		s, err := p.settings("TrainOptions", "")
		if err != nil {
			t.Fatal(err)
		}
		sets, err := p.loadSets(s, dataRequest{seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		if (sets.stream != nil) != (i == 0) {
			t.Fatalf("program %d: stream %v", i, sets.stream)
		}
		vals[i] = append(sets.val.Arrays["x"].I32, sets.val.Arrays["y"].I32...)
	}
	if len(vals[0]) == 0 || !slices.Equal(vals[0], vals[1]) {
		t.Errorf("the streamed validation windows (%d ids) differ from the whole file's (%d)", len(vals[0]), len(vals[1]))
	}
}

// TestJSONLStreamTrains: ragged.nn's data streamed (stream = true, a
// buffer of 4 records) trains with padded fields bound through the stream:
// every training record once an epoch, the loss falling; preprocess and a
// balanced sampler are refused for a stream.
func TestJSONLStreamTrains(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "train", "ragged.nn"))
	if err != nil {
		t.Fatal(err)
	}
	jl, err := os.ReadFile(filepath.Join("testdata", "train", "ragged.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	nn := strings.Replace(string(src), `pad = ["ids"],`, `pad = ["ids"], stream = true, shuffle_buffer = 4,`, 1)
	for name, body := range map[string]string{"r.nn": nn, "ragged.jsonl": string(jl),
		"p.nn": strings.Replace(nn, "epochs    = 10", "epochs    = 10\n    preprocess = standardize(arrays = [\"ids_mask\"])", 1),
		"s.nn": strings.Replace(nn, "epochs    = 10", "epochs    = 10\n    sampler = \"balanced\"", 1)} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p, err := CompileFile(filepath.Join(dir, "r.nn"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Train(TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := p.settings("TrainOptions", "")
	sets, err := p.loadSets(s, dataRequest{})
	if err != nil || sets.stream == nil {
		t.Fatalf("%v, stream %v", err, sets)
	}
	n := sets.stream.Len()
	h := res.Details.History
	if res.Details.Steps != 10*((n+7)/8) || h[9].Samples != n || !(h[9].Loss < h[0].Loss) {
		t.Errorf("%d steps for %d records, history %+v", res.Details.Steps, n, h)
	}
	pp, err := CompileFile(filepath.Join(dir, "p.nn"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pp.Train(TrainOptions{}); err == nil || !strings.Contains(err.Error(), "it is streamed") {
		t.Errorf("preprocess on a stream: %v", err)
	}
	ps, err := CompileFile(filepath.Join(dir, "s.nn"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ps.Train(TrainOptions{}); err == nil || !strings.Contains(err.Error(), "cannot sample a stream") {
		t.Errorf("a balanced sampler on a stream: %v", err)
	}
}

// TestStreamArgs: the streaming arguments are checked with the others, at
// the value at fault; a JSON Lines stream takes a given validation file
// (read whole, its categories aligned with the stream's) and refuses a
// validation fraction beside it.
func TestStreamArgs(t *testing.T) {
	for _, c := range []struct{ arg, want string }{
		{"stream = 1", "stream"},
		{"shuffle_buffer = 0", "shuffle_buffer"},
		{"eval_max = -3", "eval_max"},
	} {
		p := textProgram(t, "abcabcabc", "    data = text(\"t.txt\", seq = 2, "+c.arg+")\n    inputs = {ids: \"x\", next: \"y\"}")
		if _, err := p.Train(TrainOptions{}); err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "lm.nn:") {
			t.Errorf("%s: got %v", c.arg, err)
		}
	}
	dir := t.TempDir()
	var train, val strings.Builder
	for i := range 40 {
		fmt.Fprintf(&train, "{\"x\": [%d, 1], \"y\": \"%c\"}\n", i, "ab"[i%2])
	}
	val.WriteString("{\"x\": [1, 2], \"y\": \"b\"}\n{\"x\": [3, 4], \"y\": \"a\"}\n")
	for name, body := range map[string]string{"t.jsonl": train.String(), "v.jsonl": val.String()} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for split, want := range map[string]string{"": "", ", split = [0.8, 0.2]": "its val fraction must be 0"} {
		src := `model Lin {
    param W: f32[2, 2] = zeros()
    fn loss(x: f32[B, 2], y: i32[B]) -> f32 { return cross_entropy(x @ W, y) }
}
train Lin {
    data = jsonl("t.jsonl", val = "v.jsonl", stream = true` + split + `)
}
`
		if err := os.WriteFile(filepath.Join(dir, "m.nn"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		p, err := CompileFile(filepath.Join(dir, "m.nn"))
		if err != nil {
			t.Fatal(err)
		}
		s, _ := p.settings("TrainOptions", "")
		sets, err := p.loadSets(s, dataRequest{})
		if want != "" {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("split%s: got %v, want %q", split, err, want)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		// The stream numbers "a" 0 and "b" 1 (first appearance); the
		// validation file's "b" then "a" are aligned to them.
		if sets.stream.Len() != 40 || !slices.Equal(sets.val.Arrays["y"].I32, []int32{1, 0}) {
			t.Errorf("%d training records, validation labels %v", sets.stream.Len(), sets.val.Arrays["y"].I32)
		}
	}
}

// TestDocsStreamingBlocks: the train blocks of docs/data.md's Streaming
// section are accepted as written (with a model of their name).
func TestDocsStreamingBlocks(t *testing.T) {
	text, err := os.ReadFile(filepath.Join("docs", "data.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, sec, _ := strings.Cut(string(text), "## Streaming: data larger than memory")
	sec, _, _ = strings.Cut(sec, "\n## ")
	models := map[string]string{
		"LM":  "model LM {\n    param E: f32[52, 4] = zeros()\n    fn loss(ids: i32[B, T], next: i32[B, T]) -> f32 { return cross_entropy(reshape(embedding(ids, E) @ transpose(E), [B * T, 52]), reshape(next, [B * T])) }\n}\n",
		"Lin": "model Lin {\n    param W: f32[64, 2] = zeros()\n    fn loss(x: f32[B, 64], y: i32[B]) -> f32 { return cross_entropy(x @ W, y) }\n}\n",
	}
	blocks := 0
	for _, part := range strings.Split(sec, "```nn\n")[1:] {
		src, _, _ := strings.Cut(part, "```")
		name := strings.Fields(strings.TrimPrefix(strings.TrimSpace(src), "train "))[0]
		p, err := Compile("data.md", []byte(models[name]+src))
		if err != nil {
			t.Errorf("train %s: %v", name, err)
			continue
		}
		blocks++
		if _, _, err := p.trainSettings(&TrainOptions{Model: name}); err != nil {
			t.Errorf("train %s: %v", name, err)
		}
	}
	if blocks != 2 {
		t.Errorf("%d blocks in the Streaming section, want 2", blocks)
	}
}
