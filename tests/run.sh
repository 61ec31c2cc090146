#!/usr/bin/env bash
# The project's test command (README): C++ tests with ctest, then the Python tests with pytest.
# Expects the package installed in the active Python (pip install ".[test]" -Cbuild-dir=build/ci ...)
# and the CMake build directory in $PE_BUILD_DIR (default build/ci) for ctest.
# PE_STRICT=1 (set by .ci/run): the C++ tests must exist and run, and every pytest skip must have a reason
# listed in tests/allowed_skips.txt (tests/check_skips.py); otherwise this fails.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${PE_BUILD_DIR:-build/ci}"
strict="${PE_STRICT:-0}"
if [ -f "$build_dir/CTestTestfile.cmake" ]; then
  # --no-tests=error: a build whose test list came out empty fails instead of passing with nothing run.
  ctest --test-dir "$build_dir" --output-on-failure --no-tests=error -j 2
elif [ "$strict" = 1 ]; then
  echo "no CMake build with tests in $build_dir (GoogleTest missing or PYENGINE_BUILD_TESTS=OFF): the C++ tests" \
       "must run on CI" >&2
  exit 1
else
  echo "no CMake build with tests in $build_dir: skipping ctest (build with -Ccmake.define.PYENGINE_BUILD_TESTS=ON)"
fi
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
rc=0
python -m pytest tests/python -p no:cacheprovider -rs 2>&1 | tee "$log" || rc=$?
if [ "$strict" = 1 ]; then
  python tests/check_skips.py "$log" || { [ "$rc" -ne 0 ] || rc=1; }
fi
exit "$rc"
