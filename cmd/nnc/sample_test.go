package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestSampleCLI trains a tiny tiny_gpt.nn briefly on 3,000 characters
// (nnc train -o, which writes the vocabulary beside the parameters) and
// samples from it (and from the run's checkpoint alone, which records the
// vocabulary): the text starts with the prompt, holds --length
// characters of the vocabulary after it, the same seed gives the same text
// (past the window of 16 positions, so through refills of the cache), and
// --json reports the counts.
func TestSampleCLI(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile("../../models/data/tinyshakespeare_40k.txt")
	if err != nil {
		t.Fatal(err)
	}
	text := []rune(string(src))[:3000]
	txt := filepath.Join(dir, "small.txt")
	if err := os.WriteFile(txt, []byte(string(text)), 0o644); err != nil {
		t.Fatal(err)
	}
	vocab := map[rune]bool{}
	for _, r := range text[:int(0.9*float64(len(text)))] {
		vocab[r] = true
	}
	model := "../../models/tiny_gpt.nn"
	args := []string{"--arg", "vocab=" + strconv.Itoa(len(vocab)), "--arg", "d=16", "--arg", "heads=2", "--arg", "layers=1", "--arg", "ctx=16"}
	params := filepath.Join(dir, "g.safetensors")
	ckdir := filepath.Join(dir, "ck")
	train := append([]string{"train", model, "--data", txt, "--seq", "16", "--context", "8", "--epochs", "1", "--schedule", "constant()", "-o", params, "--quiet",
		"--checkpoint", "every = 1", "--checkpoint-dir", ckdir}, args...)
	if _, stderr, code := nncCmd(t, train...); code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	sample := append([]string{"sample", model, "--params", params, "--prompt", "ROMEO:", "--length", "40", "--temperature", "0.8", "--top-k", "5", "--seed", "1"}, args...)
	out1, stderr, code := nncCmd(t, sample...)
	if code != 0 || !strings.Contains(stderr, "40 tokens generated at") {
		t.Fatalf("sample: exit %d, stderr %q", code, stderr)
	}
	out2, _, _ := nncCmd(t, sample...)
	if out1 != out2 {
		t.Errorf("the same seed gave two texts:\n%q\n%q", out1, out2)
	}
	// The checkpoint of the epoch's end holds the same parameters and, in
	// its header, the vocabulary: sampling from it alone gives the text.
	cks, _ := filepath.Glob(filepath.Join(ckdir, "*.safetensors"))
	if len(cks) != 1 {
		t.Fatalf("checkpoints %v, want one", cks)
	}
	ckSample := append([]string{"sample", model, "--params", cks[0]}, sample[4:]...)
	if out, stderr, code := nncCmd(t, ckSample...); code != 0 || out != out1 {
		t.Errorf("sample from the checkpoint: exit %d, %q, stderr %q; want the text %q", code, out, stderr, out1)
	}
	rest, ok := strings.CutPrefix(strings.TrimSuffix(out1, "\n"), "ROMEO:")
	if !ok || len([]rune(rest)) != 40 {
		t.Fatalf("want ROMEO: and 40 characters, got %q", out1)
	}
	for _, r := range rest {
		if !vocab[r] {
			t.Errorf("%q is not in the vocabulary", r)
		}
	}
	js, _, code := nncCmd(t, append(sample, "--json", "--seed", "2")...)
	var res struct {
		Text      string  `json:"text"`
		Prompt    int     `json:"prompt_tokens"`
		Generated int     `json:"generated_tokens"`
		Steps     int     `json:"steps"`
		Speed     float64 `json:"tokens_per_second"`
	}
	if err := json.Unmarshal([]byte(js), &res); code != 0 || err != nil {
		t.Fatalf("--json: exit %d, %v: %q", code, err, js)
	}
	// 6 + 40 tokens, 45 fed; the window of 16 is full at 16, 24, 32, 40:
	// each refill feeds 8 tokens again.
	if res.Prompt != 6 || res.Generated != 40 || res.Steps != 45+4*8 || !(res.Speed > 0) || res.Text == strings.TrimSuffix(out1, "\n") {
		t.Errorf("--json --seed 2: %+v", res)
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"sample", model}, 2, "--params"},
		{[]string{"sample", model, "--params", params, "--length", "0"}, 2, "--length"},
		{[]string{"sample", model, "--params", params, "--temperature", "-1"}, 2, "--temperature"},
		{append([]string{"sample", model, "--params", params, "--prompt", "ROMEO~"}, args...), 1, "not in the vocabulary"},
		{append([]string{"sample", model, "--params", filepath.Join(dir, "none.safetensors")}, args...), 1, "none.safetensors"},
		{append([]string{"sample", model, "--params", params, "--context", "99"}, args...), 1, "exceeds the 16 positions"},
	} {
		_, stderr, code := nncCmd(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", c.args[2:], code, stderr, c.code, c.want)
		}
	}
}
