// _C._stream_bandwidth / _C._fma_peak_gflops: the STREAM-like copy/triad figure and the FMA peak of
// cpu/stream_bench.h, for the
// benchmarks' limit column (benchmarks/_common.py). Not public API.
#include "cpu/stream_bench.h"
#include "python/registry.h"

namespace pe::python {
namespace {
void bind_bench(py::module_& m, TensorClass&) {
  m.def("_stream_bandwidth", [](int64_t n, int repeat) {
    PE_CHECK(n > 0 && repeat > 0, "_stream_bandwidth: n and repeat must be positive");
    cpu::StreamResult r;
    {
      py::gil_scoped_release nogil;
      r = cpu::stream_bandwidth(n, repeat);
    }
    py::dict d;
    d["copy"] = r.copy_gbs;
    d["triad"] = r.triad_gbs;
    return d;
  }, py::arg("n") = int64_t(16) << 20, py::arg("repeat") = 7);
  m.def("_fma_peak_gflops", [](int repeat) {
    PE_CHECK(repeat > 0, "_fma_peak_gflops: repeat must be positive");
    py::gil_scoped_release nogil;
    return cpu::fma_peak_gflops(repeat);
  }, py::arg("repeat") = 5);
}
}  // namespace

PE_PY_BINDINGS(bind_bench);

}  // namespace pe::python
