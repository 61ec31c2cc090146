// The autograd node of the fused attention (autograd/ops_attention.h).
#include "autograd/ops_attention.h"

#include "autograd/grad_mode.h"
#include "autograd/saved_variable.h"
#include "autograd/variable.h"

namespace pe::autograd {

namespace {

struct ScaledDotProductFlashAttentionForCpuBackward0 : Node {
  SavedVariable query_, key_, value_, out_, lse_;
  Tensor mask_;  // needs no gradient (checked by the caller), so saved as is
  bool causal_ = false, cuda_ = false;
  double scale_ = 1.0;
  // PyTorch's names: the CPU flash kernel has its own; on cuda the flash kernel's.
  std::string name() const override {
    return cuda_ ? "ScaledDotProductFlashAttentionBackward0" : "ScaledDotProductFlashAttentionForCpuBackward0";
  }
  variable_list apply(variable_list&& g) override {
    PE_CHECK(!GradMode::is_enabled(), "derivative for aten::_scaled_dot_product_flash_attention_for_cpu_backward "
             "is not implemented");
    auto [dq, dk, dv] = ::pe::flash_attention_backward(g[0], query_.unpack(), key_.unpack(), value_.unpack(),
                                                       out_.unpack(), lse_.unpack(), mask_, causal_, scale_);
    variable_list r(3);
    if (should_compute_output(0)) r[0] = dq;
    if (should_compute_output(1)) r[1] = dk;
    if (should_compute_output(2)) r[2] = dv;
    return r;
  }
  void release_variables() override {
    query_.reset_data();
    key_.reset_data();
    value_.reset_data();
    out_.reset_data();
    lse_.reset_data();
    mask_ = Tensor();
  }
};

}  // namespace

Tensor flash_attention(const Tensor& query, const Tensor& key, const Tensor& value, const Tensor& attn_mask,
                       bool is_causal, double scale) {
  PE_CHECK(!attn_mask.defined() || !requires_grad(attn_mask),
           "flash_attention: a mask that requires grad takes the composite path");
  auto [out, lse] = ::pe::flash_attention(query, key, value, attn_mask, is_causal, scale);
  if (auto n = make_node<ScaledDotProductFlashAttentionForCpuBackward0>({&query, &key, &value})) {
    n->query_ = SavedVariable(query, false);
    n->key_ = SavedVariable(key, false);
    n->value_ = SavedVariable(value, false);
    n->out_ = SavedVariable(out, true);
    n->lse_ = SavedVariable(lse, false);
    n->mask_ = attn_mask;
    n->causal_ = is_causal;
    n->scale_ = scale;
    n->cuda_ = query.device().type == DeviceType::CUDA;
    set_history(out, n);
  }
  return out;
}

}  // namespace pe::autograd
