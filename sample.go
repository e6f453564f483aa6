package nnc

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/tensor"
	"github.com/nnclang/nnc/train"
)

// SampleOptions configures Program.Sample.
type SampleOptions struct {
	// Entry is the step method ("CharLM.step"); "" takes the method step
	// of the model with a train block, or of the only model that has one.
	Entry string
	// Params is the safetensors file of trained parameters (nnc train -o),
	// or a checkpoint of a training (its parameters are used).
	Params string
	// VocabFile is the vocabulary (a .vocab.json file); "" reads
	// VocabPath(Params), the file nnc train writes beside the parameters,
	// or without it the vocabulary a checkpoint records.
	VocabFile string
	// Prompt is the text the generation continues; "" starts from the
	// vocabulary's "\n" (or id 0 without one).
	Prompt string
	// Length is the number of tokens to generate (default 500).
	Length int
	// Temperature divides the logits before the softmax (0: 1).
	Temperature float64
	// Greedy takes the most likely token at every step.
	Greedy bool
	// TopK, when positive, draws among the K most likely tokens only.
	TopK int
	// Seed seeds the draws: the same seed, parameters and options give the
	// same text.
	Seed uint64
	// Context, for a positional step (one with an input t), is the number
	// of positions its state holds; 0 reads it from the state (see
	// docs/cli.md, "sample").
	Context int
}

// SampleResult is what Sample generated.
type SampleResult struct {
	// Text is the prompt followed by the generated tokens.
	Text string `json:"text"`
	// Prompt and Generated count the prompt's tokens and the new ones.
	Prompt    int `json:"prompt_tokens"`
	Generated int `json:"generated_tokens"`
	// Steps counts the calls of the step method (prompt, generation and
	// any refill of a full window).
	Steps int `json:"steps"`
	// Seconds is the wall time of the steps and draws; TokensPerSecond is
	// Generated / (the time spent generating them, the prompt's excluded).
	Seconds         float64 `json:"seconds"`
	TokensPerSecond float64 `json:"tokens_per_second"`
}

// stepper runs a step method one token at a time, carrying its state.
type stepper struct {
	f      *Func
	idsIn  string   // the token input
	posIn  string   // the position input, or ""
	states []string // the state inputs, in order; the outputs after the logits
	shapes [][]int  // their shapes with the batch dimension 1
	window int      // positions a positional step holds
	vocab  int      // the logits' length
	state  map[string]*Tensor
	pos    int
	steps  int
}

// newStepper checks the step method's signature: ids i32[B] first, an
// optional scalar i32 position t, state inputs, and as results the logits
// f32[B, V] then one tensor per state input of the same type.
func newStepper(p *Program, entry string, context int) (*stepper, error) {
	sig, res, err := p.stepSignature(entry)
	if err != nil {
		return nil, err
	}
	bad := func(msg string, a ...any) error {
		return &OptionError{Option: "SampleOptions.Entry", Value: entry, Msg: fmt.Sprintf(msg, a...)}
	}
	one := map[string]int64{}
	if sig[0].Type.DType != ops.I32 {
		return nil, bad("a step method's first input is the token ids, i32[B]")
	}
	s := &stepper{idsIn: sig[0].Name, state: map[string]*Tensor{}}
	for _, a := range sig[1:] {
		if a.Name == "t" && a.Type.DType == ops.I32 && len(a.Type.Shape) == 0 {
			s.posIn = a.Name
			continue
		}
		shape, err := evalShape(a.Type.Shape, one)
		if err != nil || !a.Type.DType.IsFloat() {
			return nil, bad("state input %s: %v is not a float tensor whose shape only the batch dimension varies", a.Name, a.Type)
		}
		s.states = append(s.states, a.Name)
		s.shapes = append(s.shapes, shape)
	}
	if len(res) != 1+len(s.states) {
		return nil, bad("a step method returns the logits and then one new value per state input (%d), not %d results", len(s.states), len(res))
	}
	logits, err := evalShape(res[0].Shape, one)
	if err != nil || len(logits) != 2 || logits[0] != 1 || !res[0].DType.IsFloat() {
		return nil, bad("a step method's first result is the logits, f32[B, vocab], not %v", res[0])
	}
	s.vocab = logits[1]
	for i := range s.states {
		if got, err := evalShape(res[i+1].Shape, one); err != nil || !slices.Equal(got, s.shapes[i]) {
			return nil, bad("result %d (%v) is the new value of state input %s and must have its type", i+1, res[i+1], s.states[i])
		}
	}
	if s.posIn != "" {
		if s.window, err = stepWindow(s.shapes); err != nil {
			return nil, bad("%v", err)
		}
		if context > s.window {
			return nil, &OptionError{Option: "SampleOptions.Context", Value: fmt.Sprint(context), Msg: fmt.Sprintf("exceeds the %d positions the state holds", s.window)}
		}
		if context > 0 {
			s.window = context
		}
	}
	if s.f, err = p.Func(entry); err != nil {
		return nil, err
	}
	s.reset()
	return s, nil
}

// stepSignature is the entry's inputs and results with the model arguments
// applied and every shape variable 1, which must all be the batch
// dimension of the first input.
func (p *Program) stepSignature(entry string) ([]lang.Arg, []ops.Type, error) {
	sig, err := p.signature(entry)
	if err != nil {
		return nil, nil, err
	}
	one := withOnes(sig, nil)
	if len(sig) == 0 || len(sig[0].Type.Shape) != 1 || len(one) != len(sig[0].Type.Shape[0].Vars()) {
		return nil, nil, &OptionError{Option: "SampleOptions.Entry", Value: entry,
			Msg: "a step method's first input is the token ids, i32[B], and B is its only shape variable"}
	}
	low, err := p.lower(entry, lang.LowerOptions{Shapes: one})
	if err != nil {
		return nil, nil, err
	}
	args := make([]lang.Arg, len(low.Inputs))
	for i, n := range low.Inputs {
		args[i] = lang.Arg{Name: n.Name(), Type: n.Type}
	}
	res := make([]ops.Type, len(low.Outputs))
	for i, n := range low.Outputs {
		res[i] = n.Type
	}
	return args, res, nil
}

// stepWindow is the number of positions a positional step holds: axis -2
// of its state inputs (attention's [..., positions, features]), which must
// agree.
func stepWindow(shapes [][]int) (int, error) {
	w := 0
	for _, sh := range shapes {
		if len(sh) < 2 {
			return 0, fmt.Errorf("a positional step's state inputs are [..., positions, features]; one is %v", sh)
		}
		if n := sh[len(sh)-2]; w == 0 {
			w = n
		} else if n != w {
			return 0, fmt.Errorf("the state inputs disagree on the number of positions (axis -2): %d and %d", w, n)
		}
	}
	if w == 0 {
		return 0, fmt.Errorf("a positional step needs a state (the keys and values of the earlier positions)")
	}
	return w, nil
}

// evalShape evaluates a shape with the batch variable set.
func evalShape(sh ops.Shape, env map[string]int64) ([]int, error) {
	out := make([]int, len(sh))
	for i, d := range sh {
		n, err := d.Eval(env)
		if err != nil || n < 0 || n > math.MaxInt32 {
			return nil, fmt.Errorf("dimension %v", d)
		}
		out[i] = int(n)
	}
	return out, nil
}

// reset zeroes the state and the position.
func (s *stepper) reset() {
	for i, name := range s.states {
		s.state[name] = tensor.New(tensor.F32, s.shapes[i]...)
	}
	s.pos = 0
}

// feed runs one step on token id and returns the next token's logits.
func (s *stepper) feed(ctx context.Context, id int32) ([]float32, error) {
	in := map[string]*Tensor{s.idsIn: {DType: tensor.I32, Shape: []int{1}, I32: []int32{id}}}
	if s.posIn != "" {
		in[s.posIn] = &Tensor{DType: tensor.I32, Shape: []int{}, I32: []int32{int32(s.pos)}}
	}
	for _, name := range s.states {
		in[name] = s.state[name]
	}
	out, err := s.f.RunContext(ctx, in)
	if err != nil {
		return nil, err
	}
	for i, name := range s.states {
		s.state[name] = out[i+1]
	}
	s.pos++
	s.steps++
	return out[0].F32, nil
}

// advance feeds token id at the next position, refilling the window first
// when a positional step's state is full: it restarts from the zero state
// with the last half of the window's tokens (history holds every token fed
// so far), so that each token costs one step most of the time.
func (s *stepper) advance(ctx context.Context, history []int32, id int32) ([]float32, error) {
	if s.posIn != "" && s.pos >= s.window {
		keep := history[len(history)-s.window/2:]
		s.reset()
		for _, old := range keep {
			if _, err := s.feed(ctx, old); err != nil {
				return nil, err
			}
		}
	}
	return s.feed(ctx, id)
}

// Sample generates text from a language model's step method (see
// SampleOptions and docs/cli.md, "sample"): it feeds the prompt a token at
// a time, then draws each next token from the logits (divided by the
// temperature, restricted to the top k, from a generator seeded by Seed)
// and feeds it back, carrying the step's state.
func (p *Program) Sample(ctx context.Context, o SampleOptions) (res *SampleResult, err error) {
	defer recoverInternal(&err)
	if !p.ok() {
		return nil, errNoProgram
	}
	if err := o.check(); err != nil {
		return nil, err
	}
	if o.Entry == "" {
		if o.Entry, err = p.stepEntry(); err != nil {
			return nil, err
		}
	}
	s, err := newStepper(p, o.Entry, o.Context)
	if err != nil {
		return nil, err
	}
	if err := loadStepParams(s.f, o.Params); err != nil {
		return nil, err
	}
	v, err := sampleVocab(&o)
	if err != nil {
		return nil, err
	}
	if v.Len() != s.vocab {
		return nil, fmt.Errorf("the vocabulary has %d tokens but %s gives %d logits", v.Len(), o.Entry, s.vocab)
	}
	prompt, err := encodePrompt(v, o.Prompt)
	if err != nil {
		return nil, err
	}
	return s.generate(ctx, v, prompt, o)
}

// loadStepParams reads the parameters from a file nnc train -o wrote or
// from one of its checkpoints: its parameters, or, for a run with a moving
// average of the weights (ema), the averages, which its validation read
// and -o writes.
func loadStepParams(f *Func, path string) error {
	ck, err := train.ReadCheckpoint(path, 0)
	switch {
	case err == nil:
		return f.writeParams(func(store *runtime.Store) error {
			return setParams(store, f.leaves(), checkpointWeights(ck), path)
		})
	case strings.Contains(err.Error(), "not an nnc checkpoint"):
		return f.LoadParams(path)
	}
	return err
}

// generate feeds the prompt and draws o.Length tokens.
func (s *stepper) generate(ctx context.Context, v *data.Vocab, prompt []int32, o SampleOptions) (*SampleResult, error) {
	start := time.Now()
	history := make([]int32, 0, len(prompt)+o.Length)
	var logits []float32
	var err error
	for _, id := range prompt {
		if logits, err = s.advance(ctx, history, id); err != nil {
			return nil, err
		}
		history = append(history, id)
	}
	gen := time.Now()
	rng := rand.New(rand.NewPCG(o.Seed, 0x6e6e632d73616d70))
	probs := make([]float64, len(logits))
	for range o.Length {
		id, err := drawToken(logits, probs, o, rng)
		if err != nil {
			return nil, err
		}
		history = append(history, id)
		if len(history) == len(prompt)+o.Length {
			break
		}
		if logits, err = s.advance(ctx, history[:len(history)-1], id); err != nil {
			return nil, err
		}
	}
	end := time.Now()
	text, err := v.Decode(history)
	if err != nil {
		return nil, err
	}
	res := &SampleResult{Text: text, Prompt: len(prompt), Generated: o.Length, Steps: s.steps, Seconds: end.Sub(start).Seconds()}
	if d := end.Sub(gen).Seconds(); d > 0 {
		res.TokensPerSecond = float64(o.Length) / d
	}
	return res, nil
}

// check validates the options and fills in the defaults.
func (o *SampleOptions) check() error {
	opt := func(name, value, msg string) error {
		return &OptionError{Option: "SampleOptions." + name, Value: value, Msg: msg}
	}
	switch {
	case o.Params == "":
		return &OptionError{Option: "SampleOptions.Params", Missing: true, Msg: "sampling needs trained parameters"}
	case o.Length < 0 || o.Length > 1<<20:
		return opt("Length", fmt.Sprint(o.Length), "the number of tokens is 1 to 1048576 (0: 500)")
	case o.Temperature < 0 || math.IsNaN(o.Temperature) || math.IsInf(o.Temperature, 0):
		return opt("Temperature", fmt.Sprint(o.Temperature), "the temperature is positive (Greedy for the most likely token)")
	case o.TopK < 0:
		return opt("TopK", fmt.Sprint(o.TopK), "top-k is positive (0: every token)")
	case o.Context < 0:
		return opt("Context", fmt.Sprint(o.Context), "the context is positive (0: what the state holds)")
	case len(o.Prompt) > 1<<20:
		return opt("Prompt", "", "the prompt is at most 1 MiB")
	}
	if o.Length == 0 {
		o.Length = 500
	}
	if o.Temperature == 0 {
		o.Temperature = 1
	}
	return nil
}

// stepEntry is the step method of the model with a train block, or of the
// only model with a step method.
func (p *Program) stepEntry() (string, error) {
	var steps []string
	for _, e := range p.Entries() {
		if strings.HasSuffix(e, ".step") {
			steps = append(steps, e)
		}
	}
	for _, m := range p.mod.TrainModels() {
		if slices.Contains(steps, m+".step") {
			return m + ".step", nil
		}
	}
	if len(steps) == 1 {
		return steps[0], nil
	}
	msg := "no model of the file has a step method (see docs/cli.md, \"sample\")"
	if len(steps) > 1 {
		msg = "several models have a step method: " + strings.Join(steps, ", ")
	}
	return "", &OptionError{Option: "SampleOptions.Entry", Missing: true, Msg: msg}
}

// encodePrompt maps the prompt's characters (bytes, at byte level) to ids;
// one outside the vocabulary is an error naming its position. An empty
// prompt is "\n" when the vocabulary has it, else id 0.
func encodePrompt(v *data.Vocab, prompt string) ([]int32, error) {
	if prompt == "" {
		if id, ok := v.ID("\n"); ok {
			return []int32{id}, nil
		}
		return []int32{0}, nil
	}
	var ids []int32
	if v.Level == "byte" {
		for i := 0; i < len(prompt); i++ {
			id, ok := v.ID(string(rune(prompt[i])))
			if !ok {
				return nil, &OptionError{Option: "SampleOptions.Prompt", Msg: fmt.Sprintf("byte %d (0x%02x) is not in the vocabulary", i, prompt[i])}
			}
			ids = append(ids, id)
		}
		return ids, nil
	}
	if !utf8.ValidString(prompt) {
		return nil, &OptionError{Option: "SampleOptions.Prompt", Msg: "the prompt is not valid UTF-8"}
	}
	for i, r := range prompt {
		id, ok := v.ID(string(r))
		if !ok {
			return nil, &OptionError{Option: "SampleOptions.Prompt", Msg: fmt.Sprintf("character %q (byte %d) is not in the vocabulary", r, i)}
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// sampleVocab reads the vocabulary: VocabFile, else the file beside the
// parameters (VocabPath), else the one a checkpoint records in its header.
func sampleVocab(o *SampleOptions) (*data.Vocab, error) {
	vf := o.VocabFile
	if vf == "" {
		vf = VocabPath(o.Params)
		if _, err := os.Stat(vf); errors.Is(err, fs.ErrNotExist) {
			if meta, err := data.SafetensorsMetadata(o.Params); err == nil && meta["vocab"] != "" {
				return data.ParseVocab([]byte(meta["vocab"]), o.Params)
			}
		}
	}
	v, err := data.LoadVocab(vf)
	if err != nil {
		return nil, fmt.Errorf("the vocabulary: %w (nnc train -o writes it beside the parameters; a checkpoint records it)", err)
	}
	return v, nil
}

// checkpointWeights is ck's parameters, or, when it holds a moving average
// of every one of them (train.EMAState), the averages under the
// parameters' names.
func checkpointWeights(ck *train.Checkpoint) map[string]*tensor.Tensor {
	avg := make(map[string]*tensor.Tensor, len(ck.Params))
	for name := range ck.Params {
		a, ok := ck.States[train.EMAState(name)]
		if !ok {
			return ck.Params
		}
		avg[name] = a
	}
	return avg
}
