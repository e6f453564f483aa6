# Sourced by the scripts that time PyTorch (step.sh, transformer.sh,
# lstm.sh, infer.sh): runs Debian's PyTorch at the best its build can do
# on this processor, so that a ratio measures nnc against PyTorch at its
# best. Two settings matter (BENCHMARKS.md, session 19):
#
#   - OpenBLAS picks its kernels for the processor it detects, unless
#     OPENBLAS_CORETYPE names others. Some machines set that variable for
#     every process (one of ours sets OPENBLAS_CORETYPE=Haswell, whose AVX2
#     kernels ran a 512³ product at 109 GFLOP/s on an AMD EPYC of family 26,
#     against 184 with the Cooperlake kernels OpenBLAS detects there), so
#     the variable and OPENBLAS_L2_SIZE are dropped and OpenBLAS detects.
#   - PyTorch 1.13 runs its own vector code at AVX2 on processors with
#     AVX-512 unless ATEN_CPU_CAPABILITY=avx512 asks for it: set where the
#     processor has AVX-512 (F, BW, DQ and VL) and the variable is unset.
#
# TORCH_ENV=keep leaves the environment as it is. torch_env_note names what
# PyTorch runs with (printed to stderr; all.sh puts it in its first line).
if [[ ${TORCH_ENV:-best} != keep ]]; then
	unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
	if grep -qw avx512f /proc/cpuinfo && grep -qw avx512bw /proc/cpuinfo &&
		grep -qw avx512dq /proc/cpuinfo && grep -qw avx512vl /proc/cpuinfo; then
		export ATEN_CPU_CAPABILITY=${ATEN_CPU_CAPABILITY:-avx512}
	fi
fi
torch_env_note="PyTorch with OpenBLAS kernels $(/usr/bin/python3 -c '
import ctypes, ctypes.util
try:
    f = ctypes.CDLL("libblas.so.3").openblas_get_corename
    f.restype = ctypes.c_char_p
    print(f().decode())
except Exception:
    print("unknown")' 2>/dev/null || echo unknown), ATEN_CPU_CAPABILITY=${ATEN_CPU_CAPABILITY:-default}"
echo "$torch_env_note" >&2
