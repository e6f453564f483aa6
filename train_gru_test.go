package nnc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nnclang/nnc/ops"
)

// TestTrainStepScanLinearGRU is TestTrainStepScanLinear for the fixture
// with a GRU in place of its LSTM, in the step nnc train runs: one
// gru_cell and one gru_cell_grad per step, no separate sigmoid or tanh,
// every gru_cell_grad given the gradient of h' alone ([B, H], no planes of
// zeros), at most the last step's unslice left and 2T + a few products.
func TestTrainStepScanLinearGRU(t *testing.T) {
	const T = 40
	file := filepath.Join("testdata", "train", "char_lstm.nn")
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	gru := strings.Replace(string(src), "nn.LSTM(dim, hidden)", "nn.GRU(dim, hidden)", 1)
	if gru == string(src) {
		t.Fatalf("%s has no nn.LSTM(dim, hidden) to replace", file)
	}
	p, err := Compile(filepath.Join("testdata", "train", "char_gru.nn"), []byte(gru))
	if err != nil {
		t.Fatal(err)
	}
	// the step nnc train runs (TestBenchTrainIsTheStep)
	step, err := p.benchGraph(BenchOptions{Entry: "CharLM.loss", Train: true, Shapes: map[string]int{"B": 32, "T": T}})
	if err != nil {
		t.Fatal(err)
	}
	count := map[*ops.Op]int{}
	for _, n := range step.g.Nodes {
		count[n.Op]++
		if n.Op == ops.GRUCellGrad && n.In[2].Type.Shape.Rank() != 2 {
			t.Errorf("gru_cell_grad given the planes' gradient %v, want that of h' alone", n.In[2].Type)
		}
	}
	if count[ops.Unslice] > 2 || count[ops.GRUCell] != T || count[ops.GRUCellGrad] != T {
		t.Errorf("%d unslices, %d gru_cell and %d gru_cell_grad nodes; want at most 2, %d and %d",
			count[ops.Unslice], count[ops.GRUCell], count[ops.GRUCellGrad], T, T)
	}
	if n := count[ops.Sigmoid] + count[ops.Tanh]; n != 0 {
		t.Errorf("%d sigmoid and tanh nodes, want 0 (the cell's are fused)", n)
	}
	if mm := count[ops.Matmul] + count[ops.FusedMatmul]; mm > 2*T+8 {
		t.Errorf("%d products for T = %d, want at most 2T + 8", mm, T)
	}
}
