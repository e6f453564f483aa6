package nnc

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/opt"
	"github.com/nnclang/nnc/train"
)

// graphText is g as ops.Fprint writes it (nodes with their ops, attributes,
// types and operands; outputs; updates), each node followed by its source
// position: two graphs with the same text are the same graph.
func graphText(g *ops.Graph) string {
	var sb strings.Builder
	ops.Fprint(&sb, g)
	for _, n := range g.Nodes {
		fmt.Fprintf(&sb, "pos %v %s\n", n, n.Pos)
	}
	return sb.String()
}

// fusedText is graphText of g after opt's passes that merge ops into one
// kernel (unfusedPasses), in their order in opt.Passes.
func fusedText(t *testing.T, g *ops.Graph) string {
	t.Helper()
	for _, pass := range opt.Passes {
		if !unfusedPasses[pass.Name] {
			continue
		}
		var err error
		if g, err = pass.Run(g); err != nil {
			t.Fatalf("pass %s: %v", pass.Name, err)
		}
	}
	return graphText(g)
}

// stepModel is a digits classifier with dropout and a bias, trained with
// the train block's extra settings.
const stepModel = `model M() {
    l1 = nn.Dense(64, 16)
    param W: f32[16, 10] = glorot_uniform()
    param b: f32[10]     = zeros()

    fn loss(x: f32[B, 64], y: i32[B]) -> f32 {
        h = dropout(relu(l1(x)), 0.1)
        return cross_entropy(h @ W + b, y) + 1e-4 * l2(params)
    }
}

train M {
    data      = "digits"
    batch     = 100
    epochs    = 1
%s
}
`

// TestCheckStepIsTheStep: the step graphs the numerics checks run
// (TrainOptions.CheckNumerics, and the run again of a step whose loss is
// not finite) come from the builder of the step training runs and differ
// from it only by the passes that merge ops into one kernel. At -O1,
// running those passes (update, fuse) on the checks' step and micro-batch
// graph gives the training step and micro-batch graph exactly (nodes,
// attributes, operands, outputs, updates, positions); at -O0 the graphs are
// the same as they are. Across the step settings, the gradient norms of
// WarnGradNorm, and a recurrent model whose T the data gives.
func TestCheckStepIsTheStep(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, block string
		opts        TrainOptions
	}{
		{"sgd", "    optimizer = sgd(lr = 0.1)", TrainOptions{}},
		{"momentum", "    optimizer = sgd(lr = 0.1, momentum = 0.9)\n    schedule = cosine(warmup = 2, min_lr = 0)", TrainOptions{}},
		{"adam+norms", "    optimizer = adam(lr = 1e-3)", TrainOptions{WarnGradNorm: 10}},
		{"all", `    optimizer     = adamw(lr = 3e-3, weight_decay = 0.1)
    groups        = [group("b", weight_decay = 0)]
    clip_norm     = 1.0
    clip_value    = 0.5
    accumulate    = 3
    ema           = 0.99
    noise         = noise(input = 0.05, weight = 0.01)
    class_weights = "balanced"
    prune         = prune(sparsity = 0.5, start = 0, end = 10, every = 2)`, TrainOptions{WarnGradNorm: 10}},
		{"rmsprop+accumulate", "    optimizer = rmsprop(lr = 1e-3)\n    accumulate = 2", TrainOptions{}},
		{"lion", "    optimizer = lion(lr = 1e-4)", TrainOptions{}},
		{"adagrad", "    optimizer = adagrad(lr = 0.01)", TrainOptions{}},
	}
	for i, c := range cases {
		file := filepath.Join(dir, fmt.Sprintf("m%d.nn", i))
		if err := os.WriteFile(file, []byte("import \"std/nn\"\n\n"+fmt.Sprintf(stepModel, c.block)), 0o644); err != nil {
			t.Fatal(err)
		}
		checkStepIsTheStep(t, c.name, file, c.opts, strings.Contains(c.block, "accumulate"))
	}
	checkStepIsTheStep(t, "char_lstm", filepath.Join("testdata", "train", "char_lstm.nn"), TrainOptions{StepSettings: StepSettings{Accumulate: 2}, WarnGradNorm: 10}, true)
}

// checkStepIsTheStep builds the training of file at -O1 and -O0 and
// compares its step graphs with the checks' (see TestCheckStepIsTheStep).
func checkStepIsTheStep(t *testing.T, name, file string, opts TrainOptions, micro bool) {
	t.Helper()
	for _, level := range []int{1, 0} {
		p, err := CompileFile(file)
		if err != nil {
			t.Fatal(err)
		}
		p.SetOptLevel(level)
		o := opts
		tr, err := p.prepareRun(&o)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := p.buildTraining(tr, &o); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		c, err := tr.checkStep()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if (tr.so.Micro != nil) != micro || (c.Micro != nil) != micro {
			t.Fatalf("%s: micro-batch graphs %v and %v, want them: %v", name, tr.so.Micro != nil, c.Micro != nil, micro)
		}
		pairs := [][2]*ops.Graph{{tr.step, c.Step}}
		if micro {
			pairs = append(pairs, [2]*ops.Graph{tr.so.Micro, c.Micro})
		}
		for k, pair := range pairs {
			run, checked := graphText(pair[0]), graphText(pair[1])
			if level > 0 {
				if run == checked {
					t.Errorf("%s, graph %d: the checks' graph is fused as training's", name, k)
				}
				checked = fusedText(t, pair[1])
			}
			if run != checked {
				t.Errorf("%s, -O%d, graph %d: the checks' graph is not training's:\n%s", name, level, k, firstDiff(run, checked))
			}
		}
		if n := countGradSq(tr.step); (opts.WarnGradNorm > 0) != (n > 0) || n != countGradSq(c.Step) {
			t.Errorf("%s: %d and %d gradient-norm outputs (WarnGradNorm %g)", name, n, countGradSq(c.Step), opts.WarnGradNorm)
		}
	}
}

// countGradSq counts g's outputs train.GradSqOutput+param.
func countGradSq(g *ops.Graph) int {
	n := 0
	for _, o := range g.Outputs {
		if strings.HasPrefix(o.Name, train.GradSqOutput) {
			n++
		}
	}
	return n
}

// firstDiff shows the first line where a and b differ.
func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return fmt.Sprintf("line %d:\n  training: %s\n  checks:   %s", i+1, la[i], lb[i])
		}
	}
	return fmt.Sprintf("%d lines and %d", len(la), len(lb))
}

// TestTrainStepScanLinear: the step nnc train runs for an LSTM over
// windows of T characters keeps its batch axis symbolic (the last batch
// may be smaller), and its backward pass is still linear in T: the
// scan's per-step gradients are joined (at most the last step's unslice
// is left), not padded to [T, B, 4H] and summed, and the weight gradients
// of the recurrent product are one product (2T + a few products in all).
func TestTrainStepScanLinear(t *testing.T) {
	const T = 40
	p, err := CompileFile(filepath.Join("testdata", "train", "char_lstm.nn"))
	if err != nil {
		t.Fatal(err)
	}
	o := TrainOptions{Seq: T}
	tr, err := p.prepareRun(&o)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.buildTraining(tr, &o); err != nil {
		t.Fatal(err)
	}
	count := map[*ops.Op]int{}
	symbolic := false
	for _, n := range tr.step.Nodes {
		count[n.Op]++
		if n.Op == ops.Input {
			if _, ok := n.Type.Shape.Concrete(); !ok {
				symbolic = true
			}
		}
	}
	if !symbolic {
		t.Errorf("the step's inputs all have constant shapes; want the batch axis symbolic, as training runs it")
	}
	if count[ops.Unslice] > 2 || count[ops.LSTMCell] != T || count[ops.LSTMCellGrad] != T {
		t.Errorf("%d unslices, %d lstm_cell and %d lstm_cell_grad nodes; want at most 2, %d and %d",
			count[ops.Unslice], count[ops.LSTMCell], count[ops.LSTMCellGrad], T, T)
	}
	// every cell is read through h' and c' alone (the last one through h'
	// alone): its backward is given those two gradients, no planes of zeros
	for _, n := range tr.step.Nodes {
		if n.Op == ops.LSTMCellGrad && len(n.In) != 4 {
			t.Errorf("lstm_cell_grad given the planes' gradient %v, want those of h' and c' alone", n.In[2].Type)
		}
	}
	if mm := count[ops.Matmul] + count[ops.FusedMatmul]; mm > 2*T+8 {
		t.Errorf("%d products for T = %d, want at most 2T + 8", mm, T)
	}
}

// TestBenchTrainIsTheStep: nnc bench --train times the step nnc train
// runs: for the LSTM fixture over windows of 40 its graph is the training
// step's, node for node (its batch axis symbolic, T given), not one built
// for the benchmark's batch size.
func TestBenchTrainIsTheStep(t *testing.T) {
	p, err := CompileFile(filepath.Join("testdata", "train", "char_lstm.nn"))
	if err != nil {
		t.Fatal(err)
	}
	o := TrainOptions{Seq: 40}
	tr, err := p.prepareRun(&o)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.buildTraining(tr, &o); err != nil {
		t.Fatal(err)
	}
	bg, err := p.benchGraph(BenchOptions{Entry: "CharLM.loss", Train: true, Shapes: map[string]int{"B": 32, "T": 40}})
	if err != nil {
		t.Fatal(err)
	}
	if a, b := graphText(tr.step), graphText(bg.g); a != b {
		t.Errorf("the benchmark's step is not training's:\n%s", firstDiff(a, b))
	}
}
