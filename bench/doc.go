// Package bench holds the models of nnc's training-step and inference
// benchmarks, the helpers that lower them into step and inference graphs,
// and the Go benchmarks that run them: mlp.nn and convnet.nn
// (step_bench_test.go, against mlp_torch.py and convnet_torch.py, script
// step.sh), lstm.nn's LSTM and GRU (lstm.go, lstm_torch.py, lstm.sh),
// transformer.nn's two pre-norm blocks with causal attention
// (transformer.go, transformer_torch.py, transformer.sh) and small-batch
// inference latency (infer_bench_test.go, against ONNX Runtime and
// PyTorch: infer_ort.js, infer_torch.py, infer.sh). all.sh runs every one
// of those comparisons, one thread each side pinned to one core, with one
// command; each script runs PyTorch with torch_env.sh's settings, its best
// on the processor. The figures are in BENCHMARKS.md.
package bench
