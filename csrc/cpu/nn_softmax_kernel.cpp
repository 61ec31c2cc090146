// CPU softmax / log_softmax and their backward over an (outer, dim, inner) contiguous view. Max
// subtraction keeps large logits finite; rows are split across threads. For inner > 1 each outer
// slice is processed as whole inner-length rows so the loops stay unit-stride (vectorizable).
// Sums of exponentials accumulate in double, so a float32 row of a million elements keeps
// ~1e-7 relative accuracy (a float running sum drifts by ~1e-4 there).
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "cpu/nn_kernel_util.h"
#include "ops/nn_stubs.h"

namespace pe::cpu {
namespace {

template <class T>
void softmax_rows(T* out, const T* in, int64_t outer, int64_t d, bool log) {
  parallel_for(0, outer, nn_grain(d), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const T* x = in + i * d;
      T* y = out + i * d;
      T m = -std::numeric_limits<T>::infinity();
      for (int64_t j = 0; j < d; ++j) m = std::max(m, x[j]);
      for (int64_t j = 0; j < d; ++j) m = std::isnan(x[j]) ? x[j] : m;  // NaN propagates
      double sum = 0;
      if (log) {
        for (int64_t j = 0; j < d; ++j) sum += std::exp(x[j] - m);
        // (x - m) - log(sum), not x - (m + log(sum)): the latter rounds at the scale of m.
        T ls = static_cast<T>(std::log(sum));
        for (int64_t j = 0; j < d; ++j) y[j] = (x[j] - m) - ls;
      } else {
        for (int64_t j = 0; j < d; ++j) {
          y[j] = std::exp(x[j] - m);
          sum += y[j];
        }
        T inv = static_cast<T>(1.0 / sum);
        for (int64_t j = 0; j < d; ++j) y[j] *= inv;
      }
    }
  });
}

template <class T>
void softmax_inner(T* out, const T* in, int64_t outer, int64_t d, int64_t inner, bool log) {
  parallel_for(0, outer, nn_grain(d * inner), [&](int64_t b, int64_t e) {
    std::vector<T> m(inner), scale(inner);
    std::vector<double> sum(inner);
    for (int64_t i = b; i < e; ++i) {
      const T* x = in + i * d * inner;
      T* y = out + i * d * inner;
      std::fill(m.begin(), m.end(), -std::numeric_limits<T>::infinity());
      std::fill(sum.begin(), sum.end(), 0.0);
      for (int64_t j = 0; j < d; ++j)
        for (int64_t k = 0; k < inner; ++k) {
          T v = x[j * inner + k];
          m[k] = (v > m[k] || std::isnan(v)) ? v : m[k];
        }
      for (int64_t j = 0; j < d; ++j)
        for (int64_t k = 0; k < inner; ++k) {
          T ev = std::exp(x[j * inner + k] - m[k]);
          if (!log) y[j * inner + k] = ev;
          sum[k] += ev;
        }
      if (log) {
        for (int64_t k = 0; k < inner; ++k) scale[k] = static_cast<T>(std::log(sum[k]));
        for (int64_t j = 0; j < d; ++j)
          for (int64_t k = 0; k < inner; ++k) y[j * inner + k] = (x[j * inner + k] - m[k]) - scale[k];
      } else {
        for (int64_t k = 0; k < inner; ++k) scale[k] = static_cast<T>(1.0 / sum[k]);
        for (int64_t j = 0; j < d; ++j)
          for (int64_t k = 0; k < inner; ++k) y[j * inner + k] *= scale[k];
      }
    }
  });
}

// softmax: gi = y * (g - sum(g * y));  log_softmax: gi = g - exp(y) * sum(g)
template <class T>
void softmax_backward_impl(T* gi, const T* g, const T* y, int64_t outer, int64_t d, int64_t inner, bool log) {
  parallel_for(0, outer, nn_grain(d * inner), [&](int64_t b, int64_t e) {
    std::vector<double> acc(inner);
    std::vector<T> s(inner);
    for (int64_t i = b; i < e; ++i) {
      const int64_t base = i * d * inner;
      std::fill(acc.begin(), acc.end(), 0.0);
      for (int64_t j = 0; j < d; ++j)
        for (int64_t k = 0; k < inner; ++k) {
          int64_t p = base + j * inner + k;
          acc[k] += log ? g[p] : g[p] * y[p];
        }
      for (int64_t k = 0; k < inner; ++k) s[k] = static_cast<T>(acc[k]);
      for (int64_t j = 0; j < d; ++j)
        for (int64_t k = 0; k < inner; ++k) {
          int64_t p = base + j * inner + k;
          gi[p] = log ? g[p] - std::exp(y[p]) * s[k] : y[p] * (g[p] - s[k]);
        }
    }
  });
}

void softmax_kernel(const Tensor& out, const Tensor& input, int64_t outer, int64_t d, int64_t inner, bool log) {
  PE_DISPATCH_NN_FLOAT(input.dtype(), "softmax", [&] {
    if (inner == 1) softmax_rows(out.data_ptr<scalar_t>(), input.data_ptr<scalar_t>(), outer, d, log);
    else softmax_inner(out.data_ptr<scalar_t>(), input.data_ptr<scalar_t>(), outer, d, inner, log);
  });
}

void softmax_backward_kernel(const Tensor& gi, const Tensor& g, const Tensor& y, int64_t outer, int64_t d,
                             int64_t inner, bool log) {
  PE_DISPATCH_NN_FLOAT(y.dtype(), "softmax_backward", [&] {
    softmax_backward_impl(gi.data_ptr<scalar_t>(), g.data_ptr<scalar_t>(), y.data_ptr<scalar_t>(), outer, d,
                          inner, log);
  });
}

PE_REGISTER_KERNEL(softmax_stub, CPU, &softmax_kernel);
PE_REGISTER_KERNEL(softmax_backward_stub, CPU, &softmax_backward_kernel);

}  // namespace
}  // namespace pe::cpu
