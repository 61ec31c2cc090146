// Backward nodes and differentiable wrappers of the products with an added input (addmm, baddbmm,
// addbmm, addmv, addr and their in-place forms): beta * input + alpha * product. One node type
// serves the five ops (they differ only in which product's adjoints they take); the input's
// gradient is beta * grad summed back to the input's (broadcast) shape.
#include "autograd/autocast.h"
#include "autograd/functions/linalg_common.h"
#include "core/profiler_hook.h"

namespace pe::autograd {
namespace {

using linalg_detail::maybe_multiply;
using linalg_detail::mT;

enum class AddKind { Addmm, Baddbmm, Addbmm, Addmv, Addr };

const char* add_node_name(AddKind k) {
  switch (k) {
    case AddKind::Addmm: return "AddmmBackward0";
    case AddKind::Baddbmm: return "BaddbmmBackward0";
    case AddKind::Addbmm: return "AddbmmBackward0";
    case AddKind::Addmv: return "AddmvBackward0";
    case AddKind::Addr: return "AddrBackward0";
  }
  return "";
}

struct AddProductBackward : Node {
  AddKind kind_;
  SavedVariable m1_, m2_;
  InputMeta self_info_;
  Scalar beta_, alpha_;
  explicit AddProductBackward(AddKind k) : kind_(k) {}
  std::string name() const override { return add_node_name(kind_); }

  variable_list apply(variable_list&& grads) override {
    const Tensor& g = grads[0];
    variable_list r(3);
    if (should_compute_output(0)) r[0] = reduce_grad(maybe_multiply(g, beta_), self_info_);
    if (!should_compute_output(1) && !should_compute_output(2)) return r;
    const Tensor m1 = m1_.unpack(), m2 = m2_.unpack();
    Tensor g1, g2;
    const bool n1 = should_compute_output(1), n2 = should_compute_output(2);
    switch (kind_) {
      case AddKind::Addmm:
        if (n1) g1 = autograd::mm(g, mT(m2));
        if (n2) g2 = autograd::mm(mT(m1), g);
        break;
      case AddKind::Baddbmm:
        if (n1) g1 = autograd::bmm(g, mT(m2));
        if (n2) g2 = autograd::bmm(mT(m1), g);
        break;
      case AddKind::Addbmm: {
        // The product summed over the batch: each batch's gradient is the same grad.
        const Tensor ge = autograd::expand(autograd::unsqueeze(g, 0), {m1.size(0), m1.size(1), m2.size(2)});
        if (n1) g1 = autograd::bmm(ge, mT(m2));
        if (n2) g2 = autograd::bmm(mT(m1), ge);
        break;
      }
      case AddKind::Addmv:
        if (n1) g1 = autograd::outer(g, m2);
        if (n2) g2 = autograd::mv(autograd::t(m1), g);
        break;
      case AddKind::Addr:
        if (n1) g1 = autograd::mv(g, m2);
        if (n2) g2 = autograd::mv(autograd::t(g), m1);
        break;
    }
    if (n1) r[1] = maybe_multiply(g1, alpha_);
    if (n2) r[2] = maybe_multiply(g2, alpha_);
    return r;
  }
  void release_variables() override { m1_.reset_data(); m2_.reset_data(); }
};

std::shared_ptr<AddProductBackward> make_add_node(AddKind k, const Tensor& self, const Tensor& m1, const Tensor& m2,
                                                  const Scalar& beta, const Scalar& alpha) {
  auto n = make_node<AddProductBackward>({&self, &m1, &m2}, k);
  if (!n) return n;
  n->m1_ = SavedVariable(m1, false);
  n->m2_ = SavedVariable(m2, false);
  n->self_info_ = input_info(self);
  n->beta_ = beta;
  n->alpha_ = alpha;
  return n;
}

using AddFn = Tensor (*)(const Tensor&, const Tensor&, const Tensor&, const Scalar&, const Scalar&);
using AddInplaceFn = Tensor& (*)(Tensor&, const Tensor&, const Tensor&, const Scalar&, const Scalar&);

Tensor record(AddKind k, AddFn f, const Tensor& self, const Tensor& m1, const Tensor& m2, const Scalar& beta,
              const Scalar& alpha) {
  Tensor r = f(self, m1, m2, beta, alpha);
  if (auto n = make_add_node(k, self, m1, m2, beta, alpha)) set_history(r, n);
  return r;
}

Tensor& record_(AddKind k, AddInplaceFn f, Tensor& self, const Tensor& m1, const Tensor& m2, const Scalar& beta,
                const Scalar& alpha) {
  check_inplace(self);
  auto n = make_add_node(k, self, m1, m2, beta, alpha);  // before the op: edge 0 is self's old history
  f(self, m1, m2, beta, alpha);
  if (n) rebase_history(self, n);
  return self;
}

}  // namespace

Tensor addmm(const Tensor& input, const Tensor& m1, const Tensor& m2, const Scalar& beta, const Scalar& alpha) {
  profiler::RecordScope scope("aten::addmm", {&input, &m1, &m2, nullptr, nullptr});  // beta, alpha: []
  if (autocast::active()) return autocast::lower(&autograd::addmm, input, m1, m2, beta, alpha);
  return record(AddKind::Addmm, &::pe::addmm, input, m1, m2, beta, alpha);
}
Tensor baddbmm(const Tensor& input, const Tensor& b1, const Tensor& b2, const Scalar& beta, const Scalar& alpha) {
  if (autocast::active()) return autocast::lower(&autograd::baddbmm, input, b1, b2, beta, alpha);
  return record(AddKind::Baddbmm, &::pe::baddbmm, input, b1, b2, beta, alpha);
}
Tensor addbmm(const Tensor& input, const Tensor& b1, const Tensor& b2, const Scalar& beta, const Scalar& alpha) {
  if (autocast::active()) return autocast::lower(&autograd::addbmm, input, b1, b2, beta, alpha);
  return record(AddKind::Addbmm, &::pe::addbmm, input, b1, b2, beta, alpha);
}
Tensor addmv(const Tensor& input, const Tensor& mat, const Tensor& vec, const Scalar& beta, const Scalar& alpha) {
  return record(AddKind::Addmv, &::pe::addmv, input, mat, vec, beta, alpha);
}
Tensor addr(const Tensor& input, const Tensor& v1, const Tensor& v2, const Scalar& beta, const Scalar& alpha) {
  return record(AddKind::Addr, &::pe::addr, input, v1, v2, beta, alpha);
}
Tensor& addmm_(Tensor& self, const Tensor& m1, const Tensor& m2, const Scalar& beta, const Scalar& alpha) {
  return record_(AddKind::Addmm, &::pe::addmm_, self, m1, m2, beta, alpha);
}
Tensor& baddbmm_(Tensor& self, const Tensor& b1, const Tensor& b2, const Scalar& beta, const Scalar& alpha) {
  return record_(AddKind::Baddbmm, &::pe::baddbmm_, self, b1, b2, beta, alpha);
}
Tensor& addbmm_(Tensor& self, const Tensor& b1, const Tensor& b2, const Scalar& beta, const Scalar& alpha) {
  return record_(AddKind::Addbmm, &::pe::addbmm_, self, b1, b2, beta, alpha);
}
Tensor& addmv_(Tensor& self, const Tensor& mat, const Tensor& vec, const Scalar& beta, const Scalar& alpha) {
  return record_(AddKind::Addmv, &::pe::addmv_, self, mat, vec, beta, alpha);
}
Tensor& addr_(Tensor& self, const Tensor& v1, const Tensor& v2, const Scalar& beta, const Scalar& alpha) {
  return record_(AddKind::Addr, &::pe::addr_, self, v1, v2, beta, alpha);
}

}  // namespace pe::autograd
