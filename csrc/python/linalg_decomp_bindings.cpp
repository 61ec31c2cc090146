// Bindings of the plain decomposition ops (ops/linalg_decomp.h) as private pyengine._C functions;
// pyengine/_linalg_decomp.py builds torch.linalg's cholesky, qr, eigh, lu, solve_triangular, ...
// with their gradients on them.
#include "ops/linalg_decomp.h"
#include "python/registry.h"

namespace pe::python {
namespace {

template <class... T>
py::tuple as_tuple(const std::tuple<T...>& t) {
  return std::apply([](const auto&... x) { return py::make_tuple(x...); }, t);
}

void bind_linalg_decomp(py::module_& m, TensorClass&) {
  m.def("_linalg_cholesky_ex", [](const Tensor& a, bool upper) { return as_tuple(linalg_cholesky_ex(a, upper)); },
        py::arg("A"), py::arg("upper") = false);
  m.def("_linalg_solve_triangular", &linalg_solve_triangular, py::arg("A"), py::arg("B"), py::arg("upper"),
        py::arg("left") = true, py::arg("unitriangular") = false);
  m.def("_geqrf", [](const Tensor& a) { return as_tuple(geqrf(a)); }, py::arg("input"));
  m.def("_linalg_householder_product", &linalg_householder_product, py::arg("input"), py::arg("tau"));
  m.def("_linalg_eigh",
        [](const Tensor& a, const std::string& uplo, bool compute_v) -> py::tuple {
          auto [w, v] = linalg_eigh(a, uplo, compute_v);
          if (compute_v) return py::make_tuple(w, v);
          return py::make_tuple(w, py::none());
        },
        py::arg("A"), py::arg("UPLO") = "L", py::arg("compute_v") = true);
  m.def("_linalg_lu_factor_ex", [](const Tensor& a) { return as_tuple(linalg_lu_factor_ex(a)); }, py::arg("A"));
}

}  // namespace

PE_PY_BINDINGS(bind_linalg_decomp);

}  // namespace pe::python
