// Bindings of the linear algebra ops: module functions in pyengine._C (re-exported with out= by
// pyengine/_ops_linalg.py and pyengine/linalg.py) and the Tensor methods, including @. Named tuples
// (slogdet, svd) are built in Python from the plain tuples returned here. Also registers
// _C._LinAlgError (a RuntimeError subclass, PyTorch's torch.linalg.LinAlgError).
#include "autograd/ops_basic.h"
#include "autograd/ops_linalg.h"
#include "autograd/ops_select.h"
#include "ops/linalg.h"
#include "python/registry.h"

namespace pe::python {
namespace {

// The differentiable ops bind their pe::autograd wrappers (same signatures as the plain ops).
namespace ag = ::pe::autograd;

constexpr auto kOne = int64_t(1);

Tensor cross_warn(const Tensor& a, const Tensor& b, std::optional<int64_t> dim) {
  if (!dim && PyErr_WarnEx(PyExc_UserWarning,
                           "Using torch.cross without specifying the dim arg is deprecated.\nPlease either pass the "
                           "dim explicitly or simply use torch.linalg.cross.\nThe default value of dim will change to "
                           "agree with that of linalg.cross in a future release.",
                           1) < 0)
    throw py::error_already_set();
  return ag::cross(a, b, dim);
}

py::tuple tuple2(const std::tuple<Tensor, Tensor>& t) { return py::make_tuple(std::get<0>(t), std::get<1>(t)); }
py::tuple tuple3(const std::tuple<Tensor, Tensor, Tensor>& t) {
  return py::make_tuple(std::get<0>(t), std::get<1>(t), std::get<2>(t));
}

py::object matmul_or_notimpl(const Tensor& a, py::handle b, bool reflected) {
  if (!is_tensor(b)) return py::reinterpret_borrow<py::object>(Py_NotImplemented);
  return py::cast(reflected ? ag::matmul(unwrap(b), a) : ag::matmul(a, unwrap(b)));
}

void bind_linalg(py::module_& m, TensorClass& cls) {
  static py::exception<LinAlgError> linalg_error(m, "_LinAlgError", PyExc_RuntimeError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const LinAlgError& e) {
      PyErr_SetString(linalg_error.ptr(), e.what());
    }
  });

  // ---- products ----
  m.def("mm", &ag::mm, py::arg("input"), py::arg("mat2"));
  m.def("bmm", &ag::bmm, py::arg("input"), py::arg("mat2"));
  m.def("matmul", &ag::matmul, py::arg("input"), py::arg("other"));
  m.def("mv", &ag::mv, py::arg("input"), py::arg("vec"));
  m.def("dot", &ag::dot, py::arg("input"), py::arg("tensor"));
  m.def("vdot", &ag::vdot, py::arg("input"), py::arg("other"));
  m.def("outer", &ag::outer, py::arg("input"), py::arg("vec2"));
  cls.def("mm", &ag::mm, py::arg("mat2"))
      .def("bmm", &ag::bmm, py::arg("mat2"))
      .def("matmul", &ag::matmul, py::arg("other"))
      .def("mv", &ag::mv, py::arg("vec"))
      .def("dot", &ag::dot, py::arg("tensor"))
      .def("vdot", &ag::vdot, py::arg("other"))
      .def("outer", &ag::outer, py::arg("vec2"))
      .def("ger", &ag::outer, py::arg("vec2"))
      .def("__matmul__", [](const Tensor& a, py::handle b) { return matmul_or_notimpl(a, b, false); })
      .def("__rmatmul__", [](const Tensor& a, py::handle b) { return matmul_or_notimpl(a, b, true); });

  // ---- products with an added input ----
#define PE_BIND_ADD(name, a1, a2)                                                                             \
  m.def(#name, &ag::name, py::arg("input"), py::arg(a1), py::arg(a2), py::kw_only(), py::arg("beta") = Scalar(kOne), \
        py::arg("alpha") = Scalar(kOne));                                                                     \
  cls.def(#name, &ag::name, py::arg(a1), py::arg(a2), py::kw_only(), py::arg("beta") = Scalar(kOne),               \
          py::arg("alpha") = Scalar(kOne));                                                                   \
  cls.def(#name "_", &ag::name##_, py::arg(a1), py::arg(a2), py::kw_only(), py::arg("beta") = Scalar(kOne),        \
          py::arg("alpha") = Scalar(kOne));
  PE_BIND_ADD(addmm, "mat1", "mat2")
  PE_BIND_ADD(baddbmm, "batch1", "batch2")
  PE_BIND_ADD(addbmm, "batch1", "batch2")
  PE_BIND_ADD(addmv, "mat", "vec")
  PE_BIND_ADD(addr, "vec1", "vec2")
#undef PE_BIND_ADD

  // ---- structure ----
  // trace/diag/tril/triu are differentiable: their autograd wrappers (autograd/ops_select.h).
  m.def("trace", &autograd::trace, py::arg("input"));
  m.def("diag", &autograd::diag, py::arg("input"), py::arg("diagonal") = 0);
  m.def("tril", &autograd::tril, py::arg("input"), py::arg("diagonal") = 0);
  m.def("triu", &autograd::triu, py::arg("input"), py::arg("diagonal") = 0);
  m.def("cross", &cross_warn, py::arg("input"), py::arg("other"), py::arg("dim") = py::none());
  m.def("_linalg_cross", &ag::linalg_cross, py::arg("input"), py::arg("other"), py::kw_only(), py::arg("dim") = -1);
  cls.def("trace", &autograd::trace)
      .def("diag", &autograd::diag, py::arg("diagonal") = 0)
      .def("tril", &autograd::tril, py::arg("diagonal") = 0)
      .def("triu", &autograd::triu, py::arg("diagonal") = 0)
      .def("tril_", &autograd::tril_, py::arg("diagonal") = 0)
      .def("triu_", &autograd::triu_, py::arg("diagonal") = 0)
      .def("cross", &cross_warn, py::arg("other"), py::arg("dim") = py::none());

  // ---- factorizations (tuples; pyengine/_ops_linalg.py makes them named tuples) ----
  m.def("_linalg_inv", &ag::linalg_inv, py::arg("A"));
  m.def("_linalg_det", &ag::linalg_det, py::arg("A"));
  m.def("_linalg_slogdet", [](const Tensor& a) { return tuple2(ag::linalg_slogdet(a)); }, py::arg("A"));
  m.def("logdet", &ag::logdet, py::arg("input"));
  m.def("_linalg_solve", &ag::linalg_solve, py::arg("A"), py::arg("B"), py::kw_only(), py::arg("left") = true);
  m.def("_linalg_svd", [](const Tensor& a, bool full) { return tuple3(ag::linalg_svd(a, full)); }, py::arg("A"),
        py::arg("full_matrices") = true);
  m.def("_linalg_svdvals", &ag::linalg_svdvals, py::arg("A"));
  m.def("_svd", [](const Tensor& a, bool some, bool uv) { return tuple3(ag::svd(a, some, uv)); }, py::arg("input"),
        py::arg("some") = true, py::arg("compute_uv") = true);
  cls.def("inverse", &ag::linalg_inv)
      .def("det", &ag::linalg_det)
      .def("logdet", &ag::logdet);
}

}  // namespace

PE_PY_BINDINGS(bind_linalg);

}  // namespace pe::python
