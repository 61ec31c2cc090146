// The op-layer checks of the multi-tensor optimizer steps (ops/optim_fused.h); the kernels are
// CUDA-only (cuda/optim_fused.cu): on the CPU the optimizers keep their single-tensor loop.
#include "ops/optim_fused.h"

#include "ops/ops.h"

namespace pe {

DispatchStub<FusedSgdFn> fused_sgd_stub("_fused_sgd_");
DispatchStub<FusedAdamFn> fused_adam_stub("_fused_adam_");
DispatchStub<FusedRmspropFn> fused_rmsprop_stub("_fused_rmsprop_");
DispatchStub<FusedAdagradFn> fused_adagrad_stub("_fused_adagrad_");

namespace {

// Every list as long as params; every tensor dense, contiguous, of params[i]'s shape, dtype and
// device (float32 or float64, one dtype for the whole list).
void check_lists(const char* fn, const std::vector<Tensor>& params,
                 const std::vector<const std::vector<Tensor>*>& lists) {
  PE_CHECK(!params.empty(), fn, ": expected at least one parameter");
  const Device dev = params[0].device();
  const DType dt = params[0].dtype();
  PE_CHECK(dt == DType::Float32 || dt == DType::Float64, fn, ": expected float32 or float64 parameters, got ",
           scalar_type_name(dt));
  for (const auto* l : lists) {
    PE_CHECK(l->size() == params.size(), fn, ": every tensor list must have ", params.size(), " tensors, got ",
             l->size());
  }
  for (size_t i = 0; i < params.size(); ++i) {
    for (const auto* l : lists) {
      const Tensor& t = (*l)[i];
      PE_CHECK(t.defined(), fn, ": tensor ", i, " is missing");
      PE_CHECK(t.device() == dev, fn, ": all tensors must be on ", dev.str(), ", got one on ", t.device().str());
      PE_CHECK(t.dtype() == dt, fn, ": all tensors must have dtype ", scalar_type_name(dt), ", got ",
               scalar_type_name(t.dtype()));
      PE_CHECK(t.sizes() == params[i].sizes(), fn, ": tensor ", i, " has a different shape than its parameter");
      PE_CHECK(t.is_contiguous(), fn, ": tensors must be contiguous");
    }
  }
}

// The tensors a step wrote to, as the loop's in-place ops would mark them (autograd's saved-tensor checks).
void bump_versions(const std::vector<const std::vector<Tensor>*>& lists) {
  for (const auto* l : lists)
    for (const Tensor& t : *l)
      if (t.defined()) t->bump_version();
}

void check_scalar(const char* fn, const char* what, const Tensor& t, Device dev) {
  if (!t.defined()) return;
  PE_CHECK(t.numel() == 1 && t.device() == dev && t.dtype() == DType::Float32, fn, ": ", what,
           " must be a one-element float32 tensor on ", dev.str());
}

}  // namespace

void fused_sgd_(const std::vector<Tensor>& params, const std::vector<Tensor>& grads, const std::vector<Tensor>& bufs,
                const std::vector<bool>& first, const FusedSgdArgs& a, const Tensor& grad_scale,
                const Tensor& found_inf) {
  const char* fn = "_fused_sgd_";
  if (a.momentum != 0) {
    check_lists(fn, params, {&params, &grads, &bufs});
    PE_CHECK(first.size() == params.size(), fn, ": is_first has ", first.size(), " flags for ", params.size(),
             " parameters");
  } else {
    check_lists(fn, params, {&params, &grads});
  }
  check_scalar(fn, "grad_scale", grad_scale, params[0].device());
  check_scalar(fn, "found_inf", found_inf, params[0].device());
  fused_sgd_stub(params[0].device())(params, grads, bufs, first, a, grad_scale, found_inf);
  bump_versions({&params, &bufs});
  if (grad_scale.defined()) bump_versions({&grads});
}

void fused_adam_(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                 const std::vector<Tensor>& exp_avgs, const std::vector<Tensor>& exp_avg_sqs,
                 const std::vector<Tensor>& max_exp_avg_sqs, const std::vector<Tensor>& steps, const FusedAdamArgs& a,
                 const Tensor& grad_scale, const Tensor& found_inf) {
  const char* fn = "_fused_adam_";
  if (a.amsgrad) check_lists(fn, params, {&params, &grads, &exp_avgs, &exp_avg_sqs, &max_exp_avg_sqs});
  else check_lists(fn, params, {&params, &grads, &exp_avgs, &exp_avg_sqs});
  PE_CHECK(steps.size() == params.size(), fn, ": expected ", params.size(), " step tensors, got ", steps.size());
  bool on_device = false, on_host = false;
  for (const Tensor& s : steps) {
    PE_CHECK(s.defined() && s.numel() == 1 && (s.dtype() == DType::Float32 || s.dtype() == DType::Float64), fn,
             ": state steps must be one-element float32/float64 tensors");
    PE_CHECK(s.device().is_cpu() || s.device() == params[0].device(), fn,
             ": state steps must be on the CPU or on the parameters' device");
    (s.device().is_cpu() ? on_host : on_device) = true;
  }
  PE_CHECK(!(on_host && on_device), fn, ": state steps must all be on the CPU or all on the parameters' device");
  PE_CHECK(!(found_inf.defined() && on_host), fn,
           ": found_inf needs the state steps on the device (a skipped step must not count)");
  check_scalar(fn, "grad_scale", grad_scale, params[0].device());
  check_scalar(fn, "found_inf", found_inf, params[0].device());
  fused_adam_stub(params[0].device())(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, a, grad_scale,
                                      found_inf);
  bump_versions({&params, &exp_avgs, &exp_avg_sqs, &max_exp_avg_sqs, &steps});
  if (grad_scale.defined()) bump_versions({&grads});
}

void fused_rmsprop_(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                    const std::vector<Tensor>& square_avgs, const std::vector<Tensor>& grad_avgs,
                    const std::vector<Tensor>& momentum_buffers, const FusedRmspropArgs& a) {
  const char* fn = "_fused_rmsprop_";
  std::vector<const std::vector<Tensor>*> lists{&params, &grads, &square_avgs};
  if (a.centered) lists.push_back(&grad_avgs);
  if (a.momentum > 0) lists.push_back(&momentum_buffers);
  check_lists(fn, params, lists);
  fused_rmsprop_stub(params[0].device())(params, grads, square_avgs, grad_avgs, momentum_buffers, a);
  bump_versions({&params, &square_avgs, &grad_avgs, &momentum_buffers});
}

void fused_adagrad_(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                    const std::vector<Tensor>& state_sums, const std::vector<double>& clrs, const FusedAdagradArgs& a) {
  const char* fn = "_fused_adagrad_";
  check_lists(fn, params, {&params, &grads, &state_sums});
  PE_CHECK(clrs.size() == params.size(), fn, ": expected ", params.size(), " learning rates, got ", clrs.size());
  fused_adagrad_stub(params[0].device())(params, grads, state_sums, clrs, a);
  bump_versions({&params, &state_sums});
}

}  // namespace pe
