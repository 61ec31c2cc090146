// Bindings of the linear algebra ops: module functions in pyengine._C (re-exported with out= by
// pyengine/_ops_linalg.py and pyengine/linalg.py) and the Tensor methods, including @. Named tuples
// (slogdet, svd) are built in Python from the plain tuples returned here. Also registers
// _C._LinAlgError (a RuntimeError subclass, PyTorch's torch.linalg.LinAlgError).
#include "autograd/ops_basic.h"
#include "ops/linalg.h"
#include "python/registry.h"

namespace pe::python {
namespace {

constexpr auto kOne = int64_t(1);

Tensor cross_warn(const Tensor& a, const Tensor& b, std::optional<int64_t> dim) {
  if (!dim && PyErr_WarnEx(PyExc_UserWarning,
                           "Using torch.cross without specifying the dim arg is deprecated.\nPlease either pass the "
                           "dim explicitly or simply use torch.linalg.cross.\nThe default value of dim will change to "
                           "agree with that of linalg.cross in a future release.",
                           1) < 0)
    throw py::error_already_set();
  return cross(a, b, dim);
}

py::tuple tuple2(const std::tuple<Tensor, Tensor>& t) { return py::make_tuple(std::get<0>(t), std::get<1>(t)); }
py::tuple tuple3(const std::tuple<Tensor, Tensor, Tensor>& t) {
  return py::make_tuple(std::get<0>(t), std::get<1>(t), std::get<2>(t));
}

py::object matmul_or_notimpl(const Tensor& a, py::handle b, bool reflected) {
  if (!is_tensor(b)) return py::reinterpret_borrow<py::object>(Py_NotImplemented);
  return py::cast(reflected ? matmul(unwrap(b), a) : matmul(a, unwrap(b)));
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
  m.def("mm", &autograd::mm, py::arg("input"), py::arg("mat2"));
  m.def("bmm", &bmm, py::arg("input"), py::arg("mat2"));
  m.def("matmul", &matmul, py::arg("input"), py::arg("other"));
  m.def("mv", &mv, py::arg("input"), py::arg("vec"));
  m.def("dot", &dot, py::arg("input"), py::arg("tensor"));
  m.def("vdot", &vdot, py::arg("input"), py::arg("other"));
  m.def("outer", &outer, py::arg("input"), py::arg("vec2"));
  cls.def("mm", &autograd::mm, py::arg("mat2"))
      .def("bmm", &bmm, py::arg("mat2"))
      .def("matmul", &matmul, py::arg("other"))
      .def("mv", &mv, py::arg("vec"))
      .def("dot", &dot, py::arg("tensor"))
      .def("vdot", &vdot, py::arg("other"))
      .def("outer", &outer, py::arg("vec2"))
      .def("ger", &outer, py::arg("vec2"))
      .def("__matmul__", [](const Tensor& a, py::handle b) { return matmul_or_notimpl(a, b, false); })
      .def("__rmatmul__", [](const Tensor& a, py::handle b) { return matmul_or_notimpl(a, b, true); });

  // ---- products with an added input ----
#define PE_BIND_ADD(name, a1, a2)                                                                             \
  m.def(#name, &name, py::arg("input"), py::arg(a1), py::arg(a2), py::kw_only(), py::arg("beta") = Scalar(kOne), \
        py::arg("alpha") = Scalar(kOne));                                                                     \
  cls.def(#name, &name, py::arg(a1), py::arg(a2), py::kw_only(), py::arg("beta") = Scalar(kOne),               \
          py::arg("alpha") = Scalar(kOne));                                                                   \
  cls.def(#name "_", &name##_, py::arg(a1), py::arg(a2), py::kw_only(), py::arg("beta") = Scalar(kOne),        \
          py::arg("alpha") = Scalar(kOne));
  PE_BIND_ADD(addmm, "mat1", "mat2")
  PE_BIND_ADD(baddbmm, "batch1", "batch2")
  PE_BIND_ADD(addbmm, "batch1", "batch2")
  PE_BIND_ADD(addmv, "mat", "vec")
  PE_BIND_ADD(addr, "vec1", "vec2")
#undef PE_BIND_ADD

  // ---- structure ----
  m.def("trace", &trace, py::arg("input"));
  m.def("diag", &diag, py::arg("input"), py::arg("diagonal") = 0);
  m.def("tril", &tril, py::arg("input"), py::arg("diagonal") = 0);
  m.def("triu", &triu, py::arg("input"), py::arg("diagonal") = 0);
  m.def("cross", &cross_warn, py::arg("input"), py::arg("other"), py::arg("dim") = py::none());
  m.def("_linalg_cross", &linalg_cross, py::arg("input"), py::arg("other"), py::kw_only(), py::arg("dim") = -1);
  cls.def("trace", &trace)
      .def("diag", &diag, py::arg("diagonal") = 0)
      .def("tril", &tril, py::arg("diagonal") = 0)
      .def("triu", &triu, py::arg("diagonal") = 0)
      .def("tril_", &tril_, py::arg("diagonal") = 0)
      .def("triu_", &triu_, py::arg("diagonal") = 0)
      .def("cross", &cross_warn, py::arg("other"), py::arg("dim") = py::none());

  // ---- factorizations (tuples; pyengine/_ops_linalg.py makes them named tuples) ----
  m.def("_linalg_inv", &linalg_inv, py::arg("A"));
  m.def("_linalg_det", &linalg_det, py::arg("A"));
  m.def("_linalg_slogdet", [](const Tensor& a) { return tuple2(linalg_slogdet(a)); }, py::arg("A"));
  m.def("logdet", &logdet, py::arg("input"));
  m.def("_linalg_solve", &linalg_solve, py::arg("A"), py::arg("B"), py::kw_only(), py::arg("left") = true);
  m.def("_linalg_svd", [](const Tensor& a, bool full) { return tuple3(linalg_svd(a, full)); }, py::arg("A"),
        py::arg("full_matrices") = true);
  m.def("_linalg_svdvals", &linalg_svdvals, py::arg("A"));
  m.def("_svd", [](const Tensor& a, bool some, bool uv) { return tuple3(svd(a, some, uv)); }, py::arg("input"),
        py::arg("some") = true, py::arg("compute_uv") = true);
  cls.def("inverse", &linalg_inv)
      .def("det", &linalg_det)
      .def("logdet", &logdet);
}

}  // namespace

PE_PY_BINDINGS(bind_linalg);

}  // namespace pe::python
