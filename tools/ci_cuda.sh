#!/usr/bin/env bash
# The CUDA steps of CI (issue 12), run by .ci/run after its CPU steps, from the repository root:
#   1. build the emulated CUDA device (PYENGINE_CUDA=EMULATE, docs/cuda-emulator.md) in build/emu, in a
#      second virtual environment (.venv-emu) that sees the first one's packages, with the C++ tests;
#   2. run the C++ tests and the whole Python suite on it, strictly (every skip reason must be listed in
#      tests/allowed_skips.txt): every `cuda` test and the cuda branches of the seed scripts run there.
#      tests/python/test_opinfo.py is left out: it runs PyTorch's operator database on the CPU only, which
#      the CPU run of .ci/run already did;
#   3. the tutorial corpus on the emulated build, except the scripts listed in tests/cuda_part2_waiting.txt
#      (their cuda branch needs issue 13's kernels);
#   4. compile the real CUDA part with nvcc for sm_90 (compile only: CI has no GPU), unless the main build
#      already did.
# Each step prints its time. Usage: bash tools/ci_cuda.sh [--no-sm90]
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${PE_CI_JOBS:-$(nproc)}
step() { echo "== CI step: $1: $(( $(date +%s) - $2 )) s"; }

t=$(date +%s)
# The emulated build needs its own pyengine install; everything else comes from .venv.
python3 -m venv .venv-emu
site=$(ls -d "$PWD"/.venv/lib/python3*/site-packages)
emu_site=$(ls -d "$PWD"/.venv-emu/lib/python3*/site-packages)
# .venv's packages (torch, numpy, pytest, ...) on the path; its .pth files, among them the editable hook of
# the CPU build, are not run for a path added this way, and this venv's own editable hook comes first.
echo "$site" > "$emu_site/_ci_base_site.pth"
. .venv-emu/bin/activate
step "emulated device: venv" "$t"

t=$(date +%s)
python -m pip install -v --no-build-isolation --no-deps -e . -Cbuild-dir=build/emu \
  -Ccmake.define.PYENGINE_CUDA=EMULATE -Ccmake.define.PYENGINE_BUILD_TESTS=ON \
  -Cbuild.tool-args=-j"$jobs" > build-emu.log 2>&1 || { tail -60 build-emu.log; exit 1; }
grep -E "pyengine: CUDA part" build-emu.log || true
python -c "import pyengine, sys; print('emulated device:', pyengine.cuda.get_device_name(0)); \
sys.exit(0 if pyengine.__file__.startswith('$PWD') and pyengine.cuda.is_available() else 1)"
step "emulated device: build" "$t"

t=$(date +%s)
# ctest comes with the cmake package of .venv (not on this venv's PATH).
ctest_bin="$PWD/.venv/bin/ctest"
[ -x "$ctest_bin" ] || ctest_bin=ctest
"$ctest_bin" --test-dir build/emu --output-on-failure --no-tests=error -j 2
step "emulated device: C++ tests" "$t"

t=$(date +%s)
log="$(mktemp)"
rc=0
python -m pytest tests/python -p no:cacheprovider -rs --ignore=tests/python/test_opinfo.py 2>&1 | tee "$log" || rc=$?
python tests/check_skips.py "$log" || { [ "$rc" -ne 0 ] || rc=1; }
rm -f "$log"
[ "$rc" -eq 0 ] || exit "$rc"
step "emulated device: Python suite" "$t"

t=$(date +%s)
if [ -d ../shared/seed_examples ]; then
  # `|| true`: an empty list (nothing waits) makes grep select no line, which is not a failure here.
  waiting=$(sed -e 's/#.*//' -e 's/[[:space:]]//g' tests/cuda_part2_waiting.txt | { grep -v '^$' || true; } | paste -sd'|')
  scripts=$(cd ../shared/seed_examples && ls s[0-9][0-9][0-9]_*.py | grep -v -E "^(${waiting})$")
  echo "corpus on the emulated device; waiting for CUDA part 2: ${waiting//|/ }"
  # shellcheck disable=SC2086
  SEED_ENGINE=pyengine PYTHONPATH="$PWD" python ../shared/seed_examples/run_all.py $scripts
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
