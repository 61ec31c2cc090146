// The CUDA kernels of the multi-tensor optimizer steps (ops/optim_fused.h).
//
// Note [Multi-tensor optimizer step]
// A launch takes a table, passed by value as the kernel's argument (no host-to-device copy, no
// sync): up to kMtTensors tensors' pointers and per-tensor scalars, and up to kMtBlocks (tensor,
// chunk) pairs, one block per kMtChunk elements. The host walks a group's tensors in order and
// launches whenever the table is full, so a step costs ceil(chunks / kMtBlocks) launches (plus one
// for the step counters of device-side steps), not ~10 per parameter. Each element is updated with
// the single-tensor path's operations in the same order and dtype (optim/sgd.py, optim/adam.py),
// so both paths give the same bits. found_inf (GradScaler): every thread reads it and returns when
// it is nonzero, so an overflowing step is skipped on the device; grad_scale divides the gradients
// (stored back unscaled), as PyTorch's fused kernels.
#include <cmath>
#include <type_traits>

#include "cuda/device.h"
#include "cuda/launch.cuh"
#include "cuda/optim_fused.h"
#include "ops/optim_fused.h"

namespace pe::cuda {
namespace {

constexpr int kMtTensors = 24, kMtBlocks = 192, kMtThreads = 256;
constexpr int64_t kMtChunk = 16384;

struct MtTensor {
  void* p;
  void* g;
  void* s0;  // momentum buffer / exp_avg / square_avg / sum
  void* s1;  // exp_avg_sq / grad_avg
  void* s2;  // max_exp_avg_sq / RMSprop's momentum buffer
  void* step;  // device step (Adam) or null
  int64_t numel;
  double step_size, bc2_sqrt;  // Adam with host steps: lr / (1 - beta1^step), (1 - beta2^step)^0.5; Adagrad's clr
  bool first;                  // SGD: the momentum buffer is new
};

struct MtTable {
  MtTensor t[kMtTensors];
  int32_t chunk[kMtBlocks];
  unsigned char tensor[kMtBlocks];
  bool step_double;  // device steps are float64
};

// This block's share of its tensor: elements [chunk_begin, chunk_end) of tab.t[tab.tensor[blockIdx.x]].
__device__ __forceinline__ int64_t chunk_begin(const MtTable& tab) { return (int64_t)tab.chunk[blockIdx.x] * kMtChunk; }
__device__ __forceinline__ int64_t chunk_end(const MtTensor& d, int64_t lo) {
  return lo + kMtChunk < d.numel ? lo + kMtChunk : d.numel;
}

template <class T>
__device__ __forceinline__ T nan_max(T a, T b) {  // pyengine.maximum: NaN propagates
  return (a != a || a > b) ? a : b;
}

template <class T>
__device__ __forceinline__ T lerp(T a, T b, T w) {  // LerpFunctor, for a float type (its own opmath)
  const T at = w < T(0) ? -w : w;
  return at < T(0.5) ? a + w * (b - a) : b - (b - a) * (T(1) - w);
}

// The gradient as the update sees it: divided by grad_scale (and stored back), negated for maximize.
template <class T>
__device__ __forceinline__ T load_grad(T* g, int64_t i, const float* grad_scale, bool maximize) {
  T v = g[i];
  if (grad_scale) {
    v = v / T(*grad_scale);
    g[i] = v;
  }
  return maximize ? -v : v;
}

template <class T>
__global__ void sgd_kernel(MtTable tab, FusedSgdArgs a, const float* grad_scale, const float* found_inf) {
  if (found_inf && *found_inf != 0.f) return;
  const MtTensor& d = tab.t[tab.tensor[blockIdx.x]];
  const int64_t lo = chunk_begin(tab), hi = chunk_end(d, lo);
  T* p = static_cast<T*>(d.p);
  T* g = static_cast<T*>(d.g);
  T* buf = static_cast<T*>(d.s0);
  const T wd = T(a.weight_decay), mom = T(a.momentum), damp1 = T(1 - a.dampening), neg_lr = T(-a.lr);
  for (int64_t i = lo + threadIdx.x; i < hi; i += blockDim.x) {
    T v = load_grad(g, i, grad_scale, a.maximize);
    const T pv = p[i];
    if (a.weight_decay != 0) v = v + wd * pv;
    if (a.momentum != 0) {
      T b;
      if (d.first) {
        b = v;
      } else {
        b = buf[i] * mom;
        b = b + damp1 * v;
      }
      buf[i] = b;
      v = a.nesterov ? v + mom * b : b;
    }
    p[i] = pv + neg_lr * v;
  }
}

// Device steps: step += 1 for each tensor of the table (skipped with the step on found_inf).
__global__ void step_increment_kernel(MtTable tab, int n, const float* found_inf) {
  if (found_inf && *found_inf != 0.f) return;
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  if (tab.step_double) *static_cast<double*>(tab.t[i].step) += 1.0;
  else *static_cast<float*>(tab.t[i].step) += 1.0f;
}

template <class T>
__global__ void adam_kernel(MtTable tab, FusedAdamArgs a, const float* grad_scale, const float* found_inf) {
  if (found_inf && *found_inf != 0.f) return;
  const MtTensor& d = tab.t[tab.tensor[blockIdx.x]];
  const int64_t lo = chunk_begin(tab), hi = chunk_end(d, lo);
  double step_size = d.step_size, bc2_sqrt = d.bc2_sqrt;
  if (d.step) {  // optim/adam.py's host arithmetic, in double, on the device's step
    const double step =
        tab.step_double ? *static_cast<const double*>(d.step) : (double)*static_cast<const float*>(d.step);
    step_size = a.lr / (1 - ::pow(a.beta1, step));
    bc2_sqrt = ::pow(1 - ::pow(a.beta2, step), 0.5);
  }
  T* p = static_cast<T*>(d.p);
  T* g = static_cast<T*>(d.g);
  T* m = static_cast<T*>(d.s0);
  T* v2 = static_cast<T*>(d.s1);
  T* vmax = static_cast<T*>(d.s2);
  const T decay = T(1 - a.lr * a.weight_decay), wd = T(a.weight_decay), w1 = T(1 - a.beta1), b2 = T(a.beta2),
          w2 = T(1 - a.beta2), bc2 = T(bc2_sqrt), eps = T(a.eps), neg_step = T(-step_size);
  for (int64_t i = lo + threadIdx.x; i < hi; i += blockDim.x) {
    T gv = load_grad(g, i, grad_scale, a.maximize);
    T pv = p[i];
    if (a.weight_decay != 0) {
      if (a.decoupled_weight_decay) pv = pv * decay;
      else gv = gv + wd * pv;
    }
    const T mv = lerp(m[i], gv, w1);
    m[i] = mv;
    T sq = v2[i] * b2;
    sq = sq + w2 * (gv * gv);
    v2[i] = sq;
    if (a.amsgrad) {
      sq = nan_max(vmax[i], sq);
      vmax[i] = sq;
    }
    const T denom = std::sqrt(sq) / bc2 + eps;
    p[i] = pv + neg_step * (mv / denom);
  }
}

// RMSprop, element by element as optim/rmsprop.py's loop: square_avg = square_avg * alpha + (1 - alpha) * g^2,
// the centred variant's lerp of grad_avg, avg = sqrt(...) + eps, then the momentum buffer or a direct step.
template <class T>
__global__ void rmsprop_kernel(MtTable tab, FusedRmspropArgs a) {
  const MtTensor& d = tab.t[tab.tensor[blockIdx.x]];
  const int64_t lo = chunk_begin(tab), hi = chunk_end(d, lo);
  T* p = static_cast<T*>(d.p);
  T* g = static_cast<T*>(d.g);
  T* sq = static_cast<T*>(d.s0);
  T* gavg = static_cast<T*>(d.s1);
  T* buf = static_cast<T*>(d.s2);
  const T wd = T(a.weight_decay), alpha = T(a.alpha), w = T(1 - a.alpha), eps = T(a.eps), mom = T(a.momentum),
          neg_lr = T(-a.lr);
  for (int64_t i = lo + threadIdx.x; i < hi; i += blockDim.x) {
    T gv = load_grad<T>(g, i, nullptr, a.maximize);
    const T pv = p[i];
    if (a.weight_decay != 0) gv = gv + wd * pv;
    T s = sq[i] * alpha;
    s = s + w * (gv * gv);
    sq[i] = s;
    T avg;
    if (a.centered) {
      const T ga = lerp(gavg[i], gv, w);
      gavg[i] = ga;
      avg = std::sqrt(s - ga * ga);
    } else {
      avg = std::sqrt(s);
    }
    avg = avg + eps;
    if (a.momentum > 0) {
      T b = buf[i] * mom;
      b = b + gv / avg;
      buf[i] = b;
      p[i] = pv + neg_lr * b;
    } else {
      p[i] = pv + neg_lr * (gv / avg);
    }
  }
}

// Adagrad as optim/adagrad.py's loop: sum += g^2, param -= clr * g / (sqrt(sum) + eps), clr per tensor.
template <class T>
__global__ void adagrad_kernel(MtTable tab, FusedAdagradArgs a) {
  const MtTensor& d = tab.t[tab.tensor[blockIdx.x]];
  const int64_t lo = chunk_begin(tab), hi = chunk_end(d, lo);
  T* p = static_cast<T*>(d.p);
  T* g = static_cast<T*>(d.g);
  T* sum = static_cast<T*>(d.s0);
  const T wd = T(a.weight_decay), eps = T(a.eps), neg_clr = T(-d.step_size);
  for (int64_t i = lo + threadIdx.x; i < hi; i += blockDim.x) {
    T gv = load_grad<T>(g, i, nullptr, a.maximize);
    const T pv = p[i];
    if (a.weight_decay != 0) gv = gv + wd * pv;
    const T s = sum[i] + gv * gv;
    sum[i] = s;
    const T std_ = std::sqrt(s) + eps;
    p[i] = pv + neg_clr * (gv / std_);
  }
}

const float* opt_f32(const Tensor& t) { return t.defined() ? static_cast<const float*>(t.raw_data()) : nullptr; }

// Fills tables tensor by tensor and calls launch(table, tensors in it, blocks in it) when one is full
// and at the end (blocks may be 0: tensors without elements still have their step counted).
// fill(i, entry) sets tensor i's entry.
template <class Fill, class Launch>
void for_each_table(size_t n, Fill fill, Launch launch) {
  MtTable tab{};
  int nt = 0, nb = 0;
  for (size_t i = 0; i < n; ++i) {
    if (nt == kMtTensors || nb == kMtBlocks) {
      launch(tab, nt, nb);
      nt = nb = 0;
    }
    MtTensor& e = tab.t[nt];
    e = MtTensor{};
    fill(i, e);
    const int64_t chunks = (e.numel + kMtChunk - 1) / kMtChunk;
    for (int64_t c = 0; c < chunks; ++c) {
      if (nb == kMtBlocks) {  // the tensor continues in the next table (c > 0 there)
        launch(tab, nt + 1, nb);
        tab.t[0] = tab.t[nt];
        nt = nb = 0;
      }
      tab.tensor[nb] = (unsigned char)nt;
      tab.chunk[nb] = (int32_t)c;
      ++nb;
    }
    ++nt;
  }
  if (nt > 0) launch(tab, nt, nb);
}

// One launch of k32 or k64 (by the parameters' dtype) per non-empty table, for the kernels that take only the
// table and their arguments.
template <class Fill, class A>
void launch_tables(const std::vector<Tensor>& params, Fill fill, void (*k32)(MtTable, A), void (*k64)(MtTable, A),
                   const A& a) {
  const bool f32 = params[0].dtype() == DType::Float32;
  for_each_table(params.size(), fill, [&](const MtTable& tab, int, int nb) {
    if (nb == 0) return;
    if (f32) launch_kernel(k32, dim3(nb), dim3(kMtThreads), 0, current_stream(), tab, a);
    else launch_kernel(k64, dim3(nb), dim3(kMtThreads), 0, current_stream(), tab, a);
  });
}

void fused_sgd_kernel(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                      const std::vector<Tensor>& bufs, const std::vector<bool>& first, const FusedSgdArgs& a,
                      const Tensor& grad_scale, const Tensor& found_inf) {
  DeviceGuard guard(params[0].device().index);
  const bool momentum = a.momentum != 0;
  auto fill = [&](size_t i, MtTensor& e) {
    e.numel = params[i].numel();
    e.p = params[i].raw_data();
    e.g = grads[i].raw_data();
    if (momentum) {
      e.s0 = bufs[i].raw_data();
      e.first = first[i];
    }
  };
  const float* gs = opt_f32(grad_scale);
  const float* fi = opt_f32(found_inf);
  if (params[0].dtype() == DType::Float32) {
    for_each_table(params.size(), fill, [&](const MtTable& tab, int, int nb) {
      if (nb > 0) launch_kernel(sgd_kernel<float>, dim3(nb), dim3(kMtThreads), 0, current_stream(), tab, a, gs, fi);
    });
  } else {
    for_each_table(params.size(), fill, [&](const MtTable& tab, int, int nb) {
      if (nb > 0) launch_kernel(sgd_kernel<double>, dim3(nb), dim3(kMtThreads), 0, current_stream(), tab, a, gs, fi);
    });
  }
}

void fused_adam_kernel(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                       const std::vector<Tensor>& exp_avgs, const std::vector<Tensor>& exp_avg_sqs,
                       const std::vector<Tensor>& max_exp_avg_sqs, const std::vector<Tensor>& steps,
                       const FusedAdamArgs& a, const Tensor& grad_scale, const Tensor& found_inf) {
  DeviceGuard guard(params[0].device().index);
  const bool device_steps = steps[0].device().is_cuda();
  const bool step_double = steps[0].dtype() == DType::Float64;
  auto fill = [&](size_t i, MtTensor& e) {
    e.numel = params[i].numel();
    e.p = params[i].raw_data();
    e.g = grads[i].raw_data();
    e.s0 = exp_avgs[i].raw_data();
    e.s1 = exp_avg_sqs[i].raw_data();
    if (a.amsgrad) e.s2 = max_exp_avg_sqs[i].raw_data();
    if (device_steps) {
      e.step = steps[i].raw_data();
      return;
    }
    // Host steps (a CPU tensor: reading it is no device sync): incremented here, as the loop's add_(1).
    double step;
    if (step_double) {
      double* s = static_cast<double*>(steps[i].raw_data());
      step = *s += 1.0;
    } else {
      float* s = static_cast<float*>(steps[i].raw_data());
      step = *s += 1.0f;
    }
    e.step_size = a.lr / (1 - std::pow(a.beta1, step));
    e.bc2_sqrt = std::pow(1 - std::pow(a.beta2, step), 0.5);
  };
  const float* gs = opt_f32(grad_scale);
  const float* fi = opt_f32(found_inf);
  const bool f32 = params[0].dtype() == DType::Float32;
  for_each_table(params.size(), fill, [&](MtTable& tab, int nt, int nb) {
    tab.step_double = step_double;
    if (device_steps) {
      // Increment the tensors first seen in this table: all but a continued first entry.
      const int from = nb > 0 && tab.chunk[0] != 0 ? 1 : 0;
      if (nt > from) {
        MtTable inc = tab;
        for (int j = from; j < nt; ++j) inc.t[j - from] = tab.t[j];
        launch_kernel(step_increment_kernel, dim3(1), dim3(kMtTensors), 0, current_stream(), inc, nt - from, fi);
      }
    }
    if (nb == 0) return;
    if (f32) launch_kernel(adam_kernel<float>, dim3(nb), dim3(kMtThreads), 0, current_stream(), tab, a, gs, fi);
    else launch_kernel(adam_kernel<double>, dim3(nb), dim3(kMtThreads), 0, current_stream(), tab, a, gs, fi);
  });
}

void fused_rmsprop_kernel(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                          const std::vector<Tensor>& square_avgs, const std::vector<Tensor>& grad_avgs,
                          const std::vector<Tensor>& momentum_buffers, const FusedRmspropArgs& a) {
  DeviceGuard guard(params[0].device().index);
  auto fill = [&](size_t i, MtTensor& e) {
    e.numel = params[i].numel();
    e.p = params[i].raw_data();
    e.g = grads[i].raw_data();
    e.s0 = square_avgs[i].raw_data();
    if (a.centered) e.s1 = grad_avgs[i].raw_data();
    if (a.momentum > 0) e.s2 = momentum_buffers[i].raw_data();
  };
  launch_tables(params, fill, rmsprop_kernel<float>, rmsprop_kernel<double>, a);
}

void fused_adagrad_kernel(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                          const std::vector<Tensor>& state_sums, const std::vector<double>& clrs,
                          const FusedAdagradArgs& a) {
  DeviceGuard guard(params[0].device().index);
  auto fill = [&](size_t i, MtTensor& e) {
    e.numel = params[i].numel();
    e.p = params[i].raw_data();
    e.g = grads[i].raw_data();
    e.s0 = state_sums[i].raw_data();
    e.step_size = clrs[i];
  };
  launch_tables(params, fill, adagrad_kernel<float>, adagrad_kernel<double>, a);
}

}  // namespace

void register_optim() {
  fused_rmsprop_stub.set(DeviceType::CUDA, &fused_rmsprop_kernel);
  fused_adagrad_stub.set(DeviceType::CUDA, &fused_adagrad_kernel);
  fused_sgd_stub.set(DeviceType::CUDA, &fused_sgd_kernel);
  fused_adam_stub.set(DeviceType::CUDA, &fused_adam_kernel);
}

}  // namespace pe::cuda
