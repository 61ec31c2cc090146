#!/usr/bin/env bash
# The project's test command (README): C++ tests with ctest, then the Python tests with pytest.
# Expects the package installed in the active Python (pip install ".[test]" -Cbuild-dir=build/ci ...)
# and the CMake build directory in $PE_BUILD_DIR (default build/ci) for ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${PE_BUILD_DIR:-build/ci}"
if [ -f "$build_dir/CTestTestfile.cmake" ]; then
  ctest --test-dir "$build_dir" --output-on-failure -j 2
else
  echo "no CMake build with tests in $build_dir: skipping ctest (build with -Ccmake.define.PYENGINE_BUILD_TESTS=ON)"
fi
python -m pytest tests/python -p no:cacheprovider
