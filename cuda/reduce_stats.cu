// var/std (var_stub), the vector p-norms (norm_stub) and logsumexp (logsumexp_stub) on CUDA over the
// reduction engine of reduce.cuh, with the accumulators of the CPU kernels (cpu/reduce_stats_kernel.cpp):
// Welford in double merged by Chan's formula, norms in float (double for double), logsumexp with a
// running maximum so that large inputs do not overflow.
#include <cmath>

#include "cuda/kernels.h"
#include "cuda/reduce.cuh"
#include "ops/elementwise_functors.h"

namespace pe::cuda {
namespace {

template <class T>
using acc_float_t = std::conditional_t<std::is_same_v<T, double>, double, float>;

template <class T>
struct WelfordOp {
  struct acc_t {
    double mean, m2;
    int64_t n;
  };
  const T* out_base;
  T* mean_base;  // may be null; written at the output's position
  double correction;
  bool take_sqrt;
  PE_HOST_DEVICE acc_t identity() const { return {0.0, 0.0, 0}; }
  PE_HOST_DEVICE acc_t reduce(acc_t a, T x, int64_t) const {
    const double v = static_cast<double>(static_cast<opmath_t<T>>(x));
    a.n += 1;
    const double d = v - a.mean;
    a.mean += d / (double)a.n;
    a.m2 += d * (v - a.mean);
    return a;
  }
  PE_HOST_DEVICE acc_t combine(acc_t a, acc_t b) const {
    if (a.n == 0) return b;
    if (b.n == 0) return a;
    const double n = (double)(a.n + b.n), d = b.mean - a.mean;
    return {a.mean + d * ((double)b.n / n), a.m2 + b.m2 + d * d * ((double)a.n * (double)b.n / n), a.n + b.n};
  }
  PE_HOST_DEVICE void store(T* o, acc_t a) const {
    const double denom = (double)a.n - correction;
    const double var = a.m2 / (denom > 0.0 ? denom : 0.0);
    *o = static_cast<T>(take_sqrt ? std::sqrt(var) : var);
    if (mean_base) mean_base[o - out_base] = static_cast<T>(a.mean);
  }
};

enum NormKind { kZero, kOne, kTwo, kInf, kNegInf, kGeneral };

template <class T, int Kind>
struct NormOp {
  using acc_t = acc_float_t<T>;
  acc_t p;
  PE_HOST_DEVICE acc_t identity() const { return Kind == kNegInf ? static_cast<acc_t>(INFINITY) : acc_t(0); }
  PE_HOST_DEVICE acc_t combine(acc_t a, acc_t b) const {
    if constexpr (Kind == kInf) return (b > a || b != b) ? b : a;
    else if constexpr (Kind == kNegInf) return (b < a || b != b) ? b : a;
    else return a + b;
  }
  PE_HOST_DEVICE acc_t reduce(acc_t a, T x, int64_t) const {
    const acc_t v = std::fabs(static_cast<acc_t>(static_cast<opmath_t<T>>(x)));
    if constexpr (Kind == kZero) return a + (v != acc_t(0) ? acc_t(1) : acc_t(0));
    else if constexpr (Kind == kOne) return a + v;
    else if constexpr (Kind == kTwo) return a + v * v;
    else if constexpr (Kind == kGeneral) return a + std::pow(v, p);
    else return combine(a, v);
  }
  PE_HOST_DEVICE void store(T* o, acc_t a) const {
    if constexpr (Kind == kTwo) *o = static_cast<T>(std::sqrt(a));
    else if constexpr (Kind == kGeneral) *o = static_cast<T>(std::pow(a, acc_t(1) / p));
    else *o = static_cast<T>(a);
  }
};

template <class T>
struct LogsumexpOp {
  using V = acc_float_t<T>;
  struct acc_t {
    V m, s;  // the running maximum and sum(exp(x - m))
  };
  PE_HOST_DEVICE static V neg_inf() { return -static_cast<V>(INFINITY); }
  PE_HOST_DEVICE acc_t identity() const { return {neg_inf(), V(0)}; }
  PE_HOST_DEVICE acc_t reduce(acc_t a, T x, int64_t) const {
    const V v = static_cast<V>(static_cast<opmath_t<T>>(x));
    if (v != v) return {v, v};
    if (a.m != a.m || v == neg_inf()) return a;
    if (v <= a.m) {
      a.s += v == a.m ? V(1) : std::exp(v - a.m);
      return a;
    }
    a.s = (a.m == neg_inf() ? V(0) : a.s * std::exp(a.m - v)) + V(1);
    a.m = v;
    return a;
  }
  PE_HOST_DEVICE acc_t combine(acc_t a, acc_t b) const {
    if (a.m != a.m) return a;
    if (b.m != b.m) return b;
    if (b.m == neg_inf()) return a;
    if (a.m == neg_inf()) return b;
    if (a.m < b.m) {
      const acc_t t = a;
      a = b;
      b = t;
    }
    a.s += a.m == b.m ? b.s : b.s * std::exp(b.m - a.m);
    return a;
  }
  PE_HOST_DEVICE void store(T* o, acc_t a) const {
    const bool special = a.m == neg_inf() || std::isinf(a.m) || a.m != a.m;
    *o = static_cast<T>(special ? a.m : a.m + std::log(a.s));
  }
};

}  // namespace

void var_kernel(const ReduceGeom& g, const Tensor& in, const Tensor& out, const Tensor& mean, double correction,
                bool take_sqrt) {
  PE_DISPATCH_FLOATING_TYPES(in.dtype(), "var", [&] {
    WelfordOp<scalar_t> op{out.data_ptr<scalar_t>(), mean.defined() ? mean.data_ptr<scalar_t>() : nullptr,
                           correction, take_sqrt};
    launch_reduce<scalar_t, scalar_t>(g, in, out, op);
  });
}

void norm_kernel(const ReduceGeom& g, const Tensor& in, const Tensor& out, double p) {
  PE_DISPATCH_FLOATING_TYPES(in.dtype(), "norm", [&] {
    using T = scalar_t;
    const acc_float_t<T> pp = static_cast<acc_float_t<T>>(p);
    if (p == 0) launch_reduce<T, T>(g, in, out, NormOp<T, kZero>{pp});
    else if (p == 1) launch_reduce<T, T>(g, in, out, NormOp<T, kOne>{pp});
    else if (p == 2) launch_reduce<T, T>(g, in, out, NormOp<T, kTwo>{pp});
    else if (std::isinf(p) && p > 0) launch_reduce<T, T>(g, in, out, NormOp<T, kInf>{pp});
    else if (std::isinf(p)) launch_reduce<T, T>(g, in, out, NormOp<T, kNegInf>{pp});
    else launch_reduce<T, T>(g, in, out, NormOp<T, kGeneral>{pp});
  });
}

void logsumexp_kernel(const ReduceGeom& g, const Tensor& in, const Tensor& out) {
  PE_DISPATCH_FLOATING_TYPES(in.dtype(), "logsumexp",
                             [&] { launch_reduce<scalar_t, scalar_t>(g, in, out, LogsumexpOp<scalar_t>()); });
}

}  // namespace pe::cuda
