// Backward nodes and differentiable wrappers of the matrix products: bmm, mv, dot, vdot, outer and
// matmul. matmul is recorded as PyTorch's composite records it (at::native::_matmul_impl): dot, mv,
// mm, the fold of a batched operand into one mm/mv, or an expanded bmm, with the same
// unsqueeze/squeeze/view/_unsafe_view steps, so `matmul(a, b).grad_fn` has torch's node names. The
// plain op runs when no gradient is needed (no graph, one kernel, no extra views).
#include "autograd/autocast.h"
#include "autograd/functions/linalg_common.h"

namespace pe::autograd {
namespace {

using linalg_detail::mT;

struct BmmBackward0 : Node {
  SavedVariable self_, mat2_;
  std::string name() const override { return "BmmBackward0"; }
  variable_list apply(variable_list&& g) override {
    variable_list r(2);
    if (should_compute_output(0)) r[0] = autograd::bmm(g[0], mT(mat2_.unpack()));
    if (should_compute_output(1)) r[1] = autograd::bmm(mT(self_.unpack()), g[0]);
    return r;
  }
  void release_variables() override { self_.reset_data(); mat2_.reset_data(); }
};

struct MvBackward0 : Node {
  SavedVariable self_, vec_;
  std::string name() const override { return "MvBackward0"; }
  variable_list apply(variable_list&& g) override {
    variable_list r(2);
    if (should_compute_output(0)) r[0] = autograd::outer(g[0], vec_.unpack());
    if (should_compute_output(1)) r[1] = autograd::mv(autograd::t(self_.unpack()), g[0]);
    return r;
  }
  void release_variables() override { self_.reset_data(); vec_.reset_data(); }
};

// dot and vdot share the formula for real inputs (vdot conjugates its first argument).
struct DotBackward : Node {
  SavedVariable self_, other_;
  const char* name_;
  explicit DotBackward(const char* n) : name_(n) {}
  std::string name() const override { return name_; }
  variable_list apply(variable_list&& g) override {
    variable_list r(2);
    if (should_compute_output(0)) r[0] = autograd::mul(g[0], other_.unpack());
    if (should_compute_output(1)) r[1] = autograd::mul(g[0], self_.unpack());
    return r;
  }
  void release_variables() override { self_.reset_data(); other_.reset_data(); }
};

// A reshape of a fresh result that is not tracked as a view: _unsafe_view (UnsafeViewBackward0),
// or matmul's in-place squeeze_(0) of its mm result (SqueezeBackward4).
struct ReshapeResultBackward : Node {
  DimVector self_sizes_;
  const char* name_;
  explicit ReshapeResultBackward(const char* n) : name_(n) {}
  std::string name() const override { return name_; }
  variable_list apply(variable_list&& g) override {
    variable_list r(1);
    if (should_compute_output(0)) r[0] = autograd::reshape(g[0], self_sizes_);
    return r;
  }
};

Tensor dot_like(const Tensor& a, const Tensor& b, bool conj) {
  Tensor r = conj ? ::pe::vdot(a, b) : ::pe::dot(a, b);
  if (auto n = make_node<DotBackward>({&a, &b}, conj ? "VdotBackward0" : "DotBackward0")) {
    n->self_ = SavedVariable(a, false);
    n->other_ = SavedVariable(b, false);
    set_history(r, n);
  }
  return r;
}

int64_t prod(const DimVector& v) {
  int64_t p = 1;
  for (int64_t x : v) p *= x;
  return p;
}

// PyTorch's should_fold: the larger operand (>= 3-D) can be folded into a matrix for one mm/mv,
// either because the smaller one requires grad (its gradient is then one mm, not bmm + sum) or
// because the fold is a free view.
bool should_fold(const Tensor& a, const Tensor& b) {
  const bool a_larger = a.dim() >= b.dim();
  const Tensor t1 = a_larger ? a : ::pe::transpose(b, -2, -1);
  const int64_t dim_t2 = a_larger ? b.dim() : a.dim();
  if (!(t1.dim() >= 3 && dim_t2 <= 2)) return false;
  if (requires_grad(a_larger ? b : a)) return true;
  if (a.dim() == 2) return false;
  if (t1.numel() == 0) return true;
  for (int64_t i = 0; i < t1.dim() - 2; ++i)
    if (t1.stride(i) != t1.stride(i + 1) * t1.size(i + 1)) return false;
  return true;
}

// The batch (>= 3-D) case of matmul, recorded step by step (the plain op checks the shapes first,
// so errors keep the plain op's messages).
Tensor matmul_graph(const Tensor& a, const Tensor& b) {
  const int64_t da = a.dim(), db = b.dim();
  if (should_fold(a, b)) {
    const bool transpose = db > da;
    const Tensor t1 = transpose ? mT(b) : a;
    const Tensor t2 = !transpose ? b : (da == 2 ? autograd::t(a) : a);
    DimVector out_shape(t1.sizes().begin(), t1.sizes().end() - 1);
    const int64_t folded = prod(out_shape);
    const bool t2_matrix = t2.dim() == 2;
    if (t2_matrix) out_shape.push_back(t2.size(1));
    const Tensor t1_folded = autograd::reshape(t1, {folded, t1.sizes().back()});
    if (!t2_matrix) return autograd::unsafe_view(autograd::mv(t1_folded, t2), out_shape);
    Tensor out = autograd::unsafe_view(autograd::mm(t1_folded, t2), out_shape);
    return transpose ? autograd::contiguous(mT(out)) : out;
  }
  const int64_t n = da > 1 ? a.size(-2) : 1, m1 = a.sizes().back();
  const int64_t m2 = db > 1 ? b.size(-2) : b.size(0), p = db > 1 ? b.sizes().back() : 1;
  DimVector batch_a(a.sizes().begin(), a.sizes().begin() + std::max<int64_t>(da - 2, 0));
  DimVector batch_b(b.sizes().begin(), b.sizes().begin() + std::max<int64_t>(db - 2, 0));
  // Broadcast the batch dims (right-aligned).
  const size_t nb = std::max(batch_a.size(), batch_b.size());
  DimVector batch(nb, 1);
  for (size_t i = 0; i < nb; ++i) {
    int64_t x = i < nb - batch_a.size() ? 1 : batch_a[i - (nb - batch_a.size())];
    int64_t y = i < nb - batch_b.size() ? 1 : batch_b[i - (nb - batch_b.size())];
    batch[i] = x == 1 ? y : x;
  }
  DimVector out_shape = batch;
  if (da > 1) out_shape.push_back(n);
  if (db > 1) out_shape.push_back(p);
  const int64_t bp = prod(batch);
  DimVector a_exp = batch;
  a_exp.push_back(n);
  a_exp.push_back(m1);
  Tensor a3 = autograd::reshape(autograd::expand(a, a_exp), {bp, n, m1});
  const bool vector_rhs = db == 1;
  DimVector b_exp = batch;
  b_exp.push_back(m2);
  if (!vector_rhs) b_exp.push_back(p);
  Tensor b3 = autograd::expand(b, b_exp);
  if (vector_rhs) b3 = autograd::unsqueeze(b3, -1);
  b3 = autograd::reshape(b3, {bp, m2, p});
  Tensor out = autograd::bmm(a3, b3);
  if (vector_rhs) out = autograd::squeeze(out, DimVector{-1});
  return autograd::unsafe_view(out, out_shape);
}

}  // namespace

Tensor bmm(const Tensor& a, const Tensor& b) {
  if (autocast::active()) return autocast::lower(&autograd::bmm, a, b);
  Tensor r = ::pe::bmm(a, b);
  if (auto n = make_node<BmmBackward0>({&a, &b})) {
    n->self_ = SavedVariable(a, false);
    n->mat2_ = SavedVariable(b, false);
    set_history(r, n);
  }
  return r;
}

Tensor mv(const Tensor& mat, const Tensor& vec) {
  Tensor r = ::pe::mv(mat, vec);
  if (auto n = make_node<MvBackward0>({&mat, &vec})) {
    n->self_ = SavedVariable(mat, false);
    n->vec_ = SavedVariable(vec, false);
    set_history(r, n);
  }
  return r;
}

Tensor dot(const Tensor& a, const Tensor& b) { return dot_like(a, b, false); }
Tensor vdot(const Tensor& a, const Tensor& b) { return dot_like(a, b, true); }

// PyTorch: outer(a, b) = a.reshape({n, 1}) * b (ViewBackward0 under MulBackward0).
Tensor outer(const Tensor& a, const Tensor& b) {
  if (!compute_requires_grad({&a, &b})) return ::pe::outer(a, b);
  PE_CHECK(a.dim() == 1 && b.dim() == 1, "outer: Expected 1-D argument self, but got ", a.dim(), "-D");
  return autograd::mul(autograd::reshape(a, {a.size(0), 1}), b);
}

Tensor unsafe_view(const Tensor& t, const DimVector& shape) {
  Tensor r = ::pe::reshape(t, shape);
  // r may share t's storage but is deliberately not a differentiable view (no mark_view).
  if (auto n = make_node<ReshapeResultBackward>({&t}, "UnsafeViewBackward0")) {
    n->self_sizes_ = t.sizes();
    set_history(r, n);
  }
  return r;
}

namespace {
// PyTorch's vector @ matrix: unsqueeze(0), mm, then squeeze_(0) in place on the mm result.
Tensor squeeze0_result(const Tensor& t) {
  Tensor r = ::pe::squeeze(t, DimVector{0});
  if (auto n = make_node<ReshapeResultBackward>({&t}, "SqueezeBackward4")) {
    n->self_sizes_ = t.sizes();
    set_history(r, n);
  }
  return r;
}
}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  if (autocast::active()) return autocast::lower(&autograd::matmul, a, b);
  if (!compute_requires_grad({&a, &b})) return ::pe::matmul(a, b);
  const int64_t da = a.dim(), db = b.dim();
  if (da == 1 && db == 1) return autograd::dot(a, b);
  if (da == 2 && db == 1) return autograd::mv(a, b);
  if (da == 1 && db == 2) return squeeze0_result(autograd::mm(autograd::unsqueeze(a, 0), b));
  if (da == 2 && db == 2) return autograd::mm(a, b);
  // Invalid shapes (0-d, inner sizes, batch dims that do not broadcast): the plain op raises its
  // (PyTorch's) message.
  if (da == 0 || db == 0 || a.sizes().back() != (db > 1 ? b.size(-2) : b.size(0))) return ::pe::matmul(a, b);
  for (int64_t i = 3; i <= std::min(da, db); ++i)
    if (a.size(-i) != b.size(-i) && a.size(-i) != 1 && b.size(-i) != 1) return ::pe::matmul(a, b);
  return matmul_graph(a, b);
}

}  // namespace pe::autograd
