// The op-layer machinery shared by the elementwise ops: PyTorch's result_type over tensors and
// wrapped numbers, the common device, output allocation that keeps a dense input's layout, and the
// out-of-place / in-place drivers that cast inputs to the compute dtype, broadcast, allocate and
// run a kernel over a TensorIter. Internal to csrc/ops.
#pragma once
#include <initializer_list>

#include "core/tensor_iter.h"
#include "ops/elementwise.h"

namespace pe::ew {

// PyTorch's name of a dtype in error messages ("Float", "Long", "Bool", ...).
const char* type_name(DType t);

// result_type over operands: dim>0 tensors, then 0-dim tensors, then numbers, by category.
DType result_type(std::initializer_list<const TensorOrScalar*> ops);
inline DType result_type(const TensorOrScalar& a, const TensorOrScalar& b) { return result_type({&a, &b}); }
// The floating dtype a float op computes in: floating and complex dtypes are their own.
inline DType float_of(DType t) { return is_floating(t) || is_complex(t) ? t : default_dtype(); }

// Note [Complex dtypes]: a complex operand never enters a real computation (which would drop its
// imaginary part silently); the op has no complex kernel: NotImplementedError, as PyTorch's dispatch.
void check_complex_compute(std::initializer_list<const TensorOrScalar*> ops, DType compute);

// The device of the tensors among ops (a 0-dim CPU tensor may join any device, as in PyTorch).
Device common_device(std::initializer_list<const TensorOrScalar*> ops);
// The operand as a tensor of dtype dt on dev (a number becomes a 0-dim tensor).
Tensor materialize(const TensorOrScalar& x, DType dt, Device dev);
// The broadcast shape of the operands (numbers don't take part).
DimVector broadcast_shape(std::initializer_list<const TensorOrScalar*> ops);

// A new tensor of `shape`: if a tensor among `like` has that shape and is dense but not
// contiguous (e.g. a transpose), the result gets its strides, as PyTorch's TensorIterator does.
// Returns the out= destination instead when one is offered and fits (Note [out= destination] in
// ops/out.h).
Tensor empty_output(const DimVector& shape, DType dt, Device dev, std::initializer_list<const TensorOrScalar*> like);

// PyTorch's check for in-place ops: RuntimeError if `in` partially overlaps `out` (both dense;
// `x += x[0]` raises, `x += x` and interleaved views are fine).
void check_no_partial_overlap(const Tensor& out, const Tensor& in);

// A number given as a Scalar argument (pow's exponent, where's values, clamp's bounds, alpha) is
// converted to the compute dtype with PyTorch's checked conversion: RuntimeError "value cannot be
// converted to type int without overflow" when it does not fit (check_scalar_fits, the one check
// every op converting a Python number into a dtype uses). A wrapped number of +, *, comparisons,
// bitwise ops is cast like a tensor instead, wrapping, as in PyTorch (int32_tensor + 2**31).
inline void check_scalar_arg(const TensorOrScalar& x, DType dt) {
  if (x.is_scalar) check_scalar_fits(x.scalar, dt);
}

// RuntimeError "result type Float can't be cast to the desired output type Long".
void check_cast(DType result, DType out);
// NotImplementedError "\"<name>\" not implemented for 'Bool'".
[[noreturn]] void not_implemented(const char* name, DType t);

// out = launch(TensorIter({out}, {inputs cast to `compute`})) with out of dtype `result`.
template <class Launch>
Tensor elementwise_out(std::initializer_list<const TensorOrScalar*> ops, DType compute, DType result,
                       const Launch& launch) {
  check_complex_compute(ops, compute);
  Device dev = common_device(ops);
  DimVector shape = broadcast_shape(ops);
  Tensor out = empty_output(shape, result, dev, ops);
  if (out.numel() == 0) return out;
  TensorList inputs;
  for (auto* op : ops) inputs.push_back(materialize(*op, compute, dev));
  launch(TensorIter({out}, inputs));
  return out;
}

// self = f(self, others...) in place: the one place of PyTorch's in-place checks, in its order: no
// two elements of self share memory (x.expand(4).neg_() raises), the result type must cast to
// self's dtype, no input partially overlaps self, and the broadcast shape must be self's. In-place
// ops that check their dtype before calling this call assert_no_internal_overlap first too. When compute and result dtypes are self's, the kernel writes self
// directly; otherwise the result is computed out of place and copied in.
template <class Launch>
Tensor& elementwise_inplace(Tensor& self, std::initializer_list<const TensorOrScalar*> others, DType compute,
                            DType result, const Launch& launch) {
  assert_no_internal_overlap(self);  // first, as PyTorch's TensorIterator
  check_cast(result, self.dtype());
  TensorOrScalar s(self);
  DimVector shape = self.sizes();
  for (auto* o : others) {
    if (o->is_scalar) continue;
    shape = broadcast_shapes(shape, o->tensor.sizes());
    check_no_partial_overlap(self, o->tensor);
  }
  PE_CHECK(shape == self.sizes(), "output with shape ", self.sizes(), " doesn't match the broadcast shape ", shape);
  if (compute == self.dtype() && result == self.dtype()) {
    Device dev = common_device({&s});
    for (auto* o : others) (void)common_device({&s, o});  // device check
    if (self.numel() > 0) {
      TensorList inputs{self};
      for (auto* o : others) inputs.push_back(materialize(*o, compute, dev));
      launch(TensorIter({self}, inputs));
    }
    self->bump_version();
    return self;
  }
  std::vector<const TensorOrScalar*> all{&s};
  all.insert(all.end(), others.begin(), others.end());
  Tensor r;
  if (all.size() == 2) r = elementwise_out({all[0], all[1]}, compute, result, launch);
  else if (all.size() == 3) r = elementwise_out({all[0], all[1], all[2]}, compute, result, launch);
  else r = elementwise_out({all[0]}, compute, result, launch);
  return copy_(self, r);
}

}  // namespace pe::ew
