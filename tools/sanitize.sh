#!/usr/bin/env bash
# AddressSanitizer + UndefinedBehaviorSanitizer runs of pyengine (CPU only), in their own build
# dirs so they never touch the normal build:
#
#   tools/sanitize.sh [ctest]            C++ tests (pe_tests) built and run under ctest
#   tools/sanitize.sh python [ARGS...]   _C built with the sanitizers and pytest run on ARGS (default:
#                                        a quick subset of tests/python) with it
#
# Both share one build dir, build/asan (the sanitized pe_core is compiled once for the two).
#
# -fno-sanitize-recover=all: the first finding stops the run with a report and a failing exit code.
# Python cannot load an ASan-instrumented module unless libasan is first in the process, and with
# libasan alone the first C++ exception aborts (its __cxa_throw interceptor finds no real one), so
# libasan and libstdc++ are preloaded together.
# Environment: PE_SAN_JOBS (ninja jobs, default 2), PE_SAN_NICE (niceness, default 10).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JOBS=${PE_SAN_JOBS:-2}
NICE=${PE_SAN_NICE:-10}
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
# -O0 -g1: the quickest build that still gives line numbers in reports (-O1, which ASan suggests
# for speed, makes the build several times slower on a small machine).
OPT="-O0 -g1"
# allocator_may_return_null: a huge request fails as glibc fails it (the engine raises), not as an ASan abort.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
mode=${1:-ctest}
[ $# -gt 0 ] && shift

BUILD="$ROOT/build/asan"
PY=${PYTHON:-python}
configure() {
  # A build type of its own (no Release -O3 -DNDEBUG): the flags are exactly OPT and SAN.
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Sanitize -DPYENGINE_CUDA=OFF \
    -DCMAKE_CXX_FLAGS="$OPT $SAN" -DCMAKE_EXE_LINKER_FLAGS="$SAN" -DCMAKE_SHARED_LINKER_FLAGS="$SAN" \
    -DCMAKE_INTERPROCEDURAL_OPTIMIZATION=OFF -DPYENGINE_BUILD_TESTS=ON -DPYENGINE_BUILD_PYTHON=ON \
    -DPython_EXECUTABLE="$(command -v "$PY")" -Dpybind11_DIR="$("$PY" -m pybind11 --cmakedir)" >/dev/null
}

case "$mode" in
  ctest)
    configure
    nice -n "$NICE" cmake --build "$BUILD" -j "$JOBS" --target pe_tests
    nice -n "$NICE" ctest --test-dir "$BUILD" --output-on-failure -j "$JOBS"
    ;;
  python)
    configure
    nice -n "$NICE" cmake --build "$BUILD" -j "$JOBS" --target _C
    # A package dir of its own: the Python sources plus the sanitized _C (the normal install,
    # editable or not, is hidden by running with -I and this dir first on the path).
    STAGE="$BUILD/stage"
    rm -rf "$STAGE"
    mkdir -p "$STAGE"
    cp -r "$ROOT/pyengine" "$STAGE/pyengine"
    find "$STAGE/pyengine" -name '_C*.so' -delete
    cp "$BUILD"/_C*.so "$STAGE/pyengine/"
    [ $# -gt 0 ] || set -- tests/python/test_reliability_edges.py tests/python/test_fuzz_diff.py \
      tests/python/test_reduce.py tests/python/test_select_sort.py tests/python/test_views.py
    cd "$ROOT"
    # -I ignores PYTHONPATH and user site dirs, so sys.path is set by hand: the stage dir first
    # (this sanitized pyengine), then the tests (pe_testing), then the interpreter's site-packages.
    SITE=$("$PY" -c 'import site, sys; print(":".join(site.getsitepackages()))')
    LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libstdc++.so)" \
      nice -n "$NICE" "$PY" -I -c "
import sys
sys.path[:0] = ['$STAGE', '$ROOT/tests/python'] + '$SITE'.split(':')
# an editable install's import hook would still hand out the normal build: drop it
sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in type(f).__module__.lower()]
import pyengine
assert pyengine.__file__.startswith('$STAGE'), pyengine.__file__
import pytest
sys.exit(pytest.main(['-p', 'no:cacheprovider', '-q', '-x'] + sys.argv[1:]))
" "$@"
    ;;
  *)
    echo "usage: $0 [ctest | python [pytest args...]]" >&2
    exit 2
    ;;
esac
