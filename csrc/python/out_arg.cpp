// out= in the bindings (see out_arg.h) and its Python entry point, _C._write_out.
#include "python/out_arg.h"

#include <sstream>

#include "autograd/grad_mode.h"
#include "autograd/variable.h"
#include "python/registry.h"

namespace pe::python {

namespace {

std::string shape_str(const DimVector& s) {
  std::ostringstream o;
  o << "[";
  for (size_t i = 0; i < s.size(); ++i) o << (i ? ", " : "") << s[i];
  o << "]";
  return o.str();
}

OutDtype rule_of(const std::string& r) {
  if (r == "same") return OutDtype::Same;
  if (r == "castable") return OutDtype::Castable;
  if (r == "cat_castable") return OutDtype::CatCastable;
  throw ValueError(str("_write_out: unknown dtype rule '", r, "'"));
}

}  // namespace

Tensor out_arg(py::handle out, const char* fn) {
  if (out.is_none()) return Tensor();
  PE_CHECK_TYPE(is_tensor(out), fn, "(): argument 'out' must be Tensor, not ",
                std::string(py::str(py::type::handle_of(out).attr("__name__"))));
  return unwrap(out);
}

void write_out_checked(Tensor& out, const Tensor& result, OutDtype rule, const char* fn, bool warn_resize) {
  if (autograd::GradMode::is_enabled() && (autograd::requires_grad(result) || autograd::requires_grad(out)))
    throw Error(str(fn, *fn ? "(): " : "", "functions with out=... arguments don't support automatic differentiation, "
                    "but one of the arguments requires grad."));
  DimVector before = out.sizes();
  if (write_out(out, result, rule, fn) && warn_resize) {
    std::string msg = str("An output with one or more elements was resized since it had shape ", shape_str(before),
                          ", which does not match the required output shape ", shape_str(result.sizes()),
                          ". This behavior is deprecated, and in a future PyTorch release outputs will not be resized "
                          "unless they have zero elements. You can explicitly reuse an out tensor t by resizing it, "
                          "inplace, to zero elements with t.resize_(0).");
    if (PyErr_WarnEx(PyExc_UserWarning, msg.c_str(), 1) < 0) throw py::error_already_set();
  }
}

namespace detail {
bool can_offer_out(const Tensor& out, std::initializer_list<const TensorOrScalar*> inputs) {
  const bool grad = autograd::GradMode::is_enabled();
  if (grad && autograd::requires_grad(out)) return false;
  for (const TensorOrScalar* x : inputs) {
    if (!x || x->is_scalar) continue;
    if ((grad && autograd::requires_grad(x->tensor)) || OutDestination::share_memory(x->tensor, out)) return false;
  }
  return true;
}
}  // namespace detail

py::object with_out(py::handle out, const Tensor& result, const char* fn, OutDtype rule, bool warn_resize) {
  if (out.is_none()) return py::cast(result);
  Tensor o = out_arg(out, fn);
  write_out_checked(o, result, rule, fn, warn_resize);
  return py::reinterpret_borrow<py::object>(out);
}

namespace {
void bind_out(py::module_& m, TensorClass&) {
  // The Python layer's out= (reductions, linear algebra, normal): the same checks and warning.
  m.def("_write_out", [](py::handle out, const Tensor& result, const std::string& rule, const std::string& fn,
                         bool warn_resize) {
    return with_out(out, result, fn.c_str(), rule_of(rule), warn_resize);
  }, py::arg("out"), py::arg("result"), py::arg("rule") = "same", py::arg("fn") = "", py::arg("warn_resize") = true);
  // A factory written in Python (normal): its dtype= against out's (ops/out.h, factory_out_options).
  m.def("_check_factory_out", [](py::handle dtype, const Tensor& out) {
    TensorOptions o;
    if (!dtype.is_none()) o.dtype = to_dtype(dtype);
    factory_out_options(o, out);
  }, py::arg("dtype"), py::arg("out"));
}
}  // namespace

PE_PY_BINDINGS(bind_out);

}  // namespace pe::python
