// max/min with a dim and argmax/argmin (arg_reduce_stub) on CUDA over the reduction engine of
// reduce.cuh, folding (value, index) pairs: NaN beats every number (the first NaN wins), and equal
// values keep the smaller index, PyTorch's first-occurrence rule. The index is the row-major position
// inside the reduced dims, which the engine passes to reduce().
#include "cuda/kernels.h"
#include "cuda/reduce.cuh"
#include "ops/elementwise_functors.h"

namespace pe::cuda {
namespace {

template <class T, bool IsMax>
struct ArgMinMaxOp {
  using V = opmath_t<T>;
  struct acc_t {
    int64_t i;  // -1: no element yet
    V v;  // the int64 aligns the struct to 8 bytes: whole words for the warp shuffle (reduce.cuh)
  };
  T* values_base;  // may be null (argmax/argmin); written at the output's position
  const int64_t* indices_base;
  PE_HOST_DEVICE static bool is_nan(V x) {
    if constexpr (is_float_v<T>) return x != x;
    else return false;
  }
  PE_HOST_DEVICE static bool better(V x, V y) {  // x strictly beats y
    if (is_nan(x)) return !is_nan(y);
    if (is_nan(y)) return false;
    return IsMax ? x > y : x < y;
  }
  PE_HOST_DEVICE acc_t identity() const { return acc_t{-1, V(0)}; }
  PE_HOST_DEVICE acc_t reduce(acc_t a, T x, int64_t k) const {
    const V v = static_cast<V>(x);
    return (a.i < 0 || better(v, a.v)) ? acc_t{k, v} : a;
  }
  PE_HOST_DEVICE acc_t combine(acc_t a, acc_t b) const {
    if (a.i < 0) return b;
    if (b.i < 0) return a;
    if (better(b.v, a.v)) return b;
    if (better(a.v, b.v)) return a;
    return b.i < a.i ? b : a;  // equal (or both NaN)
  }
  PE_HOST_DEVICE void store(int64_t* o, acc_t a) const {
    if (values_base) values_base[o - indices_base] = static_cast<T>(a.v);
    *o = a.i;
  }
};

}  // namespace

void arg_reduce_kernel(const ReduceGeom& g, const Tensor& in, const Tensor& values, const Tensor& indices,
                       bool is_max) {
  PE_DISPATCH_ALL_TYPES(in.dtype(), "argmax", [&] {
    using T = scalar_t;
    T* v = values.defined() ? values.data_ptr<T>() : nullptr;
    const int64_t* i = indices.data_ptr<int64_t>();
    if (is_max) launch_reduce<T, int64_t>(g, in, indices, ArgMinMaxOp<T, true>{v, i});
    else launch_reduce<T, int64_t>(g, in, indices, ArgMinMaxOp<T, false>{v, i});
  });
}

}  // namespace pe::cuda
