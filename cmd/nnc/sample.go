package main

import (
	"context"
	"fmt"
	"io"
	"math"

	"github.com/nnclang/nnc"
)

// cmdSample generates text from a trained language model:
//
//	nnc sample FILE --params P.safetensors [--prompt "ROMEO:"] [--length 500]
//	           [--temperature 0.8] [--top-k 40] [--seed 1] [--entry M.step]
//	           [--vocab V.vocab.json] [--context N] [--json]
//
// It runs the model's step method one token at a time, carrying its state
// (see docs/cli.md, "sample"), and prints the prompt and the generated text,
// then the speed on stderr.
func cmdSample(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("sample")
	params := fs.String("params", "", "the trained parameters (.safetensors, from nnc train -o; required)")
	entry := fs.String("entry", "", "the step method, M.step (default: the step method of the model with a train block)")
	vocab := fs.String("vocab", "", "the vocabulary (default: P.vocab.json beside --params, written by nnc train -o)")
	prompt := fs.String("prompt", "", "the text to continue (default: a newline)")
	length := fs.Int("length", 500, "the number of tokens to generate, 1 to 1048576")
	temp := fs.Float64("temperature", 1, "divide the logits by this before the softmax; 0 takes the most likely token (greedy)")
	topK := fs.Int("top-k", 0, "draw among the K most likely tokens only (0: all)")
	seed := fs.Uint64("seed", 0, "the seed of the draws: the same seed gives the same text")
	window := fs.Int("context", 0, "for a step with a position input t: the positions it may use (default: what its state holds)")
	asJSON := fs.Bool("json", false, "print the text and the speed as one JSON object")
	file, err := parseFile(fs, args, stderr)
	if err != nil {
		return err
	}
	switch {
	case *params == "":
		return usagef("--params: want the trained parameters (.safetensors)")
	case *length < 1 || *length > 1<<20:
		return usagef("--length: want 1 to 1048576 tokens, got %d", *length)
	case *temp < 0 || math.IsNaN(*temp) || math.IsInf(*temp, 0):
		return usagef("--temperature: want 0 (greedy) or a positive number, got %v", *temp)
	case *topK < 0:
		return usagef("--top-k: want 0 (every token) or a positive number, got %d", *topK)
	case *window < 0:
		return usagef("--context: want a positive number of positions, got %d", *window)
	}
	p, err := compileFile(file)
	if err != nil {
		return err
	}
	o := nnc.SampleOptions{Entry: *entry, Params: *params, Prompt: *prompt, Length: *length,
		Temperature: *temp, Greedy: *temp == 0, TopK: *topK, Seed: *seed, Context: *window, VocabFile: *vocab}
	res, err := p.Sample(context.Background(), o)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, res)
	}
	fmt.Fprintln(stdout, res.Text)
	fmt.Fprintf(stderr, "%d tokens generated at %.1f tokens/s (%d steps, %.2f s)\n", res.Generated, res.TokensPerSecond, res.Steps, res.Seconds)
	return nil
}
