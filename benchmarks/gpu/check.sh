#!/usr/bin/env bash
# The GPU check (issue 12), for a machine with a real H100/H200, from a checkout, within 8 minutes:
#   1. build the CUDA part for sm_90 only, with all cores, with the C++ tests (build/gpu, .venv-gpu);
#   2. run the CUDA C++ tests and the Python CUDA tests (ops, nn, tensor-core GEMM, step syncs/launches);
#   3. run compute-sanitizer memcheck on a representative subset (C++ kernel tests, and the Python
#      elementwise / copy / index / random tests);
#   4. print the GPU benchmark tables beside PyTorch CUDA (benchmarks/gpu/bench_gpu.py, bench_gpu_nn.py):
#      elementwise/reductions, the fp16/bf16/TF32 tensor-core GEMM against torch.matmul (TF32 off and on),
#      conv, LeNet steps with their kernel launches and host syncs per step;
#   5. run pyengine.distributed's nccl backend tests (tests/python/test_distributed_nccl.py).
# Each step prints its time; the script stops at the first failure. Nothing here runs without a GPU.
#   bash benchmarks/gpu/check.sh            # everything
#   PE_GPU_SKIP_BUILD=1 bash benchmarks/gpu/check.sh   # reuse build/gpu
set -euo pipefail
cd "$(dirname "$0")/../.."
begin=$(date +%s)
step() { echo "== $1: $(( $(date +%s) - $2 )) s (total $(( $(date +%s) - begin )) s)"; }

nvidia-smi -L || { echo "no GPU visible: this check needs a real H100/H200"; exit 1; }
nvidia-smi --query-gpu=name,compute_cap,memory.total,driver_version --format=csv,noheader

t=$(date +%s)
if [ -z "${PE_GPU_SKIP_BUILD:-}" ]; then
  [ -d .venv-gpu ] || python3 -m venv --system-site-packages .venv-gpu
  . .venv-gpu/bin/activate
  python -m pip install -q "scikit-build-core>=0.10" "pybind11>=2.12" ninja cmake numpy pytest 2>/dev/null || true
  python -m pip install -q nvidia-nccl-cu13 mpi4py 2>/dev/null || true  # the nccl backend of pyengine.distributed
  python -m pip install --no-build-isolation -e ".[test]" -Cbuild-dir=build/gpu \
    -Ccmake.define.PYENGINE_CUDA=ON -Ccmake.define.CMAKE_CUDA_ARCHITECTURES=90 \
    -Ccmake.define.PYENGINE_BUILD_TESTS=ON -Cbuild.tool-args=-j"$(nproc)" > build-gpu.log 2>&1 \
    || { tail -60 build-gpu.log; exit 1; }
  grep -E "pyengine: (CUDA part|NCCL)" build-gpu.log || true
else
  . .venv-gpu/bin/activate
fi
step "build (sm_90, $(nproc) jobs)" "$t"

t=$(date +%s)
build/gpu/pe_tests --gtest_filter='Cuda*' --gtest_brief=1
step "C++ CUDA tests" "$t"

t=$(date +%s)
python -c "import pyengine as pe; assert pe.cuda.is_available(), 'pyengine sees no GPU'; print(pe.cuda.get_device_name())"
python -m pytest tests/python/test_cuda_ops.py tests/python/test_cuda_nn.py tests/python/test_cuda_tensor_core.py \
  tests/python/test_cuda_step_sync.py tests/python/test_cuda_linalg.py tests/python/test_cuda_sequence.py \
  tests/python/test_cuda_reduce.py tests/python/test_cuda_index.py tests/python/test_cuda_special.py -q -p no:cacheprovider
step "Python CUDA tests" "$t"

t=$(date +%s)
if command -v compute-sanitizer >/dev/null; then
  compute-sanitizer --tool memcheck --error-exitcode 1 --print-limit 20 \
    build/gpu/pe_tests --gtest_filter='CudaTest.*:-CudaTest.BinaryGridStride:CudaTest.OutOfMemoryIsAnError' --gtest_brief=1
  compute-sanitizer --tool memcheck --error-exitcode 1 --print-limit 20 \
    python -m pytest tests/python/test_cuda_ops.py -q -p no:cacheprovider -x \
    -k "add_sub_mul_div or unary_float or to_and_copy or index_and_index_put or random or ternary"
  # the tensor-core GEMM (WMMA loads/stores through shared memory, tails) and the multi-tensor optimizer steps
  compute-sanitizer --tool memcheck --error-exitcode 1 --print-limit 20 \
    python -m pytest tests/python/test_cuda_tensor_core.py tests/python/test_cuda_step_sync.py -q -p no:cacheprovider -x \
    -k "mm_16bit or layouts or tf32_is_honoured or multi_tensor_sgd or multi_tensor_adam"
else
  echo "compute-sanitizer not found (it ships with the CUDA toolkit): memcheck skipped"
fi
step "compute-sanitizer memcheck" "$t"

t=$(date +%s)
timeout 180 python benchmarks/gpu/bench_gpu.py --sizes 16M,64M,256M --gemm 4096 --repeat 20
timeout 180 python benchmarks/gpu/bench_gpu_nn.py --gemm 1024,4096 --batches 64,256 --repeat 10
step "benchmarks" "$t"

t=$(date +%s)
# pyengine.distributed's nccl backend against numpy: one rank on this GPU (two where there are two GPUs);
# needs Open MPI's mpirun and mpi4py, and NCCL found by the build (the nvidia-nccl-cu13 wheel).
timeout 300 python -m pytest tests/python/test_distributed_nccl.py -q -p no:cacheprovider -rs
step "NCCL backend" "$t"
