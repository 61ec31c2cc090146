// out= in the bindings: PyTorch's autograd rule and resize warning around the op layer's write_out
// (Note [out= arguments] in ops/out.h). Every binding that takes out= goes through with_out or
// write_out_checked; the Python layer through _C._write_out.
#pragma once
#include "ops/out.h"
#include "python/common.h"

namespace pe::python {

// Writes `result` into `out`: refused when grad mode is on and result or out requires grad
// ("fn(): functions with out=... arguments don't support automatic differentiation ..."); a
// non-empty out of another shape is resized with PyTorch's UserWarning when `warn_resize`
// (structured ops), silently otherwise (factories).
void write_out_checked(Tensor& out, const Tensor& result, OutDtype rule, const char* fn, bool warn_resize = true);

// out is None: the result itself; else the result written into out, and out returned (the same
// Python object). TypeError when out is not a tensor.
py::object with_out(py::handle out, const Tensor& result, const char* fn = "", OutDtype rule = OutDtype::Castable,
                    bool warn_resize = true);

// with_out for ops whose kernel can write into out directly (the elementwise ops): compute() runs
// with out offered as the kernel's destination (Note [out= destination] in ops/out.h) when that is
// safe (no input requires grad under grad mode, out does not, and out shares no memory with an
// input), then the result goes into out as with_out does (a no-op when the kernel wrote there).
template <class F>
py::object with_out_into(py::handle out, std::initializer_list<const TensorOrScalar*> inputs, const char* fn,
                         const F& compute);

// The out= tensor of fn, or an undefined tensor for None; TypeError for anything else.
Tensor out_arg(py::handle out, const char* fn);

namespace detail {
bool can_offer_out(const Tensor& out, std::initializer_list<const TensorOrScalar*> inputs);
}

template <class F>
py::object with_out_into(py::handle out, std::initializer_list<const TensorOrScalar*> inputs, const char* fn,
                         const F& compute) {
  if (out.is_none()) return py::cast(compute());
  Tensor o = out_arg(out, fn);
  Tensor result;
  if (detail::can_offer_out(o, inputs)) {
    OutDestination offer(o);
    result = compute();
  } else {
    result = compute();
  }
  write_out_checked(o, result, OutDtype::Castable, fn);
  return py::reinterpret_borrow<py::object>(out);
}

}  // namespace pe::python
