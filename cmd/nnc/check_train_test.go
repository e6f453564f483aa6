package main

import (
	"strings"
	"testing"
)

// TestCheckTrainBlock: nnc check reports the train block's settings that
// nnc train would refuse, every one at its position, and exits 1; a right
// block passes.
func TestCheckTrainBlock(t *testing.T) {
	const model = `model M {
    param w: f32[2] = zeros()
    fn loss(x: f32[B, 2]) -> f32 {
        return sum(x * w)
    }
}

`
	bad := writeFile(t, "bad.nn", model+"train M {\n    epochs = -3\n    optimiser = adam()\n    clip_norm = \"big\"\n}\n")
	_, stderr, code := nncCmd(t, "check", bad)
	if code != 1 {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	want := []string{
		"bad.nn:9:14: E308: train M: epochs: want a positive integer, got -3",
		"bad.nn:10:5: E204: train M: optimiser: unknown setting",
		`bad.nn:11:17: E304: train M: clip_norm: want a number, got "big"`,
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if len(lines) != len(want) {
		t.Fatalf("stderr:\n%s\nwant %d lines", stderr, len(want))
	}
	for i, w := range want {
		if !strings.Contains(lines[i], w) {
			t.Errorf("line %d: %q, want %q", i+1, lines[i], w)
		}
	}
	good := writeFile(t, "good.nn", model+"train M {\n    epochs = 3\n    optimizer = adam(lr = 0.01)\n    clip_norm = 1.0\n}\n")
	if _, stderr, code := nncCmd(t, "check", good); code != 0 {
		t.Errorf("a right block: exit %d, %s", code, stderr)
	}
}
