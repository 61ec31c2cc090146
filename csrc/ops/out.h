// out= arguments: the one place that checks an out tensor against a result and writes the result
// into it (Note [out= arguments]).
#pragma once
#include <initializer_list>
#include <optional>

#include "ops/elementwise.h"
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

// Note [out= destination]
// `torch.add(a, b, out=c)` used to compute a fresh result and copy it into c: two memory passes more
// than writing c once (12.8 against 29 GB/s for in-place add on 16M floats). A binding with out=
// (python/out_arg.h, with_out_into) offers `out` for the duration of the op with this guard; the
// first ew::empty_output whose shape, dtype and device are out's takes it (once), so the kernel
// writes there directly, and write_out sees that the result *is* out and copies nothing. It is only
// offered when no autograd node can be recorded (nothing requires grad) and out shares no memory with
// any input; taken only when out has no internal overlap and shares no memory with the step's
// operands. So even when a composite op takes it for an intermediate result, no input is clobbered,
// and the final result is copied in as before.
class OutDestination {
 public:
  explicit OutDestination(const Tensor& out);
  ~OutDestination();
  OutDestination(const OutDestination&) = delete;
  OutDestination& operator=(const OutDestination&) = delete;
  // The offered tensor if it fits (and then withdraws the offer), else an undefined tensor; `ops`
  // are the step's operands. Cheap when nothing is offered (one thread-local load).
  static Tensor take(const DimVector& shape, DType dt, Device dev, std::initializer_list<const TensorOrScalar*> ops);
  // Whether t and u share any byte of their storages.
  static bool share_memory(const Tensor& t, const Tensor& u);

 private:
  const Tensor* prev_;
};

}  // namespace pe
