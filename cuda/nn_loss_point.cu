// CUDA kernels of the elementwise losses (mse, l1, smooth_l1, bce, bce_with_logits) over same-shape
// contiguous operands, with the element formulas of the CPU kernels (cpu/nn_loss_point_kernel.cpp).
// Reductions: each block sums a fixed share in double, then one block adds the block sums in order
// (deterministic). bce's range check runs on the device and is read back before anything is written.
#include <cmath>

#include "cuda/device_assert.cuh"
#include "cuda/nn_kernels.h"
#include "cuda/nn_util.cuh"
#include "ops/ops.h"

namespace pe::cuda {
namespace {

constexpr int kSumBlocks = 128;  // blocks of the first reduction stage

template <class T>
struct LossOp {
  PointLoss kind;
  T beta;
  __device__ T forward(T x, T y, T w, T pw) const {
    switch (kind) {
      case PointLoss::Mse: {
        const T d = x - y;
        return d * d * w;
      }
      case PointLoss::L1: return std::abs(x - y) * w;
      case PointLoss::SmoothL1: {
        const T d = std::abs(x - y);
        return d < beta ? T(0.5) * d * d / beta : d - T(0.5) * beta;
      }
      case PointLoss::Bce: {
        const T lx = dmax(std::log(x), T(-100)), l1x = dmax(std::log1p(-x), T(-100));
        return w * ((y - T(1)) * l1x - y * lx);
      }
      default: {
        const T log_sig = dmin(x, T(0)) - std::log1p(std::exp(-std::abs(x)));
        const T lw = (pw - T(1)) * y + T(1);
        return w * ((T(1) - y) * x - lw * log_sig);
      }
    }
  }
  __device__ T backward(T x, T y, T w, T pw, T g) const {
    switch (kind) {
      case PointLoss::Mse: return T(2) * (x - y) * g * w;
      case PointLoss::L1: {
        const T d = x - y;
        return T((d > 0) - (d < 0)) * g * w;
      }
      case PointLoss::SmoothL1: {
        const T d = x - y;
        if (beta == T(0)) return T((d > 0) - (d < 0)) * g;
        return d < -beta ? -g : d > beta ? g : g * d / beta;
      }
      case PointLoss::Bce: return g * w * (x - y) / dmax((T(1) - x) * x, T(1e-12));
      default: {
        const T sig = T(1) / (T(1) + std::exp(-x));
        const T t = pw * y;
        return g * w * ((t + T(1) - y) * sig - t);
      }
    }
  }
};

template <class T>
struct Operands {
  const T *x, *y, *w, *pw;
  __device__ T loss(const LossOp<T>& op, int64_t i) const {
    return op.forward(x[i], y[i], w ? w[i] : T(1), pw ? pw[i] : T(1));
  }
};

template <class T>
__global__ void loss_none_kernel(T* out, Operands<T> a, LossOp<T> op, int64_t n) {
  PE_CUDA_GRID_LOOP(i, n) out[i] = a.loss(op, i);
}

// partial[b] = block b's share of the loss sum (and of the weight sum, for a weighted mean).
template <class T>
__global__ void loss_partial_kernel(double* partial, Operands<T> a, LossOp<T> op, int64_t n, bool weight_sum) {
  __shared__ double smem[32];
  double s = 0, ws = 0;
  PE_CUDA_GRID_LOOP(i, n) {
    s += (double)a.loss(op, i);
    if (weight_sum) ws += (double)a.w[i];
  }
  s = block_reduce(s, smem, SumOf());
  ws = block_reduce(ws, smem, SumOf());
  if (threadIdx.x == 0) {
    partial[blockIdx.x] = s;
    partial[gridDim.x + blockIdx.x] = ws;
  }
}

// out = sum (Sum) or sum / divisor (Mean: the count, or the weight sum); scale = 1 / divisor.
template <class T>
__global__ void loss_finish_kernel(T* out, T* scale, const double* partial, int nparts, int64_t n, Reduction r,
                                   bool weight_sum) {
  __shared__ double smem[32];
  double s = 0, ws = 0;
  for (int b = threadIdx.x; b < nparts; b += blockDim.x) s += partial[b], ws += partial[nparts + b];
  s = block_reduce(s, smem, SumOf());
  ws = block_reduce(ws, smem, SumOf());
  if (threadIdx.x == 0) {
    const double div = weight_sum ? ws : double(n);
    if (out) *out = T(r == Reduction::Mean ? s / div : s);  // mean of nothing: nan
    if (scale) *scale = r == Reduction::Mean ? T(1.0 / div) : T(1);
  }
}

template <class T>
__global__ void loss_backward_kernel(T* gi, const T* go, const T* scale, Operands<T> a, LossOp<T> op, int64_t n,
                                     bool per_elem) {
  PE_CUDA_GRID_LOOP(i, n) {
    gi[i] = op.backward(a.x[i], a.y[i], a.w ? a.w[i] : T(1), a.pw ? a.pw[i] : T(1), per_elem ? go[i] : go[0] * *scale);
  }
}

template <class T>
__global__ void unit_range_kernel(const T* x, int64_t n, DeviceAssertSlot* slot) {
  PE_CUDA_GRID_LOOP(i, n) {
    if (!(x[i] >= T(0) && x[i] <= T(1))) report_index_out_of_bounds(slot, AssertKind::UnitRange, i, n, -1);
  }
}

template <class T>
T* ptr(const Tensor& t) {
  return static_cast<T*>(t.raw_data());
}

template <class T>
Operands<T> operands(const PointLossArgs& a, const Tensor& x, const Tensor& y) {
  return {ptr<T>(x), ptr<T>(y), opt_ptr<T>(a.weight), opt_ptr<T>(a.pos_weight)};
}

// Runs the two reduction stages: writes out and/or scale (0-d tensors of dtype T).
template <class T>
void reduce_loss(const PointLossArgs& a, const Operands<T>& ops, const LossOp<T>& op, int64_t n, T* out, T* scale,
                 Device dev) {
  const bool weight_sum = a.weight_mean && ops.w;
  const int parts = (int)std::min<int64_t>(kSumBlocks, std::max<int64_t>(1, (n + kNnBlock - 1) / kNnBlock));
  Tensor partial = make_empty({2 * parts}, DType::Float64, dev);
  auto* pp = static_cast<double*>(partial.raw_data());
  if (n > 0) launch_kernel(loss_partial_kernel<T>, (unsigned)parts, kNnBlock, 0, current_stream(), pp, ops, op, n, weight_sum);
  else fill_(partial, Scalar(0.0));
  launch_kernel(loss_finish_kernel<T>, 1u, kNnBlock, 0, current_stream(), out, scale, (const double*)pp, parts, n,
                a.reduction, weight_sum);
}

}  // namespace

void point_loss_kernel(const PointLossArgs& a, const Tensor& out, const Tensor& x, const Tensor& y) {
  DeviceGuard guard(x.device().index);
  const int64_t n = x.numel();
  PE_CUDA_DISPATCH_NN_FLOAT(x.dtype(), "pointwise_loss", [&] {
    using T = scalar_t;
    if (a.kind == PointLoss::Bce && n > 0) {
      // A device assert (Note [Device asserts]): raised at the next synchronisation, no host read here.
      launch_kernel(unit_range_kernel<T>, nn_grid(n), kNnBlock, 0, current_stream(), (const T*)ptr<T>(x), n,
                    device_assert_slot());
    }
    const LossOp<T> op{a.kind, T(a.beta)};
    const Operands<T> ops = n ? operands<T>(a, x, y) : Operands<T>{};
    if (a.reduction == Reduction::None) {
      if (n > 0) launch_kernel(loss_none_kernel<T>, nn_grid(n), kNnBlock, 0, current_stream(), ptr<T>(out), ops, op, n);
      return;
    }
    reduce_loss<T>(a, ops, op, n, ptr<T>(out), nullptr, x.device());
  });
}

void point_loss_backward_kernel(const PointLossArgs& a, const Tensor& gi, const Tensor& go, const Tensor& x,
                                const Tensor& y) {
  const int64_t n = x.numel();
  if (n == 0) return;
  DeviceGuard guard(x.device().index);
  PE_CUDA_DISPATCH_NN_FLOAT(x.dtype(), "pointwise_loss_backward", [&] {
    using T = scalar_t;
    const LossOp<T> op{a.kind, T(a.beta)};
    const Operands<T> ops = operands<T>(a, x, y);
    const bool per_elem = a.reduction == Reduction::None;
    const bool weight_sum = a.weight_mean && ops.w;
    const double s = a.reduction == Reduction::Mean && !weight_sum ? 1.0 / double(n) : 1.0;
    Tensor scale = full({}, Scalar(s), TensorOptions{x.dtype(), x.device()});
    if (a.reduction == Reduction::Mean && weight_sum) reduce_loss<T>(a, ops, op, n, nullptr, ptr<T>(scale), x.device());
    launch_kernel(loss_backward_kernel<T>, nn_grid(n), kNnBlock, 0, current_stream(), ptr<T>(gi), (const T*)ptr<T>(go),
                  (const T*)ptr<T>(scale), ops, op, n, per_elem);
  });
}

}  // namespace pe::cuda
