// sum / mean / prod (sum_stub), amax / amin (minmax_stub), all / any / count_nonzero (logical_stub)
// on CUDA over the reduction engine of reduce.cuh. Accumulator and output types as the CPU kernels
// (cpu/reduce_ops.h): float sums of floats (double for double), int64 for integers and bool; min/max
// compare in float for the 16-bit floats and propagate NaN.
#include "cuda/kernels.h"
#include "cuda/reduce.cuh"
#include "ops/elementwise_functors.h"
#include "ops/reduce_stubs.h"

namespace pe::cuda {

ReduceParams make_reduce_params(const ReduceGeom& g) {
  ReduceParams p;
  const int nkept = (int)g.kept_sizes.size();
  PE_CHECK(nkept <= kMaxReduceDims && (int)g.red_sizes.size() <= kMaxReduceDims, "reduction: too many dims");
  PE_CHECK(g.kind != ReduceGeom::Kind::NeedsCopy, "reduction: the op layer must copy a NeedsCopy input");
  for (int d = 0; d < nkept; ++d) {
    p.out_sizes[p.nout] = g.kept_sizes[d];
    p.out_in_strides[p.nout] = g.kept_in_strides[d];
    p.out_out_strides[p.nout] = g.kept_out_strides[d];
    ++p.nout;
  }
  if (g.kind == ReduceGeom::Kind::Outer) {
    p.out_sizes[p.nout] = g.cols;
    p.out_in_strides[p.nout] = 1;
    p.out_out_strides[p.nout] = g.col_out_stride;
    ++p.nout;
  }
  for (int d = 0; d < (int)g.red_sizes.size(); ++d) {
    p.red_sizes[d] = g.red_sizes[d];
    p.red_strides[d] = g.red_strides[d];
  }
  p.nred = (int)g.red_sizes.size();
  if (p.nred == 0) {  // a reduction over size-1 dims only: one element per output
    p.red_sizes[0] = 1;
    p.red_strides[0] = 0;
    p.nred = 1;
  }
  p.num_outputs = g.num_outputs;
  p.reduce_size = g.reduce_size;
  return p;
}

namespace {

template <class T>
using sum_acc_t = std::conditional_t<is_float_v<T>, std::conditional_t<std::is_same_v<T, double>, double, float>, int64_t>;
template <class T>
using sum_out_t = std::conditional_t<is_float_v<T>, T, int64_t>;
template <class T>
using cmp_t = std::conditional_t<is_reduced_float_v<T>, float, T>;

template <class T>
struct SumOp {
  using acc_t = sum_acc_t<T>;
  acc_t divisor;
  PE_HOST_DEVICE acc_t identity() const { return acc_t(0); }
  PE_HOST_DEVICE acc_t reduce(acc_t a, T x, int64_t) const { return a + static_cast<acc_t>(x); }
  PE_HOST_DEVICE acc_t combine(acc_t a, acc_t b) const { return a + b; }
  PE_HOST_DEVICE void store(sum_out_t<T>* o, acc_t a) const {
    if constexpr (is_float_v<T>) *o = static_cast<T>(divisor == acc_t(1) ? a : a / divisor);
    else *o = a;
  }
};

template <class T>
struct ProdOp {
  using acc_t = sum_acc_t<T>;
  PE_HOST_DEVICE acc_t identity() const { return acc_t(1); }
  PE_HOST_DEVICE acc_t reduce(acc_t a, T x, int64_t) const { return a * static_cast<acc_t>(x); }
  PE_HOST_DEVICE acc_t combine(acc_t a, acc_t b) const { return a * b; }
  PE_HOST_DEVICE void store(sum_out_t<T>* o, acc_t a) const { *o = static_cast<sum_out_t<T>>(a); }
};

template <class T, bool IsMax>
struct MinMaxOp {
  using acc_t = cmp_t<T>;
  PE_HOST_DEVICE acc_t identity() const {
    if constexpr (std::is_same_v<T, bool>) {
      return !IsMax;
    } else if constexpr (is_float_v<T>) {
      return IsMax ? -static_cast<acc_t>(INFINITY) : static_cast<acc_t>(INFINITY);
    } else if constexpr (std::is_signed_v<T>) {
      constexpr T max = static_cast<T>((uint64_t(1) << (sizeof(T) * 8 - 1)) - 1);
      return IsMax ? static_cast<T>(-max - 1) : max;
    } else {
      return IsMax ? T(0) : static_cast<T>(~T(0));
    }
  }
  PE_HOST_DEVICE acc_t combine(acc_t a, acc_t b) const {
    if constexpr (std::is_same_v<T, bool>) {
      return IsMax ? (a || b) : (a && b);
    } else {
      if constexpr (is_float_v<T>) {
        if (a != a) return a;  // NaN propagates
        if (b != b) return b;
      }
      return (IsMax ? b > a : b < a) ? b : a;
    }
  }
  PE_HOST_DEVICE acc_t reduce(acc_t a, T x, int64_t) const { return combine(a, static_cast<acc_t>(x)); }
  PE_HOST_DEVICE void store(T* o, acc_t a) const { *o = static_cast<T>(a); }
};

template <class T, int Kind>  // 0: all, 1: any, 2: count_nonzero
struct LogicalOp {
  using acc_t = std::conditional_t<Kind == 2, int64_t, bool>;
  PE_HOST_DEVICE static bool nonzero(T x) { return static_cast<opmath_t<T>>(x) != opmath_t<T>(0); }
  PE_HOST_DEVICE acc_t identity() const { return Kind == 0 ? acc_t(1) : acc_t(0); }
  PE_HOST_DEVICE acc_t combine(acc_t a, acc_t b) const {
    if constexpr (Kind == 0) return a && b;
    else if constexpr (Kind == 1) return a || b;
    else return a + b;
  }
  PE_HOST_DEVICE acc_t reduce(acc_t a, T x, int64_t) const { return combine(a, static_cast<acc_t>(nonzero(x))); }
  PE_HOST_DEVICE void store(std::conditional_t<Kind == 2, int64_t, uint8_t>* o, acc_t a) const { *o = a; }
};

}  // namespace

void sum_kernel(const ReduceGeom& g, const Tensor& in, const Tensor& out, ReduceOp op) {
  PE_DISPATCH_ALL_TYPES(in.dtype(), "sum", [&] {
    using T = scalar_t;
    if (op == ReduceOp::Prod) return launch_reduce<T, sum_out_t<T>>(g, in, out, ProdOp<T>());
    using Acc = sum_acc_t<T>;
    launch_reduce<T, sum_out_t<T>>(g, in, out, SumOp<T>{op == ReduceOp::Mean ? static_cast<Acc>(g.reduce_size) : Acc(1)});
  });
}

void minmax_kernel(const ReduceGeom& g, const Tensor& in, const Tensor& out, ReduceOp op) {
  PE_DISPATCH_ALL_TYPES(in.dtype(), "amax", [&] {
    if (op == ReduceOp::Amax) launch_reduce<scalar_t, scalar_t>(g, in, out, MinMaxOp<scalar_t, true>());
    else launch_reduce<scalar_t, scalar_t>(g, in, out, MinMaxOp<scalar_t, false>());
  });
}

void logical_kernel(const ReduceGeom& g, const Tensor& in, const Tensor& out, ReduceOp op) {
  PE_DISPATCH_ALL_TYPES(in.dtype(), "all", [&] {
    switch (op) {
      case ReduceOp::All: return launch_reduce<scalar_t, uint8_t>(g, in, out, LogicalOp<scalar_t, 0>());
      case ReduceOp::Any: return launch_reduce<scalar_t, uint8_t>(g, in, out, LogicalOp<scalar_t, 1>());
      default: return launch_reduce<scalar_t, int64_t>(g, in, out, LogicalOp<scalar_t, 2>());
    }
  });
}

}  // namespace pe::cuda
