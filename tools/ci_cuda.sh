#!/usr/bin/env bash
# The CUDA steps of CI (issue 12), run after .ci/run's own steps from the repository root:
#   1. build the emulated CUDA device (PYENGINE_CUDA=EMULATE, docs/cuda-emulator.md) in build/emu,
#      in a second virtual environment (.venv-emu), with the C++ tests;
#   2. run the CUDA C++ tests and the whole Python suite on it (every `cuda` test runs there), and the
#      tutorial corpus, whose scripts pick `cuda` when it is available;
#   3. compile the real CUDA part with nvcc for sm_90 (compile only: CI has no GPU), unless the main
#      build (PYENGINE_CUDA=AUTO with CMAKE_CUDA_ARCHITECTURES=90) already did.
# Each step prints its time. Usage: bash tools/ci_cuda.sh [--no-sm90]
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${PE_CI_JOBS:-$(nproc)}
step() { echo "== $1: $(( $(date +%s) - $2 )) s"; }

t=$(date +%s)
python3 -m venv .venv-emu
. .venv-emu/bin/activate
python -m pip install -q --upgrade pip
python -m pip install -q "scikit-build-core>=0.10" "pybind11>=2.12" ninja cmake numpy pytest
python -m pip install -q torch==2.13.0 || echo "torch unavailable: the PyTorch-reference tests will skip"
step "emulated device: venv" "$t"

t=$(date +%s)
python -m pip install -v --no-build-isolation -e ".[test,examples]" -Cbuild-dir=build/emu \
  -Ccmake.define.PYENGINE_CUDA=EMULATE -Ccmake.define.PYENGINE_BUILD_TESTS=ON \
  -Cbuild.tool-args=-j"$jobs" > build-emu.log 2>&1 || { tail -60 build-emu.log; exit 1; }
grep -E "pyengine: CUDA part" build-emu.log || true
step "emulated device: build" "$t"

t=$(date +%s)
if [ -x build/emu/pe_tests ]; then
  build/emu/pe_tests --gtest_filter='Cuda*' --gtest_brief=1
fi
step "emulated device: C++ CUDA tests" "$t"

t=$(date +%s)
python -m pytest tests/python -q -p no:cacheprovider
step "emulated device: Python suite" "$t"

t=$(date +%s)
if [ -d ../shared/seed_examples ]; then
  SEED_ENGINE=pyengine PYTHONPATH="$PWD" python ../shared/seed_examples/run_all.py
fi
step "emulated device: tutorial corpus" "$t"
deactivate

if [ "${1:-}" != "--no-sm90" ] && command -v nvcc >/dev/null; then
  if [ -f build/ci/cuda/libpe_cuda.a ]; then
    echo "== real CUDA part: already compiled for sm_90 by the main build (build/ci)"
  else
    t=$(date +%s)
    cmake -S . -B build/sm90 -G Ninja -DPYENGINE_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 \
      -DPYENGINE_BUILD_PYTHON=OFF -DPYENGINE_BUILD_TESTS=OFF > build-sm90.log 2>&1
    cmake --build build/sm90 --target pe_cuda -j "$jobs" >> build-sm90.log 2>&1 || { tail -60 build-sm90.log; exit 1; }
    step "real CUDA part: nvcc sm_90 compile" "$t"
  fi
fi
