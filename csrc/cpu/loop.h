// The CPU elementwise engine: runs a scalar functor over a TensorIter. The innermost loop has a
// dense fast path the compiler vectorizes, a path for a broadcast (stride-0) input, and a strided
// path; the index space is split across OpenMP threads above kGrainSize elements.
#pragma once
#include <omp.h>

#include <tuple>
#include <type_traits>
#include <utility>

#include "core/tensor_iter.h"
#include "cpu/parallel.h"

namespace pe::cpu {

template <class F>
struct FunctionTraits : FunctionTraits<decltype(&F::operator())> {};
template <class C, class R, class... Args>
struct FunctionTraits<R (C::*)(Args...) const> {
  using result_type = R;
  using args_tuple = std::tuple<Args...>;
  static constexpr int arity = sizeof...(Args);
  template <int I>
  using arg = std::tuple_element_t<I, args_tuple>;
};

namespace detail {

template <class F, size_t... I>
PE_ALWAYS_INLINE void apply_strided(const F& f, char** data, const int64_t* strides, int64_t i,
                                    std::index_sequence<I...>) {
  using T = FunctionTraits<F>;
  using R = typename T::result_type;
  *reinterpret_cast<R*>(data[0] + i * strides[0]) =
      f(*reinterpret_cast<const typename T::template arg<I>*>(data[I + 1] + i * strides[I + 1])...);
}

template <class F, size_t... I>
PE_ALWAYS_INLINE void apply_dense(const F& f, char** data, int64_t i, std::index_sequence<I...>) {
  using T = FunctionTraits<F>;
  using R = typename T::result_type;
  reinterpret_cast<R*>(data[0])[i] = f(reinterpret_cast<const typename T::template arg<I>*>(data[I + 1])[i]...);
}

template <class F, size_t... I>
bool all_dense(const int64_t* strides, std::index_sequence<I...>) {
  using T = FunctionTraits<F>;
  return strides[0] == (int64_t)sizeof(typename T::result_type) &&
         ((strides[I + 1] == (int64_t)sizeof(typename T::template arg<I>)) && ...);
}

}  // namespace detail

// out = f(in...) elementwise. The functor's argument types must equal the input dtypes and its
// result type the output dtype (the op layer casts beforehand).
template <class F>
void cpu_kernel(const TensorIter& iter, const F& f) {
  constexpr int arity = FunctionTraits<F>::arity;
  using Seq = std::make_index_sequence<arity>;
  auto loop = [&](char** data, const int64_t* strides, int64_t n) {
    if (detail::all_dense<F>(strides, Seq{})) {
      for (int64_t i = 0; i < n; ++i) detail::apply_dense(f, data, i, Seq{});
    } else {
      for (int64_t i = 0; i < n; ++i) detail::apply_strided(f, data, strides, i, Seq{});
    }
  };
  parallel_for(0, iter.numel(), kGrainSize,
               [&](int64_t b, int64_t e) { iter.serial_for(b, e, loop); });
}

// Like cpu_kernel, but f gets the linear index too: f(index) -> out. Used by fills that depend on
// the position (arange, random numbers).
template <class F>
void cpu_index_kernel(const TensorIter& iter, const F& f) {
  using R = decltype(f(int64_t(0)));
  parallel_for(0, iter.numel(), kGrainSize, [&](int64_t b, int64_t e) {
    int64_t pos = b;
    iter.serial_for(b, e, [&](char** data, const int64_t* strides, int64_t n) {
      for (int64_t i = 0; i < n; ++i) *reinterpret_cast<R*>(data[0] + i * strides[0]) = f(pos + i);
      pos += n;
    });
  });
}

}  // namespace pe::cpu
