// Backward formulas and differentiable wrappers of the unary elementwise ops (abs, sqrt, exp, log,
// the trigonometric and hyperbolic functions, sigmoid, relu, erf, reciprocal, square, the rounding
// ops, sign, nan_to_num). One node type serves them all: a unary formula needs at most one saved
// tensor (the input or the output), a name and a function g, self|result -> grad, so a table row
// per op keeps the ~35 ops in one short file. Formulas follow PyTorch's derivatives.yaml, including
// the values at kinks (abs'(0) = 0, relu'(0) = 0, sqrt'(0) = inf) and the zero gradient of the
// step functions.
#include <cmath>

#include "autograd/ops_basic.h"
#include "autograd/ops_elementwise.h"
#include "autograd/saved_variable.h"

namespace pe::autograd {

Tensor ew_detail::zeros_like(const Tensor& t) {
  TensorOptions o;
  o.dtype = t.dtype();
  o.device = t.device();
  return ::pe::zeros(t.sizes(), o);
}

namespace {

enum class Save : int8_t { None, Self, Result };
// g: gradient of the output; s: the saved tensor (self or result, as the row says).
using Formula = Tensor (*)(const Tensor& g, const Tensor& s);

struct UnarySpec {
  const char* name;          // PyTorch's node name
  const char* inplace_name;  // the in-place form's (asinh_ and friends differ)
  Save save;
  Formula f;
};

struct UnaryBackward : Node {
  const UnarySpec* spec_ = nullptr;
  bool inplace_ = false;
  SavedVariable saved_;
  InputMeta self_info_;
  std::string name() const override { return inplace_ ? spec_->inplace_name : spec_->name; }
  variable_list apply(variable_list&& g) override {
    variable_list r(1);
    if (should_compute_output(0)) r[0] = reduce_grad(spec_->f(g[0], saved_.unpack()), self_info_);
    return r;
  }
  void release_variables() override { saved_.reset_data(); }
};

constexpr double kLn2 = 0.693147180559945309417232121458176568;
constexpr double kLn10 = 2.302585092994045684017991454684364208;
constexpr double kTwoOverSqrtPi = 1.128379167095512573896158903121545172;

Tensor one_minus_sq(const Tensor& x) { return autograd::rsub(autograd::mul(x, x), Scalar(int64_t(1))); }
Tensor sq_plus_one(const Tensor& x) { return autograd::add(autograd::mul(x, x), Scalar(int64_t(1))); }
Tensor zero_grad(const Tensor& g, const Tensor&) { return ew_detail::zeros_like(g); }

// PyTorch's formulas (derivatives.yaml), written with differentiable wrappers only.
const UnarySpec kAbs{"AbsBackward0", "AbsBackward0", Save::Self,
                     [](const Tensor& g, const Tensor& s) { return autograd::mul(g, ::pe::sign(s)); }};
const UnarySpec kSqrt{"SqrtBackward0", "SqrtBackward0", Save::Result, [](const Tensor& g, const Tensor& r) {
  return autograd::div(g, autograd::mul(r, Scalar(int64_t(2))));
}};
const UnarySpec kRsqrt{"RsqrtBackward0", "RsqrtBackward0", Save::Result, [](const Tensor& g, const Tensor& r) {
  return autograd::mul(autograd::mul(g, Scalar(-0.5)), autograd::pow(r, Scalar(int64_t(3))));
}};
const UnarySpec kExp{"ExpBackward0", "ExpBackward0", Save::Result,
                     [](const Tensor& g, const Tensor& r) { return autograd::mul(g, r); }};
const UnarySpec kExp2{"Exp2Backward0", "Exp2Backward0", Save::Result, [](const Tensor& g, const Tensor& r) {
  return autograd::mul(g, autograd::mul(r, Scalar(kLn2)));
}};
const UnarySpec kExpm1{"Expm1Backward0", "Expm1Backward0", Save::Result, [](const Tensor& g, const Tensor& r) {
  return autograd::mul(g, autograd::add(r, Scalar(int64_t(1))));
}};
const UnarySpec kLog{"LogBackward0", "LogBackward0", Save::Self,
                     [](const Tensor& g, const Tensor& s) { return autograd::div(g, s); }};
const UnarySpec kLog1p{"Log1PBackward0", "Log1PBackward0", Save::Self, [](const Tensor& g, const Tensor& s) {
  return autograd::div(g, autograd::add(s, Scalar(int64_t(1))));
}};
const UnarySpec kLog2{"Log2Backward0", "Log2Backward0", Save::Self, [](const Tensor& g, const Tensor& s) {
  return autograd::div(g, autograd::mul(s, Scalar(kLn2)));
}};
const UnarySpec kLog10{"Log10Backward0", "Log10Backward0", Save::Self, [](const Tensor& g, const Tensor& s) {
  return autograd::div(g, autograd::mul(s, Scalar(kLn10)));
}};
const UnarySpec kSin{"SinBackward0", "SinBackward0", Save::Self,
                     [](const Tensor& g, const Tensor& s) { return autograd::mul(g, autograd::cos(s)); }};
const UnarySpec kCos{"CosBackward0", "CosBackward0", Save::Self, [](const Tensor& g, const Tensor& s) {
  return autograd::mul(g, autograd::neg(autograd::sin(s)));
}};
const UnarySpec kTan{"TanBackward0", "TanBackward0", Save::Result,
                     [](const Tensor& g, const Tensor& r) { return autograd::mul(g, sq_plus_one(r)); }};
const UnarySpec kAsin{"AsinBackward0", "AsinBackward0", Save::Self, [](const Tensor& g, const Tensor& s) {
  return autograd::mul(g, autograd::rsqrt(one_minus_sq(s)));
}};
const UnarySpec kAcos{"AcosBackward0", "AcosBackward0", Save::Self, [](const Tensor& g, const Tensor& s) {
  return autograd::mul(g, autograd::neg(autograd::rsqrt(one_minus_sq(s))));
}};
const UnarySpec kAtan{"AtanBackward0", "AtanBackward0", Save::Self,
                      [](const Tensor& g, const Tensor& s) { return autograd::div(g, sq_plus_one(s)); }};
const UnarySpec kSinh{"SinhBackward0", "SinhBackward0", Save::Self,
                      [](const Tensor& g, const Tensor& s) { return autograd::mul(g, autograd::cosh(s)); }};
const UnarySpec kCosh{"CoshBackward0", "CoshBackward0", Save::Self,
                      [](const Tensor& g, const Tensor& s) { return autograd::mul(g, autograd::sinh(s)); }};
const UnarySpec kTanh{"TanhBackward0", "TanhBackward0", Save::Result,
                      [](const Tensor& g, const Tensor& r) { return autograd::mul(g, one_minus_sq(r)); }};
const UnarySpec kAsinh{"AsinhBackward0", "AsinhBackward1", Save::Self, [](const Tensor& g, const Tensor& s) {
  return autograd::mul(g, autograd::rsqrt(sq_plus_one(s)));
}};
const UnarySpec kAcosh{"AcoshBackward0", "AcoshBackward1", Save::Self, [](const Tensor& g, const Tensor& s) {
  return autograd::mul(g, autograd::rsqrt(autograd::sub(autograd::mul(s, s), Scalar(int64_t(1)))));
}};
const UnarySpec kAtanh{"AtanhBackward0", "AtanhBackward1", Save::Self,
                       [](const Tensor& g, const Tensor& s) { return autograd::div(g, one_minus_sq(s)); }};
const UnarySpec kSigmoid{"SigmoidBackward0", "SigmoidBackward0", Save::Result, [](const Tensor& g, const Tensor& r) {
  return autograd::mul(g, autograd::mul(autograd::rsub(r, Scalar(int64_t(1))), r));
}};
const UnarySpec kErf{"ErfBackward0", "ErfBackward0", Save::Self, [](const Tensor& g, const Tensor& s) {
  return autograd::mul(g, autograd::mul(autograd::exp(autograd::neg(autograd::mul(s, s))), Scalar(kTwoOverSqrtPi)));
}};
const UnarySpec kErfc{"ErfcBackward0", "ErfcBackward0", Save::Self, [](const Tensor& g, const Tensor& s) {
  return autograd::mul(g, autograd::mul(autograd::exp(autograd::neg(autograd::mul(s, s))), Scalar(-kTwoOverSqrtPi)));
}};
const UnarySpec kReciprocal{"ReciprocalBackward0", "ReciprocalBackward0", Save::Result,
                            [](const Tensor& g, const Tensor& r) {
  return autograd::mul(autograd::neg(g), autograd::mul(r, r));
}};
// relu: threshold_backward(grad, result, 0): zero where result <= 0 (so relu'(0) = 0).
const UnarySpec kRelu{"ReluBackward0", "ReluBackward0", Save::Result, [](const Tensor& g, const Tensor& r) {
  return autograd::where(::pe::le(r, Scalar(int64_t(0))), Scalar(0.0), g);
}};
// square is pow(x, 2) in PyTorch, hence the name.
const UnarySpec kSquare{"PowBackward0", "PowBackward0", Save::Self, [](const Tensor& g, const Tensor& s) {
  return autograd::mul(g, autograd::mul(s, Scalar(2.0)));
}};
const UnarySpec kSign{"SignBackward0", "SignBackward0", Save::None, &zero_grad};
const UnarySpec kCeil{"CeilBackward0", "CeilBackward0", Save::None, &zero_grad};
const UnarySpec kFloor{"FloorBackward0", "FloorBackward0", Save::None, &zero_grad};
const UnarySpec kRound{"RoundBackward0", "RoundBackward0", Save::None, &zero_grad};
const UnarySpec kRound1{"RoundBackward1", "RoundBackward1", Save::None, &zero_grad};
const UnarySpec kTrunc{"TruncBackward0", "TruncBackward0", Save::None, &zero_grad};
const UnarySpec kFrac{"FracBackward0", "FracBackward0", Save::None, [](const Tensor& g, const Tensor&) { return g; }};
// nan_to_num: grad * isfinite(self).
const UnarySpec kNanToNum{"NanToNumBackward0", "NanToNumBackward0", Save::Self,
                          [](const Tensor& g, const Tensor& s) { return autograd::mul(g, ::pe::isfinite(s)); }};

// Out of place: run the plain op, record the node when needed.
template <class Op>
Tensor unary(const Tensor& a, const UnarySpec& spec, Op&& op) {
  Tensor r = op();
  if (auto n = make_node<UnaryBackward>({&a})) {
    n->spec_ = &spec;
    n->self_info_ = input_info(a);
    set_history(r, n);
    if (spec.save == Save::Self) n->saved_ = SavedVariable(a, false);
    if (spec.save == Save::Result) n->saved_ = SavedVariable(r, true);
  }
  return r;
}

// In place: the node takes self's old gradient edge; a formula of self keeps a copy of the old
// value, one of the result saves self after the op.
template <class Op>
Tensor& unary_(Tensor& a, const UnarySpec& spec, Op&& op) {
  check_inplace(a);
  auto n = make_node<UnaryBackward>({&a});
  if (n) {
    n->spec_ = &spec;
    n->inplace_ = true;
    n->self_info_ = input_info(a);
    if (spec.save == Save::Self) n->saved_ = SavedVariable(::pe::clone(a), false);
  }
  op();
  if (n) {
    rebase_history(a, n);
    if (spec.save == Save::Result) n->saved_ = SavedVariable(a, true);
  }
  return a;
}

}  // namespace

#define PE_AG_UNARY(name, spec)                                                        \
  Tensor name(const Tensor& a) { return unary(a, spec, [&] { return ::pe::name(a); }); } \
  Tensor& name##_(Tensor& a) { return unary_(a, spec, [&]() -> Tensor& { return ::pe::name##_(a); }); }
PE_AG_UNARY(abs, kAbs)
PE_AG_UNARY(sqrt, kSqrt)
PE_AG_UNARY(rsqrt, kRsqrt)
PE_AG_UNARY(exp, kExp)
PE_AG_UNARY(exp2, kExp2)
PE_AG_UNARY(expm1, kExpm1)
PE_AG_UNARY(log, kLog)
PE_AG_UNARY(log1p, kLog1p)
PE_AG_UNARY(log2, kLog2)
PE_AG_UNARY(log10, kLog10)
PE_AG_UNARY(sin, kSin)
PE_AG_UNARY(cos, kCos)
PE_AG_UNARY(tan, kTan)
PE_AG_UNARY(asin, kAsin)
PE_AG_UNARY(acos, kAcos)
PE_AG_UNARY(atan, kAtan)
PE_AG_UNARY(sinh, kSinh)
PE_AG_UNARY(cosh, kCosh)
PE_AG_UNARY(tanh, kTanh)
PE_AG_UNARY(asinh, kAsinh)
PE_AG_UNARY(acosh, kAcosh)
PE_AG_UNARY(atanh, kAtanh)
PE_AG_UNARY(sigmoid, kSigmoid)
PE_AG_UNARY(erf, kErf)
PE_AG_UNARY(erfc, kErfc)
PE_AG_UNARY(reciprocal, kReciprocal)
PE_AG_UNARY(relu, kRelu)
PE_AG_UNARY(square, kSquare)
PE_AG_UNARY(sign, kSign)
PE_AG_UNARY(ceil, kCeil)
PE_AG_UNARY(floor, kFloor)
PE_AG_UNARY(round, kRound)
PE_AG_UNARY(trunc, kTrunc)
PE_AG_UNARY(frac, kFrac)
#undef PE_AG_UNARY

Tensor round(const Tensor& a, int64_t decimals) {
  return unary(a, kRound1, [&] { return ::pe::round(a, decimals); });
}
Tensor& round_(Tensor& a, int64_t decimals) {
  return unary_(a, kRound1, [&]() -> Tensor& { return ::pe::round_(a, decimals); });
}
Tensor nan_to_num(const Tensor& a, std::optional<double> nan, std::optional<double> posinf,
                  std::optional<double> neginf) {
  return unary(a, kNanToNum, [&] { return ::pe::nan_to_num(a, nan, posinf, neginf); });
}
Tensor& nan_to_num_(Tensor& a, std::optional<double> nan, std::optional<double> posinf,
                    std::optional<double> neginf) {
  return unary_(a, kNanToNum, [&]() -> Tensor& { return ::pe::nan_to_num_(a, nan, posinf, neginf); });
}

}  // namespace pe::autograd
