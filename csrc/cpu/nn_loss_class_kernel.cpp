// CPU kernels of the class losses over (n, c, s) inputs and (n, s) int64 targets. Sums accumulate
// in double, serially in sample order, so results do not depend on the thread count; targets are
// validated before anything is written (the only kernels that raise: IndexError as PyTorch).
#include <cmath>

#include "core/error.h"
#include "cpu/nn_kernel_util.h"
#include "ops/nn_stubs.h"

namespace pe::cpu {
namespace {

void check_targets(const ClassLossGeom& g, const int64_t* t) {
  for (int64_t i = 0; i < g.n * g.s; ++i)
    PE_CHECK_INDEX(t[i] == g.ignore_index || (t[i] >= 0 && t[i] < g.c), "Target ", t[i], " is out of bounds.");
}

template <class T>
void nll_impl(const ClassLossGeom& g, T* out, T* total, const T* x, const int64_t* t, const T* w) {
  check_targets(g, t);
  double sum = 0, wsum = 0;
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t s = 0; s < g.s; ++s) {
      int64_t i = n * g.s + s, cls = t[i];
      if (cls == g.ignore_index) {
        if (g.reduction == Reduction::None) out[i] = T(0);
        continue;
      }
      T wc = w ? w[cls] : T(1);
      T v = -x[(n * g.c + cls) * g.s + s] * wc;
      if (g.reduction == Reduction::None) out[i] = v;
      sum += v;
      wsum += wc;
    }
  *total = T(wsum);
  if (g.reduction == Reduction::Sum) *out = T(sum);
  if (g.reduction == Reduction::Mean) *out = T(sum / wsum);  // 0/0 = nan when everything is ignored
}

template <class T>
void nll_backward_impl(const ClassLossGeom& g, T* gi, const T* go, const int64_t* t, const T* w, T total) {
  check_targets(g, t);
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t s = 0; s < g.s; ++s) {
      int64_t i = n * g.s + s, cls = t[i];
      if (cls == g.ignore_index) continue;
      T gv = g.reduction == Reduction::None ? go[i] : g.reduction == Reduction::Mean ? go[0] / total : go[0];
      gi[(n * g.c + cls) * g.s + s] = -gv * (w ? w[cls] : T(1));
    }
}

// -sum_c w_c x[n, c, s] for one sample.
template <class T>
double weighted_class_sum(const ClassLossGeom& g, const T* x, const T* w, const T* p, int64_t n, int64_t s) {
  double acc = 0;
  for (int64_t c = 0; c < g.c; ++c) {
    int64_t k = (n * g.c + c) * g.s + s;
    acc += double(x[k]) * (w ? double(w[c]) : 1.0) * (p ? double(p[k]) : 1.0);
  }
  return -acc;
}

template <class T>
double smooth_denominator(const ClassLossGeom& g, const int64_t* t, const T* w) {
  double d = 0;
  for (int64_t i = 0; i < g.n * g.s; ++i)
    if (t[i] != g.ignore_index) d += w ? double(w[t[i]]) : 1.0;
  return d;
}

template <class T>
void smooth_impl(const ClassLossGeom& g, T* out, const T* x, const int64_t* t, const T* w) {
  check_targets(g, t);
  double sum = 0;
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t s = 0; s < g.s; ++s) {
      int64_t i = n * g.s + s;
      double v = t[i] == g.ignore_index ? 0.0 : weighted_class_sum<T>(g, x, w, nullptr, n, s);
      if (g.reduction == Reduction::None) out[i] = T(v);
      sum += v;
    }
  if (g.reduction == Reduction::Sum) *out = T(sum);
  if (g.reduction == Reduction::Mean) *out = T(sum / smooth_denominator(g, t, w));
}

template <class T>
void smooth_backward_impl(const ClassLossGeom& g, T* gi, const T* go, const int64_t* t, const T* w) {
  check_targets(g, t);
  T scale = g.reduction == Reduction::Mean ? T(1.0 / smooth_denominator(g, t, w)) : T(1);
  parallel_for(0, g.n, nn_grain(g.c * g.s), [&](int64_t b, int64_t e) {
    for (int64_t n = b; n < e; ++n)
      for (int64_t c = 0; c < g.c; ++c)
        for (int64_t s = 0; s < g.s; ++s) {
          int64_t i = n * g.s + s;
          T gv = g.reduction == Reduction::None ? go[i] : go[0] * scale;
          gi[(n * g.c + c) * g.s + s] = t[i] == g.ignore_index ? T(0) : -gv * (w ? w[c] : T(1));
        }
  });
}

template <class T>
void soft_impl(const ClassLossGeom& g, T* out, const T* x, const T* p, const T* w) {
  double sum = 0;
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t s = 0; s < g.s; ++s) {
      double v = weighted_class_sum<T>(g, x, w, p, n, s);
      if (g.reduction == Reduction::None) out[n * g.s + s] = T(v);
      sum += v;
    }
  if (g.reduction == Reduction::Sum) *out = T(sum);
  if (g.reduction == Reduction::Mean) *out = T(sum / double(g.n * g.s));
}

template <class T>
void soft_backward_impl(const ClassLossGeom& g, T* gi, T* gt, const T* go, const T* x, const T* p, const T* w) {
  T scale = g.reduction == Reduction::Mean ? T(1.0 / double(g.n * g.s)) : T(1);
  parallel_for(0, g.n, nn_grain(g.c * g.s), [&](int64_t b, int64_t e) {
    for (int64_t n = b; n < e; ++n)
      for (int64_t c = 0; c < g.c; ++c)
        for (int64_t s = 0; s < g.s; ++s) {
          T gv = g.reduction == Reduction::None ? go[n * g.s + s] : go[0] * scale;
          T f = -gv * (w ? w[c] : T(1));
          int64_t k = (n * g.c + c) * g.s + s;
          gi[k] = f * p[k];
          gt[k] = f * x[k];
        }
  });
}

template <class T>
const T* opt_ptr(const Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}

void nll_kernel(const ClassLossGeom& g, const Tensor& out, const Tensor& total, const Tensor& x, const Tensor& t,
                const Tensor& w) {
  PE_DISPATCH_NN_FLOAT(x.dtype(), "nll_loss", [&] {
    nll_impl(g, out.data_ptr<scalar_t>(), total.data_ptr<scalar_t>(), x.data_ptr<scalar_t>(), t.data_ptr<int64_t>(),
             opt_ptr<scalar_t>(w));
  });
}
void nll_backward_kernel(const ClassLossGeom& g, const Tensor& gi, const Tensor& go, const Tensor& t,
                         const Tensor& w, const Tensor& total) {
  PE_DISPATCH_NN_FLOAT(gi.dtype(), "nll_loss_backward", [&] {
    nll_backward_impl(g, gi.data_ptr<scalar_t>(), go.data_ptr<scalar_t>(), t.data_ptr<int64_t>(),
                      opt_ptr<scalar_t>(w), *total.data_ptr<scalar_t>());
  });
}
void smooth_kernel(const ClassLossGeom& g, const Tensor& out, const Tensor& x, const Tensor& t, const Tensor& w) {
  PE_DISPATCH_NN_FLOAT(x.dtype(), "nll_loss_smooth", [&] {
    smooth_impl(g, out.data_ptr<scalar_t>(), x.data_ptr<scalar_t>(), t.data_ptr<int64_t>(), opt_ptr<scalar_t>(w));
  });
}
void smooth_backward_kernel(const ClassLossGeom& g, const Tensor& gi, const Tensor& go, const Tensor& t,
                            const Tensor& w) {
  PE_DISPATCH_NN_FLOAT(gi.dtype(), "nll_loss_smooth_backward", [&] {
    smooth_backward_impl(g, gi.data_ptr<scalar_t>(), go.data_ptr<scalar_t>(), t.data_ptr<int64_t>(),
                         opt_ptr<scalar_t>(w));
  });
}
void soft_kernel(const ClassLossGeom& g, const Tensor& out, const Tensor& x, const Tensor& p, const Tensor& w) {
  PE_DISPATCH_NN_FLOAT(x.dtype(), "soft_nll_loss", [&] {
    soft_impl(g, out.data_ptr<scalar_t>(), x.data_ptr<scalar_t>(), p.data_ptr<scalar_t>(), opt_ptr<scalar_t>(w));
  });
}
void soft_backward_kernel(const ClassLossGeom& g, const Tensor& gi, const Tensor& gt, const Tensor& go,
                          const Tensor& x, const Tensor& p, const Tensor& w) {
  PE_DISPATCH_NN_FLOAT(x.dtype(), "soft_nll_loss_backward", [&] {
    soft_backward_impl(g, gi.data_ptr<scalar_t>(), gt.data_ptr<scalar_t>(), go.data_ptr<scalar_t>(),
                       x.data_ptr<scalar_t>(), p.data_ptr<scalar_t>(), opt_ptr<scalar_t>(w));
  });
}

PE_REGISTER_KERNEL(nll_loss_stub, CPU, &nll_kernel);
PE_REGISTER_KERNEL(nll_loss_backward_stub, CPU, &nll_backward_kernel);
PE_REGISTER_KERNEL(nll_smooth_stub, CPU, &smooth_kernel);
PE_REGISTER_KERNEL(nll_smooth_backward_stub, CPU, &smooth_backward_kernel);
PE_REGISTER_KERNEL(soft_nll_stub, CPU, &soft_kernel);
PE_REGISTER_KERNEL(soft_nll_backward_stub, CPU, &soft_backward_kernel);

}  // namespace
}  // namespace pe::cpu
