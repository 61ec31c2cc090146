// The CPU elementwise engine: runs a scalar functor over a TensorIter. The innermost loop has a
// dense fast path the compiler vectorizes, a path for a broadcast (stride-0) input, and a strided
// path; the index space is split across OpenMP threads above kGrainSize elements.
#pragma once
#include <omp.h>

#include <algorithm>
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

// The inputs in Mask (bit I: input I) are broadcast scalars (stride 0), the output and the other
// inputs are dense.
template <class F, unsigned Mask, size_t... I>
bool dense_but_scalars(const int64_t* strides, std::index_sequence<I...>) {
  using T = FunctionTraits<F>;
  return strides[0] == (int64_t)sizeof(typename T::result_type) &&
         (((Mask >> I) & 1 ? strides[I + 1] == 0 : strides[I + 1] == (int64_t)sizeof(typename T::template arg<I>)) &&
          ...);
}

template <bool IsScalar, class A>
PE_ALWAYS_INLINE A load_arg(const A* p, int64_t i) {
  if constexpr (IsScalar) return *p;
  else return p[i];
}

// The dense loop with the Mask inputs read once: `x + 2`, `x > 0`, `clamp(x, 0, 1)` vectorize like
// `x + y`.
template <class F, unsigned Mask, size_t... I>
PE_ALWAYS_INLINE void loop_scalar_args(const F& f, char** data, int64_t n, std::index_sequence<I...>) {
  using T = FunctionTraits<F>;
  using R = typename T::result_type;
  const std::tuple<typename T::template arg<I>...> scalars{
      ((Mask >> I) & 1 ? *reinterpret_cast<const typename T::template arg<I>*>(data[I + 1])
                       : typename T::template arg<I>())...};
  R* out = reinterpret_cast<R*>(data[0]);
  for (int64_t i = 0; i < n; ++i)
    out[i] = f(load_arg<((Mask >> I) & 1) != 0>(
        ((Mask >> I) & 1) ? &std::get<I>(scalars) : reinterpret_cast<const typename T::template arg<I>*>(data[I + 1]),
        i)...);
}

// Tries the loops with scalar inputs: each single input, and for ternary ops the last two
// (clamp(x, lo, hi) with number bounds). True if one applied.
template <class F, size_t... S>
PE_ALWAYS_INLINE bool try_scalar_loops(const F& f, char** data, const int64_t* strides, int64_t n,
                                       std::index_sequence<S...>) {
  using Seq = std::make_index_sequence<sizeof...(S)>;
  if (((dense_but_scalars<F, 1u << S>(strides, Seq{}) ? (loop_scalar_args<F, 1u << S>(f, data, n, Seq{}), true)
                                                       : false) ||
       ...))
    return true;
  if constexpr (sizeof...(S) == 3) {
    if (dense_but_scalars<F, 6u>(strides, Seq{})) {
      loop_scalar_args<F, 6u>(f, data, n, Seq{});
      return true;
    }
  }
  return false;
}

// The inner loop of cpu_kernel: dense, dense with one scalar input (arity >= 2), or strided.
template <class F>
PE_ALWAYS_INLINE void basic_loop(const F& f, char** data, const int64_t* strides, int64_t n) {
  constexpr int arity = FunctionTraits<F>::arity;
  using Seq = std::make_index_sequence<arity>;
  if (all_dense<F>(strides, Seq{})) {
    for (int64_t i = 0; i < n; ++i) apply_dense(f, data, i, Seq{});
    return;
  }
  if constexpr (arity >= 2) {
    if (try_scalar_loops(f, data, strides, n, Seq{})) return;
  }
  for (int64_t i = 0; i < n; ++i) apply_strided(f, data, strides, i, Seq{});
}

}  // namespace detail

// out = f(in...) elementwise. The functor's argument types must equal the input dtypes and its
// result type the output dtype (the op layer casts beforehand).
// Runs loop(data, strides, n) over the whole iteration space, split across threads: in linear chunks,
// or in tiles when an input is walked against its memory order (Note [Tiled iteration]).
template <class Loop>
void for_each_chunk(const TensorIter& iter, const Loop& loop) {
  if (iter.tiled()) {
    constexpr int64_t kTileGrain = std::max<int64_t>(1, kGrainSize / (TensorIter::kTile * TensorIter::kTile));
    parallel_for(0, iter.num_tiles(), kTileGrain, [&](int64_t b, int64_t e) { iter.for_each_tile(b, e, loop); });
    return;
  }
  parallel_for(0, iter.numel(), kGrainSize, [&](int64_t b, int64_t e) { iter.serial_for(b, e, loop); });
}

template <class F>
void cpu_kernel(const TensorIter& iter, const F& f) {
  for_each_chunk(iter, [&](char** data, const int64_t* strides, int64_t n) { detail::basic_loop(f, data, strides, n); });
}

// Runs a hand-picked dense loop dense(out, in, n) (e.g. compiled for AVX2 and chosen at run time)
// over a unary TensorIter of R <- A: directly on dense chunks, through small buffers otherwise, so
// every layout gets the same values (and the vector speed).
template <class R, class A, class Dense>
void cpu_kernel_dense(const TensorIter& iter, const Dense& dense) {
  auto loop = [&](char** data, const int64_t* strides, int64_t n) {
    if (strides[0] == (int64_t)sizeof(R) && strides[1] == (int64_t)sizeof(A)) {
      dense(reinterpret_cast<R*>(data[0]), reinterpret_cast<const A*>(data[1]), n);
      return;
    }
    constexpr int64_t kBlock = 256;
    A in[kBlock];
    R out[kBlock];
    for (int64_t i0 = 0; i0 < n; i0 += kBlock) {
      const int64_t m = std::min(kBlock, n - i0);
      for (int64_t j = 0; j < m; ++j) in[j] = *reinterpret_cast<const A*>(data[1] + (i0 + j) * strides[1]);
      dense(out, in, m);
      for (int64_t j = 0; j < m; ++j) *reinterpret_cast<R*>(data[0] + (i0 + j) * strides[0]) = out[j];
    }
  };
  for_each_chunk(iter, loop);
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
