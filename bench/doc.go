// Package bench holds the models of nnc's training-step benchmarks
// (mlp.nn, convnet.nn), the helpers that lower them into step and inference
// graphs, and the Go benchmarks that run them (step_bench_test.go). The
// PyTorch references are mlp_torch.py and convnet_torch.py; step.sh runs
// both sides in one go. transformer.nn (two pre-norm blocks with causal
// attention) has its own workloads (transformer.go), reference
// (transformer_torch.py) and script (transformer.sh). The figures are in
// BENCHMARKS.md.
package bench
