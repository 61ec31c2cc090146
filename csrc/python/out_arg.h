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

// The out= tensor of fn, or an undefined tensor for None; TypeError for anything else.
Tensor out_arg(py::handle out, const char* fn);

}  // namespace pe::python
