// Backward nodes and differentiable wrappers of the factorization-based ops: inv, det, slogdet,
// logdet, solve and svd/svdvals, with PyTorch's node names (LinalgInvExBackward0, ...) and its
// real-input formulas from FunctionsManual.cpp. The formulas are written with differentiable ops
// (matmul, solve, inv), so create_graph gives higher-order gradients. det/slogdet gradients use
// A^{-T} and therefore need an invertible A (PyTorch switches to an SVD formula for singular A).
#include <cmath>

#include "autograd/functions/linalg_common.h"
#include "autograd/ops_elementwise.h"

namespace pe::autograd {
namespace {

using linalg_detail::mT;

Tensor unsq2(const Tensor& t) { return autograd::unsqueeze(autograd::unsqueeze(t, -1), -1); }

struct LinalgInvExBackward0 : Node {
  SavedVariable inverse_;
  std::string name() const override { return "LinalgInvExBackward0"; }
  variable_list apply(variable_list&& g) override {
    variable_list r(1);
    if (!should_compute_output(0)) return r;
    const Tensor it = mT(inverse_.unpack());  // -A^{-T} g A^{-T}
    r[0] = autograd::neg(autograd::matmul(autograd::matmul(it, g[0]), it));
    return r;
  }
  void release_variables() override { inverse_.reset_data(); }
};

// The cofactor matrix adj(A)^T for any (also singular) A, PyTorch's SVD route: with A = U S Vh,
// adj(A)^T = det(U) det(Vh) U diag(prod_{j != i} s_j) Vh. Plain ops: a recorded backward
// (create_graph) through a singular matrix is not differentiable again.
Tensor singular_det_backward(const Tensor& g, const Tensor& a) {
  auto [U, S, Vh] = ::pe::linalg_svd(a, false);
  const int64_t n = S.size(-1);
  DimVector sq = S.sizes();
  sq.push_back(n);
  Tensor m = ::pe::contiguous_copy(::pe::expand(::pe::unsqueeze(S, -2), sq));  // m[..., i, j] = s_j
  Tensor diag = ::pe::diagonal(m, 0, -2, -1);
  ::pe::fill_(diag, Scalar(1.0));
  const Tensor others = ::pe::prod(m, -1);  // prod_{j != i} s_j
  const Tensor coeff = ::pe::mul(::pe::mul(g, ::pe::linalg_det(U)), ::pe::linalg_det(Vh));
  const Tensor d = ::pe::mul(others, ::pe::unsqueeze(coeff, -1));
  return ::pe::matmul(::pe::mul(U, ::pe::unsqueeze(d, -2)), Vh);
}

struct LinalgDetBackward0 : Node {
  SavedVariable a_, det_;
  std::string name() const override { return "LinalgDetBackward0"; }
  variable_list apply(variable_list&& g) override {
    variable_list r(1);
    if (!should_compute_output(0)) return r;
    const Tensor a = a_.unpack(), det = det_.unpack();
    if (a.numel() > 0 && ::pe::item(::pe::any(::pe::eq(det, Scalar(0.0)))).to_double() != 0.0) {
      r[0] = singular_det_backward(g[0], a);
      return r;
    }
    // d det = det * tr(A^{-1} dA): gA = (g * det) A^{-T}.
    const Tensor gd = autograd::mul(g[0], det);
    r[0] = autograd::mul(unsq2(gd), mT(autograd::linalg_inv(a)));
    return r;
  }
  void release_variables() override { a_.reset_data(); det_.reset_data(); }
};

struct LinalgSlogdetBackward0 : Node {
  SavedVariable a_;
  std::string name() const override { return "LinalgSlogdetBackward0"; }
  variable_list apply(variable_list&& g) override {
    variable_list r(1);  // the sign's gradient does not contribute for real inputs
    if (should_compute_output(0)) r[0] = autograd::mul(unsq2(g[1]), mT(autograd::linalg_inv(a_.unpack())));
    return r;
  }
  void release_variables() override { a_.reset_data(); }
};

bool is_vector_rhs(const Tensor& a, const Tensor& b) {
  if (b.dim() == 1) return true;
  if (a.dim() - 1 != b.dim()) return false;
  for (int64_t i = 0; i < b.dim(); ++i)
    if (b.size(i) != a.size(i)) return false;
  return true;
}

struct LinalgSolveExBackward0 : Node {
  SavedVariable a_, x_;
  InputMeta a_info_, b_info_;
  bool left_ = true, vector_ = false;
  std::string name() const override { return "LinalgSolveExBackward0"; }
  variable_list apply(variable_list&& g) override {
    variable_list r(2);
    const Tensor a = a_.unpack();
    // left: X = A^{-1} B, gB = A^{-T} gX, gA = -gB X^T; right: X = B A^{-1}, gB = gX A^{-T}, gA = -X^T gB.
    const Tensor gb = autograd::linalg_solve(mT(a), g[0], left_);
    if (should_compute_output(1)) r[1] = reduce_grad(gb, b_info_);
    if (should_compute_output(0)) {
      Tensor x = x_.unpack(), gbm = gb;
      if (vector_) {
        gbm = autograd::unsqueeze(gb, left_ ? -1 : -2);
        x = autograd::unsqueeze(x, left_ ? -1 : -2);
      }
      Tensor ga = left_ ? autograd::matmul(gbm, mT(x)) : autograd::matmul(mT(x), gbm);
      r[0] = reduce_grad(autograd::neg(ga), a_info_);
    }
    return r;
  }
  void release_variables() override { a_.reset_data(); x_.reset_data(); }
};

// True when g is identically zero: the engine passes zeros for outputs no gradient reached, and
// PyTorch's svd_backward treats those as undefined (which keeps svdvals' gradient finite for
// repeated singular values).
bool all_zero(const Tensor& g) { return g.numel() == 0 || !::pe::item(::pe::any(g)).to_double(); }

// PyTorch's svd_backward (real case) on the reduced factors U (m, k), S (k), Vh (k, n).
Tensor svd_backward(Tensor gU, const Tensor& gS, Tensor gVh, const Tensor& U, const Tensor& S, const Tensor& Vh) {
  const int64_t m = U.size(-2), n = Vh.size(-1);
  // all_zero reads g back: on a device that is a sync inside backward. There the zeros stay and every
  // division below takes 0 / x as 0 (x may be 0 for repeated or zero singular values), which gives
  // the values of the short form.
  const bool on_cpu = U.device().is_cpu();
  if (on_cpu && gU.defined() && all_zero(gU)) gU = Tensor();
  if (on_cpu && gVh.defined() && all_zero(gVh)) gVh = Tensor();
  auto div = [on_cpu](const Tensor& num, const Tensor& den) {
    const Tensor q = autograd::div(num, den);
    return on_cpu ? q : autograd::where(::pe::eq(num, Scalar(0.0)), Scalar(0.0), q);
  };
  if (!gU.defined() && !gVh.defined())
    return m >= n ? autograd::matmul(U, autograd::mul(autograd::unsqueeze(gS, -1), Vh))
                  : autograd::matmul(autograd::mul(U, autograd::unsqueeze(gS, -2)), Vh);
  auto skew = [](const Tensor& x) { return autograd::sub(x, mT(x)); };
  Tensor S2 = autograd::mul(S, S);
  // E[i, j] = s_j^2 - s_i^2 with ones on the diagonal (the 0 / 1 there is replaced by gS below).
  Tensor E = ::pe::sub(::pe::unsqueeze(S2, -2), ::pe::unsqueeze(S2, -1));
  Tensor Ed = ::pe::diagonal(E, 0, -2, -1);
  ::pe::fill_(Ed, Scalar(1.0));
  Tensor ret;
  const Tensor Su = autograd::unsqueeze(S, -2), Sl = autograd::unsqueeze(S, -1);
  if (gU.defined() && gVh.defined()) {
    Tensor UhgU = skew(autograd::matmul(mT(U), gU)), VhgV = skew(autograd::matmul(Vh, mT(gVh)));
    ret = div(autograd::add(autograd::mul(UhgU, Su), autograd::mul(Sl, VhgV)), E);
  } else if (gU.defined()) {
    ret = autograd::mul(div(skew(autograd::matmul(mT(U), gU)), E), Su);
  } else {
    ret = autograd::mul(Sl, div(skew(autograd::matmul(Vh, mT(gVh))), E));
  }
  // + diag_embed(gS)
  ret = autograd::add(ret, autograd::diagonal_backward(gS, ret.sizes(), 0, -2, -1));
  if (m > n && gU.defined()) {
    Tensor gA = autograd::matmul(U, ret);
    Tensor gUSinv = div(gU, Su);
    gA = autograd::sub(autograd::add(gA, gUSinv), autograd::matmul(U, autograd::matmul(mT(U), gUSinv)));
    return autograd::matmul(gA, Vh);
  }
  if (m < n && gVh.defined()) {
    Tensor gA = autograd::matmul(ret, Vh);
    Tensor SinvgVh = div(gVh, Sl);
    gA = autograd::sub(autograd::add(gA, SinvgVh), autograd::matmul(autograd::matmul(SinvgVh, mT(Vh)), Vh));
    return autograd::matmul(U, gA);
  }
  return m >= n ? autograd::matmul(U, autograd::matmul(ret, Vh)) : autograd::matmul(autograd::matmul(U, ret), Vh);
}

struct LinalgSvdBackward0 : Node {
  SavedVariable U_, S_, Vh_;
  bool full_ = false;
  std::string name() const override { return "LinalgSvdBackward0"; }
  variable_list apply(variable_list&& g) override {
    variable_list r(1);
    if (!should_compute_output(0)) return r;
    Tensor U = U_.unpack(), S = S_.unpack(), Vh = Vh_.unpack(), gU = g[0], gVh = g[2];
    if (full_) {  // only the first k columns of U / rows of Vh are determined by A
      const int64_t k = S.size(-1);
      U = autograd::narrow(U, -1, 0, k);
      gU = autograd::narrow(gU, -1, 0, k);
      Vh = autograd::narrow(Vh, -2, 0, k);
      gVh = autograd::narrow(gVh, -2, 0, k);
    }
    r[0] = svd_backward(gU, g[1], gVh, U, S, Vh);
    return r;
  }
  void release_variables() override { U_.reset_data(); S_.reset_data(); Vh_.reset_data(); }
};

}  // namespace

Tensor linalg_inv(const Tensor& a) {
  Tensor r = ::pe::linalg_inv(a);
  if (auto n = make_node<LinalgInvExBackward0>({&a})) {
    n->inverse_ = SavedVariable(r, true);
    set_history(r, n);
  }
  return r;
}

Tensor linalg_det(const Tensor& a) {
  Tensor r = ::pe::linalg_det(a);
  if (auto n = make_node<LinalgDetBackward0>({&a})) {
    n->a_ = SavedVariable(a, false);
    n->det_ = SavedVariable(r, true);
    set_history(r, n);
  }
  return r;
}

std::tuple<Tensor, Tensor> linalg_slogdet(const Tensor& a) {
  auto [sign, lad] = ::pe::linalg_slogdet(a);
  if (auto n = make_node<LinalgSlogdetBackward0>({&a})) {
    n->a_ = SavedVariable(a, false);
    set_history(TensorList{sign, lad}, n);
  }
  return {sign, lad};
}

Tensor logdet(const Tensor& a) {
  if (!compute_requires_grad({&a})) return ::pe::logdet(a);
  // where(sign == -1, nan, logabsdet) (WhereBackward0): the gradient passes where the sign is not -1.
  auto [sign, lad] = autograd::linalg_slogdet(a);
  return autograd::where(::pe::eq(sign, Scalar(-1.0)), Scalar(std::nan("")), lad);
}

Tensor linalg_solve(const Tensor& a, const Tensor& b, bool left) {
  Tensor x = ::pe::linalg_solve(a, b, left);
  if (auto n = make_node<LinalgSolveExBackward0>({&a, &b})) {
    n->a_ = SavedVariable(a, false);
    n->x_ = SavedVariable(x, true);
    n->a_info_ = input_info(a);
    n->b_info_ = input_info(b);
    n->left_ = left;
    n->vector_ = is_vector_rhs(a, b);
    set_history(x, n);
  }
  return x;
}

std::tuple<Tensor, Tensor, Tensor> linalg_svd(const Tensor& a, bool full_matrices) {
  auto [U, S, Vh] = ::pe::linalg_svd(a, full_matrices);
  if (auto n = make_node<LinalgSvdBackward0>({&a})) {
    n->U_ = SavedVariable(U, true);
    n->S_ = SavedVariable(S, true);
    n->Vh_ = SavedVariable(Vh, true);
    n->full_ = full_matrices;
    set_history(TensorList{U, S, Vh}, n);
  }
  return {U, S, Vh};
}

Tensor linalg_svdvals(const Tensor& a) {
  if (!compute_requires_grad({&a})) return ::pe::linalg_svdvals(a);
  return std::get<1>(autograd::linalg_svd(a, false));
}

// torch.svd: (U, S, V) with V = Vh^T; compute_uv=False returns zero U, V (not differentiable).
std::tuple<Tensor, Tensor, Tensor> svd(const Tensor& a, bool some, bool compute_uv) {
  if (!compute_requires_grad({&a})) return ::pe::svd(a, some, compute_uv);
  if (!compute_uv) {
    auto [U, S, V] = ::pe::svd(a, some, false);
    return {U, autograd::linalg_svdvals(a), V};
  }
  auto [U, S, Vh] = autograd::linalg_svd(a, !some);
  return {U, S, mT(Vh)};
}

}  // namespace pe::autograd
