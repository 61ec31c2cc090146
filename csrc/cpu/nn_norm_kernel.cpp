// CPU batch_norm / layer_norm kernels and their backward. Statistics are two-pass (mean, then the
// squared deviations) accumulated in double, so float32 inputs with a large mean keep their
// variance. Batch norm is threaded over channels, layer norm over rows; the reductions over rows in
// layer norm's weight/bias gradients run per column block in row order (thread-count independent).
#include <cmath>
#include <vector>

#include "cpu/nn_kernel_util.h"
#include "ops/nn_stubs.h"

namespace pe::cpu {
namespace {

template <class T>
const T* opt_ptr(const Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}
template <class T>
T* opt_mut(const Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}

template <class T>
void batch_norm_impl(T* out, T* save_mean, T* save_invstd, const T* x, const T* w, const T* b, T* rm, T* rv,
                     bool training, double momentum, double eps, int64_t n, int64_t c, int64_t s) {
  const int64_t count = n * s;
  parallel_for(0, c, nn_grain(count), [&](int64_t cb, int64_t ce) {
    for (int64_t ch = cb; ch < ce; ++ch) {
      double mean, invstd;
      if (training) {
        double sum = 0;
        for (int64_t i = 0; i < n; ++i)
          for (int64_t j = 0; j < s; ++j) sum += x[(i * c + ch) * s + j];
        mean = sum / double(count);
        double sq = 0;
        for (int64_t i = 0; i < n; ++i)
          for (int64_t j = 0; j < s; ++j) {
            double d = x[(i * c + ch) * s + j] - mean;
            sq += d * d;
          }
        double var = sq / double(count);
        invstd = 1.0 / std::sqrt(var + eps);
        save_mean[ch] = T(mean);
        save_invstd[ch] = T(invstd);
        if (rm) rm[ch] = T((1.0 - momentum) * double(rm[ch]) + momentum * mean);
        if (rv) rv[ch] = T((1.0 - momentum) * double(rv[ch]) + momentum * sq / double(count - 1));
      } else {
        mean = rm[ch];
        invstd = 1.0 / std::sqrt(double(rv[ch]) + eps);
      }
      // out = x * a + beta with a = w * invstd, beta = b - mean * a
      T a = T((w ? double(w[ch]) : 1.0) * invstd);
      T beta = T((b ? double(b[ch]) : 0.0) - mean * double(a));
      for (int64_t i = 0; i < n; ++i) {
        const T* xr = x + (i * c + ch) * s;
        T* yr = out + (i * c + ch) * s;
        for (int64_t j = 0; j < s; ++j) yr[j] = xr[j] * a + beta;
      }
    }
  });
}

template <class T>
void batch_norm_backward_impl(T* gi, T* gw, T* gb, const T* go, const T* x, const T* w, const T* mean_p,
                              const T* stat, bool training, double eps, int64_t n, int64_t c, int64_t s) {
  const int64_t count = n * s;
  parallel_for(0, c, nn_grain(count), [&](int64_t cb, int64_t ce) {
    for (int64_t ch = cb; ch < ce; ++ch) {
      double mean = mean_p[ch];
      double invstd = training ? double(stat[ch]) : 1.0 / std::sqrt(double(stat[ch]) + eps);
      double sum_g = 0, sum_gx = 0;  // sum(g), sum(g * (x - mean))
      for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < s; ++j) {
          int64_t k = (i * c + ch) * s + j;
          sum_g += go[k];
          sum_gx += double(go[k]) * (double(x[k]) - mean);
        }
      if (gb) gb[ch] = T(sum_g);
      if (gw) gw[ch] = T(sum_gx * invstd);
      if (!gi) continue;
      double wv = w ? double(w[ch]) : 1.0;
      if (!training) {
        T a = T(wv * invstd);
        for (int64_t i = 0; i < n; ++i)
          for (int64_t j = 0; j < s; ++j) gi[(i * c + ch) * s + j] = go[(i * c + ch) * s + j] * a;
        continue;
      }
      // gi = w * invstd * (g - mean(g) - (x - mean) * invstd^2 * mean(g * (x - mean)))
      double mg = sum_g / double(count), proj = sum_gx / double(count) * invstd * invstd;
      double a = wv * invstd;
      for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < s; ++j) {
          int64_t k = (i * c + ch) * s + j;
          gi[k] = T(a * (double(go[k]) - mg - (double(x[k]) - mean) * proj));
        }
    }
  });
}

template <class T>
void layer_norm_impl(T* out, T* mean_p, T* rstd_p, const T* x, const T* w, const T* b, double eps, int64_t m,
                     int64_t k) {
  parallel_for(0, m, nn_grain(k), [&](int64_t rb, int64_t re) {
    for (int64_t r = rb; r < re; ++r) {
      const T* xr = x + r * k;
      T* yr = out + r * k;
      double sum = 0;
      for (int64_t j = 0; j < k; ++j) sum += xr[j];
      double mean = sum / double(k), sq = 0;
      for (int64_t j = 0; j < k; ++j) sq += (xr[j] - mean) * (xr[j] - mean);
      double rstd = 1.0 / std::sqrt(sq / double(k) + eps);
      mean_p[r] = T(mean);
      rstd_p[r] = T(rstd);
      T tm = T(mean), tr = T(rstd);
      for (int64_t j = 0; j < k; ++j) {
        T v = (xr[j] - tm) * tr;
        yr[j] = v * (w ? w[j] : T(1)) + (b ? b[j] : T(0));
      }
    }
  });
}

template <class T>
void layer_norm_backward_impl(T* gi, T* gw, T* gb, const T* go, const T* x, const T* mean_p, const T* rstd_p,
                              const T* w, int64_t m, int64_t k) {
  if (gi) {
    parallel_for(0, m, nn_grain(k), [&](int64_t rb, int64_t re) {
      for (int64_t r = rb; r < re; ++r) {
        const T* xr = x + r * k;
        const T* gr = go + r * k;
        double mean = mean_p[r], rstd = rstd_p[r];
        double s1 = 0, s2 = 0;  // sum(dxhat), sum(dxhat * xhat)
        for (int64_t j = 0; j < k; ++j) {
          double dxh = double(gr[j]) * (w ? double(w[j]) : 1.0);
          s1 += dxh;
          s2 += dxh * (double(xr[j]) - mean) * rstd;
        }
        double m1 = s1 / double(k), m2 = s2 / double(k);
        for (int64_t j = 0; j < k; ++j) {
          double dxh = double(gr[j]) * (w ? double(w[j]) : 1.0);
          double xh = (double(xr[j]) - mean) * rstd;
          gi[r * k + j] = T(rstd * (dxh - m1 - xh * m2));
        }
      }
    });
  }
  if (gw || gb) {
    parallel_for(0, k, nn_grain(m), [&](int64_t cb, int64_t ce) {
      std::vector<double> sw(ce - cb, 0.0), sb(ce - cb, 0.0);
      for (int64_t r = 0; r < m; ++r) {
        double mean = mean_p[r], rstd = rstd_p[r];
        for (int64_t j = cb; j < ce; ++j) {
          double g = go[r * k + j];
          sw[j - cb] += g * (double(x[r * k + j]) - mean) * rstd;
          sb[j - cb] += g;
        }
      }
      for (int64_t j = cb; j < ce; ++j) {
        if (gw) gw[j] = T(sw[j - cb]);
        if (gb) gb[j] = T(sb[j - cb]);
      }
    });
  }
}

void batch_norm_kernel(const Tensor& out, const Tensor& mean, const Tensor& invstd, const Tensor& x,
                       const Tensor& w, const Tensor& b, const Tensor& rm, const Tensor& rv, bool training,
                       double momentum, double eps, int64_t n, int64_t c, int64_t s) {
  PE_DISPATCH_NN_FLOAT(x.dtype(), "batch_norm", [&] {
    batch_norm_impl(out.data_ptr<scalar_t>(), opt_mut<scalar_t>(mean), opt_mut<scalar_t>(invstd),
                    x.data_ptr<scalar_t>(), opt_ptr<scalar_t>(w), opt_ptr<scalar_t>(b), opt_mut<scalar_t>(rm),
                    opt_mut<scalar_t>(rv), training, momentum, eps, n, c, s);
  });
}
void batch_norm_backward_kernel(const Tensor& gi, const Tensor& gw, const Tensor& gb, const Tensor& go,
                                const Tensor& x, const Tensor& w, const Tensor& mean, const Tensor& stat,
                                bool training, double eps, int64_t n, int64_t c, int64_t s) {
  PE_DISPATCH_NN_FLOAT(x.dtype(), "batch_norm_backward", [&] {
    batch_norm_backward_impl(opt_mut<scalar_t>(gi), opt_mut<scalar_t>(gw), opt_mut<scalar_t>(gb),
                             go.data_ptr<scalar_t>(), x.data_ptr<scalar_t>(), opt_ptr<scalar_t>(w),
                             mean.data_ptr<scalar_t>(), stat.data_ptr<scalar_t>(), training, eps, n, c, s);
  });
}
void layer_norm_kernel(const Tensor& out, const Tensor& mean, const Tensor& rstd, const Tensor& x, const Tensor& w,
                       const Tensor& b, double eps, int64_t m, int64_t k) {
  PE_DISPATCH_NN_FLOAT(x.dtype(), "layer_norm", [&] {
    layer_norm_impl(out.data_ptr<scalar_t>(), mean.data_ptr<scalar_t>(), rstd.data_ptr<scalar_t>(),
                    x.data_ptr<scalar_t>(), opt_ptr<scalar_t>(w), opt_ptr<scalar_t>(b), eps, m, k);
  });
}
void layer_norm_backward_kernel(const Tensor& gi, const Tensor& gw, const Tensor& gb, const Tensor& go,
                                const Tensor& x, const Tensor& mean, const Tensor& rstd, const Tensor& w, int64_t m,
                                int64_t k) {
  PE_DISPATCH_NN_FLOAT(x.dtype(), "layer_norm_backward", [&] {
    layer_norm_backward_impl(opt_mut<scalar_t>(gi), opt_mut<scalar_t>(gw), opt_mut<scalar_t>(gb),
                             go.data_ptr<scalar_t>(), x.data_ptr<scalar_t>(), mean.data_ptr<scalar_t>(),
                             rstd.data_ptr<scalar_t>(), opt_ptr<scalar_t>(w), m, k);
  });
}

PE_REGISTER_KERNEL(batch_norm_stub, CPU, &batch_norm_kernel);
PE_REGISTER_KERNEL(batch_norm_backward_stub, CPU, &batch_norm_backward_kernel);
PE_REGISTER_KERNEL(layer_norm_stub, CPU, &layer_norm_kernel);
PE_REGISTER_KERNEL(layer_norm_backward_stub, CPU, &layer_norm_backward_kernel);

}  // namespace
}  // namespace pe::cpu
