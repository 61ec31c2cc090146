// CPU kernels of the elementwise losses. The loss kind is a template parameter so each inner loop
// is branch-free; reductions sum fixed-size chunks in double and add the chunk sums in order, so a
// result never depends on the thread count.
#include <cmath>
#include <vector>

#include "core/error.h"
#include "cpu/nn_kernel_util.h"
#include "ops/nn_stubs.h"

namespace pe::cpu {
namespace {

template <PointLoss K, class T>
struct LossOp {
  T beta;
  // Loss of one element (weight / pos_weight: 1 when absent).
  T forward(T x, T y, T w, T pw) const {
    if constexpr (K == PointLoss::Mse) {
      T d = x - y;
      return d * d * w;
    } else if constexpr (K == PointLoss::L1) {
      return std::abs(x - y) * w;
    } else if constexpr (K == PointLoss::SmoothL1) {
      T d = std::abs(x - y);
      return d < beta ? T(0.5) * d * d / beta : d - T(0.5) * beta;
    } else if constexpr (K == PointLoss::Bce) {
      T lx = std::max(std::log(x), T(-100)), l1x = std::max(std::log1p(-x), T(-100));
      return w * ((y - T(1)) * l1x - y * lx);
    } else {
      T log_sig = std::min(x, T(0)) - std::log1p(std::exp(-std::abs(x)));  // log(sigmoid(x)), stable
      T lw = (pw - T(1)) * y + T(1);
      return w * ((T(1) - y) * x - lw * log_sig);
    }
  }
  // d(loss)/dx of one element times the incoming gradient g.
  T backward(T x, T y, T w, T pw, T g) const {
    if constexpr (K == PointLoss::Mse) {
      return T(2) * (x - y) * g * w;
    } else if constexpr (K == PointLoss::L1) {
      T d = x - y;
      return T((d > 0) - (d < 0)) * g * w;
    } else if constexpr (K == PointLoss::SmoothL1) {
      T d = x - y;
      if (beta == T(0)) return T((d > 0) - (d < 0)) * g;
      return d < -beta ? -g : d > beta ? g : g * d / beta;
    } else if constexpr (K == PointLoss::Bce) {
      return g * w * (x - y) / std::max((T(1) - x) * x, T(1e-12));
    } else {
      T sig = T(1) / (T(1) + std::exp(-x));
      T t = pw * y;
      return g * w * ((t + T(1) - y) * sig - t);
    }
  }
};

constexpr int64_t kChunk = 8192;

// Sum of elem(0..n) in fixed chunks (double partials added in order: thread-count independent).
template <class F>
double chunked_sum(int64_t n, const F& elem) {
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  std::vector<double> partial(chunks);
  parallel_for(0, chunks, nn_grain(kChunk), [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c) {
      double s = 0;
      for (int64_t i = c * kChunk, end = std::min(n, i + kChunk); i < end; ++i) s += elem(i);
      partial[c] = s;
    }
  });
  double total = 0;
  for (double s : partial) total += s;
  return total;
}

// The divisor of 'mean': the element count, or sum(weight) for weighted mse/l1.
template <class T>
double mean_divisor(const PointLossArgs& a, const T* w, int64_t n) {
  if (!a.weight_mean || !w) return double(n);
  return chunked_sum(n, [&](int64_t i) { return double(w[i]); });
}

template <PointLoss K, class T>
void forward_impl(const PointLossArgs& a, T* out, const T* x, const T* y, const T* w, const T* pw, int64_t n) {
  if constexpr (K == PointLoss::Bce) {
    for (int64_t i = 0; i < n; ++i)
      PE_CHECK(x[i] >= T(0) && x[i] <= T(1), "all elements of input should be between 0 and 1");
  }
  LossOp<K, T> op{T(a.beta)};
  auto elem = [&](int64_t i) { return op.forward(x[i], y[i], w ? w[i] : T(1), pw ? pw[i] : T(1)); };
  if (a.reduction == Reduction::None) {
    parallel_for(0, n, kGrainSize, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) out[i] = elem(i);
    });
    return;
  }
  double total = chunked_sum(n, [&](int64_t i) { return double(elem(i)); });
  *out = T(a.reduction == Reduction::Mean ? total / mean_divisor(a, w, n) : total);  // mean of nothing: nan
}

template <PointLoss K, class T>
void backward_impl(const PointLossArgs& a, T* gi, const T* go, const T* x, const T* y, const T* w, const T* pw,
                   int64_t n) {
  LossOp<K, T> op{T(a.beta)};
  const bool per_elem = a.reduction == Reduction::None;
  const T scale = a.reduction == Reduction::Mean ? T(1.0 / mean_divisor(a, w, n)) : T(1);
  parallel_for(0, n, kGrainSize, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      gi[i] = op.backward(x[i], y[i], w ? w[i] : T(1), pw ? pw[i] : T(1), per_elem ? go[i] : go[0] * scale);
  });
}

template <class T>
const T* opt_ptr(const Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}

template <class F>
void with_kind(PointLoss k, const F& f) {
  switch (k) {
    case PointLoss::Mse: return f(std::integral_constant<PointLoss, PointLoss::Mse>());
    case PointLoss::L1: return f(std::integral_constant<PointLoss, PointLoss::L1>());
    case PointLoss::SmoothL1: return f(std::integral_constant<PointLoss, PointLoss::SmoothL1>());
    case PointLoss::Bce: return f(std::integral_constant<PointLoss, PointLoss::Bce>());
    case PointLoss::BceLogits: return f(std::integral_constant<PointLoss, PointLoss::BceLogits>());
  }
}

void point_loss_kernel(const PointLossArgs& a, const Tensor& out, const Tensor& x, const Tensor& y) {
  PE_DISPATCH_NN_FLOAT(x.dtype(), "pointwise_loss", [&] {
    with_kind(a.kind, [&](auto k) {
      forward_impl<decltype(k)::value, scalar_t>(a, out.data_ptr<scalar_t>(), x.data_ptr<scalar_t>(),
                                                 y.data_ptr<scalar_t>(), opt_ptr<scalar_t>(a.weight),
                                                 opt_ptr<scalar_t>(a.pos_weight), x.numel());
    });
  });
}

void point_loss_backward_kernel(const PointLossArgs& a, const Tensor& gi, const Tensor& go, const Tensor& x,
                                const Tensor& y) {
  PE_DISPATCH_NN_FLOAT(x.dtype(), "pointwise_loss_backward", [&] {
    with_kind(a.kind, [&](auto k) {
      backward_impl<decltype(k)::value, scalar_t>(a, gi.data_ptr<scalar_t>(), go.data_ptr<scalar_t>(),
                                                  x.data_ptr<scalar_t>(), y.data_ptr<scalar_t>(),
                                                  opt_ptr<scalar_t>(a.weight), opt_ptr<scalar_t>(a.pos_weight),
                                                  x.numel());
    });
  });
}

PE_REGISTER_KERNEL(point_loss_stub, CPU, &point_loss_kernel);
PE_REGISTER_KERNEL(point_loss_backward_stub, CPU, &point_loss_backward_kernel);

}  // namespace
}  // namespace pe::cpu
