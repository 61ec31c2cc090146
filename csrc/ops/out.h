// out= arguments: the one place that checks an out tensor against a result and writes the result
// into it (Note [out= arguments]).
#pragma once
#include <optional>

#include "ops/ops.h"

namespace pe {

// Note [out= arguments]
// PyTorch's out= contract, shared by every op that takes out= (elementwise, reductions, selection,
// linear algebra, factories; the bindings call it through python/out_arg.h, the Python layer
// through _C._write_out):
//  - the device must be the result's;
//  - the dtype must relate to the result's by `rule`: Same ("Expected out tensor to have dtype ..."),
//    Castable (TensorIterator's canCast: "result type Float can't be cast to the desired output
//    type Long") or CatCastable (cat/stack: TypeError "input types can't be cast ...");
//  - `out` is resized to the result's shape (its strides kept when the shape already matches) and
//    the result is copied in, cast to out's dtype.
// Returns true when a non-empty `out` of another shape was resized: PyTorch's structured ops warn
// then (the binding layer does, since warnings are Python's); factories resize silently. The
// autograd rule (no out= when something requires grad) is the binding's, which sees grad mode.
enum class OutDtype : int8_t { Same, Castable, CatCastable };
bool write_out(Tensor& out, const Tensor& result, OutDtype rule, const char* fn);

// A factory's result dtype with out=: out's dtype; a dtype= that differs raises PyTorch's
// "dtype Double does not match dtype of out parameter (Float)". Same rule for the device.
TensorOptions factory_out_options(const TensorOptions& opt, const Tensor& out);

}  // namespace pe
