// Argument helpers shared by the elementwise binding files (arith_bindings.cpp,
// elementwise_bindings.cpp): operands that may be a tensor or a Python number, out= handling, and
// the TypeError PyTorch raises for a wrong argument type.
#pragma once
#include "autograd/grad_mode.h"
#include "ops/elementwise.h"
#include "ops/select.h"
#include "python/common.h"
#include "python/out_arg.h"
#include "python/registry.h"

namespace pe::python::ew {

inline py::object not_implemented() { return py::reinterpret_borrow<py::object>(Py_NotImplemented); }
inline bool is_operand(py::handle h) { return is_tensor(h) || is_scalar(h); }

inline std::string type_of(py::handle h) { return py::str(py::type::handle_of(h).attr("__name__")); }

// h as an operand of fn; TypeError "fn(): argument 'arg' (position pos) must be Tensor, not str"
// when h is neither a tensor nor (if allowed) a number.
inline TensorOrScalar operand(py::handle h, const char* fn, const char* arg, int pos, bool allow_number) {
  if (is_tensor(h)) return TensorOrScalar(unwrap(h));
  if (allow_number && is_scalar(h) && !h.is_none()) return TensorOrScalar(to_scalar(h));
  throw TypeError(str(fn, "(): argument '", arg, "' (position ", pos, ") must be Tensor, not ", type_of(h)));
}
inline Tensor tensor_arg(py::handle h, const char* fn, const char* arg, int pos) {
  return operand(h, fn, arg, pos, false).tensor;
}

// out= : the one implementation (python/out_arg.h), TensorIterator's casting rule.
using python::with_out;

}  // namespace pe::python::ew
