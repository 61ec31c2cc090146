// Basic elementwise arithmetic: add/sub (with alpha), mul, div, neg, abs, out-of-place and
// in-place, tensor or Python-scalar second operand, with PyTorch's promotion and broadcasting.
#include "core/tensor_iter.h"
#include "ops/elementwise_util.h"
#include "ops/ops.h"
#include "ops/stubs.h"

namespace pe {

namespace {

Device common_device(const Tensor& a, const Tensor& b) {
  if (a.device() == b.device()) return a.device();
  // A 0-dim CPU tensor may meet a tensor of any device (PyTorch's rule for scalars).
  if (b.dim() == 0 && b.device().is_cpu()) return a.device();
  if (a.dim() == 0 && a.device().is_cpu()) return b.device();
  PE_ERROR("Expected all tensors to be on the same device, but found at least two devices, ", a.device().str(),
           " and ", b.device().str(), "!");
}

DType compute_dtype(BinaryOp op, DType common) {
  if (op == BinaryOp::Div && !is_floating(common)) return default_dtype();
  return common;
}

void check_alpha(DType dt, const Scalar& alpha) {
  PE_CHECK(!(is_integral(dt, true) && alpha.is_floating()),
           "For integral input tensors, argument alpha must not be a floating point number.");
  PE_CHECK(!(dt == DType::Bool && alpha.is_integral() && alpha.to_int64() != 0 && alpha.to_int64() != 1),
           "Boolean alpha only supported for Boolean results.");
}

Tensor binary_out(const Tensor& a, const Tensor& b, BinaryOp op, const Scalar& alpha, DType common) {
  if (op == BinaryOp::Add) check_alpha(common, alpha);
  Device dev = common_device(a, b);
  DType dt = compute_dtype(op, common);
  Tensor x = to(a, dt, dev), y = to(b, dt, dev);
  TensorOrScalar oa(a), ob(b);
  Tensor out = ew::empty_output(broadcast_shapes(a.sizes(), b.sizes()), dt, dev, {&oa, &ob});
  if (out.numel() > 0) binary_stub(dev)(TensorIter({out}, {x, y}), op, alpha);
  return out;
}

Tensor& binary_inplace(Tensor& self, const Tensor& other, BinaryOp op, const Scalar& alpha, DType common) {
  assert_no_internal_overlap(self);
  ew::check_no_partial_overlap(self, other);
  DType dt = compute_dtype(op, common);
  if (op == BinaryOp::Add) check_alpha(common, alpha);
  PE_CHECK(!(is_floating(dt) && !is_floating(self.dtype())) &&
               !(dt != DType::Bool && self.dtype() == DType::Bool),
           "result type ", dtype_name(dt), " can't be cast to the desired output type ", dtype_name(self.dtype()));
  DimVector shape = broadcast_shapes(self.sizes(), other.sizes());
  PE_CHECK(shape == self.sizes(), "output with shape ", self.sizes(), " doesn't match the broadcast shape ", shape);
  Device dev = common_device(self, other);
  if (dt == self.dtype()) {
    Tensor y = to(other, dt, dev);
    if (self.numel() > 0) binary_stub(dev)(TensorIter({self}, {self, y}), op, alpha);
    self->bump_version();
  } else {
    copy_(self, binary_out(self, other, op, alpha, common));
  }
  return self;
}

// A Python bool counts as a bool operand (its natural dtype), as in PyTorch.
void check_sub(DType a, DType b) {
  PE_CHECK(!(a == DType::Bool && b == DType::Bool),
           "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` "
           "operator instead.");
  PE_CHECK(a != DType::Bool && b != DType::Bool,
           "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a mask, "
           "use the `~` or `logical_not()` operator instead.");
}

Scalar negate(const Scalar& s) {
  if (s.is_floating()) return Scalar(-s.to_double());
  return Scalar(-s.to_int64());
}

Tensor wrap(const Tensor& a, const Scalar& s, DType dt) { return scalar_tensor(s, dt, a.device()); }

}  // namespace

Tensor add(const Tensor& a, const Tensor& b, const Scalar& alpha) {
  return binary_out(a, b, BinaryOp::Add, alpha, result_type(a, b));
}
Tensor add(const Tensor& a, const Scalar& b, const Scalar& alpha) {
  DType dt = result_type(a, b);
  return binary_out(a, wrap(a, b, dt), BinaryOp::Add, alpha, dt);
}
Tensor sub(const Tensor& a, const Tensor& b, const Scalar& alpha) {
  check_sub(a.dtype(), b.dtype());
  return binary_out(a, b, BinaryOp::Add, negate(alpha), result_type(a, b));
}
Tensor sub(const Tensor& a, const Scalar& b, const Scalar& alpha) {
  DType dt = result_type(a, b);
  check_sub(a.dtype(), b.natural_dtype());
  return binary_out(a, wrap(a, b, dt), BinaryOp::Add, negate(alpha), dt);
}
Tensor mul(const Tensor& a, const Tensor& b) { return binary_out(a, b, BinaryOp::Mul, Scalar(), result_type(a, b)); }
Tensor mul(const Tensor& a, const Scalar& b) {
  DType dt = result_type(a, b);
  return binary_out(a, wrap(a, b, dt), BinaryOp::Mul, Scalar(), dt);
}
Tensor div(const Tensor& a, const Tensor& b) { return binary_out(a, b, BinaryOp::Div, Scalar(), result_type(a, b)); }
Tensor div(const Tensor& a, const Scalar& b) {
  DType dt = result_type(a, b);
  return binary_out(a, wrap(a, b, compute_dtype(BinaryOp::Div, dt)), BinaryOp::Div, Scalar(), dt);
}

Tensor& add_(Tensor& a, const Tensor& b, const Scalar& alpha) {
  return binary_inplace(a, b, BinaryOp::Add, alpha, result_type(a, b));
}
Tensor& add_(Tensor& a, const Scalar& b, const Scalar& alpha) {
  DType dt = result_type(a, b);
  return binary_inplace(a, wrap(a, b, dt), BinaryOp::Add, alpha, dt);
}
Tensor& sub_(Tensor& a, const Tensor& b, const Scalar& alpha) {
  check_sub(a.dtype(), b.dtype());
  return binary_inplace(a, b, BinaryOp::Add, negate(alpha), result_type(a, b));
}
Tensor& sub_(Tensor& a, const Scalar& b, const Scalar& alpha) {
  DType dt = result_type(a, b);
  check_sub(a.dtype(), b.natural_dtype());
  return binary_inplace(a, wrap(a, b, dt), BinaryOp::Add, negate(alpha), dt);
}
Tensor& mul_(Tensor& a, const Tensor& b) { return binary_inplace(a, b, BinaryOp::Mul, Scalar(), result_type(a, b)); }
Tensor& mul_(Tensor& a, const Scalar& b) {
  DType dt = result_type(a, b);
  return binary_inplace(a, wrap(a, b, dt), BinaryOp::Mul, Scalar(), dt);
}
Tensor& div_(Tensor& a, const Tensor& b) { return binary_inplace(a, b, BinaryOp::Div, Scalar(), result_type(a, b)); }
Tensor& div_(Tensor& a, const Scalar& b) {
  DType dt = result_type(a, b);
  return binary_inplace(a, wrap(a, b, compute_dtype(BinaryOp::Div, dt)), BinaryOp::Div, Scalar(), dt);
}

namespace {
Tensor unary_out(const Tensor& a, UnaryOp op) {
  TensorOrScalar oa(a);
  Tensor out = ew::empty_output(a.sizes(), a.dtype(), a.device(), {&oa});
  if (out.numel() > 0) unary_stub(a.device())(TensorIter({out}, {a}), op);
  return out;
}
Tensor& unary_inplace(Tensor& a, UnaryOp op) {
  if (a.numel() > 0) unary_stub(a.device())(TensorIter({a}, {a}), op);
  a->bump_version();
  return a;
}
}  // namespace

Tensor neg(const Tensor& a) {
  PE_CHECK(a.dtype() != DType::Bool, "Negation, the `-` operator, on a bool tensor is not supported. If you are "
           "trying to invert a mask, use the `~` or `logical_not()` operator instead.");
  return unary_out(a, UnaryOp::Neg);
}
Tensor& neg_(Tensor& a) {
  PE_CHECK(a.dtype() != DType::Bool, "Negation, the `-` operator, on a bool tensor is not supported. If you are "
           "trying to invert a mask, use the `~` or `logical_not()` operator instead.");
  return unary_inplace(a, UnaryOp::Neg);
}
Tensor abs(const Tensor& a) {
  PE_CHECK_T(NotImplementedError, a.dtype() != DType::Bool, "\"abs_cpu\" not implemented for 'Bool'");
  return unary_out(a, UnaryOp::Abs);
}
Tensor& abs_(Tensor& a) {
  PE_CHECK_T(NotImplementedError, a.dtype() != DType::Bool, "\"abs_cpu\" not implemented for 'Bool'");
  return unary_inplace(a, UnaryOp::Abs);
}

// ---- either operand a Python number (torch.add(2, t), 2 - t, t.__rsub__) ----
namespace {
// A number first operand becomes a 0-dim tensor of the result type, which keeps the result type.
// (two numbers: a 0-dim CPU tensor, torch.add(2, 3.5) is tensor(5.5))
Tensor first_tensor(const TensorOrScalar& a, const TensorOrScalar& b) {
  if (!a.is_scalar) return a.tensor;
  return ew::materialize(a, ew::result_type(a, b), ew::common_device({&b}));
}
}  // namespace

Tensor add(const TensorOrScalar& a, const TensorOrScalar& b, const Scalar& alpha) {
  Tensor x = first_tensor(a, b);
  return b.is_scalar ? add(x, b.scalar, alpha) : add(x, b.tensor, alpha);
}
Tensor sub(const TensorOrScalar& a, const TensorOrScalar& b, const Scalar& alpha) {
  check_sub(a.dtype(), b.dtype());
  Tensor x = first_tensor(a, b);
  return b.is_scalar ? sub(x, b.scalar, alpha) : sub(x, b.tensor, alpha);
}
Tensor rsub(const Tensor& a, const TensorOrScalar& b, const Scalar& alpha) { return sub(b, TensorOrScalar(a), alpha); }
Tensor mul(const TensorOrScalar& a, const TensorOrScalar& b) {
  Tensor x = first_tensor(a, b);
  return b.is_scalar ? mul(x, b.scalar) : mul(x, b.tensor);
}

}  // namespace pe
