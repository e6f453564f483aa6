package nnc

import (
	"errors"
	"strings"
	"testing"
)

// TestStepSettingsInvalid: every bad value of the step settings is an
// error at the value at fault (line:col), with its code, all of them
// together in the order of the block (the block gives data on line 14
// and the settings from line 15).
func TestStepSettingsInvalid(t *testing.T) {
	for _, c := range []struct {
		block string
		want  []string
	}{
		{"    clip_norm = -1", []string{"m.nn:15:17: train M: clip_norm: want a positive number, got -1"}},
		{"    clip_norm = 0\n    clip_value = \"x\"", []string{"m.nn:15:17: train M: clip_norm: want a positive number, got 0", `m.nn:16:18: train M: clip_value: want a number, got "x"`}},
		{"    ema = 1", []string{"m.nn:15:11: train M: ema: want a decay in (0, 1) such as 0.999, got 1"}},
		{"    accumulate = 0", []string{"m.nn:15:18: train M: accumulate: want a number of batches from 1 to 1048576, got 0"}},
		{"    accumulate = 2.5", []string{"accumulate: want a number of batches"}},
		{"    sampler = \"random\"", []string{`m.nn:15:15: train M: sampler: want "balanced" or "shuffle", got "random"`}},
		{"    class_weights = \"auto\"", []string{`class_weights: want "balanced" or a list of weights`}},
		{"    class_weights = [1, -2]", []string{"m.nn:15:25: train M: class_weights: weight 1 is -2: want a non-negative number"}},
		{"    class_weights = [0, 0]", []string{"class_weights: every weight is 0"}},
		{"    groups = group(\"*.b\")", []string{`groups: group("*.b") sets nothing`}},
		{"    groups = [group(\"*.b\", weight_decay = 0), group(\"[\", lr = 1)]", []string{`groups: group("["): not a pattern`}},
		{"    groups = [group(weight_decay = 0)]", []string{"m.nn:15:15: train M: groups: group takes a parameter pattern in quotes first"}},
		{"    groups = [group(\"W\", gamma = 1)]", []string{"m.nn:15:26: train M: groups: group has no argument gamma"}},
		{"    optimizer = sgd(lr = 0.1)\n    groups = [group(\"W\", beta1 = 0.5)]", []string{`m.nn:16:14: train M: groups: group("W"): the optimizer has no setting beta1`}},
		{"    optimizer = adam()\n    groups = [group(\"W\", beta1 = 1)]", []string{`groups: group("W"): adam: betas must be in [0, 1)`}},
		{"    groups = adam()", []string{`groups: want group("pattern", setting = value, ...) or a list of them, got adam(...)`}},
		{"    noise = noise(input = -1, weight = \"a\")", []string{"m.nn:15:27: train M: noise: input = -1: want a non-negative standard deviation", `m.nn:15:40: train M: noise: weight = "a"`}},
		{"    noise = noise(sigma = 1)", []string{"m.nn:15:19: train M: noise: noise has no argument sigma"}},
		{"    noise = 0.1", []string{"noise: want noise(input = 0.1, weight = 0.01), got 0.1"}},
		{"    prune = prune(sparsity = 1.5, end = 10)", []string{"m.nn:15:30: train M: prune: sparsity = 1.5: want a fraction in (0, 1)"}},
		{"    prune = prune(sparsity = 0.5)", []string{"prune: prune needs end"}},
		{"    prune = prune(sparsity = 0.5, start = 10, end = 5)", []string{"prune: want 0 <= start <= end (steps), got start 10, end 5"}},
		{"    prune = prune(sparsity = 0.5, end = 5, scope = \"net\", every = 0)", []string{"every = 0: want a number of steps", `scope = "net": want "layer" or "global"`}},
		{"    clip_norm = -1\n    ema = 2\n    sampler = 3", []string{"clip_norm", "ema", "sampler"}},
	} {
		p, err := CompileFile(tinyModel(t, "    data = \"d.csv\"\n"+c.block))
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.Train(TrainOptions{})
		var list ErrorList
		if !errors.As(err, &list) || len(list) != len(c.want) {
			t.Errorf("%s: %v; want %d errors", c.block, err, len(c.want))
			continue
		}
		for i, want := range c.want {
			if !strings.Contains(list[i].Error(), want) || list[i].Code == "" {
				t.Errorf("%s: error %d is %q (code %q); want %q", c.block, i, list[i].Error(), list[i].Code, want)
			}
		}
	}
}
