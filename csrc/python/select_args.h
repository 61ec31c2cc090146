// Argument helpers shared by the selection-op bindings: a Tensor argument that must not be None
// (the plain Tensor caster maps None to an undefined tensor, meant for optional arguments), and
// out= handling for single-tensor results, and the choice between the differentiable op (no out=)
// and the plain one (out=, which PyTorch refuses for inputs that require grad).
#pragma once
#include "autograd/variable.h"
#include "core/shape.h"
#include "ops/ops.h"
#include "ops/select.h"
#include "python/common.h"
#include "python/out_arg.h"

namespace pe::python {

// A required tensor argument: None (or any non-tensor) fails overload resolution -> TypeError.
struct TensorArg {
  Tensor t;
  operator const Tensor&() const { return t; }
};

// out= for single-tensor results (python/out_arg.h); the dtype must equal the result's by default.
inline py::object tensor_out(const Tensor& r, py::handle out, const char* name, OutDtype rule = OutDtype::Same) {
  return with_out(out, r, name, rule);
}

// PyTorch's out= checks of the gather-like ops (gather, take, index_select, masked_select): out may not overlap
// itself, nor share memory with an input it reads (the result would read elements it has already written).
// PyTorch resizes out to the result's shape before the input check, so a view that grows into an input is
// caught: the check looks at the elements out will cover once resized (in place, from its storage offset).
inline void check_out_overlap(py::handle out, const DimVector& shape, std::initializer_list<const Tensor*> inputs) {
  if (out.is_none() || !is_tensor(out)) return;
  Tensor o = unwrap(out);
  assert_no_internal_overlap(o);
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  if (o.sizes() != shape && size_t((o.storage_offset() + n) * o->itemsize()) <= o->storage()->nbytes())
    o = as_strided(o, shape, contiguous_strides(shape), o.storage_offset());
  for (const Tensor* x : inputs) check_no_overlap(o, *x);
}

// Without out=: with_grad() (the autograd wrapper). With out=: PyTorch's "out=... arguments don't
// support automatic differentiation" check on the inputs, then plain() (the op layer).
template <class FA, class FP>
auto grad_or_out(std::initializer_list<const Tensor*> inputs, py::handle out, FA with_grad, FP plain) {
  if (out.is_none()) return with_grad();
  autograd::check_out_no_grad(inputs);
  return plain();
}

}  // namespace pe::python

namespace pybind11::detail {
template <>
struct type_caster<pe::python::TensorArg> {
  PYBIND11_TYPE_CASTER(pe::python::TensorArg, const_name("Tensor"));
  bool load(handle src, bool) {
    if (!pe::python::is_tensor(src)) return false;
    value.t = pe::python::unwrap(src);
    return true;
  }
  static handle cast(const pe::python::TensorArg& t, return_value_policy p, handle h) {
    return type_caster<pe::Tensor>::cast(t.t, p, h);
  }
};
}  // namespace pybind11::detail
