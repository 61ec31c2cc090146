// CPU kernels of var/std (Welford, merged with Chan's formula), the vector p-norms and logsumexp
// (a running maximum, so large inputs do not overflow) over the reduction driver.
#include <cmath>
#include <limits>

#include "cpu/reduce_loop.h"
#include "cpu/reduce_ops.h"
#include "ops/reduce_stubs.h"

namespace pe::cpu {
namespace {

template <class T>
struct WelfordOp {
  using in_t = T;
  struct acc_t {
    double mean, m2;
    int64_t n;
  };
  T* out;
  T* mean_out;  // may be null
  double correction;
  bool take_sqrt;
  acc_t identity() const { return {0.0, 0.0, 0}; }
  acc_t reduce(acc_t a, T x, int64_t) const {
    const double v = cast_value<double>(x);
    a.n += 1;
    const double d = v - a.mean;
    a.mean += d / (double)a.n;
    a.m2 += d * (v - a.mean);
    return a;
  }
  acc_t combine(acc_t a, acc_t b) const {
    if (a.n == 0) return b;
    if (b.n == 0) return a;
    const double n = (double)(a.n + b.n), d = b.mean - a.mean;
    return {a.mean + d * ((double)b.n / n), a.m2 + b.m2 + d * d * ((double)a.n * (double)b.n / n), a.n + b.n};
  }
  void store(int64_t i, acc_t a) const {
    const double var = a.m2 / std::max(0.0, (double)a.n - correction);
    out[i] = cast_value<T>(take_sqrt ? std::sqrt(var) : var);
    if (mean_out) mean_out[i] = cast_value<T>(a.mean);
  }
};

enum NormKind { kZero, kOne, kTwo, kInf, kNegInf, kGeneral };

template <class T, int Kind>
struct NormOp {
  using in_t = T;
  using acc_t = sum_acc_t<T>;
  T* out;
  acc_t p;
  acc_t identity() const { return Kind == kNegInf ? std::numeric_limits<acc_t>::infinity() : acc_t(0); }
  acc_t combine(acc_t a, acc_t b) const {
    if constexpr (Kind == kInf) return (b > a || b != b) ? b : a;
    else if constexpr (Kind == kNegInf) return (b < a || b != b) ? b : a;
    else return a + b;
  }
  acc_t reduce(acc_t a, T x, int64_t) const {
    const acc_t v = std::abs(static_cast<acc_t>(x));
    if constexpr (Kind == kZero) return a + (v != acc_t(0) ? acc_t(1) : acc_t(0));
    else if constexpr (Kind == kOne) return a + v;
    else if constexpr (Kind == kTwo) return a + v * v;
    else if constexpr (Kind == kGeneral) return a + std::pow(v, p);
    else return combine(a, v);
  }
  void store(int64_t i, acc_t a) const {
    if constexpr (Kind == kTwo) out[i] = static_cast<T>(std::sqrt(a));
    else if constexpr (Kind == kGeneral) out[i] = static_cast<T>(std::pow(a, acc_t(1) / p));
    else out[i] = static_cast<T>(a);
  }
};

template <class T>
struct LogsumexpOp {
  using in_t = T;
  using V = sum_acc_t<T>;
  struct acc_t {
    V m, s;  // the running maximum and sum(exp(x - m))
  };
  T* out;
  static constexpr V kNegInf = -std::numeric_limits<V>::infinity();
  acc_t identity() const { return {kNegInf, V(0)}; }
  acc_t reduce(acc_t a, T x, int64_t) const {
    const V v = static_cast<V>(x);
    if (v != v) return {v, v};
    if (a.m != a.m || v == kNegInf) return a;
    if (v <= a.m) {
      a.s += v == a.m ? V(1) : std::exp(v - a.m);
      return a;
    }
    a.s = (a.m == kNegInf ? V(0) : a.s * std::exp(a.m - v)) + V(1);
    a.m = v;
    return a;
  }
  acc_t combine(acc_t a, acc_t b) const {
    if (a.m != a.m) return a;
    if (b.m != b.m) return b;
    if (b.m == kNegInf) return a;
    if (a.m == kNegInf) return b;
    if (a.m < b.m) std::swap(a, b);
    a.s += a.m == b.m ? b.s : b.s * std::exp(b.m - a.m);
    return a;
  }
  void store(int64_t i, acc_t a) const {
    out[i] = static_cast<T>((a.m == kNegInf || std::isinf(a.m) || a.m != a.m) ? a.m : a.m + std::log(a.s));
  }
};

void var_kernel(const ReduceGeom& g, const Tensor& in, const Tensor& out, const Tensor& mean, double correction,
                bool take_sqrt) {
  PE_DISPATCH_FLOATING_TYPES(in.dtype(), "var", [&] {
    WelfordOp<scalar_t> f{out.data_ptr<scalar_t>(), mean.defined() ? mean.data_ptr<scalar_t>() : nullptr,
                          correction, take_sqrt};
    run_reduce(g, in.data_ptr<scalar_t>(), f);
  });
}

void norm_kernel(const ReduceGeom& g, const Tensor& in, const Tensor& out, double p) {
  PE_DISPATCH_FLOATING_TYPES(in.dtype(), "norm", [&] {
    using acc_t = sum_acc_t<scalar_t>;
    const scalar_t* x = in.data_ptr<scalar_t>();
    scalar_t* o = out.data_ptr<scalar_t>();
    const acc_t pp = static_cast<acc_t>(p);
    if (p == 0) run_reduce(g, x, NormOp<scalar_t, kZero>{o, pp});
    else if (p == 1) run_reduce(g, x, NormOp<scalar_t, kOne>{o, pp});
    else if (p == 2) run_reduce(g, x, NormOp<scalar_t, kTwo>{o, pp});
    else if (std::isinf(p) && p > 0) run_reduce(g, x, NormOp<scalar_t, kInf>{o, pp});
    else if (std::isinf(p)) run_reduce(g, x, NormOp<scalar_t, kNegInf>{o, pp});
    else run_reduce(g, x, NormOp<scalar_t, kGeneral>{o, pp});
  });
}

void logsumexp_kernel(const ReduceGeom& g, const Tensor& in, const Tensor& out) {
  PE_DISPATCH_FLOATING_TYPES(in.dtype(), "logsumexp", [&] {
    run_reduce(g, in.data_ptr<scalar_t>(), LogsumexpOp<scalar_t>{out.data_ptr<scalar_t>()});
  });
}

PE_REGISTER_KERNEL(var_stub, CPU, &var_kernel);
PE_REGISTER_KERNEL(norm_stub, CPU, &norm_kernel);
PE_REGISTER_KERNEL(logsumexp_stub, CPU, &logsumexp_kernel);

}  // namespace
}  // namespace pe::cpu
