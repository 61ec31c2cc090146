// The op layer of torch.special (ops/special.h): dtype rules and errors as PyTorch 2.x, then the
// shared elementwise drivers (ops/elementwise_util.h) run the kernels of ops/special_stubs.h.
#include "ops/special.h"

#include <string>

#include "ops/elementwise_util.h"

namespace pe {

DispatchStub<SpecialUnaryFn> special_unary_stub("special_unary");
DispatchStub<SpecialBinaryFn> special_binary_stub("special_binary");
DispatchStub<FrexpFn> frexp_stub("frexp");

using ew::elementwise_inplace;
using ew::elementwise_out;

namespace {

// PyTorch has float32/float64 kernels only for these (NotImplementedError "bessel_j0_cpu" not
// implemented for 'Half'); our functors would run, but an accepted dtype must mean PyTorch's.
bool wide_floats_only(SpecialUnaryOp op) {
  switch (op) {
    case SpecialUnaryOp::Ndtri: case SpecialUnaryOp::LogNdtr: case SpecialUnaryOp::Erfcx:
    case SpecialUnaryOp::AiryAi: case SpecialUnaryOp::BesselJ0: case SpecialUnaryOp::BesselJ1:
    case SpecialUnaryOp::BesselY0: case SpecialUnaryOp::BesselY1: case SpecialUnaryOp::ModifiedBesselI0:
    case SpecialUnaryOp::ModifiedBesselI1: case SpecialUnaryOp::ModifiedBesselK0:
    case SpecialUnaryOp::ModifiedBesselK1: case SpecialUnaryOp::ScaledModifiedBesselK0:
    case SpecialUnaryOp::ScaledModifiedBesselK1: case SpecialUnaryOp::SphericalBesselJ0:
      return true;
    default:
      return false;
  }
}
bool wide_floats_only(SpecialBinaryOp op) {
  return op != SpecialBinaryOp::Xlog1py && op != SpecialBinaryOp::Igamma && op != SpecialBinaryOp::Igammac &&
         op != SpecialBinaryOp::Nextafter && op != SpecialBinaryOp::Gcd && op != SpecialBinaryOp::Lcm;
}
// PyTorch's kernel name: the op without its "special_" prefix, then "_cpu".
void check_width(bool wide_only, DType dt, const char* name) {
  if (!wide_only || (dt != DType::Float16 && dt != DType::BFloat16)) return;
  std::string n(name);
  if (n.rfind("special_", 0) == 0) n = n.substr(8);
  if (n.size() < 4 || n.compare(n.size() - 4, 4, "_cpu") != 0) n += "_cpu";
  ew::not_implemented(n.c_str(), dt);
}

Tensor run_unary(const Tensor& a, SpecialUnaryOp op, int64_t n = 0, const char* name = "") {
  DType dt = ew::float_of(a.dtype());
  check_width(wide_floats_only(op), dt, name);
  TensorOrScalar x(a);
  return elementwise_out({&x}, dt, dt, [&](const TensorIter& it) { special_unary_stub(a.device())(it, op, n); });
}
Tensor& run_unary_(Tensor& a, SpecialUnaryOp op, int64_t n = 0, const char* name = "") {
  DType dt = ew::float_of(a.dtype());
  check_width(wide_floats_only(op), dt, name);
  return elementwise_inplace(a, {}, dt, dt, [&](const TensorIter& it) { special_unary_stub(a.device())(it, op, n); });
}

// The compute dtype of a binary special op: floating (integers promote) for the math, the common
// dtype for nextafter (floating only) and gcd/lcm (integers only).
DType binary_dtype(const TensorOrScalar& a, const TensorOrScalar& b, SpecialBinaryOp op, const char* name) {
  DType common = ew::result_type(a, b);
  if (op == SpecialBinaryOp::Gcd || op == SpecialBinaryOp::Lcm) {
    if (is_floating(common) || common == DType::Bool) ew::not_implemented(name, common);
    return common;
  }
  if (op == SpecialBinaryOp::Nextafter) {
    if (!is_floating(common)) ew::not_implemented(name, common);
    return common;
  }
  // igamma/igammac have no integer kernels in PyTorch (they do not promote)
  if ((op == SpecialBinaryOp::Igamma || op == SpecialBinaryOp::Igammac) && !is_floating(common))
    ew::not_implemented(name, common);
  check_width(wide_floats_only(op), ew::float_of(common), name);
  return ew::float_of(common);
}

Tensor run_binary(const TensorOrScalar& a, const TensorOrScalar& b, SpecialBinaryOp op, const char* name) {
  DType dt = binary_dtype(a, b, op, name);
  Device dev = ew::common_device({&a, &b});
  return elementwise_out({&a, &b}, dt, dt, [&](const TensorIter& it) { special_binary_stub(dev)(it, op); });
}
Tensor& run_binary_(Tensor& self, const TensorOrScalar& b, SpecialBinaryOp op, const char* name) {
  TensorOrScalar s(self);
  DType dt = binary_dtype(s, b, op, name);
  Device dev = ew::common_device({&s, &b});
  return elementwise_inplace(self, {&b}, dt, dt, [&](const TensorIter& it) { special_binary_stub(dev)(it, op); });
}

}  // namespace

#define PE_DEFINE_SPECIAL_UNARY(Name, name, expr)                                        \
  Tensor name(const Tensor& a) { return run_unary(a, SpecialUnaryOp::Name, 0, #name); }  \
  Tensor& name##_(Tensor& a) { return run_unary_(a, SpecialUnaryOp::Name, 0, #name); }
PE_FORALL_SPECIAL_UNARY_OPS(PE_DEFINE_SPECIAL_UNARY)
#undef PE_DEFINE_SPECIAL_UNARY

Tensor polygamma(int64_t n, const Tensor& a) {
  PE_CHECK(n >= 0, "polygamma(n, x) does not support negative n.");
  return run_unary(a, SpecialUnaryOp::Polygamma, n);
}
Tensor& polygamma_(Tensor& a, int64_t n) {
  PE_CHECK(n >= 0, "polygamma(n, x) does not support negative n.");
  return run_unary_(a, SpecialUnaryOp::Polygamma, n);
}

#define PE_DEFINE_SPECIAL_BINARY(Name, name, expr)                                                        \
  Tensor name(const TensorOrScalar& a, const TensorOrScalar& b) {                                        \
    return run_binary(a, b, SpecialBinaryOp::Name, #name "_cpu");                                        \
  }                                                                                                      \
  Tensor& name##_(Tensor& a, const TensorOrScalar& b) { return run_binary_(a, b, SpecialBinaryOp::Name, #name "_cpu"); }
PE_FORALL_SPECIAL_BINARY_OPS(PE_DEFINE_SPECIAL_BINARY)
PE_DEFINE_SPECIAL_BINARY(Nextafter, nextafter, )
PE_DEFINE_SPECIAL_BINARY(Gcd, gcd, )
PE_DEFINE_SPECIAL_BINARY(Lcm, lcm, )
#undef PE_DEFINE_SPECIAL_BINARY

std::pair<Tensor, Tensor> frexp(const Tensor& a) {
  PE_CHECK(is_floating(a.dtype()), "torch.frexp() only supports floating-point dtypes");
  TensorOrScalar x(a);
  Tensor mantissa = elementwise_out({&x}, a.dtype(), a.dtype(),
                                    [&](const TensorIter& it) { frexp_stub(a.device())(it, false); });
  Tensor exponent = elementwise_out({&x}, a.dtype(), DType::Int32,
                                    [&](const TensorIter& it) { frexp_stub(a.device())(it, true); });
  return {mantissa, exponent};
}

}  // namespace pe
