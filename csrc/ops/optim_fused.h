// The multi-tensor optimizer steps behind SGD/Adam/AdamW's foreach and fused paths (and RMSprop/Adagrad's
// foreach path) on CUDA
// (pyengine/optim/_multi_tensor.py): one launch updates a chunk of up to kMtTensors parameters of a
// group, instead of ~10 elementwise launches per parameter (Note [Multi-tensor optimizer step] in
// cuda/optim_fused.cu). The arithmetic is the single-tensor path's, op for op in the parameter's
// dtype, so both paths give the same bits.
#pragma once
#include <vector>

#include "core/dispatch.h"
#include "core/tensor.h"

namespace pe {

struct FusedSgdArgs {
  double lr = 0, momentum = 0, dampening = 0, weight_decay = 0;
  bool nesterov = false, maximize = false;
};
struct FusedAdamArgs {
  double lr = 0, beta1 = 0, beta2 = 0, weight_decay = 0, eps = 0;
  bool amsgrad = false, maximize = false, decoupled_weight_decay = false;
};
struct FusedRmspropArgs {
  double lr = 0, alpha = 0, eps = 0, weight_decay = 0, momentum = 0;
  bool centered = false, maximize = false;
};
struct FusedAdagradArgs {
  double eps = 0, weight_decay = 0;
  bool maximize = false;
};

// first[i]: momentum buffer i is new (it becomes the gradient, as the single-tensor path's clone).
// grad_scale (optional): gradients are divided by it first and stored back unscaled; found_inf
// (optional, nonzero: skip): the whole step is skipped on the device (GradScaler without a sync).
using FusedSgdFn = void (*)(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                            const std::vector<Tensor>& bufs, const std::vector<bool>& first, const FusedSgdArgs& a,
                            const Tensor& grad_scale, const Tensor& found_inf);
// steps: 0-d float32/float64 tensors, on the CPU (incremented and read by the host: no sync) or on
// the parameters' device (incremented and read by the kernels, skipped with the step on found_inf).
using FusedAdamFn = void (*)(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                             const std::vector<Tensor>& exp_avgs, const std::vector<Tensor>& exp_avg_sqs,
                             const std::vector<Tensor>& max_exp_avg_sqs, const std::vector<Tensor>& steps,
                             const FusedAdamArgs& a, const Tensor& grad_scale, const Tensor& found_inf);
// grad_avgs only when centered, momentum_buffers only when momentum > 0 (empty lists otherwise).
using FusedRmspropFn = void (*)(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                                const std::vector<Tensor>& square_avgs, const std::vector<Tensor>& grad_avgs,
                                const std::vector<Tensor>& momentum_buffers, const FusedRmspropArgs& a);
// clrs[i]: parameter i's learning rate this step, lr / (1 + (step - 1) * lr_decay), from its host step.
using FusedAdagradFn = void (*)(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                                const std::vector<Tensor>& state_sums, const std::vector<double>& clrs,
                                const FusedAdagradArgs& a);
extern DispatchStub<FusedSgdFn> fused_sgd_stub;
extern DispatchStub<FusedRmspropFn> fused_rmsprop_stub;
extern DispatchStub<FusedAdagradFn> fused_adagrad_stub;
extern DispatchStub<FusedAdamFn> fused_adam_stub;

void fused_sgd_(const std::vector<Tensor>& params, const std::vector<Tensor>& grads, const std::vector<Tensor>& bufs,
                const std::vector<bool>& first, const FusedSgdArgs& a, const Tensor& grad_scale,
                const Tensor& found_inf);
void fused_adam_(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                 const std::vector<Tensor>& exp_avgs, const std::vector<Tensor>& exp_avg_sqs,
                 const std::vector<Tensor>& max_exp_avg_sqs, const std::vector<Tensor>& steps, const FusedAdamArgs& a,
                 const Tensor& grad_scale, const Tensor& found_inf);

void fused_rmsprop_(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                    const std::vector<Tensor>& square_avgs, const std::vector<Tensor>& grad_avgs,
                    const std::vector<Tensor>& momentum_buffers, const FusedRmspropArgs& a);
void fused_adagrad_(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                    const std::vector<Tensor>& state_sums, const std::vector<double>& clrs, const FusedAdagradArgs& a);

}  // namespace pe
