// Backward formulas and differentiable wrappers of torch.special (autograd/ops_special.h), after
// PyTorch's derivatives.yaml, written with differentiable wrappers so that double backward works.
// One node type serves the unary ops: a table row gives PyTorch's node name, which of self and the
// result the formula needs, and the formula. Ops whose derivative PyTorch does not implement in an
// argument (zeta and igamma in their first) raise NotImplementedError in backward, as PyTorch.
#include <cmath>

#include "autograd/ops_basic.h"
#include "autograd/ops_elementwise.h"
#include "autograd/ops_special.h"
#include "autograd/saved_variable.h"

namespace pe::autograd {

namespace {

constexpr double kSqrtPi = 1.77245385090551602729816748334114518;
constexpr double kSqrt2Pi = 2.50662827463100050241576528481104525;

// g: the output's gradient; s: self; r: the result; n: polygamma's order.
using Formula = Tensor (*)(const Tensor& g, const Tensor& s, const Tensor& r, int64_t n);

struct SpecialSpec {
  const char* name;
  bool save_self, save_result;
  Formula f;
};

struct SpecialUnaryBackward : Node {
  const SpecialSpec* spec_ = nullptr;
  const char* name_ = nullptr;  // overrides the spec's (polygamma_ is PolygammaBackward1)
  int64_t n_ = 0;
  SavedVariable self_, result_;
  InputMeta self_info_;
  std::string name() const override { return name_ ? name_ : spec_->name; }
  variable_list apply(variable_list&& g) override {
    variable_list r(1);
    if (should_compute_output(0))
      r[0] = reduce_grad(spec_->f(g[0], self_.unpack(), result_.unpack(), n_), self_info_);
    return r;
  }
  void release_variables() override {
    self_.reset_data();
    result_.reset_data();
  }
};

Tensor sq(const Tensor& x) { return autograd::mul(x, x); }
// exp(-x^2 / 2) / sqrt(2 pi): the standard normal density.
Tensor normal_pdf(const Tensor& x) {
  return autograd::div(autograd::exp(autograd::mul(sq(x), Scalar(-0.5))), Scalar(kSqrt2Pi));
}

const SpecialSpec kLgamma{"LgammaBackward0", true, false, [](const Tensor& g, const Tensor& s, const Tensor&, int64_t) {
  return autograd::mul(g, autograd::digamma(s));
}};
const SpecialSpec kDigamma{"DigammaBackward0", true, false,
    [](const Tensor& g, const Tensor& s, const Tensor&, int64_t) {
  return autograd::mul(g, autograd::polygamma(1, s));
}};
const SpecialSpec kPolygamma{"PolygammaBackward0", true, false,
    [](const Tensor& g, const Tensor& s, const Tensor&, int64_t n) {
  return autograd::mul(g, autograd::polygamma(n + 1, s));
}};
// 0.5 sqrt(pi) exp(erfinv(x)^2)
const SpecialSpec kErfinv{"ErfinvBackward0", false, true, [](const Tensor& g, const Tensor&, const Tensor& r, int64_t) {
  return autograd::mul(g, autograd::mul(autograd::exp(sq(r)), Scalar(0.5 * kSqrtPi)));
}};
const SpecialSpec kI0{"I0Backward0", true, false, [](const Tensor& g, const Tensor& s, const Tensor&, int64_t) {
  return autograd::mul(g, autograd::special_i1(s));
}};
// i1e(x) - sgn(x) i0e(x)
const SpecialSpec kI0e{"SpecialI0EBackward0", true, true,
    [](const Tensor& g, const Tensor& s, const Tensor& r, int64_t) {
  return autograd::mul(g, autograd::sub(autograd::special_i1e(s), autograd::mul(::pe::sign(s), r)));
}};
// i0(x) - i1(x) / x, 1/2 at 0
const SpecialSpec kI1{"SpecialI1Backward0", true, true, [](const Tensor& g, const Tensor& s, const Tensor& r, int64_t) {
  Tensor d = autograd::sub(autograd::i0(s), autograd::div(r, s));
  return autograd::mul(g, autograd::where(::pe::eq(s, Scalar(0.0)), Scalar(0.5), d));
}};
// i0e(x) - i1e(x) (sgn(x) + 1/x), 1/2 at 0
const SpecialSpec kI1e{"SpecialI1EBackward0", true, true,
    [](const Tensor& g, const Tensor& s, const Tensor& r, int64_t) {
  Tensor d = autograd::sub(autograd::special_i0e(s),
                           autograd::mul(r, autograd::add(autograd::reciprocal(s), ::pe::sign(s))));
  return autograd::mul(g, autograd::where(::pe::eq(s, Scalar(0.0)), Scalar(0.5), d));
}};
// PyTorch composes ndtr and records its last multiply (MulBackward1); the derivative is the density.
const SpecialSpec kNdtr{"MulBackward1", true, false, [](const Tensor& g, const Tensor& s, const Tensor&, int64_t) {
  return autograd::mul(g, normal_pdf(s));
}};
// sqrt(2 pi) exp(ndtri(p)^2 / 2)
const SpecialSpec kNdtri{"SpecialNdtriBackward0", false, true,
    [](const Tensor& g, const Tensor&, const Tensor& r, int64_t) {
  return autograd::mul(g, autograd::mul(autograd::exp(autograd::mul(sq(r), Scalar(0.5))), Scalar(kSqrt2Pi)));
}};
// exp(-(log_ndtr(x) + x^2/2)) / sqrt(2 pi)
const SpecialSpec kLogNdtr{"SpecialLogNdtrBackward0", true, true,
    [](const Tensor& g, const Tensor& s, const Tensor& r, int64_t) {
  Tensor e = autograd::exp(autograd::neg(autograd::add(r, autograd::mul(sq(s), Scalar(0.5)))));
  return autograd::mul(g, autograd::div(e, Scalar(kSqrt2Pi)));
}};
// 2 x erfcx(x) - 2/sqrt(pi)
const SpecialSpec kErfcx{"SpecialErfcxBackward0", true, true,
    [](const Tensor& g, const Tensor& s, const Tensor& r, int64_t) {
  Tensor d = autograd::sub(autograd::mul(autograd::mul(s, r), Scalar(2.0)), Scalar(2.0 / kSqrtPi));
  return autograd::mul(g, d);
}};
// -(1 + log x)
const SpecialSpec kEntr{"SpecialEntrBackward0", true, false,
    [](const Tensor& g, const Tensor& s, const Tensor&, int64_t) {
  return autograd::mul(g, autograd::neg(autograd::add(autograd::log(s), Scalar(int64_t(1)))));
}};

template <class Op>
Tensor unary(const Tensor& a, const SpecialSpec& spec, int64_t n, Op&& op) {
  Tensor r = op();
  if (auto node = make_node<SpecialUnaryBackward>({&a})) {
    node->spec_ = &spec;
    node->n_ = n;
    node->self_info_ = input_info(a);
    set_history(r, node);
    if (spec.save_self) node->self_ = SavedVariable(a, false);
    if (spec.save_result) node->result_ = SavedVariable(r, true);
  }
  return r;
}

// In place: self's old value is kept (a copy) when the formula needs it, the result after the op.
template <class Op>
Tensor& unary_(Tensor& a, const SpecialSpec& spec, int64_t n, const char* name, Op&& op) {
  check_inplace(a);
  auto node = make_node<SpecialUnaryBackward>({&a});
  if (node) {
    node->spec_ = &spec;
    node->name_ = name;
    node->n_ = n;
    node->self_info_ = input_info(a);
    if (spec.save_self) node->self_ = SavedVariable(::pe::clone(a), false);
  }
  op();
  if (node) {
    rebase_history(a, node);
    if (spec.save_result) node->result_ = SavedVariable(a, true);
  }
  return a;
}

}  // namespace

#define PE_AG_SPECIAL_UNARY(name, spec)                                                           \
  Tensor name(const Tensor& a) { return unary(a, spec, 0, [&] { return ::pe::name(a); }); }        \
  Tensor& name##_(Tensor& a) {                                                                     \
    return unary_(a, spec, 0, nullptr, [&]() -> Tensor& { return ::pe::name##_(a); });            \
  }
PE_AG_SPECIAL_UNARY(lgamma, kLgamma)
PE_AG_SPECIAL_UNARY(digamma, kDigamma)
PE_AG_SPECIAL_UNARY(erfinv, kErfinv)
PE_AG_SPECIAL_UNARY(i0, kI0)
PE_AG_SPECIAL_UNARY(special_i0e, kI0e)
PE_AG_SPECIAL_UNARY(special_i1, kI1)
PE_AG_SPECIAL_UNARY(special_i1e, kI1e)
PE_AG_SPECIAL_UNARY(special_ndtr, kNdtr)
PE_AG_SPECIAL_UNARY(special_ndtri, kNdtri)
PE_AG_SPECIAL_UNARY(special_log_ndtr, kLogNdtr)
PE_AG_SPECIAL_UNARY(special_erfcx, kErfcx)
PE_AG_SPECIAL_UNARY(special_entr, kEntr)
#undef PE_AG_SPECIAL_UNARY

Tensor polygamma(int64_t n, const Tensor& a) {
  return unary(a, kPolygamma, n, [&] { return ::pe::polygamma(n, a); });
}
Tensor& polygamma_(Tensor& a, int64_t n) {
  return unary_(a, kPolygamma, n, "PolygammaBackward1", [&]() -> Tensor& { return ::pe::polygamma_(a, n); });
}

// ---- binary ----
namespace {

enum class Kind : int8_t { Xlog1py, Zeta, Igamma, Igammac, Nextafter };

struct SpecialBinaryBackward : Node {
  Kind kind_ = Kind::Xlog1py;
  std::string name_;
  SavedVariable self_, other_;
  InputMeta self_info_, other_info_;
  std::string name() const override { return name_; }
  variable_list apply(variable_list&& g) override {
    variable_list r(2);
    const Tensor& grad = g[0];
    const bool want_self = should_compute_output(0), want_other = should_compute_output(1);
    if (kind_ == Kind::Zeta && want_self) throw NotImplementedError("the derivative for 'zeta' is not implemented.");
    if ((kind_ == Kind::Igamma || kind_ == Kind::Igammac) && want_self)
      throw NotImplementedError(kind_ == Kind::Igamma ? "the derivative for 'igamma: input' is not implemented."
                                                      : "the derivative for 'igammac: input' is not implemented.");
    Tensor self = self_.unpack(), other = other_.unpack();
    switch (kind_) {
      case Kind::Xlog1py:
        if (want_self) {  // xlog1py(grad, other), 0 where self == 0 and other <= -1
          Tensor d = autograd::special_xlog1py(grad, other);
          Tensor mask = ::pe::logical_and(::pe::eq(self, Scalar(0.0)), ::pe::le(other, Scalar(-1.0)));
          r[0] = reduce_grad(autograd::where(mask, Scalar(0.0), d), self_info_);
        }
        if (want_other)
          r[1] = reduce_grad(autograd::div(autograd::mul(grad, self), autograd::add(other, Scalar(int64_t(1)))),
                             other_info_);
        break;
      case Kind::Zeta:  // d/dq zeta(s, q) = -s zeta(s + 1, q)
        if (want_other) {
          Tensor next = autograd::special_zeta(autograd::add(self, Scalar(1.0)), other);
          Tensor d = autograd::mul(autograd::neg(self), next);
          r[1] = reduce_grad(autograd::mul(grad, d), other_info_);
        }
        break;
      case Kind::Igamma:
      case Kind::Igammac:  // d/dx P(a, x) = x^(a-1) e^-x / Gamma(a)
        if (want_other) {
          Tensor e = autograd::mul(autograd::sub(self, Scalar(1.0)), autograd::log(other));
          e = autograd::sub(autograd::sub(e, other), autograd::lgamma(self));
          Tensor d = autograd::mul(grad, autograd::exp(e));
          r[1] = reduce_grad(kind_ == Kind::Igamma ? d : autograd::neg(d), other_info_);
        }
        break;
      case Kind::Nextafter:  // PyTorch: grad for self, zero for other
        if (want_self) r[0] = reduce_grad(grad, self_info_);
        if (want_other) r[1] = reduce_grad(ew_detail::zeros_like(grad), other_info_);
        break;
    }
    return r;
  }
  void release_variables() override {
    self_.reset_data();
    other_.reset_data();
  }
};

// PyTorch's overload numbering: (Tensor, Tensor) 0, (Scalar, Tensor) 1, (Tensor, Scalar) 2.
std::string overload_name(const char* base, const TensorOrScalar& a, const TensorOrScalar& b) {
  return std::string(base) + (a.is_scalar ? "1" : b.is_scalar ? "2" : "0");
}

Tensor as_tensor(const TensorOrScalar& x, const Tensor& like) {
  if (!x.is_scalar) return x.tensor;
  TensorOptions o;
  o.dtype = like.dtype();
  o.device = like.device();
  return ::pe::full({}, x.scalar, o);
}

template <class Op>
Tensor binary(const TensorOrScalar& a, const TensorOrScalar& b, Kind kind, const char* base, Op&& op) {
  Tensor r = op();
  if (auto n = make_node<SpecialBinaryBackward>({ew_detail::tensor_ptr(a), ew_detail::tensor_ptr(b)})) {
    n->kind_ = kind;
    n->name_ = overload_name(base, a, b);
    if (!a.is_scalar) n->self_info_ = input_info(a.tensor);
    if (!b.is_scalar) n->other_info_ = input_info(b.tensor);
    n->self_ = SavedVariable(as_tensor(a, r), false);
    n->other_ = SavedVariable(as_tensor(b, r), false);
    set_history(r, n);
  }
  return r;
}

template <class Op>
Tensor& binary_(Tensor& a, const TensorOrScalar& b, Kind kind, const char* base, Op&& op) {
  check_inplace(a);
  TensorOrScalar s(a);
  auto n = make_node<SpecialBinaryBackward>({&a, ew_detail::tensor_ptr(b)});
  if (n) {
    n->kind_ = kind;
    n->name_ = overload_name(base, s, b);
    n->self_info_ = input_info(a);
    if (!b.is_scalar) n->other_info_ = input_info(b.tensor);
    n->self_ = SavedVariable(::pe::clone(a), false);
    n->other_ = SavedVariable(as_tensor(b, a), false);
  }
  op();
  if (n) rebase_history(a, n);
  return a;
}

}  // namespace

#define PE_AG_SPECIAL_BINARY(name, kind, base)                                                       \
  Tensor name(const TensorOrScalar& a, const TensorOrScalar& b) {                                   \
    return binary(a, b, kind, base, [&] { return ::pe::name(a, b); });                               \
  }                                                                                                 \
  Tensor& name##_(Tensor& a, const TensorOrScalar& b) {                                             \
    return binary_(a, b, kind, base, [&]() -> Tensor& { return ::pe::name##_(a, b); });              \
  }
PE_AG_SPECIAL_BINARY(special_xlog1py, Kind::Xlog1py, "SpecialXlog1PyBackward")
PE_AG_SPECIAL_BINARY(special_zeta, Kind::Zeta, "SpecialZetaBackward")
PE_AG_SPECIAL_BINARY(igamma, Kind::Igamma, "IgammaBackward")
PE_AG_SPECIAL_BINARY(igammac, Kind::Igammac, "IgammacBackward")
PE_AG_SPECIAL_BINARY(nextafter, Kind::Nextafter, "NextafterBackward")
#undef PE_AG_SPECIAL_BINARY

// frexp: d mantissa / dx = 2^-exponent; the exponent is not differentiable.
namespace {
struct FrexpBackward0 : Node {
  SavedVariable exponent_;
  InputMeta self_info_;
  std::string name() const override { return "FrexpBackward0"; }
  variable_list apply(variable_list&& g) override {
    variable_list r(1);
    if (should_compute_output(0)) {
      Tensor e = exponent_.unpack();
      r[0] = reduce_grad(autograd::div(g[0], ::pe::exp2(e)), self_info_);
    }
    return r;
  }
  void release_variables() override { exponent_.reset_data(); }
};
}  // namespace

std::pair<Tensor, Tensor> frexp(const Tensor& a) {
  auto [mantissa, exponent] = ::pe::frexp(a);
  if (auto n = make_node<FrexpBackward0>({&a})) {
    n->self_info_ = input_info(a);
    n->exponent_ = SavedVariable(exponent, false);
    set_history(mantissa, n);
  }
  return {mantissa, exponent};
}

}  // namespace pe::autograd
