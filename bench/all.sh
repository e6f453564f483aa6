#!/usr/bin/env bash
# Every training-step and inference comparison against PyTorch (and ONNX
# Runtime for small-batch inference) in one command, one thread each side,
# all pinned to one core: the MLP and ConvNet steps and inference
# (step.sh), the LSTM and GRU steps at six sizes (lstm.sh; the LSTM twice,
# the second time with PyTorch flushing subnormals), the transformer
# step and inference at five sizes (transformer.sh) and inference latency
# at batch 1, 8 and 64/128 (infer.sh). Each script alternates nnc and the
# references ROUNDS times (default 3) and prints its Markdown table; this
# one prints them under headings, with the load average before and after.
#
#	bash bench/all.sh                  # from the repository root
#	ROUNDS=2 CORE=1 bash bench/all.sh
#
# One core for both sides: on a machine whose cores are hardware threads of
# one physical core (BENCHMARKS.md, "Two threads on this machine"), an
# unpinned "one thread" borrows the other's capacity, and PyTorch keeps a
# second thread busy despite torch.set_num_threads(1). Run it on a quiet
# machine (about 25 minutes with ROUNDS=3); two-thread figures come from
# step.sh and bench/threads_bench_test.go run unpinned. PyTorch runs with
# the settings of torch_env.sh (its best on this processor; TORCH_ENV=keep
# for the environment as it is), which the first line names.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/torch_env.sh 2>/dev/null
core=${CORE:-0}
export ROUNDS=${ROUNDS:-3}
pin=(taskset -c "$core")
echo "# bench/all.sh, $(date -u '+%Y-%m-%d %H:%M UTC'), $(git rev-parse --short HEAD), core $core, $ROUNDS rounds, $torch_env_note"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "## MLP and ConvNet (step.sh, ms per call, best of the rounds)"
THREADS=1 "${pin[@]}" bash bench/step.sh
echo
echo "## LSTM step (lstm.sh)"
"${pin[@]}" bash bench/lstm.sh
echo
echo "## LSTM step, PyTorch flushing subnormals as nnc's products do (FLUSH_DENORMAL=1 lstm.sh)"
FLUSH_DENORMAL=1 "${pin[@]}" bash bench/lstm.sh
echo
echo "## GRU step (CELL=gru lstm.sh)"
CELL=gru "${pin[@]}" bash bench/lstm.sh
echo
echo "## Transformer step and inference (transformer.sh)"
"${pin[@]}" bash bench/transformer.sh
echo
echo "## Inference latency against ONNX Runtime and PyTorch (infer.sh)"
CORE=$core bash bench/infer.sh
echo
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
