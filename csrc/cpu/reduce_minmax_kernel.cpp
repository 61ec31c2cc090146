// CPU kernels of amax/amin (and max()/min() without dim) and of the arg-reductions (max/min with a
// dim, argmax/argmin) over the reduction driver (cpu/reduce_loop.h).
#include "cpu/reduce_loop.h"
#include "cpu/reduce_ops.h"
#include "ops/reduce_stubs.h"

namespace pe::cpu {
namespace {

void minmax_kernel(const ReduceGeom& g, const Tensor& in, const Tensor& out, ReduceOp op) {
  PE_DISPATCH_ALL_TYPES(in.dtype(), "amax", [&] {
    const scalar_t* x = in.data_ptr<scalar_t>();
    if (op == ReduceOp::Amax) run_reduce(g, x, MinMaxOp<scalar_t, true>{out.data_ptr<scalar_t>()});
    else run_reduce(g, x, MinMaxOp<scalar_t, false>{out.data_ptr<scalar_t>()});
  });
}

// Inner rows: the extreme value by the vectorized min/max fold, then the first index holding it
// (the first NaN when it is NaN). Much faster than folding (value, index) pairs, which does not
// vectorize; Outer geometries fold the pairs (ArgMinMaxOp).
template <class T, bool IsMax>
void arg_reduce_inner(const ReduceGeom& g, const T* x, T* values, int64_t* indices) {
  using V = cmp_t<T>;
  const MinMaxOp<T, IsMax> op{nullptr};
  for_each_row(g, [&](int64_t in_off, int64_t out_off, bool parallel) {
    const T* p = x + in_off;
    const V m = fold_run(op, p, g.reduce_size, 0, parallel);
    int64_t i = 0;
    if (isnan_v(m)) {
      while (!isnan_v(static_cast<V>(p[i]))) ++i;
    } else {
      while (!(static_cast<V>(p[i]) == m)) ++i;
    }
    if (values) values[out_off] = p[i];
    indices[out_off] = i;
  });
}

template <class T, bool IsMax>
void arg_reduce(const ReduceGeom& g, const T* x, T* values, int64_t* indices) {
  if (g.kind == ReduceGeom::Kind::Inner) arg_reduce_inner<T, IsMax>(g, x, values, indices);
  else run_reduce(g, x, ArgMinMaxOp<T, IsMax>{values, indices});
}

void arg_reduce_kernel(const ReduceGeom& g, const Tensor& in, const Tensor& values, const Tensor& indices,
                       bool is_max) {
  PE_DISPATCH_ALL_TYPES(in.dtype(), "argmax", [&] {
    const scalar_t* x = in.data_ptr<scalar_t>();
    scalar_t* v = values.defined() ? values.data_ptr<scalar_t>() : nullptr;
    int64_t* i = indices.data_ptr<int64_t>();
    if (is_max) arg_reduce<scalar_t, true>(g, x, v, i);
    else arg_reduce<scalar_t, false>(g, x, v, i);
  });
}

PE_REGISTER_KERNEL(minmax_stub, CPU, &minmax_kernel);
PE_REGISTER_KERNEL(arg_reduce_stub, CPU, &arg_reduce_kernel);

}  // namespace
}  // namespace pe::cpu
