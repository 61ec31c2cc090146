// Bindings of the complex-dtype views (view_as_real / view_as_complex) and of torch.fft's three
// primitives (ops/fft.h), which pyengine/fft.py builds every torch.fft function from.
#include "ops/fft.h"
#include "ops/view_dtype.h"
#include "python/registry.h"

namespace pe::python {
namespace {

void bind_complex(py::module_& m, TensorClass& cls) {
  m.def("view_as_real", &view_as_real, py::arg("input"));
  m.def("view_as_complex", &view_as_complex, py::arg("input"));
  m.def("_fft_c2c", [](const Tensor& x, py::handle dims, int64_t norm, bool forward) {
    return fft_c2c(x, to_dimvector(dims, "_fft_c2c", "dim"), norm, forward);
  }, py::arg("input"), py::arg("dim"), py::arg("normalization"), py::arg("forward"));
  m.def("_fft_r2c", [](const Tensor& x, py::handle dims, int64_t norm, bool onesided) {
    return fft_r2c(x, to_dimvector(dims, "_fft_r2c", "dim"), norm, onesided);
  }, py::arg("input"), py::arg("dim"), py::arg("normalization"), py::arg("onesided"));
  m.def("_fft_c2r", [](const Tensor& x, py::handle dims, int64_t norm, int64_t last_dim_size) {
    return fft_c2r(x, to_dimvector(dims, "_fft_c2r", "dim"), norm, last_dim_size);
  }, py::arg("input"), py::arg("dim"), py::arg("normalization"), py::arg("last_dim_size"));
  (void)cls;
}

}  // namespace
PE_PY_BINDINGS(bind_complex);
}  // namespace pe::python
