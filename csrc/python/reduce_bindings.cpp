// Tensor methods of the reductions, scans and sorting reductions (the module-level forms with out=
// live in pyengine/_ops_reduce.py and call these). Arguments are converted here, nothing else:
// dim as None / int / sequence, dtype=, var/std's unbiased-or-correction, norm's p as number or str.
// Differentiable reductions call the autograd wrappers (autograd/ops_reduce.h, ops_basic.h).
#include <cmath>

#include "autograd/ops_basic.h"
#include "autograd/ops_reduce.h"
#include "ops/reduce.h"
#include "python/registry.h"

namespace pe::python {

namespace {

OptDims dims_arg(py::handle h, const char* fn) {
  if (h.is_none()) return std::nullopt;
  return to_dimvector(h, fn, "dim");
}
std::optional<int64_t> dim_arg(py::handle h) {
  if (h.is_none()) return std::nullopt;
  return index_to_int64(h);
}
OptDType dtype_arg(py::handle h) {
  if (h.is_none()) return std::nullopt;
  return to_dtype(h);
}

// torch.return_types.<name>(values, indices)
py::object named_pair(const char* name, const std::pair<Tensor, Tensor>& r) {
  static py::handle mod = py::module_::import("pyengine.return_types").release();
  return mod.attr(name)(py::make_tuple(r.first, r.second));  // struct sequences take one tuple
}

// var/std accept (dim, unbiased, keepdim), (unbiased) or (dim, *, correction, keepdim).
double correction_arg(py::handle& dim, py::handle unbiased, py::handle correction, const char* fn) {
  if (PyBool_Check(dim.ptr())) {  // x.var(False): the bool is `unbiased`
    PE_CHECK_TYPE(unbiased.is_none(), fn, "() received an invalid combination of arguments");
    unbiased = dim;
    dim = py::none();
  }
  PE_CHECK_TYPE(unbiased.is_none() || correction.is_none(), fn,
                "() received an invalid combination of arguments - got both 'unbiased' and 'correction'");
  if (!correction.is_none()) return correction.cast<double>();
  if (!unbiased.is_none()) return unbiased.cast<bool>() ? 1.0 : 0.0;
  return 1.0;
}

// PyTorch's UserWarning when var/std divide by a non-positive number of degrees of freedom.
void warn_dof(const char* fn, const Tensor& x, const Tensor& out, double correction) {
  if (out.numel() == 0 || (double)(x.numel() / out.numel()) - correction > 0) return;
  std::string msg = std::string(fn) + "(): degrees of freedom is <= 0. Correction should be strictly less than the "
                    "reduction factor (input numel divided by output numel).";
  if (PyErr_WarnEx(PyExc_UserWarning, msg.c_str(), 1) != 0) throw py::error_already_set();
}

// The elementwise form max(a, b): the elementwise library's maximum/minimum when this build has it,
// otherwise pe::max(a, b) (a composition over amax).
py::object extremum2(const Tensor& a, const Tensor& b, bool is_max) {
  const char* name = is_max ? "maximum" : "minimum";
  py::object self = py::cast(a);
  if (py::hasattr(self, name)) return self.attr(name)(b);
  return py::cast(is_max ? ::pe::max(a, b) : ::pe::min(a, b));
}

py::object max_min(const Tensor& x, py::handle dim, bool keepdim, py::handle other, bool is_max) {
  if (!other.is_none()) {
    PE_CHECK_TYPE(is_tensor(other) && dim.is_none(), is_max ? "max" : "min",
                  "(): argument 'other' must be Tensor");
    return extremum2(x, unwrap(other), is_max);
  }
  if (is_tensor(dim)) return extremum2(x, unwrap(dim), is_max);
  if (dim.is_none()) return py::cast(is_max ? autograd::max(x) : autograd::min(x));
  int64_t d = index_to_int64(dim);
  return named_pair(is_max ? "max" : "min", is_max ? autograd::max(x, d, keepdim) : autograd::min(x, d, keepdim));
}

// norm's p: a number, None (2), 'fro' (2 over at most two dims) or 'nuc'.
py::object norm_py(const Tensor& x, py::handle p, py::handle dim, bool keepdim, py::handle dtype) {
  OptDims dims = dims_arg(dim, "norm");
  if (py::isinstance<py::str>(p)) {
    std::string s = p.cast<std::string>();
    if (s == "fro" && (!dims || dims->size() <= 2)) return py::cast(autograd::norm(x, 2.0, dims, keepdim, dtype_arg(dtype)));
    py::object linalg = py::module_::import("pyengine").attr("__dict__").attr("get")("linalg");
    if (s == "nuc" && !linalg.is_none() && py::hasattr(linalg, "matrix_norm"))
      return linalg.attr("matrix_norm")(x, p, dims ? py::object(py::cast(*dims)) : py::make_tuple(-2, -1), keepdim,
                                        py::arg("dtype") = dtype);
    PE_CHECK(s == "fro" || s == "nuc", "linalg.matrix_norm: Order ", s, " not supported.");
    PE_CHECK(s != "fro", "linalg.matrix_norm: dim must be a 2-tuple. Got ", dims->size(), " dims");
    PE_ERROR("norm(): p='nuc' needs the singular values of pyengine.linalg, which this build does not have");
  }
  double pv = p.is_none() ? 2.0 : p.cast<double>();
  return py::cast(autograd::norm(x, pv, dims, keepdim, dtype_arg(dtype)));
}

void bind_reduce(py::module_& m, TensorClass& cls) {
  auto none = py::none();
  cls.def("sum", [](const Tensor& x, py::handle dim, bool keepdim, py::handle dtype) {
        return autograd::sum(x, dims_arg(dim, "sum"), keepdim, dtype_arg(dtype));
      }, py::arg("dim") = none, py::arg("keepdim") = false, py::kw_only(), py::arg("dtype") = none)
      .def("mean", [](const Tensor& x, py::handle dim, bool keepdim, py::handle dtype) {
        return autograd::mean(x, dims_arg(dim, "mean"), keepdim, dtype_arg(dtype));
      }, py::arg("dim") = none, py::arg("keepdim") = false, py::kw_only(), py::arg("dtype") = none)
      .def("prod", [](const Tensor& x, py::handle dim, bool keepdim, py::handle dtype) {
        return autograd::prod(x, dim_arg(dim), keepdim, dtype_arg(dtype));
      }, py::arg("dim") = none, py::arg("keepdim") = false, py::kw_only(), py::arg("dtype") = none)
      .def("amax", [](const Tensor& x, py::handle dim, bool keepdim) {
        return autograd::amax(x, dims_arg(dim, "amax"), keepdim);
      }, py::arg("dim") = py::tuple(), py::arg("keepdim") = false)
      .def("amin", [](const Tensor& x, py::handle dim, bool keepdim) {
        return autograd::amin(x, dims_arg(dim, "amin"), keepdim);
      }, py::arg("dim") = py::tuple(), py::arg("keepdim") = false)
      .def("max", [](const Tensor& x, py::handle dim, bool keepdim, py::handle other) {
        return max_min(x, dim, keepdim, other, true);
      }, py::arg("dim") = none, py::arg("keepdim") = false, py::kw_only(), py::arg("other") = none)
      .def("min", [](const Tensor& x, py::handle dim, bool keepdim, py::handle other) {
        return max_min(x, dim, keepdim, other, false);
      }, py::arg("dim") = none, py::arg("keepdim") = false, py::kw_only(), py::arg("other") = none)
      .def("argmax", [](const Tensor& x, py::handle dim, bool keepdim) { return argmax(x, dim_arg(dim), keepdim); },
           py::arg("dim") = none, py::arg("keepdim") = false)
      .def("argmin", [](const Tensor& x, py::handle dim, bool keepdim) { return argmin(x, dim_arg(dim), keepdim); },
           py::arg("dim") = none, py::arg("keepdim") = false)
      .def("all", [](const Tensor& x, py::handle dim, bool keepdim) { return all(x, dims_arg(dim, "all"), keepdim); },
           py::arg("dim") = none, py::arg("keepdim") = false)
      .def("any", [](const Tensor& x, py::handle dim, bool keepdim) { return any(x, dims_arg(dim, "any"), keepdim); },
           py::arg("dim") = none, py::arg("keepdim") = false)
      .def("count_nonzero", [](const Tensor& x, py::handle dim) {
        return count_nonzero(x, dims_arg(dim, "count_nonzero"));
      }, py::arg("dim") = none)
      .def("logsumexp", [](const Tensor& x, py::handle dim, bool keepdim) {
        return autograd::logsumexp(x, to_dimvector(dim, "logsumexp", "dim"), keepdim);
      }, py::arg("dim"), py::arg("keepdim") = false)
      .def("norm", &norm_py, py::arg("p") = "fro", py::arg("dim") = none, py::arg("keepdim") = false,
           py::arg("dtype") = none)
      .def("dist", [](const Tensor& a, const Tensor& b, double p) { return autograd::dist(a, b, p); }, py::arg("other"),
           py::arg("p") = 2.0)
      .def("cumsum", [](const Tensor& x, int64_t dim, py::handle dtype) { return autograd::cumsum(x, dim, dtype_arg(dtype)); },
           py::arg("dim"), py::kw_only(), py::arg("dtype") = none)
      .def("cumprod", [](const Tensor& x, int64_t dim, py::handle dtype) { return autograd::cumprod(x, dim, dtype_arg(dtype)); },
           py::arg("dim"), py::kw_only(), py::arg("dtype") = none)
      .def("cumsum_", [](Tensor& x, int64_t dim, py::handle dtype) -> Tensor& {
        return autograd::cumsum_(x, dim, dtype_arg(dtype));
      }, py::arg("dim"), py::kw_only(), py::arg("dtype") = none)
      .def("cumprod_", [](Tensor& x, int64_t dim, py::handle dtype) -> Tensor& {
        return autograd::cumprod_(x, dim, dtype_arg(dtype));
      }, py::arg("dim"), py::kw_only(), py::arg("dtype") = none)
      .def("median", [](const Tensor& x, py::handle dim, bool keepdim) -> py::object {
        if (dim.is_none()) return py::cast(autograd::median(x));
        return named_pair("median", autograd::median(x, index_to_int64(dim), keepdim));
      }, py::arg("dim") = none, py::arg("keepdim") = false)
      .def("mode", [](const Tensor& x, int64_t dim, bool keepdim) { return named_pair("mode", autograd::mode(x, dim, keepdim)); },
           py::arg("dim") = -1, py::arg("keepdim") = false);

  for (const char* fn : {"var", "std"}) {
    const bool is_std = fn[0] == 's';
    cls.def(fn, [is_std, fn](const Tensor& x, py::handle dim, py::handle unbiased, bool keepdim, py::handle corr) {
      double c = correction_arg(dim, unbiased, corr, fn);
      OptDims dims = dims_arg(dim, fn);
      Tensor r = is_std ? autograd::std(x, dims, c, keepdim) : autograd::var(x, dims, c, keepdim);
      warn_dof(fn, x, r, c);
      return r;
    }, py::arg("dim") = none, py::arg("unbiased") = none, py::arg("keepdim") = false, py::kw_only(),
            py::arg("correction") = none);
  }
  // torch.var_mean / torch.std_mean (functions only): plain (var|std, mean) tuples.
  m.def("_var_mean", [](const Tensor& x, py::handle dim, py::handle unbiased, bool keepdim, py::handle corr,
                        bool take_sqrt) {
    const char* fn = take_sqrt ? "std_mean" : "var_mean";
    double c = correction_arg(dim, unbiased, corr, fn);
    OptDims dims = dims_arg(dim, fn);
    auto r = take_sqrt ? autograd::std_mean(x, dims, c, keepdim) : autograd::var_mean(x, dims, c, keepdim);
    warn_dof(fn, x, r.first, c);
    return py::make_tuple(r.first, r.second);
  });
}

}  // namespace

PE_PY_BINDINGS(bind_reduce);

}  // namespace pe::python
